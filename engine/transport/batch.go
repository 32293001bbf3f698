package transport

import (
	"fmt"
	"time"

	"exsh/state"
)

// A stage is what the Transport service does with the messages of one
// kind of queue: categorize (Submission), deliver (SmtpDeliveryToMailbox
// queues) or send (send connector queues). Mail enters through Submit.
type stage interface {
	// batchSize is how many messages one claim takes from the queue.
	batchSize() int
	// work processes one claimed batch of queue qr. next, when the stage
	// hands it to runBatch, claims the queue's next batch in the same
	// transaction.
	work(qr *state.QueueRecord, batch []*state.QueuedMessage, next *nextClaim)
}

// stageFor is the stage that works a queue. The Poison and Unreachable
// queues are never worked (runOnce knows).
func (t *Transport) stageFor(qr *state.QueueRecord) stage {
	switch {
	case qr.Number == state.QueueSubmission:
		return &categorizer{t: t}
	case qr.DeliveryType == state.DeliveryToMailbox && !t.remoteDatabase(qr):
		return &deliverer{t: t}
	default:
		return &sender{t: t}
	}
}

// batch is one run of the batch transaction: the claimed messages of a
// queue and how the stage wants them handled.
type batch struct {
	stage    string // "categorizer": names the stage in log lines
	queue    int64
	messages []*state.QueuedMessage
	// next claims the queue's next batch inside the transaction; nil
	// claims nothing.
	next *nextClaim
	// tried says the stage already acted on the messages outside the
	// transaction (the send stage has offered them to a remote host). An
	// administrator's pending action then takes effect in apply, after
	// the outcome is recorded; otherwise before the message is processed.
	tried bool
}

// A processor is a stage's part of the batch transaction, run by
// runBatch. P is what the stage decides for one message.
type processor[P any] interface {
	// begin starts a run of the transaction. The store may run the
	// transaction more than once: every run starts afresh.
	begin(q state.QueueTx) error
	// plan decides what to do with m, as read again in this transaction.
	// It writes nothing to the store; a panic in it is a message that
	// breaks the stage, and that message is retried as crashed.
	plan(q state.QueueTx, m *state.QueuedMessage) (P, error)
	// apply writes what plan decided. after collects what runs once the
	// transaction is on disk (tracking events, kicks, rates).
	apply(q state.QueueTx, m *state.QueuedMessage, p P, after *[]func()) error
	// end finishes a run after the last message.
	end(q state.QueueTx) error
	// failed is called when the transaction cannot be committed: it says
	// what the batch's messages wait with (LastError) and until when.
	failed(err error) (lastError string, retry time.Time)
	// committed runs once the transaction is on disk, before the after
	// functions.
	committed()
}

// runBatch is the batch transaction every stage shares. In one
// transaction it reads each claimed message again (one that is gone is
// skipped), settles an administrator's pending Suspend-Message or
// Remove-Message, plans and applies the stage's work, and claims the
// queue's next batch; the commit makes all of it durable at once. When the
// transaction fails nothing of it happened: the batch is given back for a
// retry. It reports whether the transaction committed.
func runBatch[P any](t *Transport, b batch, p processor[P]) bool {
	var after []func()
	var broken []*state.QueuedMessage
	err := t.st.QueueBatch(func(q state.QueueTx) error {
		after, broken = nil, nil
		if err := p.begin(q); err != nil {
			return err
		}
		for _, c := range b.messages {
			m, err := q.Message(b.queue, c.InternalId)
			if err != nil {
				continue // removed or moved since it was claimed
			}
			if !b.tried {
				if done, err := settlePending(q, m); done || err != nil {
					if err != nil {
						return err
					}
					continue
				}
			}
			plan, ok, err := planSafely(t, b.stage, p, q, m)
			if err != nil {
				return err
			}
			if !ok {
				broken = append(broken, m)
				continue
			}
			if err := p.apply(q, m, plan, &after); err != nil {
				return err
			}
		}
		if err := p.end(q); err != nil {
			return err
		}
		return b.next.in(q, b.messages)
	})
	if err != nil {
		lastError, retry := p.failed(err)
		t.log.Error(b.stage+": cannot record a batch; its messages stay queued and are retried", "queue", b.queue, "err", err)
		t.releaseForRetry(b.messages, lastError, retry)
		return false
	}
	b.next.committed()
	p.committed()
	for _, f := range after {
		f()
	}
	if len(broken) > 0 {
		t.crashed(b.queue, broken, b.stage+" failure")
	}
	return true
}

