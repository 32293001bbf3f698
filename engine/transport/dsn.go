package transport

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// PostmasterLocalPart is the Microsoft Exchange recipient that sends NDRs
// and other DSNs to internal senders:
// MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@<default domain>.
const PostmasterLocalPart = "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e"

// postmasterFor is the address a DSN to sender comes from, as Exchange
// chooses it: the internal postmaster, MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@<default
// accepted domain>, for a sender in an accepted domain, and the external
// postmaster address, postmaster@<default accepted domain> (Exchange's
// ExternalPostmasterAddress left at $null), for everyone else.
func postmasterFor(org state.Tx, sender string) string {
	domain := defaultDomain(org)
	if ds, err := org.AcceptedDomains(); err == nil && state.MatchAcceptedDomain(ds, state.AddressDomain(sender)) != nil {
		return PostmasterLocalPart + "@" + domain
	}
	return "postmaster@" + domain
}

type dsnKind int

const (
	dsnFailed dsnKind = iota // NDR
	dsnDelay                 // delay notification
)

// failRecipients logs FAIL for the failed recipients of m and, unless m
// is from the null sender or is itself a DSN, queues an NDR to its sender.
// The caller removes or rewrites m.
func (t *Transport) failRecipients(q state.QueueTx, m *state.QueuedMessage, failed []failure, source string, now time.Time, after *[]func()) error {
	if len(failed) == 0 {
		return nil
	}
	var rcpts, status []string
	for _, f := range failed {
		rcpts = append(rcpts, f.rcpt.Address)
		status = append(status, f.status)
	}
	*after = append(*after, func() {
		t.track(tracking.PrefixTransport, m, tracking.Event{
			EventId: tracking.EventFail, Source: source,
			Recipients: rcpts, RecipientStatus: status,
		})
	})
	return t.addDSN(q, m, failed, dsnFailed, now, after)
}

// addDSN queues a delivery status notification (RFC 3464
// multipart/report) about m to m's sender into the Submission queue, in the
// caller's transaction, and logs the DSN event after the commit. Nothing is
// sent for the null sender or about a DSN.
func (t *Transport) addDSN(q state.QueueTx, m *state.QueuedMessage, items []failure, kind dsnKind, now time.Time, after *[]func()) error {
	if m.Sender == "" || m.IsDSN || len(items) == 0 {
		return nil
	}
	org := q.Org()
	postmaster := postmasterFor(org, m.Sender)
	orig, err := q.Data(m.InternalId)
	if err != nil {
		orig = nil
	}
	set := t.settingsTx(org)
	data, msgID := t.buildDSN(m, orig, items, kind, postmaster, now, set)
	d := &state.QueuedMessage{
		Queue:            state.QueueSubmission,
		MessageId:        msgID,
		NetworkMessageId: state.NewGuid(),
		Sender:           "",
		FromAddress:      postmaster,
		Recipients:       []state.QueuedRecipient{{Address: m.Sender, OriginalAddress: m.Sender, Status: state.RecipientReady, Domain: state.AddressDomain(m.Sender)}},
		Subject:          dsnSubject(kind, m.Subject),
		Size:             int64(len(data)),
		DateReceived:     now,
		ExpirationTime:   now.Add(set.MessageExpirationTimeout),
		Status:           state.MessageReady,
		ServerIP:         m.ServerIP,
		ServerHostname:   m.ServerHostname,
		SourceName:       "DSN",
		AuthAs:           "Internal",
		SCL:              -1,
		Directionality:   "Originating",
		Priority:         "Normal",
		IsDSN:            true,
		ReferenceId:      m.MessageId,
	}
	if err := q.AddMessage(d, data); err != nil {
		return err
	}
	var status []string
	for _, it := range items {
		status = append(status, it.status)
	}
	*after = append(*after, func() {
		t.track(tracking.PrefixTransport, d, tracking.Event{
			EventId: tracking.EventDSN, Source: tracking.SourceDSN,
			Recipients: []string{m.Sender}, RecipientStatus: status,
			Reference: []string{m.MessageId},
		})
		t.rates.incoming(state.QueueSubmission, now)
		t.kick(state.QueueSubmission)
	})
	return nil
}

// dsnSubject is the subject of a DSN about a message with subject s:
// "Undeliverable: s" for an NDR, "Delivery delayed:s" for a delay DSN.
func dsnSubject(kind dsnKind, s string) string {
	if kind == dsnDelay {
		return "Delivery delayed:" + s
	}
	return "Undeliverable: " + s
}

// userText is the human-readable explanation Exchange puts under each
// failed recipient.
func userText(status string) string {
	switch {
	case strings.Contains(status, "5.1.1"), strings.Contains(status, "5.1.10"):
		return "The email address you entered couldn't be found. Please check the recipient's email address and try to resend the message. If the problem continues, please contact your helpdesk."
	case strings.Contains(status, "4.4.7"):
		return "The message couldn't be delivered because the destination couldn't be reached within the allowed time. Try sending the message again later. If the problem continues, please contact your helpdesk."
	case strings.Contains(status, "5.3.4"):
		return "The message is too large to be delivered to this recipient. Please reduce the size of the message and try to resend it."
	}
	return "A problem occurred during the delivery of this message to this email address. Try sending this message again. If the problem continues, please contact your helpdesk."
}

