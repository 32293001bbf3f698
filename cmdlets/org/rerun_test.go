package org

import (
	"errors"
	"testing"

	"exsh/state"
)

// rerunStore runs every Update's fn twice, as a store shared by several
// servers does when another server's change overtook the first run: the
// first run is rolled back, between runs between is called (another
// server's change), and the second run is the one committed.
type rerunStore struct {
	state.Store
	between func()
}

var errRolledBack = errors.New("rolled back")

func (s *rerunStore) Update(fn func(tx state.Tx) error) error {
	err := s.Store.Update(func(tx state.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRolledBack
	})
	if !errors.Is(err, errRolledBack) {
		return err
	}
	if s.between != nil {
		s.between()
	}
	return s.Store.Update(fn)
}

// TestUpdateRerunKeepsNothing checks that a cmdlet whose transaction is
// run again writes what the run that was committed did, and nothing of
// the run before it.
func TestUpdateRerunKeepsNothing(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	l.ok("New-Mailbox", "Name", "Bob Smith", "Alias", "bob", "Password", secure("P@ssw0rd1"))
	l.ok("New-Mailbox", "Name", "Alice Jones", "Alias", "alice", "Password", secure("P@ssw0rd1"))
	rerun := &rerunStore{Store: l.store}
	l.deps.Store = rerun

	r := l.ok("Add-ADPermission", "Identity", "Relay", "User", `NT AUTHORITY\ANONYMOUS LOGON`,
		"ExtendedRights", list("ms-Exch-SMTP-Accept-Any-Recipient", "ms-Exch-Bypass-Anti-Spam"))
	if len(r.objs) != 2 {
		t.Errorf("Add-ADPermission of two rights wrote %d entries, want 2", len(r.objs))
	}

	// Another server grants the same permission between the runs: the
	// committed run finds it there and only warns.
	other := l.store
	rerun.between = func() {
		l.deps.Store = other
		l.ok("Add-MailboxPermission", "Identity", "bob", "User", "alice", "AccessRights", list("FullAccess"))
		l.deps.Store = rerun
	}
	r = l.run("Add-MailboxPermission", "Identity", "bob", "User", "alice", "AccessRights", list("FullAccess"))
	if len(r.objs) != 0 || len(r.warns) != 1 || r.errText() != "" {
		t.Errorf("Add-MailboxPermission overtaken by the same grant: %d objects, warnings %q, error %q; want no object and one warning",
			len(r.objs), r.warns, r.errText())
	}
}

// TestUpdateRerunAsksOnce checks that a confirmation asked inside a
// transaction the store runs again is answered once: the run that is
// committed takes the admin's answer to the first.
func TestUpdateRerunAsksOnce(t *testing.T) {
	tests := []struct {
		name  string
		setup func(l *lab)
		cmd   []any
		want  string // the one question asked
		check func(l *lab) bool
	}{
		{"Set-ReceiveConnector", newRelayResult, []any{"Set-ReceiveConnector", "Identity", "Relay", "Banner", "220 Relay here"},
			`Configuring Receive connector|EX01\Relay`,
			func(l *lab) bool {
				rc, err := getReceiveConnector(l, "Relay")
				return err == nil && rc.Banner == "220 Relay here"
			}},
		{"Remove-ReceiveConnector", newRelayResult, []any{"Remove-ReceiveConnector", "Identity", "Relay"},
			`Removing Receive connector|EX01\Relay`,
			func(l *lab) bool {
				_, err := getReceiveConnector(l, "Relay")
				return errors.Is(err, state.ErrNotFound)
			}},
		{"New-AcceptedDomain", func(*lab) {}, []any{"New-AcceptedDomain", "Name", "Fabrikam", "DomainName", "fabrikam.com"},
			`Creating accepted domain|Fabrikam`,
			func(l *lab) bool {
				return l.store.View(func(tx state.Tx) error {
					_, err := tx.AcceptedDomainByName("fabrikam.com")
					return err
				}) == nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			tt.setup(l)
			reruns := 0
			rerun := &rerunStore{Store: l.store, between: func() { reruns++ }}
			l.deps.Store = rerun
			rt := &fakeRuntime{vars: map[string]any{}}
			r := l.runWith(rt, tt.cmd[0].(string), tt.cmd[1:]...)
			if r.errText() != "" {
				t.Fatal(r.errText())
			}
			if reruns != 1 {
				t.Fatalf("the transaction ran again %d times, want once", reruns)
			}
			if len(rt.asked) != 1 || rt.asked[0] != tt.want {
				t.Errorf("asked %q, want once %q", rt.asked, tt.want)
			}
			if !tt.check(l) {
				t.Error("the change was not made")
			}
		})
	}
}

func newRelayResult(l *lab) { newRelay(l) }

func getReceiveConnector(l *lab, name string) (*state.ReceiveConnector, error) {
	var rc *state.ReceiveConnector
	err := l.store.View(func(tx state.Tx) error {
		var err error
		rc, err = tx.ReceiveConnectorByName("EX01", name)
		return err
	})
	return rc, err
}