// planSafely runs p.plan, turning a panic into !ok.
func planSafely[P any](t *Transport, stage string, p processor[P], q state.QueueTx, m *state.QueuedMessage) (plan P, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error(stage+" panic", "message", m.InternalId, "panic", fmt.Sprint(r))
			var zero P
			plan, ok, err = zero, false, nil
		}
	}()
	plan, err = p.plan(q, m)
	return plan, err == nil, err
}

// settlePending completes an administrator's action that waited for m to
// be out of a stage's hands (Remove-Message or Suspend-Message on an Active
// message). It reports whether m was handled.
func settlePending(q state.QueueTx, m *state.QueuedMessage) (bool, error) {
	switch m.Status {
	case state.MessagePendingRemove:
		return true, q.RemoveMessage(m.Queue, m.InternalId)
	case state.MessagePendingSuspend:
		return true, q.SetMessageStatus(m, state.MessageSuspended)
	}
	return false, nil
}

// releaseForRetry puts claimed messages back after a failed step (a store
// error, not a crash): Retry at next, their CrashCount lowered again.
func (t *Transport) releaseForRetry(batch []*state.QueuedMessage, why string, next time.Time) {
	now := t.now()
	err := t.giveBack(batch, func(m *state.QueuedMessage) {
		m.Status = state.MessageRetry
		m.LastError, m.LastErrorTime, m.NextRetryTime = why, now, next
	})
	if err != nil {
		t.log.Error("cannot release messages for retry; they are retried after a restart", "err", err)
	}
}

// giveBack undoes the claim of messages that were not processed: each one
// still Active gets its CrashCount lowered again and is changed by set. An
// administrator's action that waited for the attempt to end (Suspend-Message,
// Remove-Message on a claimed message) takes effect now.
func (t *Transport) giveBack(claimed []*state.QueuedMessage, set func(m *state.QueuedMessage)) error {
	return t.st.QueueBatch(func(q state.QueueTx) error {
		for _, c := range claimed {
			m, err := q.Message(c.Queue, c.InternalId)
			if err != nil {
				continue
			}
			if done, err := settlePending(q, m); done || err != nil {
				if err != nil {
					return err
				}
				continue
			}
			if m.Status != state.MessageActive {
				continue
			}
			if m.CrashCount > 0 {
				m.CrashCount--
			}
			set(m)
			if err := q.PutMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
}

// touchQueue records activity on a queue (it is not idle).
func (t *Transport) touchQueue(q state.QueueTx, n int64, now time.Time) error {
	qr, err := q.Queue(n)
	if err != nil {
		return err
	}
	qr.LastActivity = now
	return q.PutQueue(qr)
}

// setQueueRetry puts a queue into Retry after a failed connection or
// delivery attempt.
func (t *Transport) setQueueRetry(n int64, lastError string, next time.Time) {
	now := t.now()
	err := t.st.QueueUpdate(func(q state.QueueTx) error {
		qr, err := q.Queue(n)
		if err != nil {
			return nil
		}
		if qr.FirstRetryTime.IsZero() || qr.LastError == "" {
			qr.FirstRetryTime = now
		}
		qr.LastError = lastError
		qr.LastRetryTime = now
		qr.NextRetryTime = next
		qr.RetryCount++
		return q.PutQueue(qr)
	})
	if err != nil {
		t.log.Error("cannot record a queue retry", "queue", n, "err", err)
	}
}

// clearQueueRetry ends a queue's Retry state after a successful attempt.
func (t *Transport) clearQueueRetry(n int64) {
	var needs bool
	_ = t.st.QueueView(func(q state.QueueTx) error {
		qr, err := q.Queue(n)
		needs = err == nil && (qr.LastError != "" || qr.RetryCount != 0)
		return nil
	})
	if !needs {
		return
	}
	_ = t.st.QueueUpdate(func(q state.QueueTx) error {
		qr, err := q.Queue(n)
		if err != nil {
			return nil
		}
		qr.LastError, qr.RetryCount = "", 0
		qr.FirstRetryTime, qr.NextRetryTime = time.Time{}, time.Time{}
		return q.PutQueue(qr)
	})
}

// quiet is embedded by processors with nothing to do at the end of a run
// or after the commit.
type quiet struct{}

func (quiet) end(state.QueueTx) error { return nil }
func (quiet) committed()              {}
