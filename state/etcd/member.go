package etcd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"exsh/state"
)

// Member limits. A Txn holds one operation per key an organisation change
// reads or writes; setting up an organisation writes a few hundred.
const (
	maxTxnOps = 8192
	// startTimeout bounds how long StartMember waits for the member to
	// serve (a new single-member cluster is ready in well under a second).
	startTimeout = 30 * time.Second
)

// MemberConfig describes one embedded etcd member.
type MemberConfig struct {
	// Name is the member's name (the Exchange server's name).
	Name string
	// Dir is the member's data directory (inside the server's data path).
	Dir string
	// ClientURL and PeerURL are where the member listens for clients and
	// for the other members ("http://127.0.0.11:2379",
	// "http://127.0.0.11:2380").
	ClientURL, PeerURL string
	// InitialCluster lists the members of a new cluster as
	// "name=peerURL,..."; empty means this member alone.
	InitialCluster string
	// Join is true for a member added to a running cluster.
	Join bool
	// Logger receives etcd's own log; nil discards it.
	Logger *zap.Logger
}

// Member is an etcd member embedded in this process.
type Member struct {
	etcd      *embed.Etcd
	clientURL string
	peerURL   string
	dir       string
	once      sync.Once
}

// StartMember starts an embedded etcd member and waits until it serves.
func StartMember(mc MemberConfig) (*Member, error) {
	cfg := embed.NewConfig()
	cfg.Name = mc.Name
	cfg.Dir = mc.Dir
	curl, err := url.Parse(mc.ClientURL)
	if err != nil {
		return nil, fmt.Errorf("etcd member %s: client URL %q: %w", mc.Name, mc.ClientURL, err)
	}
	purl, err := url.Parse(mc.PeerURL)
	if err != nil {
		return nil, fmt.Errorf("etcd member %s: peer URL %q: %w", mc.Name, mc.PeerURL, err)
	}
	cfg.ListenClientUrls = []url.URL{*curl}
	cfg.AdvertiseClientUrls = []url.URL{*curl}
	cfg.ListenPeerUrls = []url.URL{*purl}
	cfg.AdvertisePeerUrls = []url.URL{*purl}
	cfg.InitialCluster = mc.InitialCluster
	if cfg.InitialCluster == "" {
		cfg.InitialCluster = mc.Name + "=" + mc.PeerURL
	}
	if mc.Join {
		cfg.ClusterState = embed.ClusterStateFlagExisting
	}
	cfg.MaxTxnOps = maxTxnOps
	// Keep an hour of history: a server's watch that falls further behind
	// (or a server down longer) copies the organisation again.
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "1h"
	lg := mc.Logger
	if lg == nil {
		lg = zap.NewNop()
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd member %s: %w", mc.Name, err)
	}
	m := &Member{etcd: e, clientURL: curl.String(), peerURL: purl.String(), dir: mc.Dir}
	select {
	case <-e.Server.ReadyNotify():
		return m, nil
	case err := <-e.Err():
		m.Close()
		return nil, fmt.Errorf("etcd member %s: %w", mc.Name, err)
	case <-time.After(startTimeout):
		m.Close()
		return nil, fmt.Errorf("etcd member %s: not ready after %v", mc.Name, startTimeout)
	}
}

// ClientURL is where the member serves clients.
func (m *Member) ClientURL() string { return m.clientURL }

// Client connects a client to this member.
func (m *Member) Client() (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{m.clientURL},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client of %s: %w", m.clientURL, err)
	}
	return cli, nil
}

// Close stops the member. It is idempotent (embed's own Close is not).
func (m *Member) Close() {
	m.once.Do(m.etcd.Close)
}

// IsMember reports whether dir holds the data of a member (one that has
// started before): it then restarts from it, and joins nothing.
func IsMember(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "member"))
	return err == nil && fi.IsDir()
}

