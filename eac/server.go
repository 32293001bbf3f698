package eac

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"exsh/shell/interp"
	"exsh/state"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the EAC runs with.
type Config struct {
	// NewSession returns a fresh shell session over the cmdlet table; the
	// EAC runs one command line per session. Its output streams are not
	// used: objects and error records are read from the session.
	NewSession func(stdout, stderr io.Writer) *interp.Session
	// Store is the organisation: the accounts that may sign in and the
	// server's certificate.
	Store state.Store
	// FailedSignInDelay delays the answer to a failed sign-in, as the
	// receive connectors' AuthTarpitInterval delays a failed SMTP AUTH
	// (Exchange's default 5 seconds when 0).
	FailedSignInDelay time.Duration
	// IdleTimeout ends a session not used for this long (20 minutes when 0).
	IdleTimeout time.Duration
	// MapInterval is how often the mail flow map looks for queue changes
	// between SMTP sessions (1 second when 0).
	MapInterval time.Duration
	// InLab reports whether a training lab's organisation is the one in
	// use (Start-Lab switched the store under the cmdlets). A session
	// signed in during a lab, against the lab organisation's accounts,
	// ends when the user's own organisation is back; one signed in
	// against the user's own organisation stays signed in across labs.
	// nil means never.
	InLab func() bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ErrorLog receives server errors; nil discards them.
	ErrorLog *log.Logger
}

// Server is the EAC's HTTPS server.
type Server struct {
	cfg    Config
	tmpl   map[string]*template.Template
	mux    *http.ServeMux
	srv    *http.Server
	sess   *sessions
	flow   *flow
	done   chan struct{}
	closed sync.Once
	url    string
	// hasLabs says whether the cmdlet table has the labs (Get-Lab): the
	// feature pane then lists "labs".
	hasLabs bool
}

// New prepares the EAC; nothing listens until Serve.
func New(cfg Config) (*Server, error) {
	if cfg.NewSession == nil || cfg.Store == nil {
		return nil, errors.New("eac: no cmdlet session or store")
	}
	if cfg.FailedSignInDelay == 0 {
		cfg.FailedSignInDelay = 5 * time.Second
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 20 * time.Minute
	}
	if cfg.MapInterval == 0 {
		cfg.MapInterval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ErrorLog == nil {
		cfg.ErrorLog = log.New(io.Discard, "", 0)
	}
	if cfg.InLab == nil {
		cfg.InLab = func() bool { return false }
	}
	s := &Server{cfg: cfg, done: make(chan struct{})}
	for _, c := range cfg.NewSession(io.Discard, io.Discard).Commands() {
		s.hasLabs = s.hasLabs || strings.EqualFold(c.Name, "Get-Lab")
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.sess = newSessions(cfg.IdleTimeout, cfg.Now)
	s.flow = newFlow(s)
	s.routes()
	return s, nil
}

// Handler is the EAC's HTTP handler (tests serve it with httptest).
func (s *Server) Handler() http.Handler { return s.mux }

// TLSConfig is the organisation's certificate, the one STARTTLS uses.
func (s *Server) TLSConfig() (*tls.Config, error) {
	var cert *state.Certificate
	if err := s.cfg.Store.View(func(tx state.Tx) error {
		var err error
		cert, err = tx.Certificate()
		return err
	}); err != nil {
		return nil, fmt.Errorf("eac: the server certificate: %w", err)
	}
	c, err := cert.TLSCertificate()
	if err != nil {
		return nil, fmt.Errorf("eac: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}, nil
}

// Listen opens the EAC's listener on addr ("127.0.0.1:10443") with the
// organisation's certificate, and serves it until Close.
func (s *Server) Listen(addr string) error {
	tc, err := s.TLSConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("eac: %w", err)
	}
	// A server listening on every address is reached locally on loopback.
	ap := ln.Addr().(*net.TCPAddr).AddrPort()
	host := ap.Addr().Unmap()
	if host.IsUnspecified() {
		host = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	s.url = "https://" + netip.AddrPortFrom(host, ap.Port()).String() + "/ecp/"
	s.srv = &http.Server{
		Handler:           s.mux,
		TLSConfig:         tc,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          s.cfg.ErrorLog,
	}
	go s.flow.run(s.done)
	go s.srv.Serve(tls.NewListener(ln, tc))
	return nil
}

// URL is where the EAC listens ("https://127.0.0.1:10443/ecp/"), once
// Listen has succeeded.
func (s *Server) URL() string { return s.url }

// Start runs the background work (the map's queue watch) without a
// listener, for a server whose Handler is served elsewhere.
func (s *Server) Start() { go s.flow.run(s.done) }

// Close stops the server: listeners, open event streams, sessions.
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.done)
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err = s.srv.Shutdown(ctx)
			if err != nil {
				err = s.srv.Close()
			}
		}
	})
	return err
}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"join":  strings.Join,
		"lower": strings.ToLower,
		"upper": strings.ToUpper,
		"add":   func(a, b int) int { return a + b },
		"sub":   func(a, b int) int { return a - b },
		"div":   func(a, b int) int { return a / b },
		"checkTable": func(id, heading string, rows []checkRow) any {
			return struct {
				ID, Heading string
				Rows        []checkRow
			}{id, heading, rows}
		},
		"queueActions": func() []action {
			return []action{{Key: "retry", Label: "Retry Queue"}, {Key: "suspend", Label: "Suspend"}, {Key: "resume", Label: "Resume"}}
		},
		"messageActions": func() []action {
			return []action{{Key: "suspend", Label: "Suspend"}, {Key: "resume", Label: "Resume"},
				{Key: "removendr", Label: "Remove (with NDR)", Confirm: "Remove the message and send a non-delivery report to the sender?"},
				{Key: "remove", Label: "Remove (without NDR)", Confirm: "Remove the message without a non-delivery report?"}}
		},
	}
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return err
	}
	s.tmpl = map[string]*template.Template{}
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, p)
		if err != nil {
			return fmt.Errorf("eac: template %s: %w", name, err)
		}
		s.tmpl[name] = t
	}
	return nil
}

