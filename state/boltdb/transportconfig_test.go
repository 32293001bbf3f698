package boltdb_test

import (
	"errors"
	"testing"

	"exsh/state"
	"exsh/state/statetest"
)

func TestTransportConfigAndComponentStates(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	changes, cancel := st.Subscribe()
	defer cancel()
	statetest.View(t, st, func(tx state.Tx) error {
		c, err := tx.TransportConfig()
		if err != nil {
			return err
		}
		if c.MaxSendSize != 10<<20 || c.MaxRecipientEnvelopeLimit != 500 || c.WhenChanged.IsZero() {
			t.Errorf("defaults %+v", c)
		}
		states, err := tx.ServerComponentStates("EX01")
		if len(states) != 0 {
			t.Errorf("a new server has component states %v", states)
		}
		return err
	})
	statetest.Update(t, st, func(tx state.Tx) error {
		c, _ := tx.TransportConfig()
		c.MaxSendSize = state.Unlimited
		if err := tx.PutTransportConfig(c); err != nil {
			return err
		}
		for _, comp := range []string{"HubTransport", "FrontendTransport"} {
			s := &state.ServerComponentState{Server: "EX01", Component: comp, Requesters: map[string]state.ComponentRequest{"Maintenance": {State: state.ComponentDraining}}}
			if err := tx.PutServerComponentState(s); err != nil {
				return err
			}
		}
		// Another server's states are kept apart.
		return tx.PutServerComponentState(&state.ServerComponentState{Server: "EX02", Component: "HubTransport"})
	})
	statetest.View(t, st, func(tx state.Tx) error {
		c, _ := tx.TransportConfig()
		if c.MaxSendSize != state.Unlimited {
			t.Errorf("MaxSendSize %v after Put", c.MaxSendSize)
		}
		states, err := tx.ServerComponentStates("ex01")
		if len(states) != 2 || states[0].Component != "FrontendTransport" || states[1].State() != state.ComponentDraining {
			t.Errorf("states %+v", states)
		}
		return err
	})
	got := map[string]bool{}
	for i := 0; i < 4; i++ {
		ch := <-changes
		got[ch.Kind] = true
	}
	if !got[state.KindTransportConfig] || !got[state.KindComponentState] {
		t.Errorf("changes %v", got)
	}
	err := st.Update(func(tx state.Tx) error {
		return tx.PutServerComponentState(&state.ServerComponentState{Component: "HubTransport"})
	})
	if !errors.Is(err, state.ErrInvalid) {
		t.Errorf("a state without a server: %v", err)
	}
}
