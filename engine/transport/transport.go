package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"exsh/engine/mail"
	"exsh/engine/protolog"
	"exsh/engine/transport/tracking"
	"exsh/state"
)

// Errors returned by the Transport.
var (
	// ErrStopped is returned by Submit and the admin API after Stop, and
	// by a second Stop.
	ErrStopped = errors.New("the Microsoft Exchange Transport service is stopped")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("the Microsoft Exchange Transport service is already running")
)

// Config configures a Transport.
type Config struct {
	ServerName string // "EX01"
	Fqdn       string // "EX01.contoso.com"
	DataPath   string // logs go under <DataPath>/TransportRoles/Logs
	// Now is the clock; nil means time.Now. Tests inject one to drive
	// retries and expiry.
	Now func() time.Time
	// PortMap turns one of this server's configured ports (25, 717, 2525,
	// ...) into the port it really listens on (the -PortOffset); nil
	// keeps ports unchanged.
	PortMap func(port int) int
	// Logger receives operational messages (panics, store errors); nil
	// discards them.
	Logger *slog.Logger

	// LookupMX resolves MX records for send connectors that use DNS
	// routing; nil makes no lookup at all: such a queue waits in Retry
	// with NoDNSStatus. Connectors with smart hosts never look MX up.
	LookupMX func(ctx context.Context, domain string) ([]*net.MX, error)
	// LookupNetIP resolves a host name (an MX host, a smart host given by
	// name) to addresses; nil uses net.DefaultResolver.
	LookupNetIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// HostPort is the port a simulated outside host (a lab's receiver)
	// really listens on for a configured port such as 25; nil, or an
	// address that is no such host, keeps the port as configured.
	HostPort func(a netip.Addr, port int) int
	// SendLog is the Hub SmtpSend protocol log; nil opens one in the
	// default folder of DataPath.
	SendLog *protolog.Log
	// Tracking is the message tracking log; nil opens one in
	// <DataPath>/TransportRoles/Logs/MessageTracking. Without a DataPath
	// nothing is logged.
	Tracking *tracking.Log
	// SweepInterval is how often idle queues are checked for expired
	// messages, due delay DSNs and due retries; 0 means 15 seconds.
	SweepInterval time.Duration
	// DialTimeout bounds each outbound TCP connect; 0 means 30 seconds.
	DialTimeout time.Duration
	// Credential is how this server's Transport service logs on to its
	// own Front End (Outbound Proxy Frontend, 717) when a send connector
	// has FrontendProxyEnabled: the credential the receive side was
	// given (engine.Options.Credential, see engine.NewServerCredential).
	// Without one such mail waits in Retry with
	// "451 5.7.3 Cannot achieve Exchange Server authentication". An empty
	// Account is filled in from the organisation (CONTOSO\EX01$).
	Credential mail.ServerCredential
	// Local is the server's own address in an organisation of several
	// servers (engine.Options.IPAddress): SMTP sessions leave from it, and
	// mail for another server's mailbox database, or for a send connector
	// whose source servers do not include this one, is handed over SMTP to
	// that server's Transport service (hops.go). The zero value is a
	// single server, which delivers every database itself.
	Local netip.Addr
	// Alive reports whether another server is running; the relay to a send
	// connector's source servers tries live ones first. nil takes every
	// server for alive.
	Alive func(server string) bool
}

// Transport is the Transport service. It implements mail.Submitter.
type Transport struct {
	st      state.ServerStore
	cfg     Config
	log     *slog.Logger
	trk     *tracking.Log
	sendLog *protolog.Log
	ownLogs bool

	build         string // "15.2.1118.7" (Received: headers)
	trackingBuild string // "15.02.1118.007"

	rates *rateTable

	// The certificate's key type while the store's generation stays
	// (mailboxtls.go).
	cachedCertKey atomic.Pointer[certKeyAt]

	// Decoded organisation data kept while the store's generation stays.
	cachedSettings atomic.Pointer[settingsAt]
	cachedDomain   atomic.Pointer[domainAt] // the default accepted domain, for tracking's AccountForest
	cachedRouting  atomic.Pointer[routingAt]
	cachedHops     atomic.Pointer[hopsAt] // the servers queues to other servers wait for (hops.go)

	mu       sync.Mutex // guards the fields below
	runners  map[int64]*runner
	started  bool
	stopped  bool
	runCtx   context.Context // cancelled when Stop begins: no new work
	stopRun  context.CancelFunc
	workCtx  context.Context // cancelled when Stop gives up waiting: in-flight I/O aborts
	stopWork context.CancelFunc
	wg       sync.WaitGroup // every goroutine the Transport started
}

var _ mail.Submitter = (*Transport)(nil)

