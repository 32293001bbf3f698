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

// run decodes an operation's arguments and calls the server's part.
func (s *Server) run(op string, dec *json.Decoder) (result any, known bool, err error) {
	decode := func(v any) error {
		if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
			return &badRequest{err}
		}
		return nil
	}
	q, t, m := s.cfg.Queues, s.cfg.Tracking, s.cfg.Mailboxes
	notRunning := func(what string) error {
		return fmt.Errorf("the %s: %w", what, ErrNotRunning)
	}
	var a identityArgs
	switch op {
	case "Queues", "ResolveQueues", "Messages", "SuspendQueue", "ResumeQueue", "RetryQueue",
		"SuspendMessage", "ResumeMessage", "RemoveMessage", "ExportMessage":
		if q == nil {
			return nil, true, notRunning("Microsoft Exchange Transport service")
		}
	case "Search":
		if t == nil {
			return nil, true, notRunning("message tracking log")
		}
	case "MailboxItems", "MailboxItemData":
		if m == nil {
			return nil, true, notRunning("mailbox store")
		}
	default:
		return nil, false, nil
	}
	switch op {
	case "Queues":
		result, err = q.Queues()
	case "ResolveQueues":
		if err = decode(&a); err == nil {
			result, err = q.ResolveQueues(a.Identity)
		}
	case "Messages":
		var f transport.MessageFilter
		if err = decode(&f); err == nil {
			result, err = q.Messages(f)
		}
	case "SuspendQueue", "ResumeQueue", "RetryQueue", "SuspendMessage", "ResumeMessage", "RemoveMessage", "ExportMessage":
		if err = decode(&a); err != nil {
			break
		}
		switch op {
		case "SuspendQueue":
			err = q.SuspendQueue(a.Identity)
		case "ResumeQueue":
			err = q.ResumeQueue(a.Identity)
		case "RetryQueue":
			err = q.RetryQueue(a.Identity, a.Flag)
		case "SuspendMessage":
			err = q.SuspendMessage(a.Identity)
		case "ResumeMessage":
			err = q.ResumeMessage(a.Identity)
		case "RemoveMessage":
			err = q.RemoveMessage(a.Identity, a.Flag)
		case "ExportMessage":
			result, err = q.ExportMessage(a.Identity)
		}
	case "Search":
		var tq tracking.Query
		if err = decode(&tq); err == nil {
			result, err = t.Search(tq)
		}
	case "MailboxItems", "MailboxItemData":
		var ma mailboxArgs
		if err = decode(&ma); err != nil {
			break
		}
		if op == "MailboxItems" {
			result, err = m.MailboxItems(ma.Mailbox)
		} else {
			result, err = m.MailboxItemData(ma.Mailbox, ma.ID)
		}
	}
	return result, true, err
}
