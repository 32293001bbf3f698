package boltdb_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/statetest"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func queueCount(t *testing.T, st *boltdb.Store, n int64) int64 {
	t.Helper()
	var c int64
	err := st.QueueView(func(q state.QueueTx) error {
		r, err := q.Queue(n)
		if err != nil {
			return err
		}
		c = r.MessageCount
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestQueueCountersCopiesAndData(t *testing.T) {
	st := statetest.MustOpen(t)
	if err := st.InitQueues(t0); err != nil {
		t.Fatal(err)
	}
	m := &state.QueuedMessage{Queue: state.QueueSubmission, Status: state.MessageReady,
		Recipients: []state.QueuedRecipient{{Address: "a@contoso.com"}, {Address: "b@fabrikam.com"}}}
	if err := st.Enqueue(m, []byte("raw")); err != nil {
		t.Fatal(err)
	}
	if m.InternalId <= 1<<32 {
		t.Errorf("InternalId %d", m.InternalId)
	}
	if c := queueCount(t, st, state.QueueSubmission); c != 1 {
		t.Fatalf("count %d", c)
	}
	// Bifurcate into a new delivery queue and Unreachable, then drop the original.
	var dq *state.QueueRecord
	err := st.QueueUpdate(func(q state.QueueTx) error {
		var err error
		dq, err = q.EnsureQueue(&state.QueueRecord{DeliveryType: state.DeliveryToMailbox, NextHopDomain: "mailbox database 1", NextHopConnector: state.NewGuid()})
		if err != nil {
			return err
		}
		if dq.Number <= state.QueuePoison {
			t.Errorf("delivery queue number %d", dq.Number)
		}
		a := *m
		a.Queue, a.Recipients = dq.Number, m.Recipients[:1]
		b := *m
		b.Queue, b.Recipients = state.QueueUnreachable, m.Recipients[1:]
		if err := q.AddMessage(&a, nil); err != nil {
			return err
		}
		if err := q.AddMessage(&b, nil); err != nil {
			return err
		}
		return q.RemoveMessage(state.QueueSubmission, m.InternalId)
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := queueCount(t, st, state.QueueSubmission); c != 0 {
		t.Errorf("submission count %d", c)
	}
	st.QueueView(func(q state.QueueTx) error {
		copies, _ := q.Copies(m.InternalId)
		if len(copies) != 2 {
			t.Errorf("copies %v", copies)
		}
		if d, err := q.Data(m.InternalId); err != nil || string(d) != "raw" {
			t.Errorf("data %q %v", d, err)
		}
		return nil
	})
	// Moving Unreachable's copy back to Submission, then removing both copies, frees the data.
	err = st.QueueUpdate(func(q state.QueueTx) error {
		c, err := q.Message(state.QueueUnreachable, m.InternalId)
		if err != nil {
			return err
		}
		if err := q.MoveMessage(c, state.QueueSubmission); err != nil {
			return err
		}
		if err := q.RemoveMessage(state.QueueSubmission, m.InternalId); err != nil {
			return err
		}
		if _, err := q.Data(m.InternalId); err != nil {
			t.Errorf("data gone while a copy remains: %v", err)
		}
		return q.RemoveMessage(dq.Number, m.InternalId)
	})
	if err != nil {
		t.Fatal(err)
	}
	st.QueueView(func(q state.QueueTx) error {
		if _, err := q.Data(m.InternalId); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("data after the last copy: %v", err)
		}
		return nil
	})
	for _, n := range []int64{state.QueueSubmission, state.QueueUnreachable, dq.Number} {
		if c := queueCount(t, st, n); c != 0 {
			t.Errorf("queue %d count %d", n, c)
		}
	}
	if err := st.QueueUpdate(func(q state.QueueTx) error { return q.DeleteQueue(dq.Number) }); err != nil {
		t.Fatal(err)
	}
}

func TestMergeIntoExistingCopy(t *testing.T) {
	st := statetest.MustOpen(t)
	st.InitQueues(t0)
	m := &state.QueuedMessage{Queue: state.QueueSubmission, Recipients: []state.QueuedRecipient{{Address: "a@x"}}}
	st.Enqueue(m, []byte("raw"))
	err := st.QueueUpdate(func(q state.QueueTx) error {
		again := *m
		again.Recipients = []state.QueuedRecipient{{Address: "A@x"}, {Address: "b@x"}}
		return q.AddMessage(&again, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	st.QueueView(func(q state.QueueTx) error {
		got, _ := q.Message(state.QueueSubmission, m.InternalId)
		if len(got.Recipients) != 2 {
			t.Errorf("merged recipients %+v", got.Recipients)
		}
		return nil
	})
	if c := queueCount(t, st, state.QueueSubmission); c != 1 {
		t.Errorf("count %d after merge", c)
	}
}

func TestEnqueueFailpointAndConcurrentBatch(t *testing.T) {
	st := statetest.MustOpenPath(t, filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{})
	st.InitQueues(t0)
	boltdb.SetQueueFailpoint(func(p string) error {
		if p == "enqueue" {
			return errors.New("no space left on device")
		}
		return nil
	})
	m := &state.QueuedMessage{Queue: state.QueueSubmission}
	if err := st.Enqueue(m, []byte("x")); !errors.Is(err, state.ErrQueueFull) || m.InternalId != 0 {
		t.Errorf("Enqueue with a failing commit: %v, id %d", err, m.InternalId)
	}
	boltdb.SetQueueFailpoint(nil)
	var wg sync.WaitGroup
	ids := make([]int64, 50)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := &state.QueuedMessage{Queue: state.QueueSubmission}
			if err := st.Enqueue(m, []byte("x")); err != nil {
				t.Error(err)
			}
			ids[i] = m.InternalId
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] || id == 0 {
			t.Errorf("duplicate or zero id %d", id)
		}
		seen[id] = true
	}
	if c := queueCount(t, st, state.QueueSubmission); c != 50 {
		t.Errorf("count %d, want 50", c)
	}
}

func TestMailboxItems(t *testing.T) {
	st := statetest.MustOpen(t)
	st.InitQueues(t0)
	a, b := state.NewGuid(), state.NewGuid()
	err := st.QueueUpdate(func(q state.QueueTx) error {
		for _, mb := range []string{a, b, a} {
			if err := q.Deliver(&state.MailboxItem{Mailbox: mb, Subject: "s"}, []byte("data")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.QueueView(func(q state.QueueTx) error {
		items, _ := q.MailboxItems(a)
		if len(items) != 2 || items[0].Size != 4 {
			t.Errorf("items %+v", items)
		}
		d, err := q.MailboxItemData(a, items[1].Id)
		if err != nil || string(d) != "data" {
			t.Errorf("data %q %v", d, err)
		}
		return nil
	})
}

// EnqueueInsert keeps the inserted bytes beside the data: Data and
// DataParts give the whole message, moving the message between queues
// keeps it, and removing the last copy removes both parts.
func TestEnqueueInsert(t *testing.T) {
	st := statetest.MustOpen(t)
	if err := st.InitQueues(t0); err != nil {
		t.Fatal(err)
	}
	data := []byte("Subject: s\r\n\r\nbody\r\n")
	insert := []byte("Message-ID: <x@y>\r\n")
	m := &state.QueuedMessage{Queue: state.QueueSubmission}
	if err := st.EnqueueInsert(m, data, 12, insert); err != nil {
		t.Fatal(err)
	}
	want := "Subject: s\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n"
	check := func(when string) {
		t.Helper()
		err := st.QueueView(func(q state.QueueTx) error {
			d, err := q.Data(m.InternalId)
			if err != nil {
				return err
			}
			head, body, err := q.DataParts(m.InternalId)
			if err != nil {
				return err
			}
			if string(d) != want || string(head)+string(body) != want || string(head) != want[:31] {
				t.Errorf("%s: Data %q, DataParts %q + %q", when, d, head, body)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	check("queued")
	if err := st.QueueUpdate(func(q state.QueueTx) error {
		c, err := q.Message(state.QueueSubmission, m.InternalId)
		if err != nil {
			return err
		}
		return q.MoveMessage(c, state.QueuePoison)
	}); err != nil {
		t.Fatal(err)
	}
	check("moved")
	if err := st.QueueUpdate(func(q state.QueueTx) error {
		return q.RemoveMessage(state.QueuePoison, m.InternalId)
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.QueueView(func(q state.QueueTx) error {
		if _, _, err := q.DataParts(m.InternalId); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("after the last copy went: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st.DB().View(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte("queueDataInsert")).Stats().KeyN; n != 0 {
			t.Errorf("%d inserted parts left after the message went", n)
		}
		return nil
	})
	if err := st.EnqueueInsert(&state.QueuedMessage{Queue: state.QueueSubmission}, data, len(data)+1, insert); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("insertion beyond the data: %v", err)
	}
}

// Mailbox items delivered with DeliverShared keep only their own head and
// share the queued bytes: those outlive the queue copy while an item refers
// to them and go with the last item. A tail that is not the stored bytes'
// end is stored as a copy.
func TestDeliverShared(t *testing.T) {
	t.Run("small", testDeliverSmallCopied)
	st := statetest.MustOpen(t)
	if err := st.InitQueues(t0); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("the body\r\n", 1500) // past minSharedTail
	body := []byte("Subject: s\r\n\r\n" + text)
	m := &state.QueuedMessage{Queue: state.QueueSubmission}
	if err := st.Enqueue(m, body); err != nil {
		t.Fatal(err)
	}
	a, b := state.NewGuid(), state.NewGuid()
	err := st.QueueUpdate(func(q state.QueueTx) error {
		_, stored, err := q.DataParts(m.InternalId)
		if err != nil {
			return err
		}
		tail := stored[12:] // "\r\n" + text, in place
		for _, mb := range []string{a, b} {
			if err := q.DeliverShared(&state.MailboxItem{Mailbox: mb}, []byte("Received: x\r\nSubject: s\r\n"), m.InternalId, tail); err != nil {
				return err
			}
		}
		// Not the stored bytes: copied.
		if err := q.DeliverShared(&state.MailboxItem{Mailbox: a}, []byte("H\r\n"), m.InternalId, []byte("\r\nother\r\n")); err != nil {
			return err
		}
		return q.RemoveMessage(state.QueueSubmission, m.InternalId)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "Received: x\r\nSubject: s\r\n\r\n" + text
	read := func(mb string) ([]*state.MailboxItem, []string) {
		t.Helper()
		var items []*state.MailboxItem
		var data []string
		if err := st.QueueView(func(q state.QueueTx) error {
			var err error
			if items, err = q.MailboxItems(mb); err != nil {
				return err
			}
			for _, it := range items {
				d, err := q.MailboxItemData(mb, it.Id)
				if err != nil {
					return err
				}
				data = append(data, string(d))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return items, data
	}
	items, data := read(a)
	if len(items) != 2 || data[0] != want || items[0].Size != int64(len(want)) || data[1] != "H\r\n\r\nother\r\n" || items[1].Size != 12 {
		t.Fatalf("mailbox a: %+v %q", items, data)
	}
	storedBytes := func() bool {
		t.Helper()
		var ok bool
		st.QueueView(func(q state.QueueTx) error {
			_, _, err := q.DataParts(m.InternalId)
			ok = err == nil
			return nil
		})
		return ok
	}
	if !storedBytes() {
		t.Fatal("the queued bytes went with the queue copy while mailbox items share them")
	}
	del := func(mb string, id int64) {
		t.Helper()
		if err := st.QueueUpdate(func(q state.QueueTx) error { return q.DeleteMailboxItem(mb, id) }); err != nil {
			t.Fatal(err)
		}
	}
	del(a, items[0].Id)
	if _, data := read(b); len(data) != 1 || data[0] != want {
		t.Fatalf("mailbox b after a's item went: %q", data)
	}
	if !storedBytes() {
		t.Fatal("the queued bytes went while mailbox b still shares them")
	}
	bItems, _ := read(b)
	del(b, bItems[0].Id)
	if storedBytes() {
		t.Error("the queued bytes stayed after the last item sharing them was deleted")
	}
	if _, data := read(a); len(data) != 1 || data[0] != "H\r\n\r\nother\r\n" {
		t.Errorf("the copied item: %q", data)
	}
}

// A small message is copied into the mailbox: its queued bytes go with
// the queue copy.
func testDeliverSmallCopied(t *testing.T) {
	st := statetest.MustOpen(t)
	if err := st.InitQueues(t0); err != nil {
		t.Fatal(err)
	}
	m := &state.QueuedMessage{Queue: state.QueueSubmission}
	if err := st.Enqueue(m, []byte("Subject: s\r\n\r\nsmall\r\n")); err != nil {
		t.Fatal(err)
	}
	mb := state.NewGuid()
	err := st.QueueUpdate(func(q state.QueueTx) error {
		_, stored, err := q.DataParts(m.InternalId)
		if err != nil {
			return err
		}
		if err := q.DeliverShared(&state.MailboxItem{Mailbox: mb}, []byte("Received: x\r\nSubject: s\r\n"), m.InternalId, stored[12:]); err != nil {
			return err
		}
		return q.RemoveMessage(state.QueueSubmission, m.InternalId)
	})
	if err != nil {
		t.Fatal(err)
	}
	st.QueueView(func(q state.QueueTx) error {
		if _, _, err := q.DataParts(m.InternalId); err == nil {
			t.Error("the queued bytes of a small message stayed after its last queue copy")
		}
		items, _ := q.MailboxItems(mb)
		if len(items) != 1 {
			t.Fatalf("items %v", items)
		}
		d, err := q.MailboxItemData(mb, items[0].Id)
		if err != nil || string(d) != "Received: x\r\nSubject: s\r\n\r\nsmall\r\n" {
			t.Errorf("data %q %v", d, err)
		}
		return nil
	})
}
