package transport

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
	"exsh/state/boltdb"
)

// Batch sizes: how many messages one transaction takes from a queue.
const (
	categorizeBatch = 100
	mailboxBatch    = 50
	smtpBatch       = 20 // SmtpMaxMessagesPerConnection default
)

// runner works one queue. Exactly one runner per queue exists while the
// Transport runs, so a queue's messages are never processed twice at once.
type runner struct {
	number    int64
	kickC     chan struct{}
	busy      atomic.Bool // processing a batch (queue Status Active)
	lastSweep time.Time   // by the Transport clock
	// next is a batch claimed in the transaction that processed the
	// previous one, so a busy queue costs one commit per batch, not two.
	next []*state.QueuedMessage
}

// kick makes queue n's runner look at its queue now, starting the runner
// if there is none.
func (t *Transport) kick(n int64) { t.ensureRunner(n) }

func (t *Transport) ensureRunner(n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started || t.stopped {
		return
	}
	if r := t.runners[n]; r != nil {
		select {
		case r.kickC <- struct{}{}:
		default:
		}
		return
	}
	r := &runner{number: n, kickC: make(chan struct{}, 1)}
	t.runners[n] = r
	t.goOwned(func() { t.runLoop(r) })
}

func (t *Transport) isBusy(n int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.runners[n]
	return r != nil && r.busy.Load()
}

func (t *Transport) runLoop(r *runner) {
	defer t.releaseNext(r)
	for {
		select {
		case <-t.runCtx.Done():
			return
		default:
		}
		next, gone := t.runOnceSafe(r)
		if gone {
			t.mu.Lock()
			if t.runners[r.number] == r {
				delete(t.runners, r.number)
			}
			t.mu.Unlock()
			return
		}
		var timer <-chan time.Time
		var tm *time.Timer
		if !next.IsZero() {
			d := next.Sub(t.now())
			if d <= 0 {
				continue
			}
			tm = time.NewTimer(d)
			timer = tm.C
		}
		select {
		case <-t.runCtx.Done():
		case <-r.kickC:
		case <-timer:
		}
		if tm != nil {
			tm.Stop()
		}
	}
}

// sweepLoop wakes every runner now and then so retries, expiry and delay
// DSNs happen even when nothing else happens.
func (t *Transport) sweepLoop() {
	tick := time.NewTicker(t.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.runCtx.Done():
			return
		case <-tick.C:
			t.kickAll()
		}
	}
}

func (t *Transport) kickAll() {
	t.mu.Lock()
	var ns []int64
	for n := range t.runners {
		ns = append(ns, n)
	}
	t.mu.Unlock()
	for _, n := range ns {
		t.kick(n)
	}
}

// watchConfig resubmits the Unreachable queue when the organisation's
// routing changes (a send connector or accepted domain added, changed or
// removed), as Exchange does, unless that queue is suspended.
func (t *Transport) watchConfig() {
	changes, cancel := t.st.Subscribe()
	defer cancel()
	for {
		select {
		case <-t.runCtx.Done():
			return
		case c, ok := <-changes:
			if !ok {
				return
			}
			switch c.Kind {
			case state.KindSendConnector, state.KindAcceptedDomain, state.KindRecipient, state.KindMailboxDatabase:
				if err := t.resubmitQueue(state.QueueUnreachable, false); err != nil {
					t.log.Warn("cannot resubmit the Unreachable queue", "err", err)
				}
			case state.KindTransportService:
				t.applyLogSettings()
			}
		}
	}
}

