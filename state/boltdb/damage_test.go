package boltdb_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// newLab makes a set-up data path with a few queued messages and a
// mailbox item, closes it and returns the store file's bytes.
func newLab(t *testing.T) []byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lab")
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.Run(st, setup.Options{PasswordCost: 4}); err != nil {
		t.Fatal(err)
	}
	if err := st.InitQueues(t0); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		m := &state.QueuedMessage{Queue: state.QueueSubmission, Subject: fmt.Sprint("message ", i)}
		if err := st.Enqueue(m, bytes.Repeat([]byte("x"), 3000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.QueueUpdate(func(q state.QueueTx) error {
		return q.Deliver(&state.MailboxItem{Mailbox: "00000000-0000-0000-0000-000000000001"}, []byte("Subject: hi\r\n\r\nhi\r\n"))
	}); err != nil {
		t.Fatal(err)
	}
	var used int64
	st.DB().View(func(tx *bolt.Tx) error {
		used = tx.Size()
		return nil
	})
	st.Close()
	raw, err := os.ReadFile(filepath.Join(dir, boltdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return raw[:used] // the rest is preallocated and unused
}

// useStore runs every kind of transaction on st and returns their errors.
func useStore(st *boltdb.Store) []error {
	var errs []error
	add := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	add("View", st.View(func(tx state.Tx) error {
		if _, err := tx.Org(); err != nil {
			return err
		}
		if _, err := tx.Recipients(); err != nil {
			return err
		}
		if _, err := tx.ReceiveConnectors(); err != nil {
			return err
		}
		_, err := tx.AcceptedDomains()
		return err
	}))
	add("QueueView", st.QueueView(func(q state.QueueTx) error {
		qs, err := q.Queues()
		if err != nil {
			return err
		}
		for _, qr := range qs {
			if err := q.ForEachMessage(qr.Number, 0, func(m *state.QueuedMessage) error {
				_, err := q.Data(m.InternalId)
				return err
			}); err != nil {
				return err
			}
		}
		_, err = q.MailboxItems("00000000-0000-0000-0000-000000000001")
		return err
	}))
	add("Update", st.Update(func(tx state.Tx) error {
		rc := &state.ReceiveConnector{Name: "Damage Test", Server: "EX01"}
		return tx.PutReceiveConnector(rc)
	}))
	add("QueueUpdate", st.QueueUpdate(func(q state.QueueTx) error {
		return q.ForEachMessage(state.QueueSubmission, 0, func(m *state.QueuedMessage) error {
			return q.RemoveMessage(m.Queue, m.InternalId)
		})
	}))
	add("Enqueue", st.Enqueue(&state.QueuedMessage{Queue: state.QueueSubmission}, []byte("Subject: x\r\n\r\nx\r\n")))
	add("Batch", st.Batch(func(tx *bolt.Tx) error {
		return tx.ForEach(func([]byte, *bolt.Bucket) error { return nil })
	}))
	add("Check", st.Check())
	return errs
}

// A page of the file overwritten with random bytes: Open, View, Update,
// QueueView, QueueUpdate, Batch (Enqueue) and Check return errors (those
// about the damage wrap state.ErrCorrupt and name the file); nothing
// panics.
func TestDamagedPages(t *testing.T) {
	orig := newLab(t)
	const page = 4096
	pages := len(orig) / page
	rng := rand.New(rand.NewPCG(3, 4))
	damageSeen := false
	for p := 2; p < pages; p++ {
		t.Run(fmt.Sprint("page ", p), func(t *testing.T) {
			data := bytes.Clone(orig)
			for i := p * page; i < (p+1)*page; i++ {
				data[i] = byte(rng.UintN(256))
			}
			path := filepath.Join(t.TempDir(), boltdb.FileName)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
			if err != nil {
				if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), path) {
					t.Errorf("Open: %v, want state.ErrCorrupt naming the file", err)
				}
				return
			}
			defer st.Close()
			for _, err := range useStore(st) {
				if strings.Contains(err.Error(), "is damaged") {
					damageSeen = true
					if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), path) {
						t.Errorf("%v: does not wrap state.ErrCorrupt or name the file", err)
					}
				}
			}
		})
	}
	if !damageSeen {
		t.Error("no transaction reported a damaged page: the test damages nothing bbolt reads")
	}
}

// The case from the field: bytes 8192-12287 (page 2) of a set-up data
// path's store overwritten.
func TestDamagedPageTwo(t *testing.T) {
	orig := newLab(t)
	data := bytes.Clone(orig)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 8192; i < 12288; i++ {
		data[i] = byte(rng.UintN(256))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, boltdb.FileName)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{NoSync: true})
	if err != nil {
		if !errors.Is(err, state.ErrCorrupt) {
			t.Fatalf("Open: %v, want state.ErrCorrupt", err)
		}
		return
	}
	defer st.Close()
	errs := useStore(st)
	if len(errs) == 0 {
		t.Fatal("a damaged store worked without an error")
	}
	for _, err := range errs {
		t.Log(err)
	}
}

