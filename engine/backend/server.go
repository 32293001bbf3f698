package backend

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/state"
)

// maxRequest bounds a request body: arguments are identities and filters.
const maxRequest = 1 << 20

// Defaults of a Config.
const (
	// DefaultMaxRequests is how many requests a server serves at once.
	DefaultMaxRequests = 16
	// DefaultFailedLogonDelay is how long the answer to a failed logon
	// waits: Exchange's AuthTarpitInterval, as the EAC's sign-in waits.
	DefaultFailedLogonDelay = 5 * time.Second
)

// maxWork bounds the work of one request, whatever the caller asked: an
// answer not written by then is dropped (the server's WriteTimeout).
const maxWork = time.Minute

// timeoutHeader carries how long the caller waits for the answer, so the
// server stops working for a caller that has given up.
const timeoutHeader = "Exsh-Timeout"

// Config configures a server's end of the channel.
type Config struct {
	// Addr is where to listen: [Addr] of the server's own record.
	Addr string
	// Store is the organisation; its certificate is the TLS certificate.
	Store state.Store
	// Check checks the credential of each request. Required.
	Check Checker
	// The server's own per-server data; a nil part answers that its
	// service isn't running.
	Queues    Queues
	Tracking  Tracking
	Mailboxes Mailboxes
	// Logger receives refused logons and failures; nil discards them.
	Logger *slog.Logger
	// MaxRequests caps the requests served at once (DefaultMaxRequests
	// when 0); one more is answered at once with 503 Service Unavailable
	// and Retry-After, which the caller reports as ErrBusy.
	MaxRequests int
	// FailedLogonDelay delays the answer to a failed logon
	// (DefaultFailedLogonDelay when 0). The failed logons of one address
	// are answered one delay apart, so guessing is slow however many
	// requests it sends at once; an address with more than a few failed
	// logons waiting for their answer is locked out until they are
	// answered: each of its requests is refused at once with 429 Too
	// Many Requests and Retry-After, before its credential is checked.
	FailedLogonDelay time.Duration
}

// Server serves one server's per-server data to the other servers.
type Server struct {
	cfg   Config
	ln    net.Listener
	http  *http.Server
	log   *slog.Logger
	done  chan struct{}
	cert  orgCert
	slots chan struct{} // one per request being served
	guard *logonGuard
}

// Listen starts serving on cfg.Addr and returns at once; Close stops it.
func Listen(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Check == nil {
		return nil, errors.New("backend: a server needs a store and a credential checker")
	}
	if cfg.Addr == "" {
		return nil, ErrNoChannel
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = DefaultMaxRequests
	}
	if cfg.FailedLogonDelay <= 0 {
		cfg.FailedLogonDelay = DefaultFailedLogonDelay
	}
	s := &Server{cfg: cfg, log: cfg.Logger, done: make(chan struct{}),
		slots: make(chan struct{}, cfg.MaxRequests),
		guard: newLogonGuard(cfg.FailedLogonDelay, time.Now)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// The certificate must be there before anyone is told to connect.
	if _, err := s.certificate(nil); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// An answer (Export-Message of a large message) is written
		// within a minute, or the connection is dropped; a caller gives
		// up sooner (DefaultTimeout).
		WriteTimeout: time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		TLSConfig: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: s.certificate,
		},
	}
	go func() {
		defer close(s.done)
		s.http.Serve(tls.NewListener(ln, s.http.TLSConfig))
	}()
	return s, nil
}

// Addr is where the server listens.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting requests and waits, until ctx ends, for the ones
// in progress.
func (s *Server) Close(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	<-s.done
	return err
}

// certificate is the organisation's certificate.
func (s *Server) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c, err := s.cert.get(s.cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	return c, nil
}

