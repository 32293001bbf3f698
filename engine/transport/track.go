package transport

import (
	"strconv"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

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