// A panic in the caller's own function is a bug, not damage: it is not
// turned into state.ErrCorrupt, and the store stays usable.
func TestCallerPanicIsNotDamage(t *testing.T) {
	st, err := boltdb.Open(filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.InitQueues(t0); err != nil {
		t.Fatal(err)
	}
	for name, run := range map[string]func() error{
		"View":        func() error { return st.View(func(state.Tx) error { panic("caller bug") }) },
		"Update":      func() error { return st.Update(func(state.Tx) error { panic("caller bug") }) },
		"QueueView":   func() error { return st.QueueView(func(state.QueueTx) error { panic("caller bug") }) },
		"QueueUpdate": func() error { return st.QueueUpdate(func(state.QueueTx) error { panic("caller bug") }) },
		"Batch":       func() error { return st.Batch(func(*bolt.Tx) error { panic("caller bug") }) },
		"index out of range": func() error {
			return st.View(func(state.Tx) error {
				xs := []int{}
				i := len(xs)
				_ = xs[i]
				return nil
			})
		},
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			p := func() (p any) {
				defer func() { p = recover() }()
				err = run()
				return nil
			}()
			if p == nil {
				t.Fatalf("the panic was swallowed; error %v", err)
			}
		})
	}
	if err := st.Update(func(tx state.Tx) error {
		return tx.PutReceiveConnector(&state.ReceiveConnector{Name: "After", Server: "EX01"})
	}); err != nil {
		t.Fatalf("the store is unusable after a caller's panic: %v", err)
	}
	if err := st.Enqueue(&state.QueuedMessage{Queue: state.QueueSubmission}, []byte("x")); err != nil {
		t.Fatal(err)
	}
}

// A zero-length store file: new when it is alone in its data path; beside
// other lab data, or opened read-only, state.ErrCorrupt saying why.
func TestOpenZeroLengthFile(t *testing.T) {
	alone := t.TempDir()
	os.WriteFile(filepath.Join(alone, boltdb.FileName), nil, 0o600)
	st, err := boltdb.OpenDataPath(alone, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatalf("a zero-length store alone in its data path: %v", err)
	}
	if err := st.Check(); err != nil {
		t.Error(err)
	}
	st.Close()

	lab := t.TempDir()
	os.WriteFile(filepath.Join(lab, boltdb.FileName), nil, 0o600)
	os.MkdirAll(filepath.Join(lab, "TransportRoles", "Logs"), 0o700)
	os.WriteFile(filepath.Join(lab, "history"), []byte("Get-Mailbox\n"), 0o600)
	for _, ro := range []bool{false, true} {
		_, err := boltdb.OpenDataPath(lab, boltdb.Options{NoSync: true, ReadOnly: ro})
		if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), "empty") || !strings.Contains(err.Error(), "TransportRoles") {
			t.Errorf("ReadOnly=%v: zero-length store beside lab data: %v, want state.ErrCorrupt naming the other data", ro, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(lab, boltdb.FileName)); err != nil || fi.Size() != 0 {
		t.Errorf("the refused file was changed: %v %v", fi, err)
	}

	_, err = boltdb.OpenDataPath(alone+"-ro", boltdb.Options{ReadOnly: true})
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("read-only, missing: %v", err)
	}
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, boltdb.FileName), nil, 0o600)
	if _, err := boltdb.OpenDataPath(empty, boltdb.Options{ReadOnly: true}); !errors.Is(err, state.ErrCorrupt) {
		t.Errorf("read-only, zero-length and alone: %v, want state.ErrCorrupt", err)
	}
}

// A zero-length store beside lab data that another process holds (it is
// creating the store): Open waits for the lock instead of calling the
// file damaged, and reports state.ErrLocked when it is not released.
func TestOpenZeroLengthFileLocked(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("no flock(1)")
	}
	lab := t.TempDir()
	path := filepath.Join(lab, boltdb.FileName)
	os.WriteFile(path, nil, 0o600)
	os.WriteFile(filepath.Join(lab, "history"), nil, 0o600)
	holder := exec.Command("flock", "-x", path, "sleep", "5")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		// Wait until the holder has the lock.
		f, _ := os.Open(path)
		_, err := boltdb.OpenDataPath(lab, boltdb.Options{Timeout: 200 * time.Millisecond})
		f.Close()
		if errors.Is(err, state.ErrLocked) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Open while another process holds the empty file: %v, want state.ErrLocked", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