// runOnceSafe runs one step of a runner, turning a panic into a retry of
// the messages it held.
func (t *Transport) runOnceSafe(r *runner) (next time.Time, gone bool) {
	var claimed []*state.QueuedMessage
	defer func() {
		if p := recover(); p != nil {
			r.busy.Store(false)
			t.log.Error("queue runner panic; the messages will be retried", "queue", r.number, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			t.crashed(r.number, claimed, fmt.Sprint(p))
			next, gone = t.now().Add(time.Second), false
		}
	}()
	return t.runOnce(r, &claimed)
}

func (t *Transport) runOnce(r *runner, claimed *[]*state.QueuedMessage) (time.Time, bool) {
	now := t.now()
	set := t.settings()
	var qr *state.QueueRecord
	err := t.st.QueueView(func(q *boltdb.QueueTx) error {
		var err error
		qr, err = q.Queue(r.number)
		return err
	})
	if err != nil {
		return time.Time{}, true // queue removed
	}
	if r.number == state.QueuePoison {
		return time.Time{}, false
	}
	if r.lastSweep.IsZero() || !now.Before(r.lastSweep.Add(t.cfg.SweepInterval)) {
		r.lastSweep = now
		t.sweep(r.number, set, now)
	}
	if qr.Suspended || r.number == state.QueueUnreachable {
		t.releaseNext(r)
		return time.Time{}, false
	}
	if r.number != state.QueueSubmission && qr.LastError != "" && now.Before(qr.NextRetryTime) {
		t.releaseNext(r)
		return qr.NextRetryTime, false
	}
	stg := t.stageFor(qr)
	limit := stg.batchSize()
	var batch []*state.QueuedMessage
	var nextDue time.Time
	if len(r.next) > 0 {
		batch, r.next = r.next, nil
	} else {
		batch, nextDue, err = t.claim(r.number, limit, set, now)
	}
	if err != nil {
		t.log.Error("cannot take messages from a queue", "queue", r.number, "err", err)
		return now.Add(5 * time.Second), false
	}
	*claimed = batch
	if len(batch) == 0 {
		if r.number > state.QueuePoison && qr.MessageCount == 0 {
			idleUntil := qr.LastActivity.Add(set.QueueMaxIdleTime)
			if !now.Before(idleUntil) {
				if t.deleteIdleQueue(r.number) {
					return time.Time{}, true
				}
			}
			if nextDue.IsZero() || idleUntil.Before(nextDue) {
				nextDue = idleUntil
			}
		}
		return nextDue, false
	}
	r.busy.Store(true)
	defer r.busy.Store(false)
	next := &nextClaim{t: t, r: r, limit: limit, set: set, now: now}
	stg.work(qr, batch, next)
	return now, false
}

func (t *Transport) deleteIdleQueue(n int64) bool {
	deleted := false
	err := t.st.QueueUpdate(func(q *boltdb.QueueTx) error {
		qr, err := q.Queue(n)
		if err != nil || qr.MessageCount != 0 {
			return err
		}
		deleted = true
		return q.DeleteQueue(n)
	})
	return err == nil && deleted
}

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
	err = t.st.QueueView(func(q *boltdb.QueueTx) error {
		var err error
		due, nextDue, err = scanDue(q, queue, limit, now, nil)
		return err
	})
	if err != nil || len(due) == 0 {
		return nil, nextDue, err
	}
	var poisoned []*state.QueuedMessage
	err = t.st.QueueBatch(func(q *boltdb.QueueTx) error {
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
func claimMessages(q *boltdb.QueueTx, msgs []*state.QueuedMessage, set settings, now time.Time) (batch, poisoned []*state.QueuedMessage, err error) {
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
func (c *nextClaim) in(q *boltdb.QueueTx, current []*state.QueuedMessage) error {
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
func scanDue(q *boltdb.QueueTx, queue int64, limit int, now time.Time, skip map[int64]bool) (due []*state.QueuedMessage, nextDue time.Time, err error) {
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
			return boltdb.ErrStopWalk
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
	err := t.st.QueueUpdate(func(q *boltdb.QueueTx) error {
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

// recoverQueues runs at Start: a message left Active was interrupted (its
// CrashCount already counts the attempt); it becomes Ready again. Pending
// admin actions complete. It returns every queue number.
func (t *Transport) recoverQueues() ([]int64, error) {
	var numbers []int64
	err := t.st.QueueUpdate(func(q *boltdb.QueueTx) error {
		numbers = nil
		queues, err := q.Queues()
		if err != nil {
			return err
		}
		for _, qr := range queues {
			numbers = append(numbers, qr.Number)
			var fix []*state.QueuedMessage
			err := q.ForEachMessage(qr.Number, 0, func(m *state.QueuedMessage) error {
				switch m.Status {
				case state.MessageActive, state.MessageLocked, state.MessagePendingRemove, state.MessagePendingSuspend:
					fix = append(fix, m)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, m := range fix {
				switch m.Status {
				case state.MessagePendingRemove:
					if err := q.RemoveMessage(m.Queue, m.InternalId); err != nil {
						return err
					}
				case state.MessagePendingSuspend:
					if err := q.SetMessageStatus(m, state.MessageSuspended); err != nil {
						return err
					}
				default:
					m.Status = state.MessageReady
					if err := q.PutMessage(m); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("transport: cannot recover the queues: %w", err)
	}
	return numbers, nil
}

// sweep expires messages past ExpirationTime (FAIL and an NDR) and sends
// delay DSNs for messages older than DelayNotificationTimeout.
func (t *Transport) sweep(queue int64, set settings, now time.Time) {
	// Most sweeps find nothing to do: look in a read-only transaction
	// first, and write only for the messages found.
	var due []int64
	err := t.st.QueueView(func(q *boltdb.QueueTx) error {
		return q.ForEachMessage(queue, 0, func(m *state.QueuedMessage) error {
			if sweepAction(m, set, now) != sweepNothing {
				due = append(due, m.InternalId)
			}
			return nil
		})
	})
	if err != nil {
		t.log.Error("queue sweep failed", "queue", queue, "err", err)
		return
	}
	if len(due) == 0 {
		return
	}
	var after []func()
	err = t.st.QueueUpdate(func(q *boltdb.QueueTx) error {
		after = nil
		var expired, delayed, leftover []*state.QueuedMessage
		for _, id := range due {
			m, err := q.Message(queue, id)
			if err != nil {
				continue // gone since it was read
			}
			switch sweepAction(m, set, now) {
			case sweepRemove:
				leftover = append(leftover, m)
			case sweepExpire:
				expired = append(expired, m)
			case sweepDelay:
				delayed = append(delayed, m)
			}
		}
		for _, m := range leftover {
			if err := q.RemoveMessage(m.Queue, m.InternalId); err != nil {
				return err
			}
		}
		for _, m := range expired {
			var failed []failure
			for _, r := range m.Recipients {
				if r.Status == state.RecipientDone || r.Status == state.RecipientFailed {
					continue
				}
				why := "550 4.4.7 QUEUE.Expired; message expired"
				failed = append(failed, failure{rcpt: r, status: why, lastError: m.LastError})
			}
			if err := t.failRecipients(q, m, failed, tracking.SourceQueue, now, &after); err != nil {
				return err
			}
			if err := q.RemoveMessage(m.Queue, m.InternalId); err != nil {
				return err
			}
			after = append(after, func() { t.rates.outgoing(m.Queue, now, 1) })
		}
		for _, m := range delayed {
			var pending []failure
			for _, r := range m.Recipients {
				if r.Status == state.RecipientDone || r.Status == state.RecipientFailed {
					continue
				}
				pending = append(pending, failure{rcpt: r, status: "400 4.4.7 Message delayed", lastError: m.LastError})
			}
			m.DelayNotified = true
			if err := q.PutMessage(m); err != nil {
				return err
			}
			if len(pending) > 0 {
				if err := t.addDSN(q, m, pending, dsnDelay, now, &after); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.log.Error("queue sweep failed", "queue", queue, "err", err)
		return
	}
	for _, f := range after {
		f()
	}
}

type sweepKind int

const (
	sweepNothing sweepKind = iota
	sweepRemove            // PendingRemove left over from a stopped service
	sweepExpire            // past ExpirationTime: FAIL and an NDR
	sweepDelay             // older than DelayNotificationTimeout: a delay DSN
)

// sweepAction is what a sweep does with a message.
func sweepAction(m *state.QueuedMessage, set settings, now time.Time) sweepKind {
	switch {
	case m.Status == state.MessageActive:
	case m.Status == state.MessagePendingRemove:
		return sweepRemove
	case !m.ExpirationTime.IsZero() && !now.Before(m.ExpirationTime):
		return sweepExpire
	case !m.DelayNotified && !m.IsDSN && m.Sender != "" && set.DelayNotificationTimeout > 0 &&
		!now.Before(m.DateReceived.Add(set.DelayNotificationTimeout)):
		return sweepDelay
	}
	return sweepNothing
}

func recipientAddrs(rs []state.QueuedRecipient) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Address)
	}
	return out
}
