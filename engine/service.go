package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"exsh/engine/frontend"
	"exsh/engine/mail"
	"exsh/engine/protolog"
	"exsh/engine/replies"
	"exsh/engine/smtpd"
	"exsh/engine/transport"
	"exsh/state"
)

// Errors of the Service lifecycle.
var (
	ErrStarted = errors.New("the transport engine is already running")
	ErrStopped = errors.New("the transport engine is stopped")
)

// Options configure a Service.
type Options struct {
	// DataPath is where logs live (<DataPath>/TransportRoles/Logs/...)
	// when the transport service records carry no log path.
	DataPath string
	// PortOffset is added to every binding's port to get the port the
	// engine listens on (SPEC §1 -PortOffset).
	PortOffset int
	// PortMap, when set, replaces PortOffset: it maps a binding port to
	// the listening port. Tests use it to listen on free ports.
	PortMap func(bindingPort int) int
	// ListenAll makes wildcard bindings (0.0.0.0, [::]) listen on every
	// address; without it they listen on 127.0.0.1 and ::1 only.
	ListenAll bool
	// ServerName picks the server whose connectors are served; the
	// organisation's server when empty.
	ServerName string
	// Submitter is the Transport service that queues what the hub
	// connectors accept. Without one they answer 452 4.3.1.
	Submitter mail.Submitter
	// Credential is how this server's Front End and Transport services
	// authenticate to each other (Front End to hub connectors, and the
	// hub to Outbound Proxy Frontend for send connectors with
	// FrontendProxyEnabled). Give the same credential to the Transport
	// service (transport.Config.Credential); see [NewServerCredential].
	// When it has no Secret the Service makes its own, and the hub cannot
	// proxy outbound mail through the Front End. An empty Account is
	// filled in at Start (CONTOSO\EX01$).
	Credential mail.ServerCredential
	// LookupMX resolves MX records when the Front End proxies outbound
	// mail for a send connector with DNS routing; nil makes no lookup.
	LookupMX func(ctx context.Context, domain string) ([]*net.MX, error)
	// LookupNetIP resolves the host names the Front End proxies outbound
	// mail to (MX hosts, smart hosts given by name); nil uses the
	// system's resolver.
	LookupNetIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// HostPort is the port a simulated outside host (a lab's receiver)
	// really listens on for a configured port; nil keeps ports as
	// configured.
	HostPort func(a netip.Addr, port int) int
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// Now is the clock for banners and Received: headers; nil: time.Now.
	Now func() time.Time
	// IPAddress is the server's own address in an organisation of several
	// servers (exsh -IPAddress, SPEC section 8): IPv4 wildcard bindings
	// listen on it and IPv6 wildcards are not listened on (unless
	// ListenAll), and Received: headers name it. The zero value is a
	// single server.
	IPAddress netip.Addr
	// Alive reports whether another server of the organisation is running
	// (its liveness lease is held); routing chooses live servers first.
	// nil takes every server for alive.
	Alive func(server string) bool
}

// Endpoint is one connector binding and where it really listens.
type Endpoint struct {
	Connector string // "Default Frontend EX01"
	Identity  string // "EX01\Default Frontend EX01"
	Role      string // "FrontendTransport", "HubTransport"
	Binding   string // "0.0.0.0:25", as configured
	Listen    string // "127.0.0.1:10025"; "" when not listening
	Err       error  // why it does not listen
}

// String is the startup line of SPEC §1:
// "Default Frontend EX01  0.0.0.0:25 -> 127.0.0.1:10025".
func (e Endpoint) String() string {
	if e.Listen == "" {
		msg := "not listening"
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		return fmt.Sprintf("%s  %s -> (%s)", e.Connector, e.Binding, msg)
	}
	return fmt.Sprintf("%s  %s -> %s", e.Connector, e.Binding, e.Listen)
}

