package cmdlets

import (
	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/state"
)

// The engine as the cmdlets see it: one small interface per use, filled
// into Deps by cmd/exsh from the running engine (tests give the real
// Transport service, or a store, directly).

// QueueAdmin is the Transport service's queue administration API the
// queue cmdlets use; *transport.Transport implements it. Identities are
// Exchange's ("EX01\Submission", "EX01\3", "EX01\Unreachable\12", ...).
type QueueAdmin interface {
	Queues() ([]transport.QueueInfo, error)
	ResolveQueues(identity string) ([]transport.QueueInfo, error)
	Messages(f transport.MessageFilter) ([]transport.MessageInfo, error)
	SuspendQueue(identity string) error
	ResumeQueue(identity string) error
	RetryQueue(identity string, resubmit bool) error
	SuspendMessage(identity string) error
	ResumeMessage(identity string) error
	RemoveMessage(identity string, withNDR bool) error
	ExportMessage(identity string) ([]byte, error)
}

var _ QueueAdmin = (*transport.Transport)(nil)

// TrackingLog searches the message tracking log; *tracking.Log
// implements it.
type TrackingLog interface {
	Search(q tracking.Query) ([]tracking.Event, error)
}

var _ TrackingLog = (*tracking.Log)(nil)

// MailboxReader reads the mailbox store.
type MailboxReader interface {
	// MailboxItems lists a mailbox's items (by the recipient's Guid) in
	// delivery order.
	MailboxItems(mailbox string) ([]*state.MailboxItem, error)
	// MailboxItemData returns one item's raw message.
	MailboxItemData(mailbox string, id int64) ([]byte, error)
}

// PortMapper translates one of this server's configured ports (25, 587,
// 2525, ...) into the port the engine listens on (-PortOffset);
// *engine.Service implements it.
type PortMapper interface {
	ListenPort(bindingPort int) int
}
