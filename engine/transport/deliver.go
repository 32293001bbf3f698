package transport

import (
	"fmt"
	"time"

	"exsh/engine/protolog"
	"exsh/engine/transport/tracking"
	"exsh/state"
)

// deliverer is the deliver stage, Mailbox Transport Delivery, for one
// batch of a SmtpDeliveryToMailbox queue: each message is stored in every
// recipient's mailbox and removed from the queue in the same transaction,
// so a message is never lost and never delivered twice.
type deliverer struct {
	t   *Transport
	qr  *state.QueueRecord
	now time.Time
	org state.Tx // the organisation as of the transaction's run
}

// batchSize: mailbox delivery stores up to 50 messages per transaction.
func (d *deliverer) batchSize() int { return 50 }

func (d *deliverer) work(qr *state.QueueRecord, claimed []*state.QueuedMessage, next *nextClaim) {
	d.qr, d.now = qr, d.t.now()
	runBatch(d.t, batch{stage: "mailbox delivery", queue: qr.Number, messages: claimed, next: next}, d)
}

func (d *deliverer) begin(q state.QueueTx) error {
	d.org = q.Org()
	return nil
}

func (d *deliverer) plan(q state.QueueTx, m *state.QueuedMessage) (mailboxPlan, error) {
	// The stored bytes, read in place: the mailbox form is built from them
	// with one copy.
	head, body, err := q.DataParts(m.InternalId)
	if err != nil {
		return mailboxPlan{}, err
	}
	return d.planMailboxDelivery(q, m, head, body)
}

func (d *deliverer) apply(q state.QueueTx, m *state.QueuedMessage, plan mailboxPlan, after *[]func()) error {
	t, now := d.t, d.now
	for i := range plan.items {
		if err := q.DeliverShared(&plan.items[i], plan.front, m.InternalId, plan.tail); err != nil {
			return err
		}
	}
	if err := t.failRecipients(q, m, plan.failed, tracking.SourceStoreDriver, now, after); err != nil {
		return err
	}
	if err := q.RemoveMessage(m.Queue, m.InternalId); err != nil {
		return err
	}
	*after = append(*after, func() {
		t.rates.outgoing(m.Queue, now, 1)
		d.trackMailboxDelivery(m, plan)
	})
	return nil
}

// end records the queue's activity once per batch, as the send stage does.
func (d *deliverer) end(q state.QueueTx) error { return d.t.touchQueue(q, d.qr.Number, d.now) }

// failed puts the queue into Retry too: the mailbox database is offline.
func (d *deliverer) failed(error) (string, time.Time) {
	const why = "432 4.3.2 STOREDRV.Deliver; mailbox database is offline"
	next := d.now.Add(d.t.settings().MailboxDeliveryRetryInterval)
	d.t.setQueueRetry(d.qr.Number, why, next)
	return why, next
}

func (d *deliverer) committed() { d.t.clearQueueRetry(d.qr.Number) }

type mailboxPlan struct {
	items     []state.MailboxItem
	delivered []state.QueuedRecipient
	// duplicates are recipients whose mailbox already holds the message
	// (by its Message-ID): they are completed without a second item.
	duplicates []duplicate
	failed     []failure
	// The delivered form: front, then tail, the end of the queued bytes
	// that the mailbox items share.
	front, tail []byte
}

// A duplicate is a recipient whose mailbox already holds the message.
type duplicate struct {
	rcpt    state.QueuedRecipient
	mailbox string // the recipient's Guid
}

// planMailboxDelivery reads the recipients' mailboxes and builds the stored
// form of the message; it writes nothing. A mailbox that already holds an
// item with the message's Message-ID (a sender that sent the message again
// after losing the answer to the first copy, the same message reaching the
// mailbox on two paths) is not given a second one, as the Exchange store
// drops such duplicates.
func (d *deliverer) planMailboxDelivery(q state.QueueTx, m *state.QueuedMessage, head, body []byte) (plan mailboxPlan, err error) {
	org, now := d.org, d.now
	plan.front, plan.tail = d.t.mailboxParts(m, head, body, now)
	hdrBlock, _ := splitHeader(head, body)
	from := fromAddress(headerFields(hdrBlock, "From")[0])
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
		if dup, err := plan.holds(q, rec.Guid, m.MessageId); err != nil {
			return mailboxPlan{}, err
		} else if dup {
			plan.duplicates = append(plan.duplicates, duplicate{rcpt: r, mailbox: rec.Guid})
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
	return plan, nil
}

// holds reports whether mailbox already has the message with Message-ID
// messageId: an item delivered earlier, or one this plan stores. A message
// without a Message-ID is never a duplicate.
func (plan *mailboxPlan) holds(q state.QueueTx, mailbox, messageId string) (bool, error) {
	if messageId == "" {
		return false, nil
	}
	for i := range plan.items {
		if plan.items[i].Mailbox == mailbox {
			return true, nil
		}
	}
	_, ok, err := q.MailboxMessageId(mailbox, messageId)
	return ok, err
}

// trackMailboxDelivery logs SEND (Transport to Mailbox Transport Delivery)
// and, in the MSGTRKMD log, DELIVER (into the mailbox) or DUPLICATEDELIVER
// (the mailbox already held it).
func (d *deliverer) trackMailboxDelivery(m *state.QueuedMessage, plan mailboxPlan) {
	t, qr := d.t, d.qr
	if len(plan.delivered) == 0 && len(plan.duplicates) == 0 {
		return
	}
	var rcpts, okStatus []string
	for _, r := range plan.delivered {
		rcpts = append(rcpts, r.Address)
		okStatus = append(okStatus, "250 2.1.5 Recipient OK")
	}
	for _, dup := range plan.duplicates {
		rcpts = append(rcpts, dup.rcpt.Address)
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
	for _, dup := range plan.duplicates {
		t.track(tracking.PrefixMailboxDelivery, m, tracking.Event{
			EventId: tracking.EventDuplicateDeliver, Source: tracking.SourceStoreDriver,
			ClientIp: ip, ClientHostname: t.cfg.Fqdn, ServerHostname: t.cfg.Fqdn,
			SourceContext: fmt.Sprintf("MDB:%s, Mailbox:%s, MessageClass:IPM.Note, ClientType:StoreDriver", qr.NextHopConnector, dup.mailbox),
			Recipients:    []string{dup.rcpt.Address},
			MessageInfo:   m.DateReceived.UTC().Format("2006-01-02T15:04:05.000Z"),
		})
	}
}