// Service is the transport engine of one server. Its receive side is the
// Front End Transport and Transport service listeners of every enabled
// receive connector, the SMTP sessions on them, the proxy from the Front
// End to the hub, and the SMTP Receive protocol logs; made by NewServer it
// also runs the Transport service behind the hub connectors. It follows
// connector changes in the store while it runs. Every goroutine it starts
// ends by the time Stop returns.
type Service struct {
	st   state.Store
	opts Options
	// tr is the Transport service a Service made by NewServer runs; nil
	// for a receive side alone.
	tr   *transport.Transport
	log  *slog.Logger
	cred frontend.ServerCredential
	org  atomic.Pointer[frontend.Org]
	// orgGen is the store generation org was loaded at (see fresh).
	orgGen atomic.Uint64
	proxy  *frontend.Proxy
	// outbound relays what the hub proxies through the Front End.
	outbound *frontend.OutboundProxy
	rates    *frontend.RateLimiter
	// components are the server's component states (components.go).
	components atomic.Pointer[[]*state.ServerComponentState]

	feRecv, hubRecv, feSend *protolog.Log

	reloadMu sync.Mutex // serialises Reload: load, store and reconcile as one step

	mu        sync.Mutex // guards the fields below
	started   bool
	stopped   bool
	listeners map[string]*listener // by listening address
	endpoints []Endpoint
	sessions  map[*smtpd.Session]string // open sessions and their role
	perConn   map[string]int            // open sessions per connector Guid
	perSource map[string]map[string]int // per connector Guid and client IP
	cancelSub func()
	stopping  map[string]bool // roles (lower case) whose sessions are being shut down

	sessionEnd atomic.Pointer[func(SessionEnd)] // OnSessionEnd's function

	ctx    context.Context // sessions; cancelled to force them closed
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// idleWorkers hands a connection to a goroutine that finished its
	// session and waits for another (see runSession).
	idleWorkers chan func()
}

// listener is one listening socket. Several bindings (of connectors of
// one role) may share it; the connector is chosen per connection.
type listener struct {
	addr        string
	role        string
	bindingPort int
	ln          net.Listener
}

// New returns a Service over the store. Nothing listens until Start.
func New(st state.Store, opts Options) (*Service, error) {
	if st == nil {
		return nil, errors.New("engine: no store")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	cred := opts.Credential
	if cred.Secret == "" {
		c, err := mail.NewServerCredential(cred.Account)
		if err != nil {
			return nil, err
		}
		cred = c
	}
	s := &Service{
		st: st, opts: opts, log: lg,
		cred:      cred,
		listeners: map[string]*listener{},
		sessions:  map[*smtpd.Session]string{},
		perConn:   map[string]int{},
		perSource: map[string]map[string]int{},

		idleWorkers: make(chan func()),
	}
	s.proxy = &frontend.Proxy{HubAddr: s.hubAddr, Credential: s.cred, Now: opts.Now, Local: opts.IPAddress, Alive: opts.Alive, RecipientServer: s.recipientServer}
	s.outbound = &frontend.OutboundProxy{PortMap: s.ListenPort, LookupMX: opts.LookupMX, LookupNetIP: opts.LookupNetIP, HostPort: opts.HostPort, Local: opts.IPAddress}
	s.rates = &frontend.RateLimiter{}
	return s, nil
}

// NewServer returns the whole transport engine of one server over st: the
// Transport service (package engine/transport: queues, categorizer,
// delivery) and the receive side that submits to it, authenticating to
// each other with one server credential. Start starts the Transport
// service before the listeners, Stop stops the listeners first (no new
// mail), then the Transport service.
//
// opts configures the receive side (its Submitter must be nil: the
// Transport service is). tc configures the Transport service; its fields
// left zero are taken from opts: ServerName (the organisation's server
// when both are empty), DataPath, PortMap (or PortOffset), Logger,
// LookupMX, LookupNetIP, Now and Credential (made with
// [NewServerCredential] when opts has none either). The Front End resolves
// host names with tc's LookupNetIP when opts has none.
func NewServer(st state.ServerStore, opts Options, tc transport.Config) (*Service, error) {
	if st == nil {
		return nil, errors.New("engine: no store")
	}
	if opts.Submitter != nil {
		return nil, errors.New("engine: a server's Submitter is its own Transport service")
	}
	if opts.ServerName == "" {
		_ = st.View(func(tx state.Tx) error {
			if org, err := tx.Org(); err == nil {
				opts.ServerName = org.ServerName
			}
			return nil
		})
	}
	cred := opts.Credential
	if cred.Secret == "" {
		newCred := NewServerCredential
		if opts.IPAddress.IsValid() {
			// An organisation of several servers: the servers log on to
			// each other with secrets derived from the organisation's key.
			newCred = OrganizationCredential
		}
		c, err := newCred(st, opts.ServerName)
		if err != nil {
			return nil, fmt.Errorf("server credential: %w", err)
		}
		cred = c
	}
	opts.Credential = cred
	if tc.Local == (netip.Addr{}) {
		tc.Local = opts.IPAddress
	}
	if tc.Alive == nil {
		tc.Alive = opts.Alive
	}
	if tc.ServerName == "" {
		tc.ServerName = opts.ServerName
	}
	if tc.DataPath == "" {
		tc.DataPath = opts.DataPath
	}
	if tc.PortMap == nil {
		if tc.PortMap = opts.PortMap; tc.PortMap == nil {
			offset := opts.PortOffset
			tc.PortMap = func(p int) int { return p + offset }
		}
	}
	if tc.Logger == nil {
		tc.Logger = opts.Logger
	}
	if tc.LookupMX == nil {
		tc.LookupMX = opts.LookupMX
	}
	// The Front End's outbound proxy resolves names as the Transport
	// service does: a lab's DNS answers both.
	if tc.LookupNetIP == nil {
		tc.LookupNetIP = opts.LookupNetIP
	} else if opts.LookupNetIP == nil {
		opts.LookupNetIP = tc.LookupNetIP
	}
	if tc.Now == nil {
		tc.Now = opts.Now
	}
	if tc.Credential.Secret == "" {
		tc.Credential = cred
	}
	tr, err := transport.New(st, tc)
	if err != nil {
		return nil, fmt.Errorf("transport service: %w", err)
	}
	opts.Submitter = tr
	s, err := New(st, opts)
	if err != nil {
		return nil, err
	}
	s.tr = tr
	return s, nil
}

// Transport returns the Transport service of a Service made by
// NewServer (its queue administration, its message tracking log), or nil.
func (s *Service) Transport() *transport.Transport { return s.tr }

// Credential is the credential this server's services authenticate with
// (CONTOSO\EX01$ and its secret); the management channel between
// servers (engine/backend) logs on with it too. Call it once Start has
// returned: Start fills in an empty account.
func (s *Service) Credential() mail.ServerCredential { return s.cred }

// NewServerCredential makes the credential a server's Front End and
// Transport services authenticate to each other with: the server's
// computer account (CONTOSO\EX01$, from the organisation in st) and a
// fresh random secret. Give it to both engine.Options.Credential and
// transport.Config.Credential. serverName picks the server; the
// organisation's server when empty.
func NewServerCredential(st state.Store, serverName string) (mail.ServerCredential, error) {
	account, err := serverAccount(st, serverName)
	if err != nil {
		return mail.ServerCredential{}, err
	}
	return mail.NewServerCredential(account)
}

// serverAccount is the computer account of the server named serverName
// (the organisation's server when empty): "CONTOSO\EX01$".
func serverAccount(st state.Store, serverName string) (string, error) {
	var account string
	err := st.View(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return err
		}
		if serverName == "" {
			serverName = org.ServerName
		}
		srv, err := tx.Server(serverName)
		if err != nil {
			return fmt.Errorf("server %q: %w", serverName, err)
		}
		account = mail.ServerAccount(org.NetBIOSDomain, srv.Name)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("engine: %w", err)
	}
	return account, nil
}

