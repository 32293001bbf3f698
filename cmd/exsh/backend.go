package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"exsh/cmdlets"
	"exsh/engine"
	"exsh/engine/backend"
	"exsh/state"
)

// The management channel between the servers of an organisation (SPEC
// section 8, package engine/backend): a server whose record has an
// IPAddress serves its queues, tracking log and mailboxes to the other
// servers, and its cmdlets reach theirs. A single server has none of it.

// backendRun is a host's channel: its listener and its dialer.
type backendRun struct {
	server *backend.Server
	dialer *backend.Dialer
}

// startBackend starts the channel for the server this process runs (the
// member of an organisation this data path is, else the -ServerName
// given, else the organisation's) when it belongs to an organisation of
// several servers, and points the cmdlets at it: the shell's own server
// (Deps.ServerName) and the other servers (Deps.Remote). A server that
// cannot listen is warned about; the rest of it works.
func (h *host) startBackend(st state.ServerStore, eng *engine.Service) {
	h.stopBackend()
	name := h.opts.serverName
	if h.org != nil && st == state.ServerStore(h.org.store) {
		// The organisation's record names only its founder; the data
		// path remembers which server it is.
		name = h.org.name
	}
	var srv *state.ExchangeServer
	_ = st.View(func(tx state.Tx) error {
		if org, err := tx.Org(); err == nil && name == "" {
			name = org.ServerName
		}
		srv, _ = tx.Server(name)
		return nil
	})
	if srv == nil || srv.IPAddress == "" {
		return // a single server
	}
	d := h.deps
	run := &backendRun{dialer: &backend.Dialer{Store: st, Credential: eng.Credential()}}
	d.ServerName = srv.Name
	d.Remote = func(server string) (cmdlets.RemoteServer, error) {
		c, err := run.dialer.Server(server)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	cfg := backend.Config{
		Addr:      backend.Addr(srv),
		Store:     st,
		Check:     serverChecker(st, eng),
		Mailboxes: d.Mailboxes,
		Logger:    slog.New(slog.NewTextHandler(h.warn, &slog.HandlerOptions{Level: h.engineLog})),
	}
	if tr := eng.Transport(); tr != nil {
		cfg.Queues = tr
		if log := tr.Tracking(); log != nil {
			cfg.Tracking = log
		}
	}
	s, err := backend.Listen(cfg)
	if err != nil {
		fmt.Fprintf(h.warn, "WARNING: the other servers cannot manage %s: its management channel did not start: %v\n", srv.Name, err)
	}
	run.server = s
	h.backendMu.Lock()
	h.backend = run
	h.backendMu.Unlock()
}

// serverChecker checks the credential another server logs on with: the
// account of a server of this organisation and the secret derived for it
// from the organisation's key (engine.CheckServerLogon).
func serverChecker(st state.Store, eng *engine.Service) backend.Checker {
	return logonChecker(func(user, password string) bool {
		_, ok := engine.CheckServerLogon(st, eng.Credential(), user, password)
		return ok
	})
}

// logonChecker is a backend.Checker made of a function.
type logonChecker func(user, password string) bool

func (f logonChecker) Check(user, password string) bool { return f(user, password) }

// stopBackend stops the host's channel and takes it from the cmdlets.
func (h *host) stopBackend() {
	h.backendMu.Lock()
	run := h.backend
	h.backend = nil
	h.backendMu.Unlock()
	if run == nil {
		return
	}
	h.deps.Remote, h.deps.ServerName = nil, ""
	if run.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		run.server.Close(ctx)
		cancel()
	}
	run.dialer.Close()
}

// backendLine is the startup banner's line for the channel, "" when the
// server has none: "Exchange Back End  127.0.0.12:444".
func (h *host) backendLine() string {
	h.backendMu.Lock()
	run := h.backend
	h.backendMu.Unlock()
	if run == nil || run.server == nil {
		return ""
	}
	return "Exchange Back End  " + run.server.Addr()
}
