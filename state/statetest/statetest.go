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
	err := setup.Run(st, setup.Options{
		DataPath:     filepath.Dir(st.Path()),
		Now:          func() time.Time { return Epoch },
		PasswordCost: bcrypt.MinCost,
	})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	return st
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