// OrganizationCredential makes the credential of a server of an
// organisation of several servers: the server's computer account
// (CONTOSO\EX02$) and a secret derived from the organisation's
// ServerAuthKey ([mail.DeriveServerCredential]), so every server of the
// organisation can check it and nothing else can make it. The key is
// added to the organisation when it has none (an organisation founded
// before keys existed). serverName picks the server; the organisation's
// server when empty.
func OrganizationCredential(st state.Store, serverName string) (mail.ServerCredential, error) {
	key, err := EnsureServerAuthKey(st)
	if err != nil {
		return mail.ServerCredential{}, err
	}
	account, err := serverAccount(st, serverName)
	if err != nil {
		return mail.ServerCredential{}, err
	}
	return mail.DeriveServerCredential(key, account), nil
}

// EnsureServerAuthKey returns the organisation's server key
// (Organization.ServerAuthKey), making and storing one when the
// organisation has none. Founding an organisation of several servers
// calls it; so does every server's engine at start. Two servers adding a
// key at once agree: the store's change is checked, and the one that
// finds a key already made takes it.
func EnsureServerAuthKey(st state.Store) ([]byte, error) {
	var enc string
	err := st.View(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return err
		}
		enc = org.ServerAuthKey
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if enc == "" {
		fresh, err := mail.NewServerKey()
		if err != nil {
			return nil, err
		}
		err = st.Update(func(tx state.Tx) error {
			org, err := tx.Org()
			if err != nil {
				return err
			}
			if org.ServerAuthKey != "" {
				enc = org.ServerAuthKey
				return nil
			}
			org.ServerAuthKey, enc = fresh, fresh
			return tx.PutOrg(org)
		})
		if err != nil {
			return nil, fmt.Errorf("engine: adding the organisation's server key: %w", err)
		}
	}
	return mail.ParseServerKey(enc)
}

