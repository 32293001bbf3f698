package transport

import (
	"fmt"
	"strconv"
	"time"

	"exsh/engine/protolog"
	"exsh/engine/transport/tracking"
	"exsh/state"
	"exsh/state/boltdb"
)

// deliverToMailboxes is Mailbox Transport Delivery for one batch of a
// SmtpDeliveryToMailbox queue: each message is stored in every recipient's
// mailbox and removed from the queue in the same transaction, so a message
// is never lost and never delivered twice.
func (t *Transport) deliverToMailboxes(qr *state.QueueRecord, batch []*state.QueuedMessage, next *nextClaim) {
	now := t.now()
	var after []func()
	var crashedMsgs []*state.QueuedMessage
	err := t.st.QueueBatch(func(q *boltdb.QueueTx) error {
		after, crashedMsgs = nil, nil
		org := q.Org()
		for _, c := range batch {
			m, err := q.Message(qr.Number, c.InternalId)
			if err != nil {
				continue
			}
			switch m.Status {
			case state.MessagePendingRemove:
				if err := q.RemoveMessage(m.Queue, m.InternalId); err != nil {
					return err
				}
				continue
			case state.MessagePendingSuspend:
				if err := q.SetMessageStatus(m, state.MessageSuspended); err != nil {
					return err
				}
				continue
			}
			// The stored bytes, read in place: the mailbox form is built
			// from them with one copy.
			head, body, err := q.DataParts(m.InternalId)
			if err != nil {
				return err
			}
			plan, ok := t.planMailboxDelivery(org, m, head, body, now)
			if !ok {
				crashedMsgs = append(crashedMsgs, m)
				continue
			}
			for i := range plan.items {
				if err := q.DeliverShared(&plan.items[i], plan.front, m.InternalId, plan.tail); err != nil {
					return err
				}
			}
			if err := t.failRecipients(q, m, plan.failed, tracking.SourceStoreDriver, now, &after); err != nil {
				return err
			}
			if err := q.RemoveMessage(m.Queue, m.InternalId); err != nil {
				return err
			}
			if err := t.touchQueue(q, m.Queue, now); err != nil {
				return err
			}
			after = append(after, func() {
				t.rates.outgoing(m.Queue, now, 1)
				t.trackMailboxDelivery(m, plan, qr)
			})
		}
		return next.in(q, batch)
	})
	if err != nil {
		set := t.settings()
		t.log.Error("mailbox delivery failed; the messages stay queued", "queue", qr.Number, "err", err)
		t.releaseForRetry(batch, "432 4.3.2 STOREDRV.Deliver; mailbox database is offline", now.Add(set.MailboxDeliveryRetryInterval))
		t.setQueueRetry(qr.Number, "432 4.3.2 STOREDRV.Deliver; mailbox database is offline", now.Add(set.MailboxDeliveryRetryInterval))
		return
	}
	next.committed()
	t.clearQueueRetry(qr.Number)
	for _, f := range after {
		f()
	}
	if len(crashedMsgs) > 0 {
		t.crashed(qr.Number, crashedMsgs, "mailbox delivery failure")
	}
}

type mailboxPlan struct {
	items     []state.MailboxItem
	delivered []state.QueuedRecipient
	failed    []failure
	// The delivered form: front, then tail, the end of the queued bytes
	// that the mailbox items share.
	front, tail []byte
}

// planMailboxDelivery reads the recipients' mailboxes and builds the stored
// form of the message; it writes nothing. A panic is reported as !ok.
func (t *Transport) planMailboxDelivery(org state.Tx, m *state.QueuedMessage, head, body []byte, now time.Time) (plan mailboxPlan, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("mailbox delivery panic", "message", m.InternalId, "panic", fmt.Sprint(p))
			plan, ok = mailboxPlan{}, false
		}
	}()
	plan.front, plan.tail = t.mailboxParts(m, head, body, now)
	hdrBlock, _ := splitHeader(head, body)
	hdr := parseHeader(hdrBlock)
	from := fromAddress(hdr.Get("From"))
	if from == "" {
		from = m.FromAddress
	}
	for _, r := range m.Recipients {
		if r.Status == state.RecipientDone || r.Status == state.RecipientFailed {
			continue
		}
		var rec *state.Recipient
		var err error
		if r.RecipientGuid != "" {
			rec, err = org.Recipient(r.RecipientGuid)
		}
		if rec == nil {
			rec, err = org.RecipientByAddress(r.Address)
		}
		if err != nil || rec == nil || !rec.HasMailbox() {
			plan.failed = append(plan.failed, failure{rcpt: r, status: statusRecipNotFound})
			continue
		}
		plan.items = append(plan.items, state.MailboxItem{
			Mailbox:           rec.Guid,
			ReceivedTime:      now,
			From:              from,
			Subject:           m.Subject,
			MessageId:         m.MessageId,
			InternalMessageId: m.InternalId,
			NetworkMessageId:  m.NetworkMessageId,
		})
		plan.delivered = append(plan.delivered, r)
	}
	return plan, true
}

