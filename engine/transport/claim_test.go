package transport

import (
	"fmt"
	"testing"

	"exsh/state"
)

// A runner's next batch is claimed in the transaction that processes the
// current one, and given back untouched when the runner cannot go on.
func TestNextBatchClaimedWithCurrent(t *testing.T) {
	e := newEnv(t)
	e.stopTransport()
	tr := e.newTransport() // not started: no runner takes the messages
	var ids []int64
	for i := range 5 {
		r, err := tr.Submit(testSubmission("someone@fabrikam.com", []string{"administrator@contoso.com"}, fmt.Sprint("m", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.InternalID)
	}
	status := func(id int64) (string, int) {
		var m *state.QueuedMessage
		err := e.st.QueueView(func(q state.QueueTx) error {
			var err error
			m, err = q.Message(state.QueueSubmission, id)
			return err
		})
		if err != nil {
			return "gone", 0
		}
		return m.Status, m.CrashCount
	}
	set, now := tr.settings(), e.clock.Now()
	r := &runner{number: state.QueueSubmission}
	batch, _, err := tr.claim(r.number, 2, set, now)
	if err != nil || len(batch) != 2 {
		t.Fatalf("claim: %d messages, %v", len(batch), err)
	}
	tr.categorize(batch, &nextClaim{t: tr, r: r, limit: 2, set: set, now: now})

	want := []struct {
		status string
		crash  int
	}{{"gone", 0}, {"gone", 0}, {state.MessageActive, 1}, {state.MessageActive, 1}, {state.MessageReady, 0}}
	for i, id := range ids {
		if st, crash := status(id); st != want[i].status || crash != want[i].crash {
			t.Errorf("after categorizing: message %d is %s with CrashCount %d, want %s %d", i, st, crash, want[i].status, want[i].crash)
		}
	}
	if len(r.next) != 2 || r.next[0].InternalId != ids[2] || r.next[1].InternalId != ids[3] {
		t.Fatalf("next batch %v, want messages %d and %d", r.next, ids[2], ids[3])
	}

	tr.releaseNext(r)
	if r.next != nil {
		t.Error("the runner kept its next batch")
	}
	for i, id := range ids[2:] {
		if st, crash := status(id); st != state.MessageReady || crash != 0 {
			t.Errorf("after release: message %d is %s with CrashCount %d, want Ready 0", i+2, st, crash)
		}
	}
}

// An administrator's Suspend-Message or Remove-Message on a claimed
// message takes effect when the runner gives the batch back.
func TestGiveBackSettlesPendingActions(t *testing.T) {
	e := newEnv(t)
	e.stopTransport()
	tr := e.newTransport()
	var ids []int64
	for i := range 3 {
		r, err := tr.Submit(testSubmission("someone@fabrikam.com", []string{"administrator@contoso.com"}, fmt.Sprint("m", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.InternalID)
	}
	set, now := tr.settings(), e.clock.Now()
	r := &runner{number: state.QueueSubmission}
	batch, _, err := tr.claim(r.number, 3, set, now)
	if err != nil || len(batch) != 3 {
		t.Fatalf("claim: %d messages, %v", len(batch), err)
	}
	// Pending actions as Suspend-Message and Remove-Message leave them on
	// Active messages.
	markPending(t, e, state.QueueSubmission, ids[0], ids[1])
	r.next = batch
	tr.releaseNext(r)
	err = e.st.QueueView(func(q state.QueueTx) error {
		if m, err := q.Message(state.QueueSubmission, ids[0]); err != nil || m.Status != state.MessageSuspended {
			t.Errorf("pending suspend: %+v, %v; want Suspended", m, err)
		}
		if _, err := q.Message(state.QueueSubmission, ids[1]); err == nil {
			t.Error("pending remove: the message is still queued")
		}
		if m, err := q.Message(state.QueueSubmission, ids[2]); err != nil || m.Status != state.MessageReady || m.CrashCount != 0 {
			t.Errorf("claimed: %+v, %v; want Ready with CrashCount 0", m, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