// CheckServerLogon reports whether user and password are the logon of a
// server of the organisation in st as cred checks it: cred's own account
// and secret, or, when cred carries the organisation's key
// ([OrganizationCredential]), the derived secret of another server's
// computer account (CONTOSO\EX02$) that names a server of the
// organisation. It returns the account. Channels between servers other
// than SMTP check their peers with it.
func CheckServerLogon(st state.Store, cred mail.ServerCredential, user, password string) (string, bool) {
	return cred.CheckServer(user, password, func(account string) bool {
		domain, name, ok := mail.ParseServerAccount(account)
		if !ok {
			return false
		}
		found := false
		_ = st.View(func(tx state.Tx) error {
			org, err := tx.Org()
			if err != nil || !strings.EqualFold(org.NetBIOSDomain, domain) {
				return err
			}
			srv, err := tx.Server(name)
			found = err == nil && strings.EqualFold(srv.Name, name)
			return nil
		})
		return found
	})
}

// recipientServer names the server holding the mailbox database of most
// of rcpts (the first 20), "" when none has a mailbox. The Front End asks
// it only in an organisation of several servers.
func (s *Service) recipientServer(rcpts []string) string {
	if len(rcpts) > 20 {
		rcpts = rcpts[:20]
	}
	count := map[string]int{}
	best := ""
	org := s.org.Load()
	if org == nil {
		return ""
	}
	_ = s.st.View(func(tx state.Tx) error {
		for _, a := range rcpts {
			rec, err := tx.RecipientByAddress(a)
			if err != nil || rec == nil || !rec.HasMailbox() || rec.Database == "" {
				continue
			}
			srv := org.DatabaseServer(rec.Database)
			if srv == "" {
				continue
			}
			count[srv]++
			if best == "" || count[srv] > count[best] {
				best = srv
			}
		}
		return nil
	})
	return best
}

// ListenPort translates a binding port into the port the engine listens
// on (-PortOffset or Options.PortMap). Cmdlets use it to reach this
// server's connectors by their Exchange port numbers.
func (s *Service) ListenPort(bindingPort int) int {
	if s.opts.PortMap != nil {
		return s.opts.PortMap(bindingPort)
	}
	return bindingPort + s.opts.PortOffset
}

// listenAddr is where a binding listens: wildcards on loopback unless
// ListenAll; with an IPAddress, the IPv4 wildcard on it, and "" (not
// listened on) for the IPv6 wildcard.
func (s *Service) listenAddr(b netip.AddrPort) string {
	a := b.Addr()
	if a.IsUnspecified() && !s.opts.ListenAll {
		switch {
		case s.opts.IPAddress.IsValid() && a.Is4():
			a = s.opts.IPAddress
		case s.opts.IPAddress.IsValid():
			return ""
		case a.Is4():
			a = netip.MustParseAddr("127.0.0.1")
		default:
			a = netip.IPv6Loopback()
		}
	}
	return netip.AddrPortFrom(a, uint16(s.ListenPort(int(b.Port())))).String()
}

// Start loads the organisation, opens the protocol logs and starts a
// listener for every enabled connector binding. It fails if a binding
// cannot listen at all only when no connector could start. A Service made
// by NewServer starts its Transport service first, and stops it again when
// the listeners cannot start.
func (s *Service) Start(ctx context.Context) error {
	if s.tr == nil {
		return s.startReceive()
	}
	if err := s.tr.Start(ctx); err != nil {
		switch {
		case errors.Is(err, transport.ErrStarted):
			return ErrStarted
		case errors.Is(err, transport.ErrStopped):
			return ErrStopped
		}
		return fmt.Errorf("transport service: %w", err)
	}
	if err := s.startReceive(); err != nil {
		s.tr.Stop(ctx)
		return fmt.Errorf("receive connectors: %w", err)
	}
	return nil
}