// trackMailboxDelivery logs SEND (Transport to Mailbox Transport Delivery)
// and DELIVER (into the mailbox, in the MSGTRKMD log).
func (t *Transport) trackMailboxDelivery(m *state.QueuedMessage, plan mailboxPlan, qr *state.QueueRecord) {
	if len(plan.delivered) == 0 {
		return
	}
	var rcpts, okStatus []string
	for _, r := range plan.delivered {
		rcpts = append(rcpts, r.Address)
		okStatus = append(okStatus, "250 2.1.5 Recipient OK")
	}
	ip := m.ServerIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	t.track(tracking.PrefixTransport, m, tracking.Event{
		EventId: tracking.EventSend, Source: tracking.SourceSMTP,
		ClientIp: ip, ClientHostname: t.cfg.Fqdn, ServerIp: ip, ServerHostname: t.cfg.Fqdn,
		SourceContext: protolog.NewSessionID() + ";" + m.DateReceived.UTC().Format("2006-01-02T15:04:05.000Z") + ";1",
		ConnectorId:   intraOrgConnectorId,
		Recipients:    rcpts, RecipientStatus: okStatus,
		MessageInfo: m.DateReceived.UTC().Format("2006-01-02T15:04:05.000Z") + ";SRV=" + t.cfg.Fqdn,
	})
	for i, it := range plan.items {
		t.track(tracking.PrefixMailboxDelivery, m, tracking.Event{
			EventId: tracking.EventDeliver, Source: tracking.SourceStoreDriver,
			ClientIp: ip, ClientHostname: t.cfg.Fqdn, ServerHostname: t.cfg.Fqdn,
			SourceContext: fmt.Sprintf("MDB:%s, Mailbox:%s, Event:%d, MessageClass:IPM.Note, CreationTime:%s, ClientType:StoreDriver",
				qr.NextHopConnector, it.Mailbox, it.Id, it.ReceivedTime.UTC().Format("2006-01-02T15:04:05.000Z")),
			Recipients:  []string{plan.delivered[i].Address},
			MessageInfo: m.DateReceived.UTC().Format("2006-01-02T15:04:05.000Z"),
		})
	}
}

// track writes one tracking event about m, filling every field the caller
// left empty from the message.
func (t *Transport) track(prefix string, m *state.QueuedMessage, e tracking.Event) {
	def := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	def(&e.ClientIp, m.SourceIP)
	def(&e.ClientHostname, m.SourceHostname)
	def(&e.ServerIp, m.ServerIP)
	def(&e.ServerHostname, t.cfg.ServerName)
	def(&e.InternalMessageId, strconv.FormatInt(m.InternalId, 10))
	def(&e.MessageId, m.MessageId)
	def(&e.NetworkMessageId, m.NetworkMessageId)
	def(&e.MessageSubject, m.Subject)
	if m.Sender != "" {
		def(&e.Sender, m.Sender)
		def(&e.ReturnPath, m.Sender)
	} else {
		def(&e.Sender, m.FromAddress)
		def(&e.ReturnPath, "<>")
	}
	def(&e.Directionality, m.Directionality)
	def(&e.OriginalClientIp, m.OriginalClientIP)
	def(&e.OriginalServerIp, m.ServerIP)
	def(&e.TransportTrafficType, "Email")
	if e.TotalBytes == 0 {
		e.TotalBytes = m.Size
	}
	if e.RecipientCount == 0 {
		e.RecipientCount = len(e.Recipients)
	}
	if e.Reference == nil && m.ReferenceId != "" {
		e.Reference = []string{m.ReferenceId}
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = t.now()
	}
	t.trk.Write(prefix, e)
}

// trackReceived logs the Transport service's receipt of a submitted
// message: HAREDIRECT, then RECEIVE.
func (t *Transport) trackReceived(m *state.QueuedMessage) {
	rcpts := recipientAddrs(m.Recipients)
	t.track(tracking.PrefixTransport, m, tracking.Event{
		EventId: tracking.EventHARedirect, Source: tracking.SourceSMTP,
		ConnectorId: m.ConnectorId, Recipients: rcpts, ServerHostname: t.cfg.ServerName,
		CustomData: "S:DeliveryPriority=Normal",
	})
	t.track(tracking.PrefixTransport, m, tracking.Event{
		EventId: tracking.EventReceive, Source: tracking.SourceSMTP,
		SourceContext: m.SessionId, ConnectorId: m.ConnectorId, Recipients: rcpts,
		CustomData: "S:DeliveryPriority=Normal;S:AccountForest=" + t.domain(),
	})
}

// setQueueRetry puts a queue into Retry after a failed connection or
// delivery attempt.
func (t *Transport) setQueueRetry(n int64, lastError string, next time.Time) {
	now := t.now()
	err := t.st.QueueUpdate(func(q *boltdb.QueueTx) error {
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
	_ = t.st.QueueView(func(q *boltdb.QueueTx) error {
		qr, err := q.Queue(n)
		needs = err == nil && (qr.LastError != "" || qr.RetryCount != 0)
		return nil
	})
	if !needs {
		return
	}
	_ = t.st.QueueUpdate(func(q *boltdb.QueueTx) error {
		qr, err := q.Queue(n)
		if err != nil {
			return nil
		}
		qr.LastError, qr.RetryCount = "", 0
		qr.FirstRetryTime, qr.NextRetryTime = time.Time{}, time.Time{}
		return q.PutQueue(qr)
	})
}
