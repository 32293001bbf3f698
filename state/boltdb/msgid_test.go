package boltdb_test

import (
	"strings"
	"testing"

	"exsh/state"
	"exsh/state/statetest"
)

// A mailbox's items are found by their Message-ID while they are held:
// per mailbox, the latest item with the ID, long IDs too; an item's
// removal takes its ID out of the index unless a later item has it.
func TestMailboxMessageId(t *testing.T) {
	st := statetest.MustOpen(t)
	// A store whose mailbox index does not exist yet finds nothing.
	if err := st.QueueView(func(q state.QueueTx) error {
		_, ok, err := q.MailboxMessageId(state.NewGuid(), "<x@fabrikam.com>")
		if ok || err != nil {
			t.Errorf("before InitQueues: %v %v", ok, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.InitQueues(t0); err != nil {
		t.Fatal(err)
	}
	a, b := state.NewGuid(), state.NewGuid()
	long := "<" + strings.Repeat("x", 600) + "@fabrikam.com>"
	long2 := "<" + strings.Repeat("x", 600) + "@fabrikam.net>"
	ids := map[string]int64{}
	deliver := func(name, mb, msgId string) {
		t.Helper()
		it := &state.MailboxItem{Mailbox: mb, MessageId: msgId}
		if err := st.QueueUpdate(func(q state.QueueTx) error { return q.Deliver(it, []byte("data")) }); err != nil {
			t.Fatal(err)
		}
		ids[name] = it.Id
	}
	del := func(name, mb string) {
		t.Helper()
		if err := st.QueueUpdate(func(q state.QueueTx) error { return q.DeleteMailboxItem(mb, ids[name]) }); err != nil {
			t.Fatal(err)
		}
	}
	type find struct {
		mb, msgId string
		want      string // the item's name; "" for none
	}
	check := func(step string, finds []find) {
		t.Helper()
		st.QueueView(func(q state.QueueTx) error {
			for _, f := range finds {
				id, ok, err := q.MailboxMessageId(f.mb, f.msgId)
				switch {
				case err != nil:
					t.Errorf("%s: %q: %v", step, f.msgId, err)
				case f.want == "" && ok:
					t.Errorf("%s: %.20q found item %d; want none", step, f.msgId, id)
				case f.want != "" && (!ok || id != ids[f.want]):
					t.Errorf("%s: %.20q: got %d %v; want %s (%d)", step, f.msgId, id, ok, f.want, ids[f.want])
				}
			}
			return nil
		})
	}
	deliver("ax", a, "<x@fabrikam.com>")
	deliver("bx", b, "<x@fabrikam.com>")
	deliver("a-none", a, "")
	deliver("along", a, long)
	deliver("along2", a, long2)
	check("delivered", []find{
		{a, "<x@fabrikam.com>", "ax"},
		{b, "<x@fabrikam.com>", "bx"},
		{a, "", ""},
		{a, "<y@fabrikam.com>", ""},
		{a, "<X@fabrikam.com>", ""},
		{a, long, "along"},
		{a, long2, "along2"},
		{b, long, ""},
	})
	del("ax", a)
	del("along", a)
	check("after removals", []find{
		{a, "<x@fabrikam.com>", ""},
		{b, "<x@fabrikam.com>", "bx"},
		{a, long, ""},
		{a, long2, "along2"},
	})
	// The same ID twice (only the store's own callers do that): the later
	// item is indexed, and removing the earlier one leaves it.
	deliver("ay1", a, "<y@fabrikam.com>")
	deliver("ay2", a, "<y@fabrikam.com>")
	check("twice", []find{{a, "<y@fabrikam.com>", "ay2"}})
	del("ay1", a)
	check("earlier removed", []find{{a, "<y@fabrikam.com>", "ay2"}})
	del("ay2", a)
	check("later removed", []find{{a, "<y@fabrikam.com>", ""}})
	// Removing an item without a Message-ID touches no index entry.
	del("a-none", a)
	check("no id removed", []find{{b, "<x@fabrikam.com>", "bx"}, {a, long2, "along2"}})
}
