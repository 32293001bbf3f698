package statetest_test

import (
	"errors"
	"testing"

	"exsh/state"
	"exsh/state/statetest"
)

func TestMustOpen(t *testing.T) {
	st := statetest.MustOpen(t)
	var err error
	statetest.View(t, st, func(tx state.Tx) error {
		_, err = tx.Org()
		return nil
	})
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a new store has an organisation: %v", err)
	}
}

func TestMustOpenSetUp(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	statetest.View(t, st, func(tx state.Tx) error {
		rcs, err := tx.ReceiveConnectors()
		if err != nil {
			return err
		}
		if len(rcs) != 5 || !rcs[0].WhenCreated.Equal(statetest.Epoch) {
			t.Errorf("%d connectors, first created %v", len(rcs), rcs[0].WhenCreated)
		}
		admin, err := tx.RecipientByLogin("Administrator")
		if err != nil {
			return err
		}
		if !state.CheckPassword(admin.PasswordHash, "P@ssw0rd") {
			t.Error("the lab password does not match")
		}
		return nil
	})
}
