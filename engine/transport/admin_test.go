package transport

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"exsh/state"
)

func TestPoisonAfterRepeatedCrashes(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("michelle")
	e.stopTransport()
	hook := func(m *state.QueuedMessage) {
		if m.Subject == "poison" {
			panic("categorizer bug")
		}
	}
	testHookRoute.Store(&hook)
	defer testHookRoute.Store(nil)
	e.startTransport()
	r := e.submit("x@fabrikam.com", []string{"michelle@contoso.com"}, "poison")
	e.submit("x@fabrikam.com", []string{"michelle@contoso.com"}, "fine")
	e.waitFor("first crash", func() bool {
		ms, _ := e.tr.Messages(MessageFilter{Queue: "Submission"})
		return len(ms) == 1 && ms[0].Status == "Retry"
	})
	e.waitFor("fine delivered", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	e.clock.Advance(time.Minute)
	e.tr.kickAll()
	e.waitFor("second crash", func() bool {
		ms, _ := e.tr.Messages(MessageFilter{Queue: "Submission"})
		return len(ms) == 1 && ms[0].Status == "Retry" && e.crashCount(ms[0].InternalId) == 2
	})
	e.clock.Advance(time.Minute)
	e.tr.kickAll()
	e.waitFor("poison", func() bool { return e.queueCount("Poison") == 1 })
	q := e.queue(`EX01\Poison`)
	if q.DeliveryType != "Undefined" || q.NextHopDomain != "Poison Message" {
		t.Errorf("poison queue %+v", q)
	}
	id := `EX01\Poison\` + strconv.FormatInt(r.InternalID, 10)
	ms, err := e.tr.Messages(MessageFilter{Identity: id})
	if err != nil || len(ms) != 1 || ms[0].Status != "Suspended" {
		t.Fatalf("poison message %+v %v", ms, err)
	}
	if err := e.tr.SuspendMessage(id); !errors.Is(err, ErrInvalidOperation) {
		t.Errorf("suspending a poison message: %v", err)
	}
	if data, err := e.tr.ExportMessage(id); err != nil || !strings.Contains(string(data), "Subject: poison") {
		t.Errorf("export from poison: %v", err)
	}
	testHookRoute.Store(nil)
	if err := e.tr.ResumeMessage(id); err != nil {
		t.Fatal(err)
	}
	e.waitFor("poison delivered after resume", func() bool { return len(e.mailbox("michelle@contoso.com")) == 2 })
	if qs, _ := e.tr.Queues(); len(qs) > 0 {
		for _, q := range qs {
			if q.Identity == `EX01\Poison` {
				t.Errorf("empty poison queue is listed")
			}
		}
	}
}

func (e *env) crashCount(id int64) int {
	n := -1
	e.st.QueueView(func(q state.QueueTx) error {
		if m, err := q.Message(state.QueueSubmission, id); err == nil {
			n = m.CrashCount
		}
		return nil
	})
	return n
}

// A message that was Active when the service died counts as a crash; after
// PoisonThreshold (2) such crashes it goes to the Poison queue on start.
func TestActiveAtCrashIsRetriedOrPoisoned(t *testing.T) {
	for _, crashes := range []int{1, 2} {
		e := newEnv(t)
		e.addMailbox("michelle")
		e.stopTransport()
		e.tr = e.newTransport()
		r := e.submit("x@fabrikam.com", []string{"michelle@contoso.com"}, "crash")
		err := e.st.QueueUpdate(func(q state.QueueTx) error {
			m, err := q.Message(state.QueueSubmission, r.InternalID)
			if err != nil {
				return err
			}
			m.Status, m.CrashCount = state.MessageActive, crashes
			return q.PutMessage(m)
		})
		if err != nil {
			t.Fatal(err)
		}
		e.startTransport()
		if crashes < 2 {
			e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
		} else {
			e.waitFor("poison", func() bool { return e.queueCount("Poison") == 1 })
			if n := len(e.mailbox("michelle@contoso.com")); n != 0 {
				t.Errorf("poison message delivered")
			}
		}
	}
}

func TestQueueAndMessageActions(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("chris")
	for i := 0; i < 3; i++ {
		e.submit("chris@contoso.com", []string{"user" + strconv.Itoa(i) + "@fabrikam.com"}, "m"+strconv.Itoa(i))
	}
	e.waitFor("unreachable", func() bool { return e.queueCount("Unreachable") == 3 })
	ms, err := e.tr.Messages(MessageFilter{Queue: `EX01\Unreachable`})
	if err != nil || len(ms) != 3 {
		t.Fatal(ms, err)
	}
	if ms[0].Queue != `EX01\Unreachable` || ms[0].MessageSourceName != `SMTP:Default EX01` || ms[0].Size <= 0 || ms[0].FromAddress != "chris@contoso.com" {
		t.Errorf("message %+v", ms[0])
	}
	// Export needs a suspended message.
	if _, err := e.tr.ExportMessage(ms[0].Identity); !errors.Is(err, ErrInvalidOperation) {
		t.Errorf("export of an active message: %v", err)
	}
	if err := e.tr.SuspendMessage(ms[0].Identity); err != nil {
		t.Fatal(err)
	}
	data, err := e.tr.ExportMessage(ms[0].Identity)
	if err != nil || !strings.Contains(string(data), "Subject: m0") {
		t.Errorf("export: %v", err)
	}
	if q := e.queue("Unreachable"); q.DeferredMessageCount != 1 || q.MessageCount != 3 {
		t.Errorf("counters after suspend %+v", q)
	}
	if err := e.tr.ResumeMessage(ms[0].Identity); err != nil {
		t.Fatal(err)
	}
	if q := e.queue("Unreachable"); q.DeferredMessageCount != 0 {
		t.Errorf("counters after resume %+v", q)
	}
	// Identity forms.
	id := strconv.FormatInt(ms[1].InternalId, 10)
	for _, form := range []string{ms[1].Identity, `Unreachable\` + id, `EX01\*\` + id, `*\` + id, id} {
		got, err := e.tr.Messages(MessageFilter{Identity: form})
		if err != nil || len(got) != 1 || got[0].Identity != ms[1].Identity {
			t.Errorf("identity %q: %v %v", form, got, err)
		}
	}
	if _, err := e.tr.Messages(MessageFilter{Identity: `EX01\Unreachable\1`}); !errors.Is(err, ErrMessageNotFound) {
		t.Errorf("missing message: %v", err)
	}
	// Remove without NDR, then with NDR.
	if err := e.tr.RemoveMessage(ms[1].Identity, false); err != nil {
		t.Fatal(err)
	}
	if err := e.tr.RemoveMessage(ms[2].Identity, true); err != nil {
		t.Fatal(err)
	}
	e.waitFor("admin NDR", func() bool { return len(e.mailbox("chris@contoso.com")) == 1 })
	it := e.mailbox("chris@contoso.com")[0]
	data, _ = e.tr.MailboxItemData(it)
	if it.Subject != "Undeliverable: m2" || !strings.Contains(string(data), "550 4.3.2 QUEUE.Admin; message deleted by administrative action") {
		t.Errorf("admin NDR %q", it.Subject)
	}
	if n := e.queueCount("Unreachable"); n != 1 {
		t.Errorf("Unreachable has %d messages, want 1", n)
	}
	// Queue identities and suspend/resume.
	if err := e.tr.SuspendQueue(`EX01\Submission`); err != nil {
		t.Fatal(err)
	}
	r := e.submit("chris@contoso.com", []string{"chris@contoso.com"}, "held")
	time.Sleep(50 * time.Millisecond)
	if q := e.queue("Submission"); q.Status != "Suspended" || q.MessageCount != 1 {
		t.Errorf("suspended submission %+v", q)
	}
	if err := e.tr.RemoveMessage(`EX01\Submission\`+strconv.FormatInt(r.InternalID, 10), true); !errors.Is(err, ErrInvalidOperation) {
		t.Errorf("remove from Submission: %v", err)
	}
	if err := e.tr.ResumeQueue("Submission"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("held delivered", func() bool { return len(e.mailbox("chris@contoso.com")) == 2 })
	if _, err := e.tr.ResolveQueues(`EX01\Nope`); !errors.Is(err, ErrQueueNotFound) {
		t.Errorf("unknown queue: %v", err)
	}
	if _, err := e.tr.ResolveQueues(`EX02\Submission`); !errors.Is(err, ErrQueueNotFound) {
		t.Errorf("other server: %v", err)
	}
	qs, err := e.tr.Queues()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, q := range qs {
		ids = append(ids, q.Identity)
	}
	if len(ids) < 3 || ids[len(ids)-2] != `EX01\Submission` || ids[len(ids)-1] != `EX01\Unreachable` || !strings.HasPrefix(ids[0], `EX01\`) {
		t.Errorf("queue order %q", ids)
	}
	mq := e.tr.queueOf(t, state.DeliveryToMailbox)
	if byDomain, err := e.tr.ResolveQueues(`EX01\` + mq.NextHopDomain); err != nil || byDomain[0].Identity != mq.Identity {
		t.Errorf("queue by next hop domain: %v %v", byDomain, err)
	}
	if !strings.HasPrefix(mq.NextHopDomain, "mailbox database ") || mq.NextHopCategory != "Internal" {
		t.Errorf("mailbox queue %+v", mq)
	}
}

func TestIdleDeliveryQueueIsRemoved(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("michelle")
	e.submit("x@fabrikam.com", []string{"michelle@contoso.com"}, "idle")
	e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	if _, ok := e.tr.findQueue(state.DeliveryToMailbox); !ok {
		t.Fatal("no delivery queue")
	}
	e.clock.Advance(3 * time.Minute)
	e.tr.kickAll()
	e.waitFor("queue removed", func() bool { _, ok := e.tr.findQueue(state.DeliveryToMailbox); return !ok })
}

// countdownCtx is a context that ends after its Err was asked left
// times: a caller that goes away in the middle of the work.
type countdownCtx struct {
	context.Context
	left int
}

func (c *countdownCtx) Err() error {
	if c.left <= 0 {
		return context.Canceled
	}
	c.left--
	return nil
}

// Get-Message stops walking the queues when its caller is gone, before
// or while it walks them.
func TestMessagesStopWithContext(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		e.submit("chris@contoso.com", []string{"user" + strconv.Itoa(i) + "@fabrikam.com"}, "m"+strconv.Itoa(i))
	}
	e.waitFor("unreachable", func() bool { return e.queueCount("Unreachable") == 3 })
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
		n    int
	}{
		{"not ended", context.Background(), nil, 3},
		{"ended before", &countdownCtx{context.Background(), 0}, context.Canceled, 0},
		{"ended after the first message", &countdownCtx{context.Background(), 2}, context.Canceled, 0},
	} {
		ms, err := e.tr.MessagesContext(tc.ctx, MessageFilter{Queue: `EX01\Unreachable`})
		if !errors.Is(err, tc.want) || len(ms) != tc.n {
			t.Errorf("%s: %d messages, %v; want %d, %v", tc.name, len(ms), err, tc.n, tc.want)
		}
	}
}