// action is a toolbar button of the queue viewer.
type action struct{ Key, Label, Confirm string }

// securityHeaders are sent with every response.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Strict-Transport-Security", "max-age=31536000")
	h.Set("Cache-Control", "no-store")
}

// routes registers every page. Only /ecp/static/ and the sign-in page are
// open; everything else goes through s.auth.
func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/ecp/static/", http.FileServer(http.FS(static)))
	m.HandleFunc("GET /ecp/static/", func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "private, max-age=3600")
		files.ServeHTTP(w, r)
	})
	m.HandleFunc("GET /ecp/auth/logon.aspx", s.open(s.logonPage))
	m.HandleFunc("POST /ecp/auth/logon.aspx", s.open(s.logon))
	m.HandleFunc("GET /{$}", s.open(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ecp/", http.StatusFound)
	}))

	page := func(pattern string, h func(w http.ResponseWriter, r *http.Request, u *userSession)) {
		m.HandleFunc(pattern, s.auth(h))
	}
	page("GET /ecp/{$}", func(w http.ResponseWriter, r *http.Request, u *userSession) {
		http.Redirect(w, r, "/ecp/mailflow/receiveconnectors", http.StatusFound)
	})
	page("POST /ecp/logoff.aspx", s.logoff)
	page("GET /ecp/commandlog", s.commandLog)

	page("GET /ecp/mailflow/receiveconnectors", s.receiveConnectors)
	page("GET /ecp/mailflow/receiveconnectors/edit", s.editReceiveConnector)
	page("POST /ecp/mailflow/receiveconnectors/edit", s.editReceiveConnector)
	page("GET /ecp/mailflow/receiveconnectors/new", s.newReceiveConnector)
	page("POST /ecp/mailflow/receiveconnectors/new", s.newReceiveConnector)
	page("POST /ecp/mailflow/receiveconnectors/delete", s.deleteReceiveConnector)

	for _, k := range simpleKinds {
		k := k
		page("GET "+k.path, func(w http.ResponseWriter, r *http.Request, u *userSession) { s.simpleList(w, r, u, k) })
		page("GET "+k.path+"/edit", func(w http.ResponseWriter, r *http.Request, u *userSession) { s.simpleEdit(w, r, u, k) })
		page("POST "+k.path+"/edit", func(w http.ResponseWriter, r *http.Request, u *userSession) { s.simpleEdit(w, r, u, k) })
		page("GET "+k.path+"/new", func(w http.ResponseWriter, r *http.Request, u *userSession) { s.simpleNew(w, r, u, k) })
		page("POST "+k.path+"/new", func(w http.ResponseWriter, r *http.Request, u *userSession) { s.simpleNew(w, r, u, k) })
		page("POST "+k.path+"/delete", func(w http.ResponseWriter, r *http.Request, u *userSession) { s.simpleDelete(w, r, u, k) })
	}
	page("GET /ecp/servers/servers", s.servers)
	page("GET /ecp/servers/databases", s.databases)
	page("GET /ecp/servers/certificates", s.certificates)

	page("GET /ecp/queues/queues", s.queues)
	page("POST /ecp/queues/queues/action", s.queueAction)
	page("GET /ecp/queues/messages", s.messages)
	page("POST /ecp/queues/messages/action", s.messageAction)
	page("GET /ecp/mailflow/deliveryreports", s.deliveryReports)

	page("GET /ecp/mailflowmap", s.mapPage)
	page("GET /ecp/mailflowmap/data", s.mapData)
	page("GET /ecp/mailflowmap/events", s.mapEvents)

	if s.hasLabs {
		page("GET /ecp/labs", s.labsPage)
		page("GET /ecp/labs/confirm", s.labConfirm)
		page("POST /ecp/labs/action", s.labAction)
		page("POST /ecp/labs/test", s.labTest)
	}

	// Anything else under /ecp/ needs a session too, then is not found.
	page("/ecp/", func(w http.ResponseWriter, r *http.Request, u *userSession) { http.NotFound(w, r) })
	m.HandleFunc("/", s.open(http.NotFound))
	s.mux = m
}

