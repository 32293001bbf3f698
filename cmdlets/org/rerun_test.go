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
