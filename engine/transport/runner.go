package transport

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"exsh/state"
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
	returns := newServerReturns() // wakeReturned's memory
	// The liveness of the other servers is looked at more often than
	// the sweep: a server down for less than a sweep is still seen
	// return.
	var live <-chan time.Time
	if t.cfg.Alive != nil && t.cfg.Local.IsValid() && returnCheckInterval < t.cfg.SweepInterval {
		lt := time.NewTicker(returnCheckInterval)
		defer lt.Stop()
		live = lt.C
	}
	for {
		select {
		case <-t.runCtx.Done():
			return
		case <-live:
			t.wakeReturned(returns)
		case <-tick.C:
			t.wakeReturned(returns)
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
				if server, _ := state.TransportServiceOf(c.Guid); server == "" || strings.EqualFold(server, t.cfg.ServerName) {
					t.applyLogSettings()
				}
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
	err := t.st.QueueView(func(q state.QueueTx) error {
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
	err := t.st.QueueUpdate(func(q state.QueueTx) error {
		qr, err := q.Queue(n)
		if err != nil || qr.MessageCount != 0 {
			return err
		}
		deleted = true
		return q.DeleteQueue(n)
	})
	return err == nil && deleted
}

// recoverQueues runs at Start: a message left Active was interrupted (its
// CrashCount already counts the attempt); it becomes Ready again. Pending
// admin actions complete. It returns every queue number.
func (t *Transport) recoverQueues() ([]int64, error) {
	var numbers []int64
	err := t.st.QueueUpdate(func(q state.QueueTx) error {
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

func recipientAddrs(rs []state.QueuedRecipient) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Address)
	}
	return out
}