// startReceive starts the receive side.
func (s *Service) startReceive() error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrStarted
	}
	s.started = true
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.outbound.Context = s.ctx
	s.mu.Unlock()

	gen := s.generation()
	org, err := frontend.Load(s.st, s.opts.ServerName)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	s.orgGen.Store(gen)
	if s.cred.Account == "" {
		s.cred.Account = mail.ServerAccount(org.NetBIOS(), org.Server.Name)
	}
	s.proxy.Credential = s.cred
	s.org.Store(org)
	s.loadComponentStates(org)
	s.openLogs(org)

	changes, cancel := s.st.Subscribe()
	s.mu.Lock()
	s.cancelSub = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.follow(changes)
	}()
	s.reconcile()
	return nil
}

func (s *Service) openLogs(org *frontend.Org) {
	s.feRecv = protolog.New("", protolog.Receive, protolog.DefaultLimits)
	s.hubRecv = protolog.New("", protolog.Receive, protolog.DefaultLimits)
	s.feSend = protolog.New("", protolog.Send, protolog.DefaultLimits)
	s.proxy.SendLog = s.feSend
	s.outbound.SendLog = s.feSend
	s.applyLogSettings(org)
}

// logDir is a service's protocol log folder: the path in its settings,
// Exchange's default under the data path when there are no settings, and
// "" (logging off) when the settings clear the path.
func (s *Service) logDir(ts *state.TransportService, recv bool, svc protolog.Service) string {
	if ts != nil {
		if recv {
			return ts.ReceiveProtocolLogPath
		}
		return ts.SendProtocolLogPath
	}
	kind := protolog.Send
	if recv {
		kind = protolog.Receive
	}
	return protolog.DefaultDir(s.opts.DataPath, svc, kind)
}

func recvLimits(ts *state.TransportService) protolog.Limits {
	if ts == nil {
		return protolog.DefaultLimits
	}
	return protolog.Limits{MaxAge: ts.ReceiveProtocolLogMaxAge, MaxDirectorySize: int64(ts.ReceiveProtocolLogMaxDirectorySize), MaxFileSize: int64(ts.ReceiveProtocolLogMaxFileSize)}
}

func sendLimits(ts *state.TransportService) protolog.Limits {
	if ts == nil {
		return protolog.DefaultLimits
	}
	return protolog.Limits{MaxAge: ts.SendProtocolLogMaxAge, MaxDirectorySize: int64(ts.SendProtocolLogMaxDirectorySize), MaxFileSize: int64(ts.SendProtocolLogMaxFileSize)}
}

func (s *Service) applyLogSettings(org *frontend.Org) {
	fe, hub := org.Services["FrontEnd"], org.Services["Hub"]
	s.feRecv.SetDir(s.logDir(fe, true, protolog.FrontEnd))
	s.hubRecv.SetDir(s.logDir(hub, true, protolog.Hub))
	s.feSend.SetDir(s.logDir(fe, false, protolog.FrontEnd))
	s.feRecv.SetLimits(recvLimits(fe))
	s.hubRecv.SetLimits(recvLimits(hub))
	s.feSend.SetLimits(sendLimits(fe))
	level := protolog.LevelVerbose // Exchange's default for the Front End
	if fe != nil {
		level = protolog.ParseLevel(fe.IntraOrgConnectorProtocolLoggingLevel)
	}
	s.proxy.SendLevel = level
}

// follow reloads the organisation after every committed change.
func (s *Service) follow(changes <-chan state.Change) {
	for range changes {
		// Coalesce a burst of changes (one cmdlet, many objects).
	drain:
		for {
			select {
			case _, ok := <-changes:
				if !ok {
					break drain
				}
			default:
				break drain
			}
		}
		s.Reload()
	}
}

