package enginetest

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"exsh/engine"
	"exsh/engine/mail"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/statetest"
)

// PortMap hands out a free loopback port for every binding port asked
// for, the same one on every call. Safe for concurrent use.
type PortMap struct {
	mu    sync.Mutex
	ports map[int]int
	fixed map[int]bool // binding ports given with Set: never picked again
}

// Map returns the listening port for a binding port.
func (p *PortMap) Map(bindingPort int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ports == nil {
		p.ports = map[int]int{}
	}
	if n, ok := p.ports[bindingPort]; ok {
		return n
	}
	n := FreePort()
	p.ports[bindingPort] = n
	return n
}

// Set makes a binding port listen on port (a sink that must keep its
// own port when the engine translates loopback ports).
func (p *PortMap) Set(bindingPort, port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ports == nil {
		p.ports = map[int]int{}
	}
	if p.fixed == nil {
		p.fixed = map[int]bool{}
	}
	p.ports[bindingPort] = port
	p.fixed[bindingPort] = true
}

// isFixed reports whether a binding port was given its port with Set.
func (p *PortMap) isFixed(bindingPort int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fixed[bindingPort]
}

// repick gives a binding port a new free port.
func (p *PortMap) repick(bindingPort int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ports == nil {
		p.ports = map[int]int{}
	}
	p.ports[bindingPort] = FreePort()
}

// FreePort returns a TCP port free on 127.0.0.1 (and, when it can, on ::1).
func FreePort() int {
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln6, err6 := net.Listen("tcp", fmt.Sprintf("[::1]:%d", port))
		ln.Close()
		if err6 == nil {
			ln6.Close()
			return port
		}
		if !strings.Contains(err6.Error(), "address already in use") {
			return port // no IPv6 loopback here
		}
	}
	panic("no free port")
}

// Recorder is a mail.Submitter that keeps what it is given. Set Fail to
// make Submit fail.
type Recorder struct {
	mu   sync.Mutex
	subs []*mail.Submission
	next int64
	Fail error
	// Notify, if set, gets every submission.
	Notify chan *mail.Submission
}

// Submit implements mail.Submitter.
func (r *Recorder) Submit(sub *mail.Submission) (*mail.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		return nil, r.Fail
	}
	r.subs = append(r.subs, sub)
	r.next++
	if r.Notify != nil {
		select {
		case r.Notify <- sub:
		default:
		}
	}
	return &mail.Receipt{InternalID: 1000 + r.next, MessageID: fmt.Sprintf("<%08x-0000-4000-8000-000000000000@EX01.contoso.com>", r.next)}, nil
}

// Submissions returns a copy of what was submitted so far.
func (r *Recorder) Submissions() []*mail.Submission {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*mail.Submission(nil), r.subs...)
}

// Env is a running engine over a set-up organisation.
type Env struct {
	T        testing.TB
	Store    *boltdb.Store
	DataPath string
	Ports    *PortMap
	Service  *engine.Service
	Recorder *Recorder // the Submitter unless Options.Submitter was given
}

// Options adjust Start.
type Options struct {
	// Submitter replaces the Recorder (the Transport service, in
	// end-to-end tests). It is built from the store and the port map
	// before the engine starts.
	Submitter func(st *boltdb.Store, dataPath string, ports func(int) int) (mail.Submitter, func())
	// KeepTarpit keeps Exchange's 5 s TarpitInterval on the default
	// connectors; otherwise it is set to 0 so failure replies are fast.
	KeepTarpit bool
	// Prepare runs in one transaction after setup, before the engine
	// starts (new connectors, users, permissions).
	Prepare func(tx state.Tx) error
	// Credential is the server credential the engine shares with the
	// Transport service (give the same one to transport.Config); the
	// engine makes its own when it has no Secret.
	Credential mail.ServerCredential
	// FixedPorts are ports that are not translated (loopback sinks that
	// the Front End or the Transport service connect to).
	FixedPorts []int
	// ListenAll makes wildcard bindings listen on the wildcard addresses
	// (engine.Options.ListenAll), still on free ports. Tests connect
	// through loopback only.
	ListenAll bool
	// Sync opens the store with fsync on every commit, as exsh runs, for
	// benchmarks of the whole path; tests skip it.
	Sync bool
}