// New returns a Transport over the store. It creates the fixed queues if
// the store has none yet. Nothing runs until Start; Submit already works
// (messages wait in the Submission queue).
func New(st state.ServerStore, cfg Config) (*Transport, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PortMap == nil {
		cfg.PortMap = func(p int) int { return p }
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "EX01"
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = 15 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 30 * time.Second
	}
	t := &Transport{st: st, cfg: cfg, log: cfg.Logger, rates: newRateTable(), runners: map[int64]*runner{}}
	if t.log == nil {
		t.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	t.build, t.trackingBuild = "15.2.1118.7", "15.02.1118.007"
	_ = st.View(func(tx state.Tx) error {
		if srv, err := tx.Server(cfg.ServerName); err == nil {
			if t.cfg.Fqdn == "" {
				t.cfg.Fqdn = srv.Fqdn
			}
			if b, tb, ok := parseBuild(srv.AdminDisplayVersion); ok {
				t.build, t.trackingBuild = b, tb
			}
			if org, err := tx.Org(); err == nil && t.cfg.Credential.Account == "" && t.cfg.Credential.Secret != "" {
				t.cfg.Credential.Account = mail.ServerAccount(org.NetBIOSDomain, srv.Name)
			}
		}
		return nil
	})
	if t.cfg.Fqdn == "" {
		t.cfg.Fqdn = cfg.ServerName
	}
	if err := st.InitQueues(cfg.Now()); err != nil {
		return nil, fmt.Errorf("transport: cannot prepare the queue database: %w", err)
	}
	t.trk = cfg.Tracking
	if t.trk == nil && cfg.DataPath != "" {
		t.trk = tracking.New(tracking.DefaultDir(cfg.DataPath), t.trackingBuild, cfg.Now, tracking.DefaultLimits)
		t.ownLogs = true
	}
	t.sendLog = cfg.SendLog
	if t.sendLog == nil && cfg.DataPath != "" {
		t.sendLog = protolog.New(protolog.DefaultDir(cfg.DataPath, protolog.Hub, protolog.Send), protolog.Send, protolog.DefaultLimits)
		t.sendLog.SetClock(cfg.Now)
	}
	t.applyLogSettings()
	return t, nil
}

var buildRE = regexp.MustCompile(`(\d+)\.(\d+) \(Build (\d+)\.(\d+)\)`)

// parseBuild turns "Version 15.2 (Build 1118.7)" into "15.2.1118.7" and
// the tracking log's padded "15.02.1118.007".
func parseBuild(v string) (string, string, bool) {
	m := buildRE.FindStringSubmatch(v)
	if m == nil {
		return "", "", false
	}
	atoi := func(s string) int {
		n := 0
		for _, c := range s {
			n = n*10 + int(c-'0')
		}
		return n
	}
	return fmt.Sprintf("%s.%s.%s.%s", m[1], m[2], m[3], m[4]),
		fmt.Sprintf("%d.%02d.%04d.%03d", atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4])), true
}

// Tracking returns the message tracking log (Get-MessageTrackingLog
// searches it).
func (t *Transport) Tracking() *tracking.Log { return t.trk }

// Store returns the store the Transport works on.
func (t *Transport) Store() state.ServerStore { return t.st }

func (t *Transport) now() time.Time { return t.cfg.Now() }

// settings are the Transport service timers, with Exchange's defaults for
// anything the store does not set.
type settings struct {
	TransientFailureRetryCount             int
	TransientFailureRetryInterval          time.Duration
	OutboundConnectionFailureRetryInterval time.Duration
	MessageRetryInterval                   time.Duration
	MessageExpirationTimeout               time.Duration
	DelayNotificationTimeout               time.Duration
	PoisonThreshold                        int
	PoisonMessageDetectionEnabled          bool
	QueueMaxIdleTime                       time.Duration
	MailboxDeliveryRetryInterval           time.Duration
	TrackingEnabled                        bool
	// IntraOrgConnectorProtocolLoggingLevel is the logging of the hops
	// to the organisation's other servers (hops.go).
	IntraOrgConnectorProtocolLoggingLevel string
}

func defaultSettings() settings {
	return settings{
		TransientFailureRetryCount:             6,
		TransientFailureRetryInterval:          5 * time.Minute,
		OutboundConnectionFailureRetryInterval: 10 * time.Minute,
		MessageRetryInterval:                   15 * time.Minute,
		MessageExpirationTimeout:               48 * time.Hour,
		DelayNotificationTimeout:               4 * time.Hour,
		PoisonThreshold:                        2,
		PoisonMessageDetectionEnabled:          true,
		QueueMaxIdleTime:                       3 * time.Minute,
		MailboxDeliveryRetryInterval:           5 * time.Minute,
		TrackingEnabled:                        true,
		IntraOrgConnectorProtocolLoggingLevel:  "Verbose",
	}
}

