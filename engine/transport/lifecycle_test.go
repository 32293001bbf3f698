package transport

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// blockingSink delays DATA until release is closed.
type blockingSession struct {
	sinkSession
	release chan struct{}
	entered chan struct{}
}

func (b *blockingSession) Data(r io.Reader) error {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.release
	return b.sinkSession.Data(r)
}

func TestStopWaitsForInFlightDelivery(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	s.srv.Backend = backendFunc(func() *blockingSession {
		return &blockingSession{sinkSession: sinkSession{s: s}, release: release, entered: entered}
	})
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, nil)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "in flight")
	<-entered
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.tr.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if len(s.got()) != 1 {
		t.Fatalf("in-flight message not delivered before Stop returned")
	}
	e.open2()
	if n := e.totalQueued(); n != 0 {
		t.Errorf("%d messages still queued after the delivery finished", n)
	}
}

func TestStopDeadlineAbortsAndRestartRetries(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	s.srv.Backend = backendFunc(func() *blockingSession {
		return &blockingSession{sinkSession: sinkSession{s: s}, release: release, entered: entered}
	})
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, nil)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "aborted")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := e.tr.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want the deadline error", err)
	}
	close(release)
	// The message is still queued; a new Transport delivers it.
	e.startTransport()
	e.clock.Advance(10 * time.Minute)
	e.tr.kickAll()
	e.waitFor("delivery after restart", func() bool { return len(s.got()) >= 1 })
	e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
}

// open2 replaces a stopped Transport with an unstarted one for reads.
func (e *env) open2() { e.tr = e.newTransport() }

type backendFunc func() *blockingSession

func (f backendFunc) NewSession(c *smtpConn) (smtpSession, error) { return f(), nil }

func TestMessageIdAddedWhenMissing(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("michelle")
	sub := testSubmission("x@fabrikam.com", []string{"michelle@contoso.com"}, "no id")
	sub.Data = []byte("From: x@fabrikam.com\r\nSubject: no id\r\n\r\nbody\r\n")
	r, err := e.tr.Submit(sub)
	if err != nil {
		t.Fatal(err)
	}
	if !guidRE.MatchString(r.MessageID) || !strings.HasSuffix(r.MessageID, "@EX01.contoso.com>") {
		t.Errorf("generated Message-ID %q", r.MessageID)
	}
	e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	it := e.mailbox("michelle@contoso.com")[0]
	data, _ := e.tr.MailboxItemData(it)
	if !strings.Contains(string(data), "\r\nMessage-ID: "+r.MessageID+"\r\n") || !strings.Contains(string(data), "\r\nDate: ") {
		t.Errorf("stored message lacks the added headers:\n%s", data)
	}
	if it.MessageId != r.MessageID {
		t.Errorf("item Message-ID %q", it.MessageId)
	}
}

func TestRetryQueueNow(t *testing.T) {
	e := newEnv(t)
	port := freePort(t)
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, port, nil)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "retry now")
	var q QueueInfo
	e.waitFor("retry", func() bool {
		var ok bool
		q, ok = e.tr.findQueue(state.DeliverySmartHostConnector)
		return ok && q.Status == "Retry"
	})
	s := newSink(t, "127.0.0.1:"+itoa(port))
	if err := e.tr.RetryQueue(q.Identity, false); err != nil {
		t.Fatal(err)
	}
	e.waitFor("sink", func() bool { return len(s.got()) == 1 })
	e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
	q2, _ := e.tr.findQueue(state.DeliverySmartHostConnector)
	if q2.IncomingRate <= 0 || q2.OutgoingRate <= 0 {
		t.Errorf("rates %+v", q2)
	}
}

func TestNoDataPathLogsNothing(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("michelle")
	e.stopTransport()
	tr, err := New(e.st, Config{ServerName: "EX01", Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.tr = tr
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.submit("x@fabrikam.com", []string{"michelle@contoso.com"}, "quiet")
	e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	if evs, err := tr.Tracking().Search(tracking.Query{}); len(evs) != 0 || err != nil {
		t.Errorf("tracking without a data path: %v %v", evs, err)
	}
}