// ServeHTTP authenticates a request and runs its operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.logon(w, r) {
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, pathPrefix) {
		http.NotFound(w, r)
		return
	}
	if r.ContentLength > maxRequest {
		http.Error(w, "413 request too large", http.StatusRequestEntityTooLarge)
		return
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		s.log.Warn("management channel: busy, a request refused", "remote", r.RemoteAddr, "max", s.cfg.MaxRequests)
		w.Header().Set("Retry-After", "1")
		http.Error(w, fmt.Sprintf("503 the server is busy: it is answering %d requests", s.cfg.MaxRequests), http.StatusServiceUnavailable)
		return
	}
	// The operation stops when the caller goes away (its connection
	// closes) or gives up (its timeout), and after maxWork in any case.
	work := maxWork
	if d, err := time.ParseDuration(r.Header.Get(timeoutHeader)); err == nil && d > 0 && d < work {
		work = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), work)
	defer cancel()
	op := strings.TrimPrefix(r.URL.Path, pathPrefix)
	body := http.MaxBytesReader(w, r.Body, maxRequest)
	result, known, err := s.run(ctx, op, json.NewDecoder(body))
	if !known {
		http.NotFound(w, r)
		return
	}
	var bad *badRequest
	if errors.As(err, &bad) {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](bad.err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(w, bad.Error(), status)
		return
	}
	if ctx.Err() != nil {
		// Nobody waits for the answer any more.
		s.log.Debug("management channel: an operation stopped", "op", op, "remote", r.RemoteAddr, "err", context.Cause(ctx))
	}
	w.Header().Set("Content-Type", "application/json")
	rep := reply{Result: result, Error: toWire(err)}
	if err != nil {
		rep.Result = nil
	}
	if err := json.NewEncoder(w).Encode(rep); err != nil {
		s.log.Debug("management channel: writing a reply", "op", op, "err", err)
	}
}

