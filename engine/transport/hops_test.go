package transport

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"exsh/state"
)

// failingViews is a store whose organisation reads fail while fail is
// set; bump makes its generation change as a configuration change does.
type failingViews struct {
	state.ServerStore
	fail atomic.Bool
	gen  atomic.Uint64
}

func (s *failingViews) View(fn func(tx state.Tx) error) error {
	if s.fail.Load() {
		return errors.New("the organisation cannot be read")
	}
	return s.ServerStore.View(fn)
}

func (s *failingViews) Generation() uint64 { return s.ServerStore.Generation() + s.gen.Load() }

// A failed read of the organisation's servers keeps the last table: a
// database of another server is never taken for one of this server's
// while the store cannot be read.
func TestHopsKeptWhenReadFails(t *testing.T) {
	e := newEnv(t)
	const guid = "0f6e1e34-5f35-4f2c-9d7f-3b8f2a1c7d01"
	if err := e.st.Update(func(tx state.Tx) error {
		return tx.PutMailboxDatabase(&state.MailboxDatabase{Name: "Mailbox Database 0123456789", Server: "EX02", Guid: guid})
	}); err != nil {
		t.Fatal(err)
	}
	st := &failingViews{ServerStore: e.st}
	tr, err := New(st, Config{ServerName: "EX01", DataPath: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.databaseServer(guid); got != "EX02" {
		t.Fatalf("the database's server: %q, want EX02", got)
	}
	st.fail.Store(true)
	st.gen.Add(1)
	if got := tr.databaseServer(guid); got != "EX02" {
		t.Errorf("while the store cannot be read: %q, want EX02 still", got)
	}
	st.fail.Store(false)
	if got := tr.databaseServer(guid); got != "EX02" {
		t.Errorf("once the store is read again: %q, want EX02", got)
	}
}

// A SmtpRelayToServers queue goes to the servers its NextHopDomain
// lists, by name; one that lists none still goes to servers (none, so it
// waits), never through the send connectors.
func TestRedirectTargets(t *testing.T) {
	for _, tc := range []struct {
		domain string
		want   []string
	}{
		{"EX02.contoso.com,EX03.contoso.com", []string{"EX02", "EX03"}},
		{" EX02.contoso.com , ", []string{"EX02"}},
		{"", []string{}},
	} {
		got := redirectTargets(&state.QueueRecord{DeliveryType: state.DeliveryRelayToServers, NextHopDomain: tc.domain})
		if got == nil || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("redirectTargets(%q) = %#v, want %#v", tc.domain, got, tc.want)
		}
	}
}