// Start sets up an organisation (EX01, contoso.com) in a temporary data
// path and starts the engine on free loopback ports. Everything is
// stopped when the test ends.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	var st *boltdb.Store
	if opts.Sync {
		st = statetest.MustOpenPath(t, filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{})
		statetest.SetUp(t, st)
	} else {
		st = statetest.MustOpenSetUp(t)
	}
	e := &Env{T: t, Store: st, DataPath: filepath.Dir(st.Path()), Ports: &PortMap{}}
	statetest.Update(t, st, func(tx state.Tx) error {
		if !opts.KeepTarpit {
			rcs, err := tx.ReceiveConnectors()
			if err != nil {
				return err
			}
			for _, rc := range rcs {
				rc.TarpitInterval, rc.AuthTarpitInterval = 0, 0
				if err := tx.PutReceiveConnector(rc); err != nil {
					return err
				}
			}
		}
		if opts.Prepare != nil {
			return opts.Prepare(tx)
		}
		return nil
	})
	for _, p := range opts.FixedPorts {
		e.Ports.Set(p, p)
	}
	var sub mail.Submitter
	if opts.Submitter != nil {
		s, stop := opts.Submitter(st, e.DataPath, e.Ports.Map)
		sub = s
		if stop != nil {
			t.Cleanup(stop)
		}
	} else {
		e.Recorder = &Recorder{}
		sub = e.Recorder
	}
	svc, err := StartService(e.Ports, func() (*engine.Service, error) {
		return engine.New(st, engine.Options{DataPath: e.DataPath, PortMap: e.Ports.Map, Submitter: sub, Credential: opts.Credential, ListenAll: opts.ListenAll})
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Service = svc
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil && !errors.Is(err, engine.ErrStopped) {
			t.Errorf("stopping the engine: %v", err)
		}
	})
	return e
}

// StartService builds an engine with build and starts it. The engine
// must take its listening ports from ports (PortMap: ports.Map). A free
// port can be taken by another process (tests run in parallel) between
// being picked and being listened on; then every binding port that found
// its address in use gets a new free port and a new engine starts, so a
// test never talks to someone else's listener. Ports given with
// [PortMap.Set] keep their port. After five attempts it returns the last
// engine, running, whose Endpoints say what does not listen.
func StartService(ports *PortMap, build func() (*engine.Service, error)) (*engine.Service, error) {
	for attempt := 1; ; attempt++ {
		svc, err := build()
		if err != nil {
			return nil, err
		}
		if err := svc.Start(context.Background()); err != nil {
			return nil, err
		}
		var taken []int
		for _, port := range takenBindingPorts(svc.Endpoints()) {
			if !ports.isFixed(port) {
				taken = append(taken, port)
			}
		}
		if len(taken) == 0 || attempt == 5 {
			return svc, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = svc.Stop(ctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("stopping the engine to listen on other ports: %w", err)
		}
		for _, port := range taken {
			ports.repick(port)
		}
	}
}

// Addr is the loopback address a binding port listens on.
func (e *Env) Addr(bindingPort int) string {
	return fmt.Sprintf("127.0.0.1:%d", e.Service.ListenPort(bindingPort))
}

// Update changes the organisation and waits until the engine applied it.
func (e *Env) Update(fn func(tx state.Tx) error) {
	e.T.Helper()
	statetest.Update(e.T, e.Store, fn)
	e.Service.Reload()
}

// Dialog is one SMTP client connection driven line by line.
type Dialog struct {
	T    testing.TB
	Conn net.Conn
	br   *bufio.Reader
	// Timeout bounds each read; 10 s by default.
	Timeout time.Duration
}

// Dial connects to addr from the default loopback address.
func Dial(t testing.TB, addr string) *Dialog { return DialFrom(t, "", addr) }

// DialFrom connects to addr from a chosen local address (such as
// 127.0.0.56, to play a device with its own address).
func DialFrom(t testing.TB, localIP, addr string) *Dialog {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &Dialog{T: t, Conn: c, br: bufio.NewReader(c), Timeout: 10 * time.Second}
}

// Send writes one line (CRLF added).
func (d *Dialog) Send(line string) {
	d.T.Helper()
	d.Raw(line + "\r\n")
}

// Raw writes bytes as they are.
func (d *Dialog) Raw(s string) {
	d.T.Helper()
	d.Conn.SetWriteDeadline(time.Now().Add(d.Timeout))
	if _, err := d.Conn.Write([]byte(s)); err != nil {
		d.T.Fatalf("write: %v", err)
	}
}

// Reply reads one reply and returns its lines.
func (d *Dialog) Reply() []string {
	d.T.Helper()
	lines, err := d.TryReply()
	if err != nil {
		d.T.Fatalf("reading reply: %v (after %q)", err, lines)
	}
	return lines
}

// TryReply reads one reply, returning an error instead of failing.
func (d *Dialog) TryReply() ([]string, error) {
	var lines []string
	d.Conn.SetReadDeadline(time.Now().Add(d.Timeout))
	for {
		l, err := d.br.ReadString('\n')
		if err != nil {
			return lines, err
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return lines, nil
		}
	}
}

// Match reports whether a reply line matches want: exactly, or as a
// regular expression when want starts with "~".
func Match(got, want string) bool {
	if re, ok := strings.CutPrefix(want, "~"); ok {
		return regexp.MustCompile(re).MatchString(got)
	}
	return got == want
}

// Expect reads a reply and checks its last line; it returns that line.
func (d *Dialog) Expect(want string) string {
	d.T.Helper()
	lines := d.Reply()
	got := lines[len(lines)-1]
	if !Match(got, want) {
		d.T.Fatalf("reply %q, want %q", got, want)
	}
	return got
}

// Do sends a line and expects a reply.
func (d *Dialog) Do(line, want string) string {
	d.T.Helper()
	d.Send(line)
	return d.Expect(want)
}

// Script runs a dialog script: lines "C: text" are sent, lines
// "S: reply" are expected (the last line of the reply; "~" for a
// regexp), blank lines and "#" comments are skipped.
func (d *Dialog) Script(script string) {
	d.T.Helper()
	for _, ln := range strings.Split(script, "\n") {
		ln = strings.TrimSpace(ln)
		switch {
		case ln == "" || strings.HasPrefix(ln, "#"):
		case strings.HasPrefix(ln, "C: "):
			d.Send(strings.TrimPrefix(ln, "C: "))
		case ln == "C:":
			d.Send("")
		case strings.HasPrefix(ln, "S: "):
			d.Expect(strings.TrimPrefix(ln, "S: "))
		default:
			d.T.Fatalf("bad script line %q", ln)
		}
	}
}

// StartTLS runs STARTTLS and continues the dialog inside TLS.
func (d *Dialog) StartTLS() {
	d.T.Helper()
	d.Do("STARTTLS", "220 2.0.0 SMTP server ready")
	tc := tls.Client(d.Conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		d.T.Fatalf("TLS handshake: %v", err)
	}
	d.Conn, d.br = tc, bufio.NewReader(tc)
}

// Closed checks that the server closed the connection.
func (d *Dialog) Closed() {
	d.T.Helper()
	d.Conn.SetReadDeadline(time.Now().Add(d.Timeout))
	if l, err := d.br.ReadString('\n'); err == nil {
		d.T.Fatalf("connection open, got %q", l)
	} else if errors.Is(err, errors.ErrUnsupported) {
		d.T.Fatal(err)
	}
}

// WaitFor polls cond until it is true or the timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// TryDial connects and closes, reporting whether something listens.
func TryDial(addr string) (bool, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false, err
	}
	c.Close()
	return true, nil
}

