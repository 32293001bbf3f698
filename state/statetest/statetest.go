package statetest

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// Epoch is the fixed clock MustOpenSetUp gives setup, so records have
// stable WhenCreated values.
var Epoch = time.Date(2026, 1, 12, 9, 30, 0, 0, time.UTC)

// MustOpen opens a new, empty store in a temporary data path. At cleanup it
// runs the store's consistency check (bbolt pages, record decoding, every
// index against its records) and closes it; an inconsistency fails the
// test. Stores are opened with NoSync: tests don't need durability against
// power loss.
func MustOpen(t testing.TB) *boltdb.Store {
	t.Helper()
	return MustOpenPath(t, filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{NoSync: true})
}

// MustOpenPath opens the store file at path with opts and registers the
// same cleanup as MustOpen.
func MustOpenPath(t testing.TB, path string, opts boltdb.Options) *boltdb.Store {
	t.Helper()
	st, err := boltdb.Open(path, opts)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Check(); err != nil && !errors.Is(err, state.ErrClosed) { // closed by the test
			t.Errorf("store %s is inconsistent at cleanup:\n%v", st.Path(), err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return st
}

// MustOpenSetUp is MustOpen followed by setup.Run with the default server
// (EX01, contoso.com) and the Epoch clock, with the data path the store's
// directory. Password hashing uses the lowest bcrypt cost to keep tests
// fast.
func MustOpenSetUp(t testing.TB) *boltdb.Store {
	t.Helper()
	st := MustOpen(t)
	SetUp(t, st)
	return st
}

// SetUp runs setup.Run on any store with the default server (EX01,
// contoso.com), the Epoch clock, the store's directory as data path and
// the lowest bcrypt cost, and fails the test on error.
func SetUp(t testing.TB, st state.Store) {
	t.Helper()
	err := setup.Run(st, setup.Options{
		DataPath:     filepath.Dir(st.Path()),
		Now:          func() time.Time { return Epoch },
		PasswordCost: bcrypt.MinCost,
	})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
}

// NewConnector is an enabled anonymous Frontend Transport receive
// connector on server, not yet stored.
func NewConnector(server, name string) *state.ReceiveConnector {
	return &state.ReceiveConnector{
		Name:             name,
		Server:           server,
		Enabled:          true,
		Bindings:         []string{"0.0.0.0:25"},
		RemoteIPRanges:   []string{"10.0.0.0/8"},
		PermissionGroups: state.Flags{"AnonymousUsers"},
		AuthMechanism:    state.Flags{"Tls"},
		TransportRole:    "FrontendTransport",
	}
}

// NewMailbox is a contoso.com user mailbox with alias, not yet stored;
// extra are further proxy addresses.
func NewMailbox(name, alias string, extra ...string) *state.Recipient {
	primary := alias + "@contoso.com"
	return &state.Recipient{
		Name:               name,
		Alias:              alias,
		UserPrincipalName:  alias + "@contoso.com",
		SamAccountName:     alias,
		PrimarySmtpAddress: primary,
		EmailAddresses:     append([]string{"SMTP:" + primary}, extra...),
		RecipientType:      "UserMailbox",
	}
}

// View runs fn in a read transaction and fails the test on error.
func View(t testing.TB, st state.Store, fn func(tx state.Tx) error) {
	t.Helper()
	if err := st.View(fn); err != nil {
		t.Fatal(err)
	}
}

// Update runs fn in a write transaction and fails the test on error.
func Update(t testing.TB, st state.Store, fn func(tx state.Tx) error) {
	t.Helper()
	if err := st.Update(fn); err != nil {
		t.Fatal(err)
	}
}
