package boltdb_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
	"exsh/state/storetest"
)

// Check finds each kind of damage a bug or a hand edit could leave.
func TestCheckFindsDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   string
	}{
		{"stale address index entry", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("org.idx.recipient.address")).Put([]byte("ghost@contoso.com"), []byte(state.NewGuid()))
		}, "stale key"},
		{"missing address index entry", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("org.idx.recipient.address")).Delete([]byte("administrator@contoso.com"))
		}, "lacks key"},
		{"undecodable connector", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("org.receiveconnectors"))
			k, _ := b.Cursor().First()
			return b.Put(k, []byte("{not json"))
		}, "cannot decode"},
		{"connector missing from the order index", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("org.idx.receiveconnector.order"))
			k, _ := b.Cursor().First()
			return b.Delete(k)
		}, "creation-order"},
		{"index entry owned by the wrong record", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("org.idx.receiveconnector.name"))
			k, _ := b.Cursor().First()
			return b.Put(k, []byte(state.NewGuid()))
		}, "want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := boltdb.Open(filepath.Join(t.TempDir(), "exsh.db"), boltdb.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := setup.Run(st, setup.Options{DataPath: t.TempDir(), PasswordCost: 4}); err != nil {
				t.Fatal(err)
			}
			if err := st.Check(); err != nil {
				t.Fatalf("before damage: %v", err)
			}
			if err := st.DB().Update(tt.damage); err != nil {
				t.Fatal(err)
			}
			err = st.Check()
			if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check = %v, want ErrCorrupt mentioning %q", err, tt.want)
			}
		})
	}
}

// A wrapped bbolt transaction is a state.Tx, and its changes are
// published when that transaction commits.
func TestWrappedTx(t *testing.T) {
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "exsh.db"), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	changes, cancel := st.Subscribe()
	defer cancel()
	err = st.Batch(func(btx *bolt.Tx) error {
		if _, err := btx.CreateBucketIfNotExists([]byte("queue.test")); err != nil {
			return err
		}
		return st.Tx(btx).PutReceiveConnector(storetest.NewConnector("EX01", "From batch"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := <-changes; c.Kind != state.KindReceiveConnector || c.Op != state.OpPut {
		t.Errorf("change %v", c)
	}
	if err := st.Check(); err != nil {
		t.Error(err)
	}
}
