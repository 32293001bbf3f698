package transport

import (
	"strings"
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// sender is the send stage for one batch of a send connector queue: it
// offers the batch to the connector's hosts over one SMTP connection
// (sendBatch) and records each recipient's outcome in the batch
// transaction: delivered copies leave the queue, refused recipients get an
// NDR, transient failures wait for the next retry. A connector that is gone
// or disabled sends the batch back to the categorizer.
type sender struct {
	t    *Transport
	qr   *state.QueueRecord
	conn *state.SendConnector
	set  settings
	now  time.Time
}

// batchSize is the messages sent over one connection: Exchange's
// SmtpMaxMessagesPerConnection default.
func (s *sender) batchSize() int { return 20 }

// work sends one batch. It claims no next batch: the connection is the
// expensive part, and the next batch takes a connection of its own.
func (s *sender) work(qr *state.QueueRecord, claimed []*state.QueuedMessage, _ *nextClaim) {
	t := s.t
	s.qr, s.now, s.set = qr, t.now(), t.settings()
	// hops are the servers whose Transport service takes the batch
	// (hops.go); nil when it leaves through a send connector.
	var hops []string
	switch qr.DeliveryType {
	case state.DeliveryToMailbox:
		// A database of another server (stageFor): NextHopConnector is
		// the database, not a send connector.
		s.conn, hops = t.intraOrgConnector(), []string{t.databaseServer(qr.NextHopConnector)}
	case state.DeliveryRelayToServers:
		// Messages Redirect-Message hands to other servers.
		s.conn, hops = t.intraOrgConnector(), redirectTargets(qr)
	default:
		_ = t.st.View(func(tx state.Tx) error {
			if c, err := tx.SendConnector(qr.NextHopConnector); err == nil {
				s.conn = c
			}
			return nil
		})
	}
	switch {
	case qr.DeliveryType == state.DeliveryRelayToSourceServers && t.cfg.Local.IsValid() && s.conn != nil && s.conn.Enabled:
		rt := routing{server: t.cfg.ServerName}
		if rt.isLocalSource(s.conn) {
			// This server became a source server: route again.
			s.conn = nil
			break
		}
		s.conn, hops = t.intraOrgConnector(), t.sourceServers(s.conn)
	}
	if s.conn == nil || !s.conn.Enabled {
		// The connector is gone or disabled: route the messages again.
		runBatch(t, batch{stage: "reroute", queue: qr.Number, messages: claimed}, &rerouter{t: t})
		return
	}
	datas := map[int64][]byte{}
	_ = t.st.QueueView(func(q state.QueueTx) error {
		for _, m := range claimed {
			if d, err := q.Data(m.InternalId); err == nil {
				if hops == nil {
					// The organisation's headers stay inside it.
					d = stripOrgHeaders(d)
				} else {
					d = hopData(m, d)
				}
				datas[m.InternalId] = d
			}
		}
		return nil
	})
	results, connErr := t.sendBatch(s.conn, qr, claimed, datas, hops)
	out := &sendOutcome{sender: s, results: make(map[int64]*msgResult, len(results))}
	switch {
	case connErr == nil:
		broken := ""
		for _, r := range results {
			if r.broken {
				broken = r.msgErr
				break
			}
		}
		if broken == "" {
			t.clearQueueRetry(qr.Number)
			break
		}
		// The connection broke mid-batch: the queue goes into Retry as
		// after a connection failure, and the messages whose outcome is
		// unknown wait with it rather than for a message retry.
		out.brokenNext = s.connectionRetry(qr, hops)
		t.setQueueRetry(qr.Number, broken, out.brokenNext)
	case connErr.permanent:
		results = nil
		for _, m := range claimed {
			r := &msgResult{m: m}
			for _, rc := range m.Recipients {
				if rc.Status != state.RecipientDone && rc.Status != state.RecipientFailed {
					r.rcpts = append(r.rcpts, rcptResult{rcpt: rc, permanent: true, status: connErr.status})
				}
			}
			results = append(results, r)
		}
	default:
		// No host took the batch: the queue and its messages wait.
		next := s.connectionRetry(qr, hops)
		t.setQueueRetry(qr.Number, connErr.status, next)
		runBatch(t, s.tried(claimed), &deferral{sender: s, lastError: connErr.status, next: next})
		return
	}
	for _, r := range results {
		out.results[r.m.InternalId] = r
	}
	runBatch(t, s.tried(claimed), out)
}

// connectionRetry is when a queue whose connection failed is tried
// again.
func (s *sender) connectionRetry(qr *state.QueueRecord, hops []string) time.Time {
	t := s.t
	qrNow := qr
	_ = t.st.QueueView(func(q state.QueueTx) error {
		if x, err := q.Queue(qr.Number); err == nil {
			qrNow = x
		}
		return nil
	})
	interval := s.set.OutboundConnectionFailureRetryInterval
	if qrNow.RetryCount < s.set.TransientFailureRetryCount {
		interval = s.set.TransientFailureRetryInterval
	}
	if hops != nil {
		// Counted from the failure: a refused logon is tarpitted.
		return t.now().Add(min(interval, serverHopRetryInterval))
	}
	return s.now.Add(interval)
}

// tried is the batch of messages offered to the connector's hosts: pending
// administrator actions settle after the outcome is recorded.
func (s *sender) tried(claimed []*state.QueuedMessage) batch {
	return batch{stage: "send", queue: s.qr.Number, messages: claimed, tried: true}
}

// settleTried is settlePending for a message whose attempt has ended: it
// no longer counts as interrupted.
func settleTried(q state.QueueTx, m *state.QueuedMessage) (bool, error) {
	if m.Status == state.MessagePendingSuspend {
		m.CrashCount = 0
	}
	return settlePending(q, m)
}

// sendOutcome records what the remote host answered for each message.
type sendOutcome struct {
	*sender
	results map[int64]*msgResult // by InternalId
	// brokenNext, when the connection broke mid-batch, is the queue's
	// next retry: the messages whose outcome is unknown wait for it.
	brokenNext time.Time
}

// sendPlan is a message's outcome: its recipients' statuses are already
// updated in the message read in the transaction.
type sendPlan struct {
	res       *msgResult // nil: the message was not part of the attempt
	delivered []rcptResult
	failed    []failure
	retry     bool // recipients are left for a later attempt
}

func (o *sendOutcome) begin(state.QueueTx) error { return nil }

func (o *sendOutcome) plan(_ state.QueueTx, m *state.QueuedMessage) (p sendPlan, err error) {
	res := o.results[m.InternalId]
	if res == nil {
		return p, nil
	}
	p.res = res
	byAddr := map[string]rcptResult{}
	for _, rr := range res.rcpts {
		byAddr[strings.ToLower(rr.rcpt.Address)] = rr
	}
	for i := range m.Recipients {
		r := &m.Recipients[i]
		rr, ok := byAddr[strings.ToLower(r.Address)]
		switch {
		case !ok:
			if r.Status != state.RecipientDone && r.Status != state.RecipientFailed {
				p.retry = true
				if res.msgErr != "" {
					r.Status, r.LastError = state.RecipientRetry, res.msgErr
				}
			}
		case rr.delivered:
			r.Status = state.RecipientDone
			p.delivered = append(p.delivered, rr)
		case rr.permanent:
			r.Status, r.LastError = state.RecipientFailed, rr.status
			p.failed = append(p.failed, failure{rcpt: *r, status: rr.status, remote: res.target.host})
		default:
			r.Status, r.LastError = state.RecipientRetry, rr.status
			p.retry = true
		}
	}
	return p, nil
}

func (o *sendOutcome) apply(q state.QueueTx, m *state.QueuedMessage, p sendPlan, after *[]func()) error {
	if p.res == nil {
		return nil
	}
	t, now, set := o.t, o.now, o.set
	if err := t.failRecipients(q, m, p.failed, tracking.SourceSMTP, now, after); err != nil {
		return err
	}
	if len(p.delivered) > 0 {
		*after = append(*after, func() { o.trackSend(m, p.res, p.delivered) })
	}
	if !p.retry || m.Status == state.MessagePendingRemove {
		if err := q.RemoveMessage(m.Queue, m.InternalId); err != nil {
			return err
		}
		*after = append(*after, func() { t.rates.outgoing(o.qr.Number, now, 1) })
		return nil
	}
	if done, err := settleTried(q, m); done || err != nil {
		return err
	}
	m.Status = state.MessageRetry
	m.CrashCount = 0
	m.RetryCount++
	interval := set.MessageRetryInterval
	if m.RetryCount <= set.TransientFailureRetryCount {
		interval = set.TransientFailureRetryInterval
	}
	m.NextRetryTime = now.Add(interval)
	if p.res.broken && !o.brokenNext.IsZero() {
		m.NextRetryTime = o.brokenNext
	}
	m.LastErrorTime = now
	for _, r := range m.Recipients {
		if r.Status == state.RecipientRetry && r.LastError != "" {
			m.LastError = r.LastError
		}
	}
	if err := q.PutMessage(m); err != nil {
		return err
	}
	m2 := *m
	*after = append(*after, func() { o.trackDefer(&m2, m2.LastError) })
	return nil
}

func (o *sendOutcome) end(q state.QueueTx) error { return o.t.touchQueue(q, o.qr.Number, o.now) }

// failed: the messages went out but the store cannot record it; they stay
// queued and are sent again later (SMTP is at-least-once).
func (o *sendOutcome) failed(error) (string, time.Time) {
	return "451 4.3.1 Insufficient system resources", o.now.Add(o.set.MessageRetryInterval)
}

func (o *sendOutcome) committed() {}

func (s *sender) trackSend(m *state.QueuedMessage, res *msgResult, delivered []rcptResult) {
	var rcpts, status []string
	for _, d := range delivered {
		rcpts = append(rcpts, d.rcpt.Address)
		status = append(status, d.status)
	}
	s.t.track(tracking.PrefixTransport, m, tracking.Event{
		EventId: tracking.EventSend, Source: tracking.SourceSMTP,
		ClientIp: "", ClientHostname: s.t.cfg.Fqdn,
		ServerIp: res.target.ip, ServerHostname: res.target.host,
		SourceContext: res.session, ConnectorId: s.conn.Name,
		Recipients: rcpts, RecipientStatus: status,
		MessageInfo: m.DateReceived.UTC().Format("2006-01-02T15:04:05.000Z"),
	})
}

// deferral puts the messages of a batch that no host took into Retry
// (DEFER), after a connection failure.
type deferral struct {
	*sender
	quiet
	lastError string
	next      time.Time
}

func (d *deferral) begin(state.QueueTx) error { return nil }

func (d *deferral) plan(state.QueueTx, *state.QueuedMessage) (struct{}, error) {
	return struct{}{}, nil
}

func (d *deferral) apply(q state.QueueTx, m *state.QueuedMessage, _ struct{}, after *[]func()) error {
	if done, err := settleTried(q, m); done || err != nil {
		return err
	}
	m.Status = state.MessageRetry
	m.CrashCount = 0
	m.RetryCount++
	m.LastError, m.LastErrorTime, m.NextRetryTime = d.lastError, d.now, d.next
	for i := range m.Recipients {
		if m.Recipients[i].Status == state.RecipientReady || m.Recipients[i].Status == state.RecipientRetry {
			m.Recipients[i].Status = state.RecipientRetry
			m.Recipients[i].LastError = d.lastError
		}
	}
	if err := q.PutMessage(m); err != nil {
		return err
	}
	*after = append(*after, func() { d.trackDefer(m, d.lastError) })
	return nil
}

func (d *deferral) failed(error) (string, time.Time) { return d.lastError, d.next }

// rerouter sends the messages of a batch back to the categorizer (their
// send connector is gone or disabled). Nothing was tried: pending
// administrator actions settle first.
type rerouter struct {
	t *Transport
}

func (r *rerouter) begin(state.QueueTx) error { return nil }

func (r *rerouter) plan(state.QueueTx, *state.QueuedMessage) (struct{}, error) {
	return struct{}{}, nil
}

func (r *rerouter) apply(q state.QueueTx, m *state.QueuedMessage, _ struct{}, _ *[]func()) error {
	m.Status, m.CrashCount = state.MessageReady, 0
	m.ResubmitCount++
	return q.MoveMessage(m, state.QueueSubmission)
}

func (r *rerouter) end(state.QueueTx) error { return nil }

func (r *rerouter) failed(error) (string, time.Time) {
	now := r.t.now()
	return "451 4.3.1 Insufficient system resources", now.Add(time.Minute)
}

func (r *rerouter) committed() { r.t.kick(state.QueueSubmission) }

// trackDefer logs DEFER for m's pending recipients.
func (s *sender) trackDefer(m *state.QueuedMessage, status string) {
	s.t.track(tracking.PrefixTransport, m, tracking.Event{
		EventId: tracking.EventDefer, Source: tracking.SourceSMTP,
		Recipients: pendingAddrs(m), RecipientStatus: []string{status},
	})
}

func pendingAddrs(m *state.QueuedMessage) []string {
	var out []string
	for _, r := range m.Recipients {
		if r.Status != state.RecipientDone && r.Status != state.RecipientFailed {
			out = append(out, r.Address)
		}
	}
	return out
}
