package engine

import (
	"net/netip"
	"strings"

	"exsh/engine/frontend"
	"exsh/engine/mail"
	"exsh/engine/replies"
	"exsh/engine/smtpd"
)

// headerDirectionality says, between the servers of an organisation,
// whether a message was submitted inside it.
const headerDirectionality = "X-MS-Exchange-Organization-MessageDirectionality"

// hubData is the DataFunc of the Transport service's connectors: it adds
// this hop's Received: line and hands the message to the Submitter. The
// client gets "250 2.6.0 ... Queued mail for delivery" only once the
// Submitter has queued the message durably; a Submitter error is
// answered with 452 4.3.1 and nothing is acknowledged.
func (s *Service) hubData(r *frontend.Receive, st *smtpd.State, env *smtpd.Envelope, msg []byte) replies.Reply {
	org := r.Org
	now := s.opts.Now()
	msg = frontend.FilterHeader(msg, r.Rights)
	sub := &mail.Submission{
		ConnectorIdentity: r.Conn.Rec.Identity,
		SessionID:         st.Log.ID(),
		ClientIP:          st.Remote.Addr().Unmap(),
		ClientHostname:    st.Helo,
		ServerIP:          st.Local.Addr().Unmap(),
		ServerHostname:    org.Fqdn,
		Sender:            env.From,
		Recipients:        r.Recipients(env),
		ReceivedAt:        now,
		Direction:         "Incoming",
		BodyType:          env.Mail.Body,
	}
	fromName, fromIP := st.Helo, st.Remote.Addr()
	switch {
	case r.IsServer:
		// Mail proxied by a Front End: it says who the client was.
		if ip, err := netip.ParseAddr(frontend.FieldValue(msg, frontend.HeaderOriginalClientIP)); err == nil {
			sub.OriginalClientIP = ip
		}
		helo := frontend.FieldValue(msg, frontend.HeaderClientHelo)
		msg = frontend.RemoveFields(msg, func(name string) bool { return strings.EqualFold(name, frontend.HeaderClientHelo) })
		sub.AuthUser = r.OnBehalfOf
		if r.OnBehalfOf != "" && sub.OriginalClientIP.IsValid() {
			// The Front End adds no Received: line for an authenticated
			// submission; this hop names the client (§8.1).
			fromName, fromIP = helo, sub.OriginalClientIP
		}
	case r.Account != nil:
		sub.AuthUser = org.NetBIOS() + `\` + r.Account.SamAccountName
	}
	if sub.AuthUser != "" {
		sub.Direction = "Originating"
	} else if r.IsServer && len(org.Peers) > 0 && strings.EqualFold(frontend.FieldValue(msg, headerDirectionality), "Originating") {
		// Another server's Transport service hands over mail that was
		// submitted there: it stays Originating.
		sub.Direction = "Originating"
	}
	received := smtpd.Received(fromName, fromIP, org.Fqdn, st.Local.Addr(), st.TLS, org.Build, "", now)
	sub.Data = make([]byte, 0, len(received)+len(msg))
	sub.Data = append(append(sub.Data, received...), msg...)
	if s.opts.Submitter == nil {
		st.Log.Info("", "No Transport service to queue the message")
		return replies.Resources
	}
	rc, err := s.opts.Submitter.Submit(sub)
	if err != nil || rc == nil {
		s.log.Error("queueing a message failed", "connector", r.Conn.Rec.Identity, "err", err)
		st.Log.Info("", "Message submission failed")
		return replies.Resources
	}
	return replies.Queued(rc.MessageID, rc.InternalID, org.Fqdn)
}