// Reload re-reads the organisation and starts, stops or changes
// listeners to match the connectors. The engine calls it on every store
// change; cmdlets may call it to be sure a change is in effect.
func (s *Service) Reload() {
	s.mu.Lock()
	stopped := s.stopped || !s.started
	s.mu.Unlock()
	if stopped {
		return
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	gen := s.generation()
	org, err := frontend.Load(s.st, s.opts.ServerName)
	if err != nil {
		s.log.Error("reloading the organisation", "err", err)
		return
	}
	s.org.Store(org)
	s.orgGen.Store(gen)
	s.loadComponentStates(org)
	s.applyLogSettings(org)
	s.reconcile()
}

// generation is the store's count of committed changes to the
// organisation.
func (s *Service) generation() uint64 { return s.st.Generation() }

// fresh is the organisation as committed now: a session that starts right
// after a cmdlet returned meets the change, without waiting for the
// reload that follows every change.
func (s *Service) fresh() *frontend.Org {
	if gen := s.generation(); gen != 0 && gen != s.orgGen.Load() {
		s.Reload()
	}
	return s.org.Load()
}

// reconcile makes the listeners match the enabled connectors' bindings.
func (s *Service) reconcile() {
	org := s.org.Load()
	type want struct {
		role        string
		bindingPort int
	}
	wanted := map[string]want{}
	var eps []Endpoint
	for _, c := range org.Connectors {
		if !c.Rec.Enabled {
			continue
		}
		for _, b := range c.Bindings {
			addr := s.listenAddr(b)
			if addr == "" {
				continue // an IPv6 wildcard of a server with an address
			}
			eps = append(eps, Endpoint{Connector: c.Rec.Name, Identity: c.Rec.Identity, Role: c.Rec.TransportRole, Binding: c.Rec.Bindings[indexOf(c.Bindings, b)], Listen: addr})
			if w, ok := wanted[addr]; ok && w.role != c.Rec.TransportRole {
				// Validation keeps roles apart; the first one wins.
				continue
			}
			wanted[addr] = want{c.Rec.TransportRole, int(b.Port())}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	for addr, l := range s.listeners {
		if w, ok := wanted[addr]; !ok || w.role != l.role || w.bindingPort != l.bindingPort {
			l.ln.Close()
			delete(s.listeners, addr)
			s.log.Info("stopped listening", "addr", addr)
		}
	}
	failed := map[string]error{}
	for addr, w := range wanted {
		if _, ok := s.listeners[addr]; ok {
			continue
		}
		// No TCP keep-alive: sessions end on the connector's
		// ConnectionInactivityTimeout, and the option would cost four
		// setsockopt calls per accepted connection.
		lc := net.ListenConfig{KeepAlive: -1}
		ln, err := lc.Listen(context.Background(), listenNetwork(addr), addr)
		if err != nil {
			failed[addr] = err
			s.log.Warn("cannot listen", "addr", addr, "err", err)
			continue
		}
		l := &listener{addr: addr, role: w.role, bindingPort: w.bindingPort, ln: ln}
		s.listeners[addr] = l
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.accept(l)
		}()
	}
	for i := range eps {
		if err, ok := failed[eps[i].Listen]; ok {
			eps[i].Listen, eps[i].Err = "", err
		}
	}
	s.endpoints = eps
}

// listenNetwork is the network a listening address is opened on. On
// "tcp", Go opens a wildcard address (0.0.0.0 as well as [::]) as one
// dual-stack IPv6 socket that takes both families, so of Exchange's two
// default bindings 0.0.0.0:25 and [::]:25 (with -ListenAll) the second
// would fail with "address already in use". Each wildcard gets a socket
// of its own family instead ("tcp6" sets IPV6_V6ONLY), and both listen
// side by side as on Windows. Other addresses keep "tcp".
func listenNetwork(addr string) string {
	ap, err := netip.ParseAddrPort(addr)
	switch {
	case err != nil || !ap.Addr().IsUnspecified():
		return "tcp"
	case ap.Addr().Is4():
		return "tcp4"
	default:
		return "tcp6"
	}
}

func indexOf(list []netip.AddrPort, b netip.AddrPort) int {
	for i, x := range list {
		if x == b {
			return i
		}
	}
	return 0
}

// Endpoints lists every enabled connector binding and where it listens,
// in connector order. The IPv6 wildcard bindings of a server with an
// IPAddress (and without ListenAll) are left out: they are not listened
// on by design.
func (s *Service) Endpoints() []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Endpoint(nil), s.endpoints...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Connector < out[j].Connector })
	return out
}

// accept runs a listener's accept loop until the listener is closed.
func (s *Service) accept(l *listener) {
	var delay time.Duration
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			s.log.Error("accept failed", "addr", l.addr, "err", err)
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(delay):
			}
			continue
		}
		delay = 0
		s.mu.Lock()
		if s.stopping[strings.ToLower(l.role)] {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.wg.Add(1)
		ctx := s.ctx
		s.mu.Unlock()
		s.runSession(ctx, func() {
			defer s.wg.Done()
			s.serve(l, conn)
		})
	}
}

// workerIdle is how long a goroutine that served a session waits for the
// next connection before it ends: long enough for a busy server's next
// connections, short enough that a quiet one keeps none.
const workerIdle = time.Second

// runSession runs a session on a goroutine that served an earlier one, or
// on a new one when none is waiting. A session grows its goroutine's stack
// to tens of kilobytes (TLS handshakes, store transactions); a kept
// goroutine grows it once instead of on every connection.
func (s *Service) runSession(ctx context.Context, session func()) {
	select {
	case s.idleWorkers <- session:
	default:
		go s.sessionWorker(ctx, session)
	}
}