// logon checks a request's credential and answers it when it is
// refused: at once when its address is locked out, after the failed
// logon delay when the credential is wrong.
func (s *Server) logon(w http.ResponseWriter, r *http.Request) bool {
	user, password, basic := r.BasicAuth()
	lockout, wait, ok := s.guard.check(remoteHost(r.RemoteAddr), func() bool {
		return basic && s.cfg.Check.Check(user, password)
	})
	if ok {
		return true
	}
	if lockout > 0 {
		// Debug: a locked-out address may send many, each answered at
		// once; its failed logons were warned about.
		s.log.Debug("management channel: logon refused, too many failed logons", "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", strconv.Itoa(int((lockout+time.Second-1)/time.Second)))
		http.Error(w, "429 too many failed logons from this address", http.StatusTooManyRequests)
		return false
	}
	s.log.Warn("management channel: logon refused", "remote", r.RemoteAddr, "user", user)
	// A failed logon waits, as a failed SMTP AUTH does
	// (AuthTarpitInterval), behind the other failed logons of its
	// address.
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return false
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="exsh"`)
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
	return false
}

// remoteHost is the address part of a request's RemoteAddr.
func remoteHost(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// badRequest is a body that is not the operation's arguments.
type badRequest struct{ err error }

func (b *badRequest) Error() string { return "bad request: " + b.err.Error() }

// An operation: the part of the server it needs and how it runs on it
// with its arguments (decode fills them from the request's body).
type operation struct {
	part string // "Queues", "Tracking" or "Mailboxes"
	run  func(p *Config, decode func(any) error) (any, error)
}

// withIdentity runs an operation on the Transport service that takes an
// identity (and a flag: Resubmit, WithNDR).
func withIdentity(f func(q Queues, a identityArgs) (any, error)) operation {
	return operation{"Queues", func(p *Config, decode func(any) error) (any, error) {
		var a identityArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return f(p.Queues, a)
	}}
}

// none is an operation's result when it has none.
func none(err error) (any, error) { return nil, err }

var operations = map[string]operation{
	"Queues": {"Queues", func(p *Config, _ func(any) error) (any, error) { return p.Queues.Queues() }},
	"ResolveQueues": withIdentity(func(q Queues, a identityArgs) (any, error) {
		return q.ResolveQueues(a.Identity)
	}),
	"Messages": {"Queues", func(p *Config, decode func(any) error) (any, error) {
		var f transport.MessageFilter
		if err := decode(&f); err != nil {
			return nil, err
		}
		return p.Queues.Messages(f)
	}},
	"SuspendQueue":   withIdentity(func(q Queues, a identityArgs) (any, error) { return none(q.SuspendQueue(a.Identity)) }),
	"ResumeQueue":    withIdentity(func(q Queues, a identityArgs) (any, error) { return none(q.ResumeQueue(a.Identity)) }),
	"RetryQueue":     withIdentity(func(q Queues, a identityArgs) (any, error) { return none(q.RetryQueue(a.Identity, a.Flag)) }),
	"SuspendMessage": withIdentity(func(q Queues, a identityArgs) (any, error) { return none(q.SuspendMessage(a.Identity)) }),
	"ResumeMessage":  withIdentity(func(q Queues, a identityArgs) (any, error) { return none(q.ResumeMessage(a.Identity)) }),
	"RemoveMessage":  withIdentity(func(q Queues, a identityArgs) (any, error) { return none(q.RemoveMessage(a.Identity, a.Flag)) }),
	"ExportMessage":  withIdentity(func(q Queues, a identityArgs) (any, error) { return q.ExportMessage(a.Identity) }),
	"RedirectMessages": {"Queues", func(p *Config, decode func(any) error) (any, error) {
		var a redirectArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return p.Queues.RedirectMessages(a.Targets)
	}},
	"Search": {"Tracking", func(p *Config, decode func(any) error) (any, error) {
		var tq tracking.Query
		if err := decode(&tq); err != nil {
			return nil, err
		}
		return p.Tracking.Search(tq)
	}},
	"MailboxItems": {"Mailboxes", func(p *Config, decode func(any) error) (any, error) {
		var a mailboxArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return p.Mailboxes.MailboxItems(a.Mailbox)
	}},
	"MailboxItemData": {"Mailboxes", func(p *Config, decode func(any) error) (any, error) {
		var a mailboxArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return p.Mailboxes.MailboxItemData(a.Mailbox, a.ID)
	}},
}

// run decodes an operation's arguments and calls the server's part.
func (s *Server) run(ctx context.Context, name string, dec *json.Decoder) (result any, known bool, err error) {
	op, known := operations[name]
	if !known {
		return nil, false, nil
	}
	var missing string
	switch {
	case op.part == "Queues" && s.cfg.Queues == nil:
		missing = "Microsoft Exchange Transport service"
	case op.part == "Tracking" && s.cfg.Tracking == nil:
		missing = "message tracking log"
	case op.part == "Mailboxes" && s.cfg.Mailboxes == nil:
		missing = "mailbox store"
	}
	if missing != "" {
		return nil, true, fmt.Errorf("the %s: %w", missing, ErrNotRunning)
	}
	decode := func(v any) error {
		if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
			return &badRequest{err}
		}
		return nil
	}
	// The operations see the request's context: a queue walk and a
	// tracking search stop when it ends; the others are one short
	// transaction each, which runs whole unless the caller is gone
	// before it starts.
	if err := ctx.Err(); err != nil {
		return nil, true, err
	}
	parts := s.cfg
	if parts.Queues != nil {
		parts.Queues = queuesIn{parts.Queues, ctx}
	}
	if parts.Tracking != nil {
		parts.Tracking = trackingIn{parts.Tracking, ctx}
	}
	result, err = op.run(&parts, decode)
	return result, true, err
}

// queuesIn is a Transport service whose queue walks stop when a
// request's context ends; its other methods are the service's own.
type queuesIn struct {
	queuesPart
	ctx context.Context
}

// queuesPart names the embedded Queues apart from its method Queues.
type queuesPart = Queues

func (q queuesIn) Messages(f transport.MessageFilter) ([]transport.MessageInfo, error) {
	return q.queuesPart.MessagesContext(q.ctx, f)
}

// trackingIn is a tracking log whose searches stop when a request's
// context ends.
type trackingIn struct {
	Tracking
	ctx context.Context
}

func (t trackingIn) Search(q tracking.Query) ([]tracking.Event, error) {
	return t.Tracking.SearchContext(t.ctx, q)
}
