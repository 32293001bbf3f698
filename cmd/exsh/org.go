package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/etcd"
	"exsh/state/setup"
)

// An organisation of several servers (SPEC section 8): with -IPAddress,
// or on a data path that has been a member, this process runs an etcd
// member and keeps the organisation in etcd (package state/etcd), its
// replica in the data path's own store.

// etcd ports before -PortOffset.
const (
	etcdClientPort = 2379
	etcdPeerPort   = 2380
)

// orgTimeout bounds a change of the organisation: without a majority it
// fails well within the 10 s SPEC section 8 allows.
const orgTimeout = 6 * time.Second

// joinTimeout bounds joining an organisation (adding the member, copying
// the log, promoting it).
const joinTimeout = 60 * time.Second

// memberFile, in the data path, remembers which member of which
// organisation the data path is, so that a server restarts with the same
// command line (or none) and -Join is then ignored.
const memberFile = "member.json"

// memberInfo is what memberFile holds.
type memberInfo struct {
	ServerName string
	IPAddress  string
	PortOffset int
}

func readMemberInfo(dataPath string) (*memberInfo, error) {
	b, err := os.ReadFile(filepath.Join(dataPath, memberFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var mi memberInfo
	if err := json.Unmarshal(b, &mi); err != nil || mi.ServerName == "" {
		return nil, fmt.Errorf("%s is damaged: %w", filepath.Join(dataPath, memberFile), state.ErrCorrupt)
	}
	return &mi, nil
}

func writeMemberInfo(dataPath string, mi *memberInfo) error {
	b, err := json.MarshalIndent(mi, "", "  ")
	if err != nil {
		return err
	}
	// The file decides which member the data path is: a crash leaves the
	// old file or the whole new one, never an empty one.
	tmp := filepath.Join(dataPath, memberFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dataPath, memberFile))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	dir, err := os.Open(dataPath)
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// inOrganisation says whether the data path runs as a member of an
// organisation of several servers.
func (h *host) inOrganisation(dataPath string) bool {
	if h.opts.ipAddress.IsValid() {
		return true
	}
	_, err := os.Stat(filepath.Join(dataPath, memberFile))
	return err == nil
}

// orgServer is this process's place in an organisation of several
// servers.
type orgServer struct {
	name   string
	ip     netip.Addr
	member *etcd.Member
	store  *etcd.Store
}

// openOrganisation starts (or restarts) this server's etcd member, founds
// or joins the organisation, and returns the organisation store over
// local, with this server's own records in place. local is closed on
// failure.
func (h *host) openOrganisation(local *boltdb.Store, dataPath string) (*etcd.Store, error) {
	st, err := h.openOrganisationStore(local, dataPath)
	if err != nil {
		local.Close()
		return nil, err
	}
	return st, nil
}

func (h *host) openOrganisationStore(local *boltdb.Store, dataPath string) (*etcd.Store, error) {
	mi, err := readMemberInfo(dataPath)
	if err != nil {
		return nil, err
	}
	hasOrg, err := setup.IsSetUp(local)
	if err != nil {
		return nil, err
	}
	joining := false
	fromFile := mi != nil
	if mi == nil {
		mi = &memberInfo{ServerName: h.opts.serverName, IPAddress: h.opts.ipAddress.String(), PortOffset: h.portOffset()}
		if h.opts.join != "" {
			if hasOrg {
				return nil, fmt.Errorf("the data path %s holds an organisation of its own; join with a new data path, or found an organisation with it (without -Join): %w", dataPath, state.ErrInvalid)
			}
			joining = true
		} else if hasOrg {
			// A single server moving to several keeps its name.
			local.View(func(tx state.Tx) error {
				if org, err := tx.Org(); err == nil {
					mi.ServerName = org.ServerName
				}
				return nil
			})
		}
		if mi.ServerName == "" {
			mi.ServerName = "EX01"
		}
	} else if h.opts.ipAddress.IsValid() && h.opts.ipAddress.String() != mi.IPAddress {
		return nil, fmt.Errorf("the data path %s is server %s of an organisation, at %s; it cannot move to -IPAddress %s: %w", dataPath, mi.ServerName, mi.IPAddress, h.opts.ipAddress, state.ErrInvalid)
	} else if h.portOffset() != mi.PortOffset {
		// The other servers reach this one at the offset it was set up
		// with.
		return nil, fmt.Errorf("the data path %s is server %s of an organisation, with port offset %d; it cannot move to -PortOffset %d: %w", dataPath, mi.ServerName, mi.PortOffset, h.portOffset(), state.ErrInvalid)
	}
	if err := setup.CheckServerName(mi.ServerName); err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(mi.IPAddress)
	if err != nil {
		return nil, fmt.Errorf("%s: the address %q: %w", filepath.Join(dataPath, memberFile), mi.IPAddress, state.ErrCorrupt)
	}
	url := func(port int) string {
		return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(port+mi.PortOffset))
	}
	mc := etcd.MemberConfig{
		Name:      mi.ServerName,
		Dir:       filepath.Join(dataPath, "etcd"),
		ClientURL: url(etcdClientPort),
		PeerURL:   url(etcdPeerPort),
	}
	if fromFile && !etcd.IsMember(mc.Dir) {
		// Starting a new cluster here would split the organisation.
		return nil, fmt.Errorf("the data path %s is server %s of an organisation, but its etcd member's data (%s) is missing; to join again, move %s away and start with -Join: %w", dataPath, mi.ServerName, mc.Dir, filepath.Join(dataPath, memberFile), state.ErrCorrupt)
	}
	// A member already running in this process (the data path reopened
	// after a lab) stays running when this open fails: it is still this
	// server's place in the organisation, and closeOrganisation ends it.
	member := h.org.memberFor(mc.Dir)
	started := member == nil
	closeMember := func() {
		if started {
			member.Close()
		}
	}
	if member == nil {
		if joining && !etcd.IsMember(mc.Dir) {
			member, err = h.join(mc)
		} else {
			member, err = etcd.StartMember(mc)
		}
		if err != nil {
			return nil, err
		}
		if err := writeMemberInfo(dataPath, mi); err != nil {
			member.Close()
			return nil, err
		}
	}
	cli, err := member.Client()
	if err != nil {
		closeMember()
		return nil, err
	}
	fail := func(err error) (*etcd.Store, error) {
		cli.Close()
		closeMember()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	// A replica is opened only on a founded organisation: one that holds
	// a revision needs no founding.
	if kept, err := local.ReplicatedRevision(); err != nil {
		return fail(err)
	} else if !joining && kept == 0 {
		if _, err := etcd.Found(ctx, cli, local, ""); err != nil {
			return fail(err)
		}
	}
	st, err := etcd.Open(local, cli, etcd.Options{ServerName: mi.ServerName, Timeout: orgTimeout})
	if err != nil {
		return fail(err)
	}
	so := setup.Options{ServerName: mi.ServerName, Domain: h.opts.domain, DataPath: dataPath, IPAddress: ip.String(), PortOffset: mi.PortOffset}
	err = setup.Run(st, so)
	if err == nil {
		err = setup.AddServer(st, so)
	}
	if err != nil {
		st.Close() // closes cli and local
		closeMember()
		return nil, fmt.Errorf("cannot set up server %s in the organisation: %w", mi.ServerName, err)
	}
	h.org = &orgServer{name: mi.ServerName, ip: ip, member: member, store: st}
	return st, nil
}

// memberFor is the member already running in this process for dir (the
// data path was reopened after a lab), or nil.
func (o *orgServer) memberFor(dir string) *etcd.Member {
	if o == nil || o.member == nil || o.member.Dir() != dir {
		return nil
	}
	return o.member
}

// join adds this server's member to the organisation of the member -Join
// names, after checking no member has this server's name.
func (h *host) join(mc etcd.MemberConfig) (*etcd.Member, error) {
	target := joinURL(h.opts.join, h.portOffset())
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	if err := etcd.CheckJoin(ctx, target, mc.Name, ""); err != nil {
		return nil, fmt.Errorf("cannot join the organisation through %s: %w", target, err)
	}
	m, err := etcd.JoinMember(ctx, target, mc)
	if err != nil {
		return nil, fmt.Errorf("cannot join the organisation through %s: %w", target, err)
	}
	return m, nil
}

// joinURL is the client URL of the member -Join names: an address or a
// name, with or without a port (2379 plus the port offset by default).
func joinURL(member string, offset int) string {
	host, port := member, strconv.Itoa(etcdClientPort+offset)
	if h, p, err := net.SplitHostPort(member); err == nil {
		host, port = h, p
	} else if a, err := netip.ParseAddr(strings.Trim(member, "[]")); err == nil {
		host = a.String()
	}
	return "http://" + net.JoinHostPort(host, port)
}

// orgLine is the startup line that says where this server's etcd member
// listens; "" on a single server.
func (h *host) orgLine() string {
	if h.org == nil || h.org.member == nil {
		return ""
	}
	return fmt.Sprintf("etcd member %s  clients %s, peers %s", h.org.name, h.org.member.ClientURL(), h.org.member.PeerURL())
}

// closeOrganisation stops this server's etcd member (after its store is
// closed).
func (h *host) closeOrganisation() {
	if h.org != nil && h.org.member != nil {
		h.org.member.Close()
	}
	h.org = nil
}

// alive is the liveness of the organisation's servers; nil on a single
// server (every server alive).
func (h *host) alive() func(string) bool {
	if h.org == nil {
		return nil
	}
	return h.org.store.Alive
}
