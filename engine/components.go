package engine

import (
	"strings"

	"exsh/engine/frontend"
	"exsh/engine/replies"
	"exsh/engine/smtpd"
	"exsh/state"
)

// loadComponentStates reads the server's component states
// (Set-ServerComponentState) for serve to check.
func (s *Service) loadComponentStates(org *frontend.Org) {
	var states []*state.ServerComponentState
	err := s.st.View(func(tx state.Tx) error {
		var err error
		states, err = tx.ServerComponentStates(org.Server.Name)
		return err
	})
	if err != nil {
		s.log.Error("reading the server component states", "err", err)
		return
	}
	s.components.Store(&states)
}

// componentRefusal is the reply that refuses a new message because the
// component serving its role is not Active: HubTransport for the
// Transport service's connectors, FrontendTransport for the Front End's
// (and ServerWideOffline for both). A Draining hub takes no new mail but
// delivers what it has queued; the queues run on regardless.
func (s *Service) componentRefusal(role string) (replies.Reply, bool) {
	p := s.components.Load()
	if p == nil {
		return replies.Reply{}, true
	}
	component := "FrontendTransport"
	if strings.EqualFold(role, frontend.RoleHub) {
		component = "HubTransport"
	}
	if state.EffectiveComponentState(*p, component) != state.ComponentActive {
		return replies.ServiceUnavailable, false
	}
	return replies.Reply{}, true
}

// componentGate is a session's policy with the server's component states
// in front: as on Exchange, a client still gets the banner, EHLO and AUTH
// of a connector whose component is Draining or Inactive, and MAIL FROM
// is answered "421 4.3.2 Service not available", which ends the session.
// Other methods, and the optional interfaces of *frontend.Receive, are
// the policy's own.
type componentGate struct {
	*frontend.Receive
	s    *Service
	role string
}

// Mail implements smtpd.Handler.
func (g componentGate) Mail(st *smtpd.State, from string, p smtpd.MailParams) error {
	if refusal, ok := g.s.componentRefusal(g.role); !ok {
		return refusal
	}
	return g.Receive.Mail(st, from, p)
}