// takenBindingPorts lists, once each, the binding ports whose listener
// could not start because its address was in use.
func takenBindingPorts(eps []engine.Endpoint) []int {
	var ports []int
	for _, ep := range eps {
		if ep.Listen != "" || ep.Err == nil || !errors.Is(ep.Err, syscall.EADDRINUSE) {
			continue
		}
		if ap, err := netip.ParseAddrPort(ep.Binding); err == nil && !slices.Contains(ports, int(ap.Port())) {
			ports = append(ports, int(ap.Port()))
		}
	}
	return ports
}

// ServerPorts are the ports a server's default connectors bind: SMTP 25,
// client submission 587, Outbound Proxy Frontend 717 and the Transport
// service's 2525 and 465.
var ServerPorts = []int{25, 465, 587, 717, 2525}

// FreeOffset returns a port offset (-PortOffset) under which every one of
// ports is free on every one of addrs, so several servers on 127.0.0.11,
// 127.0.0.12, ... listen with the same offset and Exchange's ports.
func FreeOffset(addrs []netip.Addr, ports []int) int {
	for range 200 {
		// A random base below the ephemeral range, rounded to 1000 as an
		// administrator would pick one.
		n, err := rand.Int(rand.Reader, big.NewInt(30))
		if err != nil {
			panic(err)
		}
		offset := 10000 + int(n.Int64())*1000
		if offsetFree(addrs, ports, offset) {
			return offset
		}
	}
	panic("no free port offset")
}

func offsetFree(addrs []netip.Addr, ports []int, offset int) bool {
	var open []net.Listener
	defer func() {
		for _, ln := range open {
			ln.Close()
		}
	}()
	for _, a := range addrs {
		for _, p := range ports {
			ln, err := net.Listen("tcp", netip.AddrPortFrom(a, uint16(p+offset)).String())
			if err != nil {
				return false
			}
			open = append(open, ln)
		}
	}
	return true
}
