package engine

import (
	"strings"

	"exsh/engine/frontend"
	"exsh/engine/replies"
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

// componentRefusal is the reply that refuses a new connection because the
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