// open wraps a handler that needs no session.
func (s *Server) open(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		h(w, r)
	}
}

// auth wraps a handler that needs a signed-in session, and for every
// change (POST) the session's anti-forgery token. Without a session a
// page redirects to the sign-in page and anything a script fetches gets
// 401.
func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, u *userSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		u := s.session(r)
		if u == nil {
			if r.Method == http.MethodGet && r.Header.Get("Accept") != "text/event-stream" && !strings.HasSuffix(r.URL.Path, "/data") && !strings.HasSuffix(r.URL.Path, "/events") {
				http.Redirect(w, r, "/ecp/auth/logon.aspx?url="+templateURLEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "401 Unauthorized: sign in to the Exchange admin center.", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !u.validToken(r.PostFormValue("canary")) {
				http.Error(w, "403 Forbidden: the request's anti-forgery token is missing or wrong. Reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		h(w, r, u)
	}
}

// session returns the request's live session, or nil. A session signed
// in against a lab organisation's accounts ends once the lab has gone:
// the lab's Administrator, whose password every lab shares, must not
// administer the user's own organisation.
func (s *Server) session(r *http.Request) *userSession {
	u := s.sess.fromRequest(r)
	if u != nil && u.lab && !s.cfg.InLab() {
		s.sess.end(u)
		return nil
	}
	return u
}

// alive is sessions.alive for a live view, which also ends with the lab
// its session signed in to.
func (s *Server) alive(u *userSession) bool {
	if u.lab && !s.cfg.InLab() {
		s.sess.end(u)
		return false
	}
	return s.sess.alive(u)
}

// render executes a page template. Data pages get the session's user and
// token through the page value.
func (s *Server) render(w http.ResponseWriter, name string, data any) {
	s.renderStatus(w, http.StatusOK, name, data)
}

// renderStatus is render with another status (a dialog the cmdlet refused
// answers 422 Unprocessable Entity).
func (s *Server) renderStatus(w http.ResponseWriter, status int, name string, data any) {
	t := s.tmpl[name]
	if t == nil {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		s.cfg.ErrorLog.Printf("eac: page %s: %v", name, err)
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}
