package boltdb_test

import (
	"errors"
	"testing"
	"time"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/statetest"
)

// A rehearsal returns what a change reads and writes and keeps nothing;
// applying its writes makes the change, published as a commit would be.
func TestRehearseAndApply(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	changes, cancel := st.Subscribe()
	defer cancel()
	domain := &state.AcceptedDomain{Name: "Fabrikam", DomainName: "fabrikam.com", DomainType: "Authoritative"}
	r, err := st.Rehearse(func(tx state.Tx) error { return tx.PutAcceptedDomain(domain) })
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]int{}
	for _, op := range r.Ops {
		written[op.Bucket]++
	}
	if written["org.accepteddomains"] != 1 || written["org.idx.accepteddomain.name"] != 1 || written["org.idx.accepteddomain.domain"] != 1 {
		t.Errorf("writes by bucket %v", written)
	}
	var readIndex bool
	for _, rd := range r.Reads {
		if rd.Bucket == "org.idx.accepteddomain.domain" && string(rd.Key) == "fabrikam.com" && !rd.Found && !rd.Scan {
			readIndex = true
		}
	}
	if !readIndex {
		t.Errorf("the uniqueness check of the domain name is not among the reads %+v", r.Reads)
	}
	if len(r.Changes) != 1 || r.Changes[0].Kind != state.KindAcceptedDomain || r.Changes[0].Guid != domain.Guid {
		t.Errorf("changes %v", r.Changes)
	}
	lookup := func() error {
		return st.View(func(tx state.Tx) error {
			_, err := tx.AcceptedDomainByName("fabrikam.com")
			return err
		})
	}
	if err := lookup(); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a rehearsed change was kept: %v", err)
	}
	select {
	case c := <-changes:
		t.Fatalf("a rehearsal published %v", c)
	case <-time.After(20 * time.Millisecond):
	}

	gen := st.Generation()
	if err := st.ApplyReplicated(42, false, r.Ops, r.Changes); err != nil {
		t.Fatal(err)
	}
	if err := lookup(); err != nil {
		t.Errorf("after ApplyReplicated: %v", err)
	}
	if c := <-changes; c != r.Changes[0] {
		t.Errorf("published %v", c)
	}
	if st.Generation() == gen {
		t.Error("Generation did not change")
	}
	if rev, err := st.ReplicatedRevision(); err != nil || rev != 42 {
		t.Errorf("ReplicatedRevision = %d, %v", rev, err)
	}
	if err := st.Check(); err != nil {
		t.Error(err)
	}
}

// A replica is changed only by ApplyReplicated: local changes are
// refused, rehearsals still run, and the transport engine's buckets are
// never written by a replicated change.
func TestReplicatedStore(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	st.SetReplicated(true)
	put := func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Fabrikam", DomainName: "fabrikam.com", DomainType: "Authoritative"})
	}
	if err := st.Update(put); !errors.Is(err, state.ErrReadOnly) {
		t.Errorf("Update of a replica: %v", err)
	}
	err := st.QueueUpdate(func(q state.QueueTx) error { return put(q.Org()) })
	if !errors.Is(err, state.ErrReadOnly) {
		t.Errorf("a change of a replica through a queue transaction: %v", err)
	}
	if _, err := st.Rehearse(put); err != nil {
		t.Errorf("Rehearse on a replica: %v", err)
	}
	_, err = st.Rehearse(func(tx state.Tx) error {
		_, err := tx.Bucket("queue.mine", true)
		return err
	})
	if !errors.Is(err, state.ErrInvalid) {
		t.Errorf("a replicated change of an engine bucket: %v", err)
	}
	for _, bucket := range []string{"queues", "mailboxItems", "meta"} {
		err := st.ApplyReplicated(1, false, []boltdb.Op{{Kind: boltdb.OpPut, Bucket: bucket, Key: []byte("k"), Value: []byte("v")}}, nil)
		if !errors.Is(err, state.ErrInvalid) {
			t.Errorf("ApplyReplicated to %s: %v", bucket, err)
		}
	}
}
