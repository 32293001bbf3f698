// Package mail holds the envelope types that pass between the receive side
// (SMTP sessions on receive connectors) and the Transport service's queues.
package mail

import (
	"net/netip"
	"time"
)

// Submission is a message accepted on a HubTransport receive connector, handed
// to the Transport service to be queued. Data is the whole message as
// received, with the Received: header of this hop already prepended.
type Submission struct {
	ConnectorIdentity string // "EX01\Default EX01"
	SessionID         string // the protocol-log session id, 16 hex digits
	ClientIP          netip.Addr
	ClientHostname    string // the EHLO/HELO name
	ServerIP          netip.Addr
	ServerHostname    string
	Sender            string // envelope MAIL FROM ("" for the null sender <>)
	Recipients        []string
	// AuthUser is the authenticated account's identity ("" when anonymous);
	// for proxied mail it is the account the Front End authenticated.
	AuthUser string
	// OriginalClientIP is the first hop's client when a Front End proxied the message.
	OriginalClientIP netip.Addr
	ReceivedAt       time.Time
	Data             []byte
	// Direction: "Originating" when submitted by an authenticated user, else "Incoming".
	Direction string
}

// Receipt is what the Transport service returns once a submission is
// durably queued; the receive side then answers
// "250 2.6.0 <MessageID> [InternalId=N, Hostname=EX01.contoso.com] Queued mail for delivery".
type Receipt struct {
	InternalID int64
	MessageID  string // the Message-ID header value, with angle brackets
}

// Submitter queues accepted messages. The Transport service implements it.
type Submitter interface {
	Submit(sub *Submission) (*Receipt, error)
}
