package transport

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"exsh/state"
	"exsh/state/boltdb"
)

func TestInternalDelivery(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("chris")
	e.addMailbox("michelle", "mich@contoso.com")
	r := e.submit("chris@contoso.com", []string{"michelle@contoso.com"}, "test")
	if r.InternalID == 0 || !strings.HasSuffix(r.MessageID, "@fabrikam.com>") {
		t.Fatalf("receipt %+v", r)
	}
	e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	e.waitFor("empty queues", func() bool { return e.totalQueued() == 0 })
	item := e.mailbox("michelle@contoso.com")[0]
	if item.Subject != "test" || item.From != "chris@contoso.com" || item.InternalMessageId != r.InternalID {
		t.Errorf("item %+v", item)
	}
	data, err := e.tr.MailboxItemData(item)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.HasPrefix(s, "Received: from EX01.contoso.com (127.0.0.1) by EX01.contoso.com (127.0.0.1)\r\n with Microsoft SMTP Server") ||
		!strings.Contains(s, "id 15.2.1118.7\r\n via Mailbox Transport; ") {
		t.Errorf("delivered message does not start with the Mailbox Transport Received: line:\n%s", s)
	}
	for _, h := range []string{"X-MS-Exchange-Organization-Network-Message-Id: ", "X-MS-Exchange-Organization-AuthAs: Anonymous",
		"X-MS-Exchange-Organization-AuthSource: EX01.contoso.com", "X-MS-Exchange-Organization-SCL: 0",
		"X-MS-Exchange-Organization-OriginalArrivalTime: 27 Nov 2026 09:00:00.0000 (UTC)"} {
		if !strings.Contains(s, h) {
			t.Errorf("delivered message lacks %q", h)
		}
	}
	if i, j := strings.Index(s, "X-MS-Exchange-Organization-SCL"), strings.Index(s, "\r\n\r\nHello."); i < 0 || j < i {
		t.Errorf("organisation headers are not in the header block")
	}
}

func TestProxyAddressAndCase(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("michelle", "m.smith@contoso.com")
	e.submit("x@fabrikam.com", []string{"M.Smith@CONTOSO.com", "MICHELLE@contoso.com"}, "proxy")
	e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	e.waitFor("empty queues", func() bool { return e.totalQueued() == 0 })
	if n := len(e.mailbox("michelle@contoso.com")); n != 1 {
		t.Errorf("two addresses of one mailbox gave %d deliveries, want 1", n)
	}
	evs, err := e.tr.Tracking().Search(trackingQuery("RESOLVE"))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].RelatedRecipientAddress != "M.Smith@CONTOSO.com" || evs[0].Recipients[0] != "michelle@contoso.com" {
		t.Errorf("RESOLVE events %+v", evs)
	}
}

func TestUnknownRecipientNDR(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("chris")
	e.submit("chris@contoso.com", []string{"nobody@contoso.com"}, "lost")
	e.waitFor("NDR", func() bool { return len(e.mailbox("chris@contoso.com")) == 1 })
	item := e.mailbox("chris@contoso.com")[0]
	if item.Subject != "Undeliverable: lost" || !strings.HasPrefix(item.From, PostmasterLocalPart+"@contoso.com") {
		t.Errorf("NDR item %+v", item)
	}
	data, _ := e.tr.MailboxItemData(item)
	s := string(data)
	for _, want := range []string{
		"Content-Type: multipart/report; report-type=delivery-status;",
		"Delivery has failed to these recipients or groups:",
		"Diagnostic information for administrators:",
		"Generating server: EX01.contoso.com",
		"Remote Server returned '550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found'",
		"Final-Recipient: rfc822;nobody@contoso.com",
		"Action: failed", "Status: 5.1.1",
		"From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("NDR lacks %q:\n%s", want, s)
		}
	}
	e.waitFor("empty queues", func() bool { return e.totalQueued() == 0 })
}

func TestNoNDRForNullSender(t *testing.T) {
	e := newEnv(t)
	e.submit("", []string{"nobody@contoso.com"}, "bounce")
	e.waitFor("empty queues", func() bool { return e.totalQueued() == 0 })
	time.Sleep(50 * time.Millisecond)
	if n := e.totalQueued(); n != 0 {
		t.Errorf("%d messages queued after a null-sender failure", n)
	}
}

