package state

import (
	"errors"
	"time"
)

// QueueStore is one server's own queue database and mailbox store: the
// Transport service's queues and the messages in them, and the mailboxes
// Mailbox Transport Delivery writes. Unlike the organisation, it is never
// shared between servers. Delivering into a mailbox and removing the
// message from its queue are one transaction, so one QueueTx covers both.
// Every method is safe for concurrent use.
type QueueStore interface {
	// InitQueues creates the fixed queues (Submission, Unreachable,
	// Poison) if they are missing.
	InitQueues(now time.Time) error

	// Enqueue stores a new message in queue m.Queue (normally Submission)
	// and assigns m.InternalId; it returns once the message is durable. A
	// failed write gives an error wrapping ErrQueueFull and nothing is
	// stored.
	Enqueue(m *QueuedMessage, data []byte) error

	// EnqueueInsert is Enqueue for the message data[:at] + insert +
	// data[at:], stored without copying data to make room for insert.
	// data and insert must not change until EnqueueInsert returns.
	EnqueueInsert(m *QueuedMessage, data []byte, at int, insert []byte) error

	// QueueUpdate runs fn in one read-write transaction: everything fn
	// does is committed together or not at all.
	QueueUpdate(fn func(q QueueTx) error) error

	// QueueBatch is QueueUpdate with group commit, for background work
	// nobody waits on: concurrent callers share one transaction and its
	// fsyncs, and a store may hold the commit back a moment to share it
	// with other writers. fn may run more than once and must start afresh
	// each time.
	QueueBatch(fn func(q QueueTx) error) error

	// QueueView runs fn in a read-only transaction.
	QueueView(fn func(q QueueTx) error) error
}

// ServerStore is what one server runs on: the organisation's
// configuration and the server's own queues and mailboxes.
type ServerStore interface {
	Store
	QueueStore
}

// ErrStopWalk returned by a QueueTx.ForEachMessage callback ends the walk
// without an error.
var ErrStopWalk = errors.New("stop walking the queue")

// QueueTx is a transaction over a server's queues and mailboxes. Records
// it returns are decoded copies the caller owns. A QueueTx is valid only
// inside the function it was passed to.
type QueueTx interface {
	// Org returns the organisation as this transaction sees it, so
	// routing reads recipients, domains and connectors in the step that
	// moves a message.
	Org() Tx

	// Queue returns the queue with the given number.
	Queue(number int64) (*QueueRecord, error)
	// QueueByKey returns the delivery queue for a next-hop key
	// (NextHopKey).
	QueueByKey(key string) (*QueueRecord, error)
	// Queues lists every queue in number order.
	Queues() ([]*QueueRecord, error)
	// EnsureQueue returns the delivery queue with r's next-hop key,
	// creating it from r (with a new number) when there is none.
	EnsureQueue(r *QueueRecord) (*QueueRecord, error)
	// PutQueue writes a queue record (its counters included).
	PutQueue(r *QueueRecord) error
	// DeleteQueue removes an empty delivery queue; the fixed queues are
	// never removed.
	DeleteQueue(number int64) error

	// Message returns the copy of message id in a queue.
	Message(queue, id int64) (*QueuedMessage, error)
	// ForEachMessage visits the copies in a queue in InternalId order,
	// starting after the id "after" (0 for the start). Returning
	// ErrStopWalk from fn ends the walk without an error.
	ForEachMessage(queue, after int64, fn func(m *QueuedMessage) error) error
	// Copies lists the queues that hold a copy of message id.
	Copies(id int64) ([]int64, error)
	// Data returns the raw bytes of message id (a copy the caller owns).
	Data(id int64) ([]byte, error)
	// DataParts returns the raw bytes of message id as head + body
	// without copying the bulk of it: body is the store's own memory,
	// valid only until the transaction ends and never to be changed;
	// head is a small slice the caller owns (empty unless the message was
	// stored with EnqueueInsert).
	DataParts(id int64) (head, body []byte, err error)
	// AddMessage puts a copy of a message into queue m.Queue: with
	// m.InternalId zero a new message whose data is stored, otherwise a
	// copy sharing the stored bytes (data may be nil). A copy already in
	// that queue gets the recipients merged in. Counters follow.
	AddMessage(m *QueuedMessage, data []byte) error
	// PutMessage rewrites a copy that is already in its queue.
	PutMessage(m *QueuedMessage) error
	// RemoveMessage deletes the copy of message id from a queue; the raw
	// bytes go with the last copy (unless a mailbox item shares them).
	RemoveMessage(queue, id int64) error
	// RemoveMessageKeepData is RemoveMessage keeping the raw bytes even
	// if it was the last copy (the caller adds a new copy next).
	RemoveMessageKeepData(queue, id int64) error
	// SetMessageStatus changes a copy's status and keeps the queue's
	// suspended-message counter in step.
	SetMessageStatus(m *QueuedMessage, status string) error
	// MoveMessage moves the copy m (as read from queue m.Queue, possibly
	// changed) into queue to.
	MoveMessage(m *QueuedMessage, to int64) error

	MailboxTx
}

// MailboxTx is the mailbox part of a QueueTx.
type MailboxTx interface {
	// Deliver stores a message in a mailbox and assigns item.Id.
	Deliver(item *MailboxItem, data []byte) error
	// DeliverShared is Deliver for a message whose delivered form is head
	// followed by tail, where tail is the end of message id's stored
	// bytes as DataParts returned them in this transaction (the same
	// memory): only head is written and the item shares the stored
	// bytes. Any other tail is stored as a copy, as Deliver does.
	DeliverShared(item *MailboxItem, head []byte, id int64, tail []byte) error
	// MailboxItems lists the items of one mailbox (by the recipient's
	// Guid) in delivery order.
	MailboxItems(mailbox string) ([]*MailboxItem, error)
	// MailboxItemData returns the raw bytes of one mailbox item (a copy
	// the caller owns).
	MailboxItemData(mailbox string, id int64) ([]byte, error)
	// DeleteMailboxItem removes one item from a mailbox.
	DeleteMailboxItem(mailbox string, id int64) error
	// MailboxMessageId returns the item of a mailbox that was delivered
	// with the Message-ID messageId and is still held (the latest, if
	// several were); ok is false when there is none, and always for an
	// empty messageId.
	MailboxMessageId(mailbox, messageId string) (id int64, ok bool, err error)
}