func settingsFrom(ts *state.TransportService) settings {
	s := defaultSettings()
	if ts == nil {
		return s
	}
	s.TransientFailureRetryCount = ts.TransientFailureRetryCount
	setDur := func(dst *time.Duration, v time.Duration) {
		if v > 0 {
			*dst = v
		}
	}
	setDur(&s.TransientFailureRetryInterval, ts.TransientFailureRetryInterval)
	setDur(&s.OutboundConnectionFailureRetryInterval, ts.OutboundConnectionFailureRetryInterval)
	setDur(&s.MessageRetryInterval, ts.MessageRetryInterval)
	setDur(&s.MessageExpirationTimeout, ts.MessageExpirationTimeout)
	setDur(&s.DelayNotificationTimeout, ts.DelayNotificationTimeout)
	setDur(&s.QueueMaxIdleTime, ts.QueueMaxIdleTime)
	if ts.PoisonThreshold > 0 {
		s.PoisonThreshold = ts.PoisonThreshold
	}
	s.PoisonMessageDetectionEnabled = ts.PoisonMessageDetectionEnabled
	s.TrackingEnabled = ts.MessageTrackingLogEnabled
	if ts.IntraOrgConnectorProtocolLoggingLevel != "" {
		s.IntraOrgConnectorProtocolLoggingLevel = ts.IntraOrgConnectorProtocolLoggingLevel
	}
	return s
}

// settingsTx reads this server's timers inside a transaction.
func (t *Transport) settingsTx(org state.Tx) settings {
	ts, err := org.TransportService(t.cfg.ServerName, "Hub")
	if err != nil {
		return defaultSettings()
	}
	return settingsFrom(ts)
}

// settings reads the Transport service's timers, decoding the record only
// when the organisation changed since the last time.
func (t *Transport) settings() settings {
	gen := t.st.Generation()
	if c := t.cachedSettings.Load(); c != nil && c.gen == gen {
		return c.set
	}
	s := defaultSettings()
	_ = t.st.View(func(tx state.Tx) error {
		s = t.settingsTx(tx)
		return nil
	})
	t.cachedSettings.Store(&settingsAt{gen: gen, set: s})
	return s
}

// settingsAt is the settings as of a store generation.
type settingsAt struct {
	gen uint64
	set settings
}

// applyLogSettings copies the tracking log switches and limits from the
// Transport service record.
func (t *Transport) applyLogSettings() {
	_ = t.st.View(func(tx state.Tx) error {
		ts, err := tx.TransportService(t.cfg.ServerName, "Hub")
		if err != nil {
			return nil
		}
		t.trk.SetEnabled(ts.MessageTrackingLogEnabled)
		lim := tracking.DefaultLimits
		if ts.MessageTrackingLogMaxAge > 0 {
			lim.MaxAge = ts.MessageTrackingLogMaxAge
		}
		if ts.MessageTrackingLogMaxDirectorySize > 0 {
			lim.MaxDirectorySize = int64(ts.MessageTrackingLogMaxDirectorySize)
		}
		if ts.MessageTrackingLogMaxFileSize > 0 {
			lim.MaxFileSize = int64(ts.MessageTrackingLogMaxFileSize)
		}
		t.trk.SetLimits(lim)
		if t.sendLog != nil {
			pl := protolog.DefaultLimits
			if ts.SendProtocolLogMaxAge > 0 {
				pl.MaxAge = ts.SendProtocolLogMaxAge
			}
			if ts.SendProtocolLogMaxDirectorySize > 0 {
				pl.MaxDirectorySize = int64(ts.SendProtocolLogMaxDirectorySize)
			}
			if ts.SendProtocolLogMaxFileSize > 0 {
				pl.MaxFileSize = int64(ts.SendProtocolLogMaxFileSize)
			}
			t.sendLog.SetLimits(pl)
		}
		return nil
	})
}

// Start recovers the queues from the store and starts the categorizer and
// one runner per queue. Messages that were Active when the service last
// stopped are counted as interrupted (poison detection) and retried.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return ErrStopped
	}
	if t.started {
		t.mu.Unlock()
		return ErrStarted
	}
	t.started = true
	t.runCtx, t.stopRun = context.WithCancel(context.Background())
	t.workCtx, t.stopWork = context.WithCancel(context.Background())
	t.mu.Unlock()

	queues, err := t.recoverQueues()
	if err != nil {
		return err
	}
	for _, n := range queues {
		t.ensureRunner(n)
	}
	t.goOwned(t.sweepLoop)
	t.goOwned(t.watchConfig)
	return nil
}

// goOwned starts fn as a goroutine the Transport waits for in Stop.
func (t *Transport) goOwned(fn func()) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		fn()
	}()
}

// Stop stops taking new work, lets in-flight deliveries finish until ctx
// expires (then aborts them; they are retried after the next Start) and
// waits for every goroutine. Messages stay in the store.
func (t *Transport) Stop(ctx context.Context) error {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return ErrStopped
	}
	t.stopped = true
	started := t.started
	t.mu.Unlock()
	if started {
		t.stopRun()
		done := make(chan struct{})
		go func() {
			t.wg.Wait()
			close(done)
		}()
		var err error
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
			t.stopWork()
			<-done
		}
		t.stopWork()
		if err != nil {
			return err
		}
	}
	if t.ownLogs {
		t.trk.Close()
	}
	if t.cfg.SendLog == nil && t.sendLog != nil {
		t.sendLog.Close()
	}
	return nil
}

func (t *Transport) isStopped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopped
}
