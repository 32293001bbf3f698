package boltdb_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
	"exsh/state/statetest"
)

// A schema 1 store kept one transport service record per kind, keyed by
// the kind alone; Open keys them by the organisation's server.
func TestOpenMigratesTransportServicesPerServer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, boltdb.FileName)
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	err = setup.Run(st, setup.Options{DataPath: dir, ServerName: "EX05", Now: func() time.Time { return statetest.Epoch }, PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*state.TransportService{}
	statetest.View(t, st, func(tx state.Tx) error {
		all, err := tx.TransportServices("")
		for _, ts := range all {
			want[ts.Kind] = ts
		}
		return err
	})
	if len(want) != 3 {
		t.Fatalf("setup wrote %d transport services, want 3", len(want))
	}
	want["Hub"].MessageRetryInterval = time.Minute // a changed setting survives
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Write the records as schema 1 did: no Server, keyed by the kind.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("org.transportservices"))
		var keys [][]byte
		_ = b.ForEach(func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		for kind, ts := range want {
			raw, err := json.Marshal(ts)
			if err != nil {
				return err
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
			delete(m, "Server")
			if raw, err = json.Marshal(m); err != nil {
				return err
			}
			if err := b.Put([]byte(map[string]string{"Hub": "hub", "FrontEnd": "frontend", "Mailbox": "mailbox"}[kind]), raw); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	st = statetest.MustOpenPath(t, path, boltdb.Options{NoSync: true})
	statetest.View(t, st, func(tx state.Tx) error {
		for kind, w := range want {
			got, err := tx.TransportService("ex05", kind)
			if err != nil {
				t.Errorf("%s after migration: %v", kind, err)
				continue
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("%s after migration = %+v\nwant %+v", kind, got, w)
			}
		}
		all, err := tx.TransportServices("")
		if err != nil || len(all) != 3 {
			t.Errorf("TransportServices after migration = %d records, %v; want 3", len(all), err)
		}
		if _, err := tx.TransportService("EX01", "Hub"); err == nil {
			t.Error("a server the organisation does not have has a Transport service")
		}
		return nil
	})
	st.DB().View(func(tx *bolt.Tx) error {
		if got := binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("schema"))); got != boltdb.SchemaVersion {
			t.Errorf("schema after Open = %d, want %d", got, boltdb.SchemaVersion)
		}
		for _, old := range []string{"hub", "frontend", "mailbox"} {
			if tx.Bucket([]byte("org.transportservices")).Get([]byte(old)) != nil {
				t.Errorf("the schema 1 key %q is still there", old)
			}
		}
		return nil
	})
}