func (s *Service) sessionWorker(ctx context.Context, session func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		session()
		idle.Reset(workerIdle)
		select {
		case session = <-s.idleWorkers:
		case <-idle.C:
			return
		case <-ctx.Done(): // the service stopped
			return
		}
	}
}

// serve runs one connection: pick the connector, check connection
// limits, run the SMTP session.
func (s *Service) serve(l *listener, conn net.Conn) {
	org := s.fresh()
	local, remote := smtpd.AddrPort(conn.LocalAddr()), smtpd.AddrPort(conn.RemoteAddr())
	bindingLocal := netip.AddrPortFrom(local.Addr().WithZone(""), uint16(l.bindingPort))
	c := org.Select(l.role, bindingLocal, remote)
	if c == nil {
		// No connector accepts this client: dropped without a banner.
		conn.Close()
		return
	}
	recv := s.feRecv
	data := s.proxy.Data
	if strings.EqualFold(l.role, frontend.RoleHub) {
		recv, data = s.hubRecv, s.hubData
	}
	ls := recv.Session(c.Rec.Identity, protolog.ParseLevel(c.Rec.ProtocolLoggingLevel), bindingLocal, remote)
	cfg := org.Config(c)
	cfg.Now = s.opts.Now
	h := frontend.NewReceive(org, c, s.st, s.cred, data)
	h.Rates = s.rates
	if strings.EqualFold(l.role, frontend.RoleFrontend) {
		h.Outbound = s.outbound
	}
	sess := smtpd.NewSession(conn, cfg, componentGate{h, s, l.role}, ls, slogPrintf{s.log})
	defer s.reportSessionEnd(c, bindingLocal, remote, sess)

	ip := remote.Addr().String()
	if refusal, ok := s.admit(c, ip, sess); !ok {
		sess.Refuse(refusal)
		return
	}
	defer s.release(c, ip, sess)
	sess.Serve(s.ctx)
}

// SessionEnd is the engine's report of one SMTP session on a receive
// connector that has ended: what a live view of the mail flow counts.
type SessionEnd struct {
	Time      time.Time
	Connector string // "Default Frontend EX01"
	Identity  string // "EX01\Default Frontend EX01"
	Role      string // "FrontendTransport", "HubTransport"
	Binding   string // the configured binding it came in on: "0.0.0.0:25"
	Remote    string // the client's address: "127.0.0.56"
	Accepted  int    // messages accepted (250 after DATA or BDAT LAST)
	Refusal   string // the last 4xx or 5xx reply, "" when none
}

// OnSessionEnd sets the function called after each SMTP session on a
// receive connector ends (nil: none). It runs on the session's goroutine
// and must return quickly.
func (s *Service) OnSessionEnd(fn func(SessionEnd)) {
	if fn == nil {
		s.sessionEnd.Store(nil)
		return
	}
	s.sessionEnd.Store(&fn)
}

func (s *Service) reportSessionEnd(c *frontend.Connector, binding, remote netip.AddrPort, sess *smtpd.Session) {
	fn := s.sessionEnd.Load()
	if fn == nil {
		return
	}
	accepted, refusal := sess.Summary()
	bind := binding.String()
	for _, b := range c.Rec.Bindings {
		if ap, err := state.ParseBinding(b); err == nil && ap.Port() == binding.Port() {
			bind = state.FormatBinding(ap)
			break
		}
	}
	(*fn)(SessionEnd{
		Time:      s.opts.Now(),
		Connector: c.Rec.Name,
		Identity:  c.Rec.Identity,
		Role:      c.Rec.TransportRole,
		Binding:   bind,
		Remote:    remote.Addr().Unmap().WithZone("").String(),
		Accepted:  accepted,
		Refusal:   refusal,
	})
}

