package transport

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/emersion/go-smtp"

	"exsh/state"
)

// sendStageEnv is a Transport that is not started (no runner competes for
// the messages) with three messages for fabrikam.com claimed from their
// send connector queue; an administrator suspended the first and removed
// the second while they were claimed.
type sendStageEnv struct {
	*env
	tr    *Transport
	sink  *sink
	conn  *state.SendConnector
	qr    *state.QueueRecord
	batch []*state.QueuedMessage
}

func newSendStageEnv(t *testing.T) *sendStageEnv {
	e := &sendStageEnv{env: newEnv(t)}
	e.stopTransport()
	e.sink = newSink(t, "")
	e.conn = e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, e.sink.port, nil)
	e.tr = e.newTransport()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e.tr.workCtx = ctx // what Start gives the outbound connections
	for i := range 3 {
		if _, err := e.tr.Submit(testSubmission("chris@contoso.com", []string{"user@fabrikam.com"}, fmt.Sprint("m", i))); err != nil {
			t.Fatal(err)
		}
	}
	set, now := e.tr.settings(), e.clock.Now()
	sub, _, err := e.tr.claim(state.QueueSubmission, 10, set, now)
	if err != nil || len(sub) != 3 {
		t.Fatalf("claim Submission: %d messages, %v", len(sub), err)
	}
	e.tr.categorize(sub, nil)
	err = e.st.QueueView(func(q queueTx) error {
		qs, err := q.Queues()
		for _, qr := range qs {
			if qr.DeliveryType == state.DeliverySmartHostConnector {
				e.qr = qr
			}
		}
		return err
	})
	if err != nil || e.qr == nil {
		t.Fatalf("no send connector queue: %v", err)
	}
	e.batch, _, err = e.tr.claim(e.qr.Number, 20, set, now)
	if err != nil || len(e.batch) != 3 {
		t.Fatalf("claim: %d messages, %v", len(e.batch), err)
	}
	markPending(t, e.env, e.qr.Number, e.batch[0].InternalId, e.batch[1].InternalId)
	return e
}

// markPending leaves the pending actions of Suspend-Message (on the
// message suspend) and Remove-Message (on remove), as they are left on
// Active messages.
func markPending(t *testing.T, e *env, queue, suspend, remove int64) {
	t.Helper()
	err := e.st.QueueUpdate(func(q queueTx) error {
		for id, status := range map[int64]string{suspend: state.MessagePendingSuspend, remove: state.MessagePendingRemove} {
			m, err := q.Message(queue, id)
			if err != nil {
				return err
			}
			m.Status = status
			if err := q.PutMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// where says where message i of the batch is now: its queue and status,
// or "gone".
func (e *sendStageEnv) where(i int) (queue int64, status string, crash int) {
	id := e.batch[i].InternalId
	queue, status = -1, "gone"
	_ = e.st.QueueView(func(q queueTx) error {
		for _, n := range []int64{e.qr.Number, state.QueueSubmission} {
			if m, err := q.Message(n, id); err == nil {
				queue, status, crash = n, m.Status, m.CrashCount
			}
		}
		return nil
	})
	return queue, status, crash
}

// The send stage records the outcome of the attempt first: a message the
// remote host took leaves the queue even when it was to be suspended
// (it must not be sent again on Resume-Message); a message that waits for
// a retry is suspended or removed as the administrator asked.
func TestSendStageSettlesPendingActionsAfterTheOutcome(t *testing.T) {
	for _, tt := range []struct {
		name    string
		refuse  bool
		suspend string // the first message's status afterwards
		third   string // the third message's
	}{
		{name: "delivered", suspend: "gone", third: "gone"},
		{name: "deferred", refuse: true, suspend: state.MessageSuspended, third: state.MessageRetry},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newSendStageEnv(t)
			if tt.refuse {
				e.sink.rcptErr["user@fabrikam.com"] = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
			}
			(&sender{t: e.tr}).work(e.qr, e.batch, nil)
			if got := len(e.sink.got()); tt.refuse == (got != 0) {
				t.Errorf("the sink took %d messages", got)
			}
			if _, st, crash := e.where(0); st != tt.suspend || crash != 0 {
				t.Errorf("pending suspend: %s with CrashCount %d, want %s 0", st, crash, tt.suspend)
			}
			if _, st, _ := e.where(1); st != "gone" {
				t.Errorf("pending remove: %s, want gone", st)
			}
			if _, st, _ := e.where(2); st != tt.third {
				t.Errorf("third message: %s, want %s", st, tt.third)
			}
		})
	}
}

// When no host takes the batch the messages wait in Retry; pending
// actions take effect.
func TestSendStageConnectionFailureSettlesPendingActions(t *testing.T) {
	e := newSendStageEnv(t)
	// A host that hangs up at once. (A closed port could be taken by a
	// listener of a test running alongside.)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	e.conn.Port = ln.Addr().(*net.TCPAddr).Port
	if err := e.st.Update(func(tx state.Tx) error { return tx.PutSendConnector(e.conn) }); err != nil {
		t.Fatal(err)
	}
	(&sender{t: e.tr}).work(e.qr, e.batch, nil)
	if _, st, crash := e.where(0); st != state.MessageSuspended || crash != 0 {
		t.Errorf("pending suspend: %s with CrashCount %d, want Suspended 0", st, crash)
	}
	if _, st, _ := e.where(1); st != "gone" {
		t.Errorf("pending remove: %s, want gone", st)
	}
	if _, st, crash := e.where(2); st != state.MessageRetry || crash != 0 {
		t.Errorf("third message: %s with CrashCount %d, want Retry 0", st, crash)
	}
}

// A batch whose send connector was disabled goes back to the categorizer,
// except the messages an administrator suspended or removed meanwhile.
func TestSendStageReroutesWithoutPendingActions(t *testing.T) {
	e := newSendStageEnv(t)
	e.conn.Enabled = false
	if err := e.st.Update(func(tx state.Tx) error { return tx.PutSendConnector(e.conn) }); err != nil {
		t.Fatal(err)
	}
	(&sender{t: e.tr}).work(e.qr, e.batch, nil)
	if len(e.sink.got()) != 0 {
		t.Error("sent through a disabled connector")
	}
	if q, st, _ := e.where(0); q != e.qr.Number || st != state.MessageSuspended {
		t.Errorf("pending suspend: queue %d %s, want Suspended in queue %d", q, st, e.qr.Number)
	}
	if _, st, _ := e.where(1); st != "gone" {
		t.Errorf("pending remove: %s, want gone", st)
	}
	if q, st, _ := e.where(2); q != state.QueueSubmission || st != state.MessageReady {
		t.Errorf("third message: queue %d %s, want Ready in Submission", q, st)
	}
}
