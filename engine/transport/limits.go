package transport

import "exsh/state"

// Recipient status texts of the organisation's limits (Set-TransportConfig).
const (
	statusRecipLimit       = "550 5.5.3 RESOLVER.ADR.RecipLimit; too many recipients"
	statusSendSizeLimitOrg = "550 5.2.3 RESOLVER.RST.SendSizeLimit.Org; message too large for this organization"
	statusSendSizeLimit    = "550 5.2.3 RESOLVER.RST.SendSizeLimit.Sender; message too large for this sender"
	statusRecipSizeLimit   = "550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient"
)

// transportConfig is the organisation's transport settings, read once per
// categorizer transaction.
func (rt *routing) transportConfig() *state.TransportConfig {
	if rt.limits == nil {
		c, err := rt.org.TransportConfig()
		if err != nil {
			c = state.DefaultTransportConfig()
		}
		rt.limits = c
	}
	return rt.limits
}

// messageLimit is the status that fails every recipient of m because the
// message breaks an organisation limit, or "": more envelope recipients
// than MaxRecipientEnvelopeLimit (a group counts as one), or a message
// from inside the organisation larger than MaxSendSize. Messages this
// server generates (DSNs) are not held to them.
func (rt *routing) messageLimit(m *state.QueuedMessage) string {
	if m.IsDSN {
		return ""
	}
	c := rt.transportConfig()
	if c.MaxRecipientEnvelopeLimit >= 0 && int64(len(m.Recipients)) > int64(c.MaxRecipientEnvelopeLimit) {
		return statusRecipLimit
	}
	if !fromInside(m) {
		return ""
	}
	// A mailbox's own MaxSendSize takes the place of the organisation's.
	if sender, err := rt.org.RecipientByAddress(m.Sender); err == nil && sender.HasMailbox() {
		if own, ok := state.ParseSizeLimit(sender.MaxSendSize); ok && own >= 0 {
			if m.Size > int64(own) {
				return statusSendSizeLimit
			}
			return ""
		}
	}
	if c.MaxSendSize >= 0 && m.Size > int64(c.MaxSendSize) {
		return statusSendSizeLimitOrg
	}
	return ""
}

// receiveLimit is the status that fails a recipient of the organisation
// (a mailbox, a group) when m is larger than its MaxReceiveSize (a
// mailbox's own limit, else the organisation's), or "".
func (rt *routing) receiveLimit(m *state.QueuedMessage, rec *state.Recipient) string {
	if m.IsDSN {
		return ""
	}
	if own, ok := state.ParseSizeLimit(rec.MaxReceiveSize); ok && own >= 0 && rec.HasMailbox() {
		if m.Size > int64(own) {
			return statusRecipSizeLimit
		}
		return ""
	}
	if c := rt.transportConfig(); c.MaxReceiveSize >= 0 && m.Size > int64(c.MaxReceiveSize) {
		return statusRecipSizeLimit
	}
	return ""
}

// fromInside reports whether m was sent by an authenticated sender of the
// organisation (AuthAs Internal).
func fromInside(m *state.QueuedMessage) bool { return m.AuthAs == "Internal" }