// JoinMember adds a member to the running cluster that the member
// serving clients at clientURL belongs to: it is added as a learner
// (which does not count towards the quorum while it copies the log),
// started with the members that answer lists, and promoted to a voting
// member once it has caught up. mc.InitialCluster and mc.Join are set
// here. A join that fails leaves the cluster and mc.Dir as they were, so
// that it can be tried again: a member the cluster has added but that
// never ran or was not promoted would hold the cluster's only learner
// place (or, promoted but stopped, count against its quorum), and its
// data would restart it as a member the cluster no longer has.
func JoinMember(ctx context.Context, clientURL string, mc MemberConfig) (*Member, error) {
	if IsMember(mc.Dir) {
		return nil, fmt.Errorf("joining through %s: %s holds the data of a member already", clientURL, mc.Dir)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{clientURL},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("joining through %s: %w", clientURL, err)
	}
	defer cli.Close()
	// A cluster refuses a new member while one of its members has only
	// just started or joined (it is not yet known healthy), or while
	// another learner catches up: wait for it.
	var add *clientv3.MemberAddResponse
	for {
		add, err = cli.MemberAddAsLearner(ctx, []string{mc.PeerURL})
		if err == nil {
			break
		}
		e := rpctypes.Error(err)
		if !errors.Is(e, rpctypes.ErrUnhealthy) && !errors.Is(e, rpctypes.ErrTooManyLearners) {
			return nil, fmt.Errorf("joining through %s: %w", clientURL, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("joining through %s: %w", clientURL, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	var initial []string
	for _, m := range add.Members {
		name := m.Name
		if m.ID == add.Member.ID {
			name = mc.Name
		}
		for _, u := range m.PeerURLs {
			initial = append(initial, name+"="+u)
		}
	}
	mc.InitialCluster = strings.Join(initial, ",")
	mc.Join = true
	// abandon takes the new member out of the cluster (while it still
	// runs, if it does, so that a promoted one leaves with the quorum
	// intact), stops it and removes its data.
	abandon := func(m *Member) {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cli.MemberRemove(rctx, add.Member.ID)
		cancel()
		if m != nil {
			m.Close()
		}
		os.RemoveAll(filepath.Join(mc.Dir, "member"))
	}
	m, err := StartMember(mc)
	if err != nil {
		abandon(nil)
		return nil, err
	}
	// A learner is promoted once its log is close to the leader's.
	for {
		_, err := cli.MemberPromote(ctx, add.Member.ID)
		if err == nil {
			break
		}
		if !errors.Is(rpctypes.Error(err), rpctypes.ErrMemberLearnerNotReady) {
			abandon(m)
			return nil, fmt.Errorf("promoting member %s: %w", mc.Name, err)
		}
		select {
		case <-ctx.Done():
			abandon(m)
			return nil, fmt.Errorf("promoting member %s: it did not catch up: %w", mc.Name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The member serves clients once it has applied its own promotion.
	for m.etcd.Server.IsLearner() {
		select {
		case <-ctx.Done():
			abandon(m)
			return nil, fmt.Errorf("promoting member %s: it did not apply its promotion: %w", mc.Name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return m, nil
}

// PeerURL is where the member serves the other members.
func (m *Member) PeerURL() string { return m.peerURL }

// Dir is the member's data directory.
func (m *Member) Dir() string { return m.dir }

// CheckJoin asks the member serving clients at clientURL whether a server
// named name may join its organisation (kept under prefix, DefaultPrefix
// if empty): the organisation is founded, and no member has that name
// (state.ErrExists).
func CheckJoin(ctx context.Context, clientURL, name, prefix string) error {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{clientURL}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer cli.Close()
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := cli.MemberList(lctx)
	if err != nil {
		return err
	}
	founded, err := Founded(lctx, cli, prefix)
	if err != nil {
		return err
	}
	if !founded {
		return fmt.Errorf("its organisation is not founded yet: %w", state.ErrUnavailable)
	}
	for _, m := range list.Members {
		if strings.EqualFold(m.Name, name) {
			return fmt.Errorf("the organisation already has a server named %s (use -ServerName): %w", name, state.ErrExists)
		}
	}
	return nil
}
