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
	"strings"
	"time"

	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/state"
)

// maxRequest bounds a request body: arguments are identities and filters.
const maxRequest = 1 << 20

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
}

// Server serves one server's per-server data to the other servers.
type Server struct {
	cfg  Config
	ln   net.Listener
	http *http.Server
	log  *slog.Logger
	done chan struct{}
	cert orgCert
}

// Listen starts serving on cfg.Addr and returns at once; Close stops it.
func Listen(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Check == nil {
		return nil, errors.New("backend: a server needs a store and a credential checker")
	}
	if cfg.Addr == "" {
		return nil, ErrNoChannel
	}
	s := &Server{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
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
	user, password, ok := r.BasicAuth()
	if !ok || !s.cfg.Check.Check(user, password) {
		s.log.Warn("management channel: logon refused", "remote", r.RemoteAddr, "user", user)
		w.Header().Set("WWW-Authenticate", `Basic realm="exsh"`)
		http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
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
	op := strings.TrimPrefix(r.URL.Path, pathPrefix)
	body := http.MaxBytesReader(w, r.Body, maxRequest)
	result, known, err := s.run(op, json.NewDecoder(body))
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
	w.Header().Set("Content-Type", "application/json")
	rep := reply{Result: result, Error: toWire(err)}
	if err != nil {
		rep.Result = nil
	}
	if err := json.NewEncoder(w).Encode(rep); err != nil {
		s.log.Debug("management channel: writing a reply", "op", op, "err", err)
	}
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
func (s *Server) run(name string, dec *json.Decoder) (result any, known bool, err error) {
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
	result, err = op.run(&s.cfg, decode)
	return result, true, err
}
