package cmdlets

import (
	"exsh/engine/backend"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
)

// The engine as the cmdlets see it: one small interface per use, filled
// into Deps by cmd/exsh from the running engine (tests give the real
// Transport service, or a store, directly).

// QueueAdmin is the Transport service's queue administration API the
// queue cmdlets use; *transport.Transport implements it, and so does a
// remote server's *backend.Client. Identities are Exchange's
// ("EX01\Submission", "EX01\3", "EX01\Unreachable\12", ...). It is the
// management channel's interface, so that the local server and another
// one are used alike.
type QueueAdmin = backend.Queues

var _ QueueAdmin = (*transport.Transport)(nil)

// TrackingLog searches the message tracking log; *tracking.Log
// implements it.
type TrackingLog = backend.Tracking

var _ TrackingLog = (*tracking.Log)(nil)

// MailboxReader reads the mailbox store.
type MailboxReader = backend.Mailboxes

// Submitter queues a message with the Transport service, as Mailbox
// Transport Submission does (Test-Mailflow); *transport.Transport
// implements it.
type Submitter interface {
	Submit(sub *mail.Submission) (*mail.Receipt, error)
}

var _ Submitter = (*transport.Transport)(nil)

// PortMapper translates one of this server's configured ports (25, 587,
// 2525, ...) into the port the engine listens on (-PortOffset);
// *engine.Service implements it.
type PortMapper interface {
	ListenPort(bindingPort int) int
}