func TestExternalWithoutConnectorGoesToUnreachable(t *testing.T) {
	e := newEnv(t)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "out")
	e.waitFor("unreachable", func() bool { return e.queueCount("Unreachable") == 1 })
	q := e.queue(`EX01\Unreachable`)
	if q.DeliveryType != "Unreachable" || q.NextHopDomain != "Unreachable Domain" || q.Identity != `EX01\Unreachable` {
		t.Errorf("queue %+v", q)
	}
	ms, err := e.tr.Messages(MessageFilter{Queue: `EX01\Unreachable`, IncludeRecipientInfo: true})
	if err != nil || len(ms) != 1 {
		t.Fatalf("messages %v %v", ms, err)
	}
	m := ms[0]
	if !strings.HasPrefix(m.Identity, `EX01\Unreachable\`) || m.LastError != "A matching connector cannot be found to route the external recipient" ||
		m.Recipients[0].LastError != "A matching connector cannot be found to route the external recipient" {
		t.Errorf("message %+v", m)
	}
}

func TestEnqueueStopReopenDeliveredOnce(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("michelle")
	// Stop the categorizer before anything runs: the message stays in
	// Submission across the restart.
	e.stopTransport()
	e.tr = e.newTransport()
	r := e.submit("x@fabrikam.com", []string{"michelle@contoso.com"}, "durable")
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	e.open()
	e.startTransport()
	e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	e.restart()
	time.Sleep(100 * time.Millisecond)
	items := e.mailbox("michelle@contoso.com")
	if len(items) != 1 || items[0].InternalMessageId != r.InternalID {
		t.Errorf("items after restart: %d", len(items))
	}
}

func TestFailedCommitNeverAcks(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("michelle")
	boltdb.SetQueueFailpoint(func(p string) error {
		if p == "enqueue" {
			return errors.New("disk full")
		}
		return nil
	})
	defer boltdb.SetQueueFailpoint(nil)
	r, err := e.tr.Submit(testSubmission("x@fabrikam.com", []string{"michelle@contoso.com"}, "nope"))
	if err == nil || r != nil || !errors.Is(err, state.ErrQueueFull) {
		t.Fatalf("Submit = %v, %v; want ErrQueueFull and no receipt", r, err)
	}
	boltdb.SetQueueFailpoint(nil)
	if n := e.totalQueued(); n != 0 {
		t.Errorf("%d messages queued after a failed commit", n)
	}
}

func TestDeliveryAndDequeueAtomic(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("michelle")
	failed := make(chan struct{}, 1)
	boltdb.SetQueueFailpoint(func(p string) error {
		if p == "deliver" {
			select {
			case failed <- struct{}{}:
			default:
			}
			return errors.New("write error after the mailbox put")
		}
		return nil
	})
	defer boltdb.SetQueueFailpoint(nil)
	e.submit("x@fabrikam.com", []string{"michelle@contoso.com"}, "atomic")
	<-failed
	e.waitFor("retry", func() bool {
		ms, _ := e.tr.Messages(MessageFilter{})
		return len(ms) == 1 && ms[0].Status == "Retry"
	})
	boltdb.SetQueueFailpoint(nil)
	if n := len(e.mailbox("michelle@contoso.com")); n != 0 {
		t.Fatalf("a failed delivery left %d items in the mailbox", n)
	}
	q := e.tr.queueOf(t, "SmtpDeliveryToMailbox")
	if q.MessageCount != 1 || q.Status != "Retry" || !strings.Contains(q.LastError, "STOREDRV") {
		t.Errorf("delivery queue after failure: %+v", q)
	}
	e.clock.Advance(5 * time.Minute)
	e.tr.kickAll()
	e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
	time.Sleep(50 * time.Millisecond)
	if n := len(e.mailbox("michelle@contoso.com")); n != 1 {
		t.Errorf("%d deliveries, want exactly 1", n)
	}
}

// queueOf returns the first queue of a delivery type.
func (tr *Transport) queueOf(t testing.TB, deliveryType string) QueueInfo {
	t.Helper()
	q, ok := tr.findQueue(deliveryType)
	if !ok {
		t.Fatalf("no %s queue", deliveryType)
	}
	return q
}

func (tr *Transport) findQueue(deliveryType string) (QueueInfo, bool) {
	qs, _ := tr.Queues()
	for _, q := range qs {
		if q.DeliveryType == deliveryType {
			return q, true
		}
	}
	return QueueInfo{}, false
}

func TestStopTwiceAndSubmitAfterStop(t *testing.T) {
	e := newEnv(t)
	e.stopTransport()
	if err := e.tr.Stop(context.Background()); !errors.Is(err, ErrStopped) {
		t.Errorf("second Stop = %v", err)
	}
	if _, err := e.tr.Submit(testSubmission("a@b.c", []string{"x@contoso.com"}, "s")); !errors.Is(err, ErrStopped) {
		t.Errorf("Submit after Stop = %v", err)
	}
}

// TestExternalSenderNDRFromPostmaster: the NDR to a sender outside the
// accepted domains comes from the external postmaster address,
// postmaster@<default accepted domain>, not the internal one.
func TestExternalSenderNDRFromPostmaster(t *testing.T) {
	e := newEnv(t)
	e.submit("chris@fabrikam.com", []string{"nobody@contoso.com"}, "lost")
	var ndr *MessageInfo
	e.waitFor("NDR queued", func() bool {
		ms, err := e.tr.Messages(MessageFilter{ResultSize: -1})
		if err != nil {
			t.Fatal(err)
		}
		for i := range ms {
			if ms[i].Subject == "Undeliverable: lost" {
				ndr = &ms[i]
				return true
			}
		}
		return false
	})
	if ndr.FromAddress != "postmaster@contoso.com" {
		t.Errorf("NDR to an external sender comes from %q", ndr.FromAddress)
	}
}
