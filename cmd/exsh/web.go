package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"strconv"

	"exsh/eac"
	"exsh/engine"
	"exsh/shell/interp"
)

// eacPort is the Exchange admin center's HTTPS port before -PortOffset.
const eacPort = 443

// startEAC serves the Exchange admin center for the data path this process
// owns (SPEC section 7): https://<server>/ecp/ on 443 plus the port
// offset, loopback only unless -ListenAll, with the organisation's
// certificate. The mail flow map counts the engine's SMTP sessions. It
// returns nil (after a warning) when the EAC cannot start: the shell and
// the engine work without it.
func (h *host) startEAC() *eac.Server {
	st := h.store()
	if st == nil || h.opts.noWeb {
		return nil
	}
	srv, err := eac.New(eac.Config{
		NewSession: func(stdout, stderr io.Writer) *interp.Session {
			return h.newSession(stdout, stderr, 120, nil)
		},
		// The store the cmdlets see: a lab's while one runs.
		Store: h.deps.Store,
		// Signing in during a lab checks the lab organisation's accounts
		// (its Administrator has the default password); such a session
		// ends with the lab.
		InLab:    h.inLab,
		ErrorLog: log.New(io.Discard, "", 0),
	})
	if err == nil {
		host := "127.0.0.1"
		if h.org != nil {
			// Every listener of a server in an organisation binds its
			// address.
			host = h.org.ip.String()
		}
		if h.opts.listenAll {
			host = "0.0.0.0"
		}
		err = srv.Listen(net.JoinHostPort(host, strconv.Itoa(h.portMap(eacPort))))
	}
	if err != nil {
		fmt.Fprintf(h.warn, "WARNING: the Exchange admin center did not start: %v\n", err)
		return nil
	}
	if eng := h.engine(); eng != nil {
		h.hookEAC(srv, eng)
	}
	return srv
}

// hookEAC gives the EAC's mail flow map the engine's session ends; an
// engine started later (a lab's) is hooked in turn.
func (h *host) hookEAC(srv *eac.Server, eng *engine.Service) {
	eng.OnSessionEnd(func(e engine.SessionEnd) {
		srv.SessionEnded(eac.SessionEvent{Time: e.Time, Connector: e.Connector, Identity: e.Identity, Remote: e.Remote, Accepted: e.Accepted, Refusal: e.Refusal})
	})
}

// eacLine is the startup line that says where the EAC is.
func (h *host) eacLine(srv *eac.Server) string {
	if h.opts.listenAll {
		return "EAC  " + srv.URL() + " (listening on all addresses)"
	}
	return "EAC  " + srv.URL()
}
