package etcd_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/etcd"
	"exsh/state/etcd/etcdtest"
	"exsh/state/statetest"
	"exsh/state/storetest"
)

var prefixes atomic.Int64

// openOn opens a store on member m with its replica in a new temporary
// data path, keyed under prefix, checked and closed at cleanup.
func openOn(t testing.TB, m *etcd.Member, prefix string) *etcd.Store {
	t.Helper()
	return etcdtest.Open(t, m, t.TempDir(), etcd.Options{Prefix: prefix})
}

func newPrefix() string { return fmt.Sprintf("/test%d/", prefixes.Add(1)) }

// The etcd store passes the suite every organisation store passes. The
// tests share one member, each under its own prefix.
func TestStoreSuite(t *testing.T) {
	m := etcdtest.StartMembers(t, 1)[0]
	storetest.Run(t, func(t *testing.T) state.Store { return openOn(t, m, newPrefix()) })
}

// Two servers, each with its member and its replica: a change made on one
// is seen and published on the other; concurrent changes of one object
// made on both all land.
func TestTwoServers(t *testing.T) {
	members := etcdtest.StartMembers(t, 2)
	prefix := newPrefix()
	ex01 := openOn(t, members[0], prefix)
	statetest.SetUp(t, ex01)
	ex02 := openOn(t, members[1], prefix)
	changes, cancel := ex02.Subscribe()
	defer cancel()

	// The second server's replica holds the organisation set up on the
	// first.
	if err := ex02.View(func(tx state.Tx) error {
		_, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		return err
	}); err != nil {
		t.Fatalf("EX02 does not see EX01's setup: %v", err)
	}

	// A change on EX01 reaches EX02's subscribers and reads.
	gen := ex02.Generation()
	start := time.Now()
	err := ex01.Update(func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Fabrikam", DomainName: "fabrikam.com", DomainType: "Authoritative"})
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-changes:
		if c.Kind != state.KindAcceptedDomain || c.Op != state.OpPut {
			t.Errorf("EX02 got %v", c)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the change did not reach EX02 within 2 s")
	}
	t.Logf("a change on EX01 reached EX02's subscribers in %v", time.Since(start))
	if ex02.Generation() == gen {
		t.Error("EX02's Generation did not change")
	}
	if err := ex02.View(func(tx state.Tx) error {
		_, err := tx.AcceptedDomainByName("fabrikam.com")
		return err
	}); err != nil {
		t.Errorf("EX02 reads: %v", err)
	}

	// Both servers add values to one multivalued property at once.
	const each = 10
	var wg sync.WaitGroup
	for i, st := range []*etcd.Store{ex01, ex02} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				err := st.Update(func(tx state.Tx) error {
					rc, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
					if err != nil {
						return err
					}
					rc.RemoteIPRanges = append(rc.RemoteIPRanges, fmt.Sprintf("10.%d.%d.0/24", i, j))
					return tx.PutReceiveConnector(rc)
				})
				if err != nil {
					t.Errorf("server %d, change %d: %v", i, j, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, st := range []*etcd.Store{ex01, ex02} {
		// Each server's own last change is applied; the other's may
		// still be on its way.
		deadline := time.Now().Add(2 * time.Second)
		for {
			var missing []string
			err := st.View(func(tx state.Tx) error {
				rc, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
				if err != nil {
					return err
				}
				have := strings.Join(rc.RemoteIPRanges, ",")
				for i := range 2 {
					for j := range each {
						if r := fmt.Sprintf("10.%d.%d.0/24", i, j); !strings.Contains(have+",", r+",") {
							missing = append(missing, r)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: changes lost: %v", st.Path(), missing)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// The replica is written only through the shared store: a local write is
// refused, and a uniqueness rule holds across servers.
func TestReplicaIsReadOnlyLocally(t *testing.T) {
	m := etcdtest.StartMembers(t, 1)[0]
	prefix := newPrefix()
	st := openOn(t, m, prefix)
	statetest.SetUp(t, st)
	err := st.Local().Update(func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Local", DomainName: "local.example"})
	})
	if !errors.Is(err, state.ErrReadOnly) {
		t.Errorf("a local write to the replica: %v", err)
	}
	// A second server under the same prefix sees the first one's names.
	other := openOn(t, m, prefix)
	err = other.Update(func(tx state.Tx) error {
		return tx.PutReceiveConnector(&state.ReceiveConnector{Name: "Default Frontend EX01", Server: "EX01", Bindings: []string{"0.0.0.0:25"}, RemoteIPRanges: []string{"0.0.0.0-255.255.255.255"}, TransportRole: "FrontendTransport"})
	})
	if !errors.Is(err, state.ErrExists) {
		t.Errorf("a duplicate name through another replica: %v", err)
	}
}

// A store opened on a member whose organisation has changed since the
// replica was written starts from etcd's copy.
func TestReopenResynchronises(t *testing.T) {
	m := etcdtest.StartMembers(t, 1)[0]
	prefix := newPrefix()
	dir := t.TempDir()
	open := func() *etcd.Store {
		local, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		cli, err := m.Client()
		if err != nil {
			t.Fatal(err)
		}
		st, err := etcd.Open(local, cli, etcd.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	statetest.SetUp(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Another server deletes a connector while this one is down.
	other := openOn(t, m, prefix)
	err := other.Update(func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Client Proxy EX01")
		if err != nil {
			return err
		}
		return tx.DeleteReceiveConnector(rc.Guid)
	})
	if err != nil {
		t.Fatal(err)
	}
	st = open()
	defer st.Close()
	err = st.View(func(tx state.Tx) error {
		_, err := tx.ReceiveConnectorByName("EX01", "Client Proxy EX01")
		return err
	})
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a connector deleted while the server was down: %v", err)
	}
	if err := st.Check(); err != nil {
		t.Error(err)
	}
}

// A change larger than one etcd request may carry is refused as invalid
// and changes nothing.
func TestChangeTooLarge(t *testing.T) {
	m := etcdtest.StartMembers(t, 1)[0]
	st := openOn(t, m, newPrefix())
	big := make([]byte, 2<<20)
	err := st.Update(func(tx state.Tx) error {
		b, err := tx.Bucket("lab.big", true)
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), big)
	})
	if !errors.Is(err, state.ErrInvalid) {
		t.Fatalf("a 2 MiB change: %v", err)
	}
	if err := st.View(func(tx state.Tx) error {
		_, err := tx.Bucket("lab.big", false)
		return err
	}); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("the refused change left its bucket: %v", err)
	}
}

// Without a majority of the members a change fails within the timeout
// with state.ErrUnavailable, and the organisation can still be read.
func TestNoMajority(t *testing.T) {
	members := etcdtest.StartMembers(t, 2)
	st := etcdtest.Open(t, members[0], t.TempDir(), etcd.Options{Prefix: newPrefix(), Timeout: time.Second})
	statetest.SetUp(t, st)
	members[1].Close()
	start := time.Now()
	err := st.Update(func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Fabrikam", DomainName: "fabrikam.com", DomainType: "Authoritative"})
	})
	if !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("a change without a majority: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the change failed after %v, want about the 1 s timeout", d)
	}
	t.Logf("without a majority: %v after %v", err, time.Since(start))
	if err := st.View(func(tx state.Tx) error {
		_, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
		return err
	}); err != nil {
		t.Errorf("reading without a majority: %v", err)
	}
}

// A change whose commit gets no answer (the majority goes while it is on
// its way) reports the failure only once its attempt has lapsed: until
// then the commit could still reach the members and be made.
func TestNoAnswerWaitsForTheAttempt(t *testing.T) {
	members := etcdtest.StartMembers(t, 2)
	st := etcdtest.Open(t, members[0], t.TempDir(), etcd.Options{Prefix: newPrefix(), Timeout: time.Second})
	statetest.SetUp(t, st)
	etcd.BeforeCommit(st, members[1].Close)
	start := time.Now()
	err := st.Update(func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Fabrikam", DomainName: "fabrikam.com", DomainType: "Authoritative"})
	})
	if !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("a change whose commit got no answer: %v", err)
	}
	if d := time.Since(start); d < etcd.AttemptTTL {
		t.Errorf("the change reported its failure after %v, while its attempt (%v) could still commit", d, etcd.AttemptTTL)
	}
}

// A change that another server's changes keep overtaking is refused with
// state.ErrConflict after a bounded number of attempts: nothing of it is
// kept, and every change that overtook it is.
func TestConflictRefused(t *testing.T) {
	m := etcdtest.StartMembers(t, 1)[0]
	prefix := newPrefix()
	ex01 := openOn(t, m, prefix)
	statetest.SetUp(t, ex01)
	ex02 := openOn(t, m, prefix)
	edit := func(st state.Store, value string) error {
		return st.Update(func(tx state.Tx) error {
			rc, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
			if err != nil {
				return err
			}
			rc.RemoteIPRanges = append(rc.RemoteIPRanges, value)
			return tx.PutReceiveConnector(rc)
		})
	}
	runs := 0
	err := ex01.Update(func(tx state.Tx) error {
		runs++
		rc, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
		if err != nil {
			return err
		}
		// Another server changes the connector after this change read it.
		if err := edit(ex02, fmt.Sprintf("10.2.%d.0/24", runs)); err != nil {
			return err
		}
		rc.RemoteIPRanges = append(rc.RemoteIPRanges, "10.1.0.0/24")
		return tx.PutReceiveConnector(rc)
	})
	if !errors.Is(err, state.ErrConflict) {
		t.Fatalf("an always overtaken change: %v", err)
	}
	if runs < 2 {
		t.Errorf("the change ran %d times", runs)
	}
	view := func(st *etcd.Store) []string {
		var ranges []string
		if err := st.View(func(tx state.Tx) error {
			rc, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
			if err == nil {
				ranges = rc.RemoteIPRanges
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ranges
	}
	got := strings.Join(view(ex01), ",")
	if strings.Contains(got, "10.1.0.0/24") {
		t.Errorf("the refused change was kept: %s", got)
	}
	for i := 1; i <= runs; i++ {
		if r := fmt.Sprintf("10.2.%d.0/24", i); !strings.Contains(got+",", r+",") {
			t.Errorf("the overtaking change adding %s is missing: %s", r, got)
		}
	}
}
