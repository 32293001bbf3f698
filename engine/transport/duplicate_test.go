package transport

import (
	"fmt"
	"strings"
	"testing"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// submitRaw submits data from chris to the given recipients and waits
// until the queues are empty again.
func (e *env) submitRaw(to []string, data string) {
	e.t.Helper()
	sub := testSubmission("chris@contoso.com", to, "")
	sub.Data = []byte(data)
	if _, err := e.tr.Submit(sub); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("empty queues", func() bool { return e.totalQueued() == 0 })
}

// events counts the tracking events of each EventId logged for addr.
func (e *env) events(addr string) map[string]int {
	e.t.Helper()
	evs, err := e.tr.Tracking().Search(tracking.Query{ResultSize: -1})
	if err != nil {
		e.t.Fatal(err)
	}
	n := map[string]int{}
	for _, ev := range evs {
		for _, r := range ev.Recipients {
			if strings.EqualFold(r, addr) {
				n[ev.EventId]++
			}
		}
	}
	return n
}

// A message delivered again into a mailbox that holds it (same Message-ID)
// is not stored twice: the recipient is completed and DUPLICATEDELIVER is
// logged instead of DELIVER. Other mailboxes, and messages without a
// Message-ID (each is given its own), are not affected.
func TestDuplicateDelivery(t *testing.T) {
	msg := func(to, id string) string {
		h := "From: <chris@contoso.com>\r\nTo: <" + to + ">\r\nSubject: twice\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n"
		if id != "" {
			h += "Message-ID: " + id + "\r\n"
		}
		return h + "\r\nHello.\r\n"
	}
	long := "<" + strings.Repeat("x", 600) + "@fabrikam.com>"
	type send struct {
		to   []string
		data string
	}
	type want struct{ items, deliver, dup int }
	tests := []struct {
		name  string
		sends []send
		// removeFirst removes michelle's first item after the first send.
		removeFirst bool
		want        map[string]want
	}{
		{"same Message-ID to one mailbox",
			[]send{{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "<dup1@fabrikam.com>")},
				{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "<dup1@fabrikam.com>")}},
			false, map[string]want{"michelle@contoso.com": {1, 1, 1}}},
		{"sent again with one more recipient",
			[]send{{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "<dup2@fabrikam.com>")},
				{[]string{"michelle@contoso.com", "megan@contoso.com"}, msg("michelle@contoso.com", "<dup2@fabrikam.com>")}},
			false, map[string]want{"michelle@contoso.com": {1, 1, 1}, "megan@contoso.com": {1, 1, 0}}},
		{"same Message-ID to different mailboxes",
			[]send{{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "<dup3@fabrikam.com>")},
				{[]string{"megan@contoso.com"}, msg("megan@contoso.com", "<dup3@fabrikam.com>")}},
			false, map[string]want{"michelle@contoso.com": {1, 1, 0}, "megan@contoso.com": {1, 1, 0}}},
		{"different Message-IDs",
			[]send{{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "<dup4a@fabrikam.com>")},
				{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "<dup4b@fabrikam.com>")}},
			false, map[string]want{"michelle@contoso.com": {2, 2, 0}}},
		{"no Message-ID",
			[]send{{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "")},
				{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "")}},
			false, map[string]want{"michelle@contoso.com": {2, 2, 0}}},
		{"a long Message-ID",
			[]send{{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", long)},
				{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", long)}},
			false, map[string]want{"michelle@contoso.com": {1, 1, 1}}},
		{"the first copy was removed from the mailbox",
			[]send{{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "<dup5@fabrikam.com>")},
				{[]string{"michelle@contoso.com"}, msg("michelle@contoso.com", "<dup5@fabrikam.com>")}},
			true, map[string]want{"michelle@contoso.com": {1, 2, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.addMailbox("chris")
			michelle := e.addMailbox("michelle")
			e.addMailbox("megan")
			for i, s := range tc.sends {
				e.submitRaw(s.to, s.data)
				if i == 0 && tc.removeFirst {
					items := e.mailbox("michelle@contoso.com")
					if len(items) != 1 {
						t.Fatalf("michelle holds %d items after the first send", len(items))
					}
					if err := e.st.QueueUpdate(func(q state.QueueTx) error { return q.DeleteMailboxItem(michelle.Guid, items[0].Id) }); err != nil {
						t.Fatal(err)
					}
				}
			}
			for addr, w := range tc.want {
				e.waitFor("tracking of "+addr, func() bool {
					n := e.events(addr)
					return n[tracking.EventDeliver]+n[tracking.EventDuplicateDeliver] >= w.deliver+w.dup
				})
				got := want{items: len(e.mailbox(addr))}
				n := e.events(addr)
				got.deliver, got.dup = n[tracking.EventDeliver], n[tracking.EventDuplicateDeliver]
				if got != w {
					t.Errorf("%s: got %d items, %d DELIVER, %d DUPLICATEDELIVER; want %d, %d, %d",
						addr, got.items, got.deliver, got.dup, w.items, w.deliver, w.dup)
				}
				if n[tracking.EventFail] != 0 || n[tracking.EventDSN] != 0 {
					t.Errorf("%s: FAIL or DSN logged: %v", addr, n)
				}
			}
		})
	}
}

// The tracking log of a duplicate delivery: SEND to Mailbox Transport
// Delivery as for any message, then DUPLICATEDELIVER from STOREDRIVER in
// place of DELIVER.
func TestTrackingDuplicateDelivery(t *testing.T) {
	got := trackingFlow(t, func(e *env) {
		data := fmt.Sprintf("From: <chris@contoso.com>\r\nTo: <michelle@contoso.com>\r\nSubject: again\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\nMessage-ID: <%s@fabrikam.com>\r\n\r\nHello.\r\n", state.NewGuid())
		e.submitRaw([]string{"michelle@contoso.com"}, data)
		e.submitRaw([]string{"michelle@contoso.com"}, data)
		e.waitFor("DUPLICATEDELIVER", func() bool { return e.events("michelle@contoso.com")[tracking.EventDuplicateDeliver] == 1 })
	})
	checkGolden(t, "tracking-duplicate", got)
}