// admit counts the session against MaxInboundConnection and
// MaxInboundConnectionPerSource (and the percentage per source), or
// returns the reply that refuses it.
func (s *Service) admit(c *frontend.Connector, ip string, sess *smtpd.Session) (replies.Reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := c.Rec.Guid
	rc := c.Rec
	if rc.MaxInboundConnection >= 0 && int64(s.perConn[g]) >= int64(rc.MaxInboundConnection) {
		return replies.TooManyServerConnections, false
	}
	src := s.perSource[g]
	if src == nil {
		src = map[string]int{}
		s.perSource[g] = src
	}
	if rc.MaxInboundConnectionPerSource >= 0 && int64(src[ip]) >= int64(rc.MaxInboundConnectionPerSource) {
		return replies.TooManyConnections, false
	}
	if p := rc.MaxInboundConnectionPercentagePerSource; p > 0 && p < 100 && rc.MaxInboundConnection > 0 {
		if int64(src[ip]+1)*100 > int64(p)*int64(rc.MaxInboundConnection) {
			return replies.TooManyConnections, false
		}
	}
	s.perConn[g]++
	src[ip]++
	s.sessions[sess] = c.Rec.TransportRole
	if s.stopping[strings.ToLower(rc.TransportRole)] {
		sess.Shutdown()
	}
	return replies.Reply{}, true
}

func (s *Service) release(c *frontend.Connector, ip string, sess *smtpd.Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := c.Rec.Guid
	s.perConn[g]--
	if src := s.perSource[g]; src != nil {
		if src[ip]--; src[ip] <= 0 {
			delete(src, ip)
		}
	}
	delete(s.sessions, sess)
}

type slogPrintf struct{ l *slog.Logger }

func (p slogPrintf) Printf(format string, v ...any) { p.l.Error(fmt.Sprintf(format, v...)) }

// hubAddr is where the Front End reaches a hub connector: its first
// binding's listening address (loopback for a wildcard).
func (s *Service) hubAddr(c *frontend.Connector) (string, bool) {
	bindings := append([]netip.AddrPort(nil), c.Bindings...)
	// IPv4 first: the hop then reads "(127.0.0.1)" like the client's.
	sort.SliceStable(bindings, func(i, j int) bool { return bindings[i].Addr().Is4() && !bindings[j].Addr().Is4() })
	for _, b := range bindings {
		addr := s.listenAddr(b)
		if addr == "" {
			continue
		}
		a := b.Addr()
		if a.IsUnspecified() {
			switch {
			case s.opts.IPAddress.IsValid():
				a = s.opts.IPAddress
			case a.Is4():
				a = netip.MustParseAddr("127.0.0.1")
			default:
				a = netip.IPv6Loopback()
			}
		}
		s.mu.Lock()
		_, ok := s.listeners[addr]
		s.mu.Unlock()
		if ok {
			return net.JoinHostPort(a.String(), strconv.Itoa(s.ListenPort(int(b.Port())))), true
		}
	}
	return "", false
}

// Stop ends the engine gracefully: listeners close at once, idle
// sessions get "421 4.3.2 Service not available", transactions in flight
// finish first. The Front End stops before the Transport service, so a
// message it is proxying still reaches the hub. When ctx ends before the
// sessions do, the remaining connections are closed. A second Stop
// returns ErrStopped. A Service made by NewServer then stops its Transport
// service, which lets deliveries in flight finish until ctx ends.
func (s *Service) Stop(ctx context.Context) error {
	err := s.stopReceive(ctx)
	if s.tr == nil || errors.Is(err, ErrStopped) {
		return err
	}
	if terr := s.tr.Stop(ctx); terr != nil && err == nil {
		err = terr
	}
	return err
}

// stopReceive stops the receive side.
func (s *Service) stopReceive(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrStopped
	}
	s.stopped = true
	if !s.started {
		s.mu.Unlock()
		return nil
	}
	if s.cancelSub != nil {
		s.cancelSub()
	}
	s.mu.Unlock()

	var err error
	for _, role := range []string{frontend.RoleFrontend, frontend.RoleHub} {
		s.mu.Lock()
		if s.stopping == nil {
			s.stopping = map[string]bool{}
		}
		s.stopping[strings.ToLower(role)] = true
		for addr, l := range s.listeners {
			if strings.EqualFold(l.role, role) {
				l.ln.Close()
				delete(s.listeners, addr)
			}
		}
		for sess, r := range s.sessions {
			if strings.EqualFold(r, role) {
				sess.Shutdown()
			}
		}
		s.mu.Unlock()
		if err == nil {
			err = s.waitSessions(ctx, role)
		}
	}
	if err != nil {
		s.cancel()
	}
	s.wg.Wait()
	s.cancel()
	s.feRecv.Close()
	s.hubRecv.Close()
	s.feSend.Close()
	return err
}

// waitSessions waits until no session of role is open, or ctx ends.
func (s *Service) waitSessions(ctx context.Context, role string) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		n := 0
		for _, r := range s.sessions {
			if strings.EqualFold(r, role) {
				n++
			}
		}
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
