package transport

import (
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// sweep expires messages past ExpirationTime (FAIL and an NDR) and sends
// delay DSNs for messages older than DelayNotificationTimeout.
func (t *Transport) sweep(queue int64, set settings, now time.Time) {
	// Most sweeps find nothing to do: look in a read-only transaction
	// first, and write only for the messages found.
	var due []int64
	err := t.st.QueueView(func(q state.QueueTx) error {
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
	err = t.st.QueueUpdate(func(q state.QueueTx) error {
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