func enhancedCode(status string) string {
	f := strings.Fields(status)
	if len(f) >= 2 && strings.Count(f[1], ".") == 2 {
		return f[1]
	}
	if strings.HasPrefix(status, "4") {
		return "4.0.0"
	}
	return "5.0.0"
}

// buildDSN writes the report: a text part in Exchange's wording with the
// diagnostic section, the machine-readable message/delivery-status part,
// and the original message's header.
func (t *Transport) buildDSN(m *state.QueuedMessage, orig []byte, items []failure, kind dsnKind, postmaster string, now time.Time, set settings) ([]byte, string) {
	boundary := strings.ReplaceAll(state.NewGuid(), "-", "")
	msgID := "<" + state.NewGuid() + "@" + t.cfg.Fqdn + ">"
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...); b.WriteString("\r\n") }
	subject := dsnSubject(kind, m.Subject)
	w("From: Microsoft Outlook <%s>", postmaster)
	w("To: <%s>", m.Sender)
	w("Date: %s", exchangeDate(now))
	w("Subject: %s", subject)
	w("Message-ID: %s", msgID)
	if m.MessageId != "" {
		w("In-Reply-To: %s", m.MessageId)
		w("References: %s", m.MessageId)
	}
	w("MIME-Version: 1.0")
	w("Content-Type: multipart/report; report-type=delivery-status;")
	w("\tboundary=\"%s\"", boundary)
	w("Content-Language: en-US")
	w("Auto-Submitted: auto-replied")
	if kind == dsnFailed {
		w("X-MS-Exchange-Message-Is-Ndr:")
	}
	w("")
	w("--%s", boundary)
	w("Content-Type: text/plain; charset=\"us-ascii\"")
	w("Content-Transfer-Encoding: 7bit")
	w("")
	if kind == dsnDelay {
		w("Delivery is delayed to these recipients or groups:")
		w("")
		for _, it := range items {
			w("%s", it.rcpt.Address)
		}
		w("")
		w("Subject: %s", m.Subject)
		w("")
		left := m.ExpirationTime.Sub(now)
		w("This message hasn't been delivered yet. Delivery will continue to be attempted.")
		w("")
		w("The server will keep trying to deliver this message for the next %s. You'll be notified if the message can't be delivered by that time.", humanDuration(left))
	} else {
		w("Delivery has failed to these recipients or groups:")
		w("")
		for _, it := range items {
			w("%s", it.rcpt.Address)
			w("%s", userText(it.status))
			w("")
		}
	}
	w("")
	w("")
	w("")
	w("Diagnostic information for administrators:")
	w("")
	w("Generating server: %s", t.cfg.Fqdn)
	w("")
	for _, it := range items {
		w("%s", it.rcpt.Address)
		if it.remote != "" {
			w("%s", it.remote)
		}
		w("Remote Server returned '%s'", it.status)
		w("")
	}
	w("Original message headers:")
	w("")
	hdr := stripOrgHeaders(orig)
	hdr = hdr[:headerEnd(hdr)]
	b.Write(bytes.TrimRight(hdr, "\r\n"))
	w("")
	w("")
	w("--%s", boundary)
	w("Content-Type: message/delivery-status")
	w("")
	w("Reporting-MTA: dns;%s", t.cfg.Fqdn)
	if m.SourceHostname != "" {
		w("Received-From-MTA: dns;%s", m.SourceHostname)
	}
	w("Arrival-Date: %s", exchangeDate(m.DateReceived))
	w("")
	for _, it := range items {
		orcpt := it.rcpt.OriginalAddress
		if orcpt == "" {
			orcpt = it.rcpt.Address
		}
		w("Original-Recipient: rfc822;%s", orcpt)
		w("Final-Recipient: rfc822;%s", it.rcpt.Address)
		if kind == dsnDelay {
			w("Action: delayed")
			w("Status: 4.4.7")
			w("Will-Retry-Until: %s", exchangeDate(m.ExpirationTime))
		} else {
			w("Action: failed")
			w("Status: %s", enhancedCode(it.status))
		}
		w("Diagnostic-Code: smtp;%s", it.status)
		if it.remote != "" {
			w("Remote-MTA: dns;%s", it.remote)
		}
		w("")
	}
	w("--%s", boundary)
	w("Content-Type: text/rfc822-headers")
	w("")
	b.Write(bytes.TrimRight(hdr, "\r\n"))
	w("")
	w("")
	w("--%s--", boundary)
	return b.Bytes(), msgID
}

// humanDuration renders "1 day, 19 hours and 58 minutes" as Exchange's
// delay DSN does.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	unit := func(n int, s string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, s)
		}
		return fmt.Sprintf("%d %ss", n, s)
	}
	return fmt.Sprintf("%s, %s and %s", unit(days, "day"), unit(hours, "hour"), unit(mins, "minute"))
}
