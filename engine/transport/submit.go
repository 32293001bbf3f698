package transport

import (
	"strings"

	"exsh/engine/mail"
	"exsh/engine/transport/tracking"
	"exsh/state"
)

// The submit stage: the receive side hands every accepted message to
// Submit, which commits it to the Submission queue for the categorizer.

// Submit commits a message to the Submission queue and returns once it is
// on disk. Its error (nothing was stored) is answered by the receive side
// with "452 4.3.1 Insufficient system resources"; it wraps
// state.ErrQueueFull for store failures and is ErrStopped after Stop.
func (t *Transport) Submit(sub *mail.Submission) (*mail.Receipt, error) {
	if t.isStopped() {
		return nil, ErrStopped
	}
	now := t.now()
	received := sub.ReceivedAt
	if received.IsZero() {
		received = now
	}
	// The fields Submit adds (Message-ID, Date) are stored beside the data,
	// not spliced into a copy of it.
	data := sub.Data
	at, insert, hdr := prepareInsert(data, t.cfg.Fqdn, received)
	set := t.settings()
	m := &state.QueuedMessage{
		Queue:            state.QueueSubmission,
		MessageId:        hdr.messageID,
		NetworkMessageId: state.NewGuid(),
		Sender:           trimAddr(sub.Sender),
		FromAddress:      trimAddr(sub.Sender),
		Subject:          hdr.subject,
		Size:             int64(len(data) + len(insert)),
		DateReceived:     received,
		ExpirationTime:   received.Add(set.MessageExpirationTimeout),
		Status:           state.MessageReady,
		SourceIP:         addrString(sub.ClientIP),
		SourceHostname:   sub.ClientHostname,
		ServerIP:         addrString(sub.ServerIP),
		ServerHostname:   sub.ServerHostname,
		OriginalClientIP: addrString(sub.OriginalClientIP),
		ConnectorId:      sub.ConnectorIdentity,
		SessionId:        sub.SessionID,
		SourceName:       "SMTP:" + connectorName(sub.ConnectorIdentity),
		AuthUser:         sub.AuthUser,
		AuthAs:           "Anonymous",
		Directionality:   sub.Direction,
		Priority:         "Normal",
		BodyType:         sub.BodyType,
	}
	if m.Directionality == "" {
		m.Directionality = "Incoming"
	}
	if sub.AuthUser != "" || m.Directionality == "Originating" {
		m.AuthAs = "Internal"
		m.SCL = -1
	}
	if m.FromAddress == "" {
		m.FromAddress = hdr.from
	}
	for _, r := range sub.Recipients {
		a := trimAddr(r)
		m.Recipients = append(m.Recipients, state.QueuedRecipient{Address: a, OriginalAddress: a, Status: state.RecipientReady, Domain: state.AddressDomain(a)})
	}
	if err := t.st.EnqueueInsert(m, data, at, insert); err != nil {
		t.log.Error("cannot queue a submitted message", "err", err)
		return nil, err
	}
	t.rates.incoming(state.QueueSubmission, now)
	t.trackReceived(m)
	t.kick(state.QueueSubmission)
	return &mail.Receipt{InternalID: m.InternalId, MessageID: m.MessageId}, nil
}

func connectorName(identity string) string {
	if i := strings.LastIndexByte(identity, '\\'); i >= 0 {
		return identity[i+1:]
	}
	return identity
}

func trimAddr(a string) string {
	a = strings.TrimSpace(a)
	return strings.TrimSuffix(strings.TrimPrefix(a, "<"), ">")
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
