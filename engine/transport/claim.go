package transport

import (
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// claim marks up to limit due messages of a queue Active and raises their
// CrashCount, in one transaction, before they are processed. A message
// whose earlier attempts never finished PoisonThreshold times goes to the
// Poison queue instead. nextDue is the earliest retry time among the
// messages not yet due.
//
// The queue is read in a read-only transaction first, so that an empty or
// not-yet-due queue costs no commit; the claim itself shares its commit
// with other writers (group commit) and checks each message again.
func (t *Transport) claim(queue int64, limit int, set settings, now time.Time) (batch []*state.QueuedMessage, nextDue time.Time, err error) {
	var due []*state.QueuedMessage
	err = t.st.QueueView(func(q state.QueueTx) error {
		var err error
		due, nextDue, err = scanDue(q, queue, limit, now, nil)
		return err
	})
	if err != nil || len(due) == 0 {
		return nil, nextDue, err
	}
	var poisoned []*state.QueuedMessage
	err = t.st.QueueBatch(func(q state.QueueTx) error {
		var msgs []*state.QueuedMessage
		for _, d := range due {
			m, err := q.Message(queue, d.InternalId)
			if err != nil || !claimable(m, now) {
				continue // removed, moved or changed since it was read
			}
			msgs = append(msgs, m)
		}
		var err error
		batch, poisoned, err = claimMessages(q, msgs, set, now)
		return err
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	t.trackPoisoned(poisoned)
	return batch, nextDue, nil
}

// claimMessages marks msgs Active and raises their CrashCount, or moves
// those that were interrupted PoisonThreshold times to the Poison queue.
func claimMessages(q state.QueueTx, msgs []*state.QueuedMessage, set settings, now time.Time) (batch, poisoned []*state.QueuedMessage, err error) {
	for _, m := range msgs {
		if set.PoisonMessageDetectionEnabled && m.CrashCount >= set.PoisonThreshold {
			m.Status = state.MessageSuspended
			m.LastError = "The message was being processed while the service stopped unexpectedly too many times."
			m.LastErrorTime = now
			if err := q.MoveMessage(m, state.QueuePoison); err != nil {
				return nil, nil, err
			}
			poisoned = append(poisoned, m)
			continue
		}
		m.Status = state.MessageActive
		m.CrashCount++
		if err := q.PutMessage(m); err != nil {
			return nil, nil, err
		}
		batch = append(batch, m)
	}
	return batch, poisoned, nil
}

func (t *Transport) trackPoisoned(poisoned []*state.QueuedMessage) {
	for _, m := range poisoned {
		t.track(tracking.PrefixTransport, m, tracking.Event{
			EventId: tracking.EventPoisonMessage, Source: tracking.SourcePoisonMessage,
			Recipients: recipientAddrs(m.Recipients),
		})
	}
}

// nextClaim claims a runner's next batch inside the transaction that
// processes the current one (categorize, mailbox delivery): the claim is
// on disk before the batch is processed, as poison detection needs, and
// costs no commit of its own.
type nextClaim struct {
	t     *Transport
	r     *runner
	limit int
	set   settings
	now   time.Time

	batch, poisoned []*state.QueuedMessage
}

// in claims up to limit due messages of the runner's queue, leaving out
// the messages of the batch being processed. The transaction may run more
// than once; every run starts afresh.
func (c *nextClaim) in(q state.QueueTx, current []*state.QueuedMessage) error {
	if c == nil {
		return nil
	}
	c.batch, c.poisoned = nil, nil
	skip := make(map[int64]bool, len(current))
	for _, m := range current {
		skip[m.InternalId] = true
	}
	msgs, _, err := scanDue(q, c.r.number, c.limit, c.now, skip)
	if err != nil {
		return err
	}
	c.batch, c.poisoned, err = claimMessages(q, msgs, c.set, c.now)
	return err
}

// committed hands the claimed batch to the runner once the transaction
// is on disk.
func (c *nextClaim) committed() {
	if c == nil {
		return
	}
	c.r.next = c.batch
	c.t.trackPoisoned(c.poisoned)
}

// releaseNext gives back a batch claimed for a runner that will not
// process it now (queue suspended or waiting for a retry, service
// stopping): Ready again, its CrashCount as before the claim.
func (t *Transport) releaseNext(r *runner) {
	if len(r.next) == 0 {
		return
	}
	claimed := r.next
	r.next = nil
	err := t.giveBack(claimed, func(m *state.QueuedMessage) { m.Status = state.MessageReady })
	if err != nil {
		t.log.Error("cannot release claimed messages; they are retried after a restart", "queue", r.number, "err", err)
	}
}

// scanDue walks a queue in InternalId order for up to limit messages that
// may be claimed now, leaving out those in skip; nextDue is the earliest
// retry time among the messages seen that are not due yet.
func scanDue(q state.QueueTx, queue int64, limit int, now time.Time, skip map[int64]bool) (due []*state.QueuedMessage, nextDue time.Time, err error) {
	err = q.ForEachMessage(queue, 0, func(m *state.QueuedMessage) error {
		if skip[m.InternalId] {
			return nil
		}
		if !claimable(m, now) {
			if m.Status == state.MessageRetry && (nextDue.IsZero() || m.NextRetryTime.Before(nextDue)) {
				nextDue = m.NextRetryTime
			}
			return nil
		}
		due = append(due, m)
		if len(due) >= limit {
			return state.ErrStopWalk
		}
		return nil
	})
	return due, nextDue, err
}

// claimable reports whether a queued message may be taken for processing
// now: Ready, Active (left over from a stopped service) or Retry and due.
func claimable(m *state.QueuedMessage, now time.Time) bool {
	switch m.Status {
	case state.MessageReady, state.MessageActive:
		return true
	case state.MessageRetry:
		return !now.Before(m.NextRetryTime)
	}
	return false
}

// crashed records that processing of the claimed messages panicked: they
// keep their raised CrashCount and are retried shortly.
func (t *Transport) crashed(queue int64, claimed []*state.QueuedMessage, why string) {
	if len(claimed) == 0 {
		return
	}
	now := t.now()
	err := t.st.QueueUpdate(func(q state.QueueTx) error {
		for _, c := range claimed {
			m, err := q.Message(c.Queue, c.InternalId)
			if err != nil {
				continue // already moved on
			}
			if m.Status != state.MessageActive {
				continue
			}
			m.Status = state.MessageRetry
			m.LastError = "451 4.3.0 An internal server error occurred: " + why
			m.LastErrorTime = now
			m.NextRetryTime = now.Add(time.Minute)
			if err := q.PutMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.log.Error("cannot mark crashed messages for retry", "queue", queue, "err", err)
	}
}
