package boltdb

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
)

// The Transport service's queue database and the mailbox store live in the
// same bbolt file as the organisation, so that delivering into a mailbox
// and removing the message from its queue are one transaction.
//
// Buckets (records in the binary forms of codec.go, or JSON as written by
// earlier versions):
//
//	queues         queueKey64(number)              -> state.QueueRecord (sequence: queue numbers)
//	queueKeys      next-hop key              -> queueKey64(number)
//	queueMessages  queueKey64(queue) queueKey64(id)      -> state.QueuedMessage (one per copy)
//	queueCopies    queueKey64(id) queueKey64(queue)      -> empty (which queues hold a copy)
//	queueData      queueKey64(id)                  -> raw message (shared by all copies; sequence: InternalId)
//	queueDataInsert queueKey64(id)                 -> queueKey64(offset) bytes: bytes the message holds at offset
//	                                                  that are not in queueData (optional; see EnqueueInsert)
//	mailboxItems   mailbox guid queueKey64(item)   -> state.MailboxItem (sequence: item ids)
//	mailboxData    mailbox guid queueKey64(item)   -> raw message as delivered, or with a mailboxRefs
//	                                                  entry only its head: the rest is queueData's
//	mailboxRefs    mailbox guid queueKey64(item)   -> queueKey64(id) queueKey64(offset): the item goes on
//	                                                  with queueData[id][offset:] (see DeliverShared)
//	queueDataRefs  queueKey64(id)                  -> queueKey64(count): mailbox items sharing queueData[id]
//	mailboxMessageIds mailboxMessageIdKey(mailbox guid, Message-ID) -> queueKey64(item): the mailbox's
//	                                                  latest item with that Message-ID, while it is held
//
// A message's bytes are written once: the mailbox items it is delivered as
// keep their own head (Received: and the organisation's fields) and share
// the queued body, which outlives its last queue copy while an item
// refers to it.
var (
	bucketQueues        = []byte("queues")
	bucketQueueKeys     = []byte("queueKeys")
	bucketQueueMessages = []byte("queueMessages")
	bucketQueueCopies   = []byte("queueCopies")
	bucketQueueData     = []byte("queueData")
	bucketQueueInsert   = []byte("queueDataInsert")
	bucketMailboxItems  = []byte("mailboxItems")
	bucketMailboxData   = []byte("mailboxData")
	bucketMailboxRefs   = []byte("mailboxRefs")
	bucketQueueDataRefs = []byte("queueDataRefs")
	bucketMailboxMsgIds = []byte("mailboxMessageIds") // "mailbox…": an engine bucket, never replicated (isEngineBucket)
)

// queueInternalIdBase makes InternalIds look like Exchange's large message
// integers (Identity EX01\Submission\4294967297).
const queueInternalIdBase = 1 << 32

// SetQueueFailpoint installs f to be called at named points inside queue
// transactions ("enqueue", "update", "deliver"); an error it returns aborts
// the transaction as a failed write would. nil removes it. For
// failure-injection tests only.
func SetQueueFailpoint(f func(point string) error) {
	if f == nil {
		queueFailpointFn.Store(nil)
		return
	}
	queueFailpointFn.Store(&f)
}

var queueFailpointFn atomic.Pointer[func(point string) error]

func queueFailpoint(point string) error {
	if f := queueFailpointFn.Load(); f != nil {
		return (*f)(point)
	}
	return nil
}

func queueKey64(v int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return b[:]
}

func queueMsgKey(queue, id int64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(queue))
	binary.BigEndian.PutUint64(k[8:], uint64(id))
	return k
}

// InitQueues creates the queue and mailbox buckets and the three fixed
// queues (Submission, Unreachable, Poison) if they are missing.
func (s *Store) InitQueues(now time.Time) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	return s.update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketQueues, bucketQueueKeys, bucketQueueMessages, bucketQueueCopies, bucketQueueData, bucketQueueInsert, bucketMailboxItems, bucketMailboxData, bucketMailboxRefs, bucketQueueDataRefs, bucketMailboxMsgIds} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		q := &QueueTx{tx: tx, s: s}
		fixed := []state.QueueRecord{
			{Number: state.QueueSubmission, DeliveryType: state.DeliveryUndefined, NextHopDomain: "Submission"},
			{Number: state.QueueUnreachable, DeliveryType: state.DeliveryUnreachable, NextHopDomain: "Unreachable Domain"},
			{Number: state.QueuePoison, DeliveryType: state.DeliveryUndefined, NextHopDomain: "Poison Message"},
		}
		for i := range fixed {
			if _, err := q.Queue(fixed[i].Number); err == nil {
				continue
			}
			r := fixed[i]
			r.NextHopConnector = queueZeroGuid
			r.NextHopCategory = "Internal"
			r.Created = now
			if err := q.PutQueue(&r); err != nil {
				return err
			}
		}
		b := tx.Bucket(bucketQueues)
		if b.Sequence() < uint64(state.QueuePoison) {
			if err := b.SetSequence(uint64(state.QueuePoison)); err != nil {
				return err
			}
		}
		return nil
	})
}

var (
	_ state.QueueStore  = (*Store)(nil)
	_ state.ServerStore = (*Store)(nil)
	_ state.QueueTx     = (*QueueTx)(nil)
)

const queueZeroGuid = "00000000-0000-0000-0000-000000000000"

// Enqueue stores a new message in queue m.Queue (normally Submission) and
// assigns m.InternalId. Concurrent callers share one commit (bbolt Batch);
// Enqueue returns only after that commit is on disk. A failed write gives
// an error wrapping state.ErrQueueFull and nothing is stored.
func (s *Store) Enqueue(m *state.QueuedMessage, data []byte) error {
	return s.EnqueueInsert(m, data, 0, nil)
}

// EnqueueInsert is Enqueue for the message data[:at] + insert + data[at:]
// (insert is typically a few header fields added to the header block). The
// two parts are stored as they are, so a large message is not copied to
// make room for a few bytes; Data and DataParts put them together again.
// data and insert must not change until EnqueueInsert returns.
func (s *Store) EnqueueInsert(m *state.QueuedMessage, data []byte, at int, insert []byte) error {
	if at < 0 || at > len(data) {
		return fmt.Errorf("%w: insertion offset %d outside the message (%d bytes)", state.ErrInvalid, at, len(data))
	}
	if len(insert) == 0 {
		at = 0
	}
	err := s.Batch(func(tx *bolt.Tx) error {
		// Batch may run this more than once; every run starts afresh.
		m.InternalId = 0
		q := &QueueTx{tx: tx, s: s}
		if err := q.addMessage(m, data, at, insert); err != nil {
			return err
		}
		return queueFailpoint("enqueue")
	})
	if err != nil {
		m.InternalId = 0
		return fmt.Errorf("%w: %w", state.ErrQueueFull, err)
	}
	return nil
}

// QueueUpdate runs fn in one read-write transaction over the queue and
// mailbox buckets: everything fn does is committed together or not at all.
// A damaged page gives an error wrapping state.ErrCorrupt.
func (s *Store) QueueUpdate(fn func(q state.QueueTx) error) error {
	return s.queueWrite(s.update, fn)
}

// QueueBatch is QueueUpdate with group commit for background work:
// concurrent callers share one transaction and its fsyncs, and on a busy
// store it may wait a moment (shareWait) to share the commit of a writer
// somebody waits for (see Batch). fn may run more than once
// (it must start afresh each time, and keep no effect of an earlier run
// outside the transaction); each caller's changes are committed together
// or not at all.
func (s *Store) QueueBatch(fn func(q state.QueueTx) error) error {
	return s.queueWrite(func(fn func(*bolt.Tx) error) error { return s.batch(fn, true) }, fn)
}

// queueWrite runs fn as a queue transaction through run (update or batch).
func (s *Store) queueWrite(run func(func(*bolt.Tx) error) error, fn func(q state.QueueTx) error) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("store %q: %w", s.path, state.ErrReadOnly)
	}
	defer s.trimMappedIfDue()
	return run(func(tx *bolt.Tx) error {
		if err := fn(&QueueTx{tx: tx, s: s}); err != nil {
			return err
		}
		return queueFailpoint("update")
	})
}

// QueueView runs fn in a read-only transaction over the queue and mailbox
// buckets. A damaged page gives an error wrapping state.ErrCorrupt.
func (s *Store) QueueView(fn func(q state.QueueTx) error) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	defer s.trimMappedIfDue()
	return s.view(func(tx *bolt.Tx) error {
		return fn(&QueueTx{tx: tx, s: s})
	})
}

// QueueTx is a transaction over the queue and mailbox buckets, the bbolt
// implementation of state.QueueTx. Records it returns are decoded copies
// the caller owns.
type QueueTx struct {
	tx *bolt.Tx
	s  *Store
}

// Org returns the organisation as seen by this transaction, so routing
// can read recipients, domains and connectors in the same step that
// moves a message.
func (q *QueueTx) Org() state.Tx { return q.s.Tx(q.tx) }

func (q *QueueTx) bucket(name []byte) (*bolt.Bucket, error) {
	b := q.tx.Bucket(name)
	if b == nil {
		if !q.tx.Writable() {
			return nil, fmt.Errorf("bucket %q: %w", name, state.ErrNotFound)
		}
		var err error
		if b, err = q.tx.CreateBucketIfNotExists(name); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Queue returns the queue with the given number.
func (q *QueueTx) Queue(number int64) (*state.QueueRecord, error) {
	b, err := q.bucket(bucketQueues)
	if err != nil {
		return nil, err
	}
	v := b.Get(queueKey64(number))
	if v == nil {
		return nil, fmt.Errorf("queue %d: %w", number, state.ErrNotFound)
	}
	if r, ok := q.s.queueRecords.get(number, v); ok {
		return r, nil
	}
	var r state.QueueRecord
	if err := decodeQueueRecord(v, &r); err != nil {
		return nil, fmt.Errorf("queue %d: %w: %v", number, state.ErrCorrupt, err)
	}
	q.s.queueRecords.put(number, v, &r)
	return &r, nil
}

// queueRecordCache keeps each queue's record decoded beside the bytes it
// was decoded from. Every message that enters or leaves a queue reads and
// writes its record (the counters), so decoding it dominated reading it;
// keyed by the stored bytes, an entry is never stale.
type queueRecordCache struct {
	mu sync.Mutex // guards m
	m  map[int64]cachedQueueRecord
}

type cachedQueueRecord struct {
	raw string
	rec state.QueueRecord
}

func (c *queueRecordCache) get(number int64, raw []byte) (*state.QueueRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[number]
	if !ok || e.raw != string(raw) {
		return nil, false
	}
	r := e.rec
	return &r, true
}

func (c *queueRecordCache) put(number int64, raw []byte, r *state.QueueRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedQueues {
		c.m = make(map[int64]cachedQueueRecord)
	}
	c.m[number] = cachedQueueRecord{raw: string(raw), rec: *r}
}

// maxCachedQueues bounds the cache; past it the cache starts afresh.
const maxCachedQueues = 1024

// QueueByKey returns the delivery queue for a next-hop key (state.NextHopKey).
func (q *QueueTx) QueueByKey(key string) (*state.QueueRecord, error) {
	b, err := q.bucket(bucketQueueKeys)
	if err != nil {
		return nil, err
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, fmt.Errorf("queue %q: %w", key, state.ErrNotFound)
	}
	return q.Queue(int64(binary.BigEndian.Uint64(v)))
}

// Queues lists every queue in number order.
func (q *QueueTx) Queues() ([]*state.QueueRecord, error) {
	b, err := q.bucket(bucketQueues)
	if err != nil {
		return nil, err
	}
	var out []*state.QueueRecord
	err = b.ForEach(func(k, v []byte) error {
		var r state.QueueRecord
		if err := decodeQueueRecord(v, &r); err != nil {
			return fmt.Errorf("queue: %w: %v", state.ErrCorrupt, err)
		}
		out = append(out, &r)
		return nil
	})
	return out, err
}

// EnsureQueue returns the delivery queue with r's next-hop key, creating
// it from r (with a new number) when there is none.
func (q *QueueTx) EnsureQueue(r *state.QueueRecord) (*state.QueueRecord, error) {
	if existing, err := q.QueueByKey(r.NextHopKey()); err == nil {
		return existing, nil
	}
	b, err := q.bucket(bucketQueues)
	if err != nil {
		return nil, err
	}
	n, err := b.NextSequence()
	if err != nil {
		return nil, err
	}
	nr := *r
	nr.Number = int64(n)
	nr.MessageCount = 0
	if err := q.PutQueue(&nr); err != nil {
		return nil, err
	}
	kb, err := q.bucket(bucketQueueKeys)
	if err != nil {
		return nil, err
	}
	if err := kb.Put([]byte(nr.NextHopKey()), queueKey64(nr.Number)); err != nil {
		return nil, err
	}
	return &nr, nil
}

// PutQueue writes a queue record (its counters included).
func (q *QueueTx) PutQueue(r *state.QueueRecord) error {
	b, err := q.bucket(bucketQueues)
	if err != nil {
		return err
	}
	v := encodeQueueRecord(r)
	if err := b.Put(queueKey64(r.Number), v); err != nil {
		return err
	}
	q.s.queueRecords.put(r.Number, v, r)
	return nil
}

// DeleteQueue removes an empty delivery queue. The fixed queues are never
// removed.
func (q *QueueTx) DeleteQueue(number int64) error {
	if number <= state.QueuePoison {
		return fmt.Errorf("queue %d: %w", number, state.ErrInvalid)
	}
	r, err := q.Queue(number)
	if err != nil {
		return err
	}
	if r.MessageCount != 0 {
		return fmt.Errorf("queue %d is not empty: %w", number, state.ErrInvalid)
	}
	b, err := q.bucket(bucketQueues)
	if err != nil {
		return err
	}
	if err := b.Delete(queueKey64(number)); err != nil {
		return err
	}
	kb, err := q.bucket(bucketQueueKeys)
	if err != nil {
		return err
	}
	return kb.Delete([]byte(r.NextHopKey()))
}

// Message returns the copy of message id in a queue.
func (q *QueueTx) Message(queue, id int64) (*state.QueuedMessage, error) {
	b, err := q.bucket(bucketQueueMessages)
	if err != nil {
		return nil, err
	}
	v := b.Get(queueMsgKey(queue, id))
	if v == nil {
		return nil, fmt.Errorf("message %d in queue %d: %w", id, queue, state.ErrNotFound)
	}
	return q.decodeQueuedMessage(v)
}

func (q *QueueTx) decodeQueuedMessage(v []byte) (*state.QueuedMessage, error) {
	if m, ok := q.s.messages.get(v); ok {
		return m, nil
	}
	var m state.QueuedMessage
	if err := decodeQueuedMessage(v, &m); err != nil {
		return nil, fmt.Errorf("queued message: %w: %v", state.ErrCorrupt, err)
	}
	q.s.messages.put(v, &m)
	return &m, nil
}

// maxCachedMessages bounds the decoded-message cache; past it the cache
// starts over. A queue runner's batch and the messages in flight fit.
const maxCachedMessages = 1024

// messageCache keeps decoded queued messages keyed by their stored bytes.
// A message is read several times on its way (claimed, routed, delivered,
// listed), and decoding JSON is the main cost of a read; a hit costs a hash
// of the bytes and a copy. Keyed by the bytes themselves, an entry can
// never be stale. Messages written are cached with the bytes written.
type messageCache struct {
	mu sync.Mutex // guards m
	m  map[string]*state.QueuedMessage
}

func (c *messageCache) get(raw []byte) (*state.QueuedMessage, bool) {
	c.mu.Lock()
	m, ok := c.m[string(raw)]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	return cloneQueuedMessage(m), true
}

func (c *messageCache) put(raw []byte, m *state.QueuedMessage) {
	m = cloneQueuedMessage(m)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedMessages {
		c.m = make(map[string]*state.QueuedMessage, maxCachedMessages)
	}
	c.m[string(raw)] = m
	c.mu.Unlock()
}

// cloneQueuedMessage copies m deeply enough that neither copy's changes
// reach the other (Recipients is its only reference).
func cloneQueuedMessage(m *state.QueuedMessage) *state.QueuedMessage {
	c := *m
	c.Recipients = slices.Clone(m.Recipients)
	return &c
}

// ForEachMessage visits the copies in a queue in InternalId order, starting
// after the id "after" (0 for the start). Returning ErrStopWalk from fn ends the
// walk without an error.
func (q *QueueTx) ForEachMessage(queue, after int64, fn func(m *state.QueuedMessage) error) error {
	b, err := q.bucket(bucketQueueMessages)
	if err != nil {
		return err
	}
	prefix := queueKey64(queue)
	c := b.Cursor()
	for k, v := c.Seek(queueMsgKey(queue, after+1)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		m, err := q.decodeQueuedMessage(v)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			if err == ErrStopWalk {
				return nil
			}
			return err
		}
	}
	return nil
}

// ErrStopWalk ends a ForEachMessage walk early; it is state.ErrStopWalk.
var ErrStopWalk = state.ErrStopWalk

// Copies lists the queues that hold a copy of message id.
func (q *QueueTx) Copies(id int64) ([]int64, error) {
	b, err := q.bucket(bucketQueueCopies)
	if err != nil {
		return nil, err
	}
	var out []int64
	prefix := queueKey64(id)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, int64(binary.BigEndian.Uint64(k[8:])))
	}
	return out, nil
}

// Data returns the raw bytes of message id (a copy the caller owns).
func (q *QueueTx) Data(id int64) ([]byte, error) {
	head, body, err := q.DataParts(id)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(head)+len(body))
	copy(out[copy(out, head):], body)
	return out, nil
}

// DataParts returns the raw bytes of message id as head + body, without
// copying the bulk of it: body is the store's own memory, valid only
// until the transaction ends and never to be changed; head is a small
// slice the caller owns, empty unless the message was stored with
// EnqueueInsert (then it is the bytes up to and including the insertion).
func (q *QueueTx) DataParts(id int64) (head, body []byte, err error) {
	b, err := q.bucket(bucketQueueData)
	if err != nil {
		return nil, nil, err
	}
	key := queueKey64(id)
	v := b.Get(key)
	if v == nil {
		return nil, nil, fmt.Errorf("message data %d: %w", id, state.ErrNotFound)
	}
	q.s.readMapped(len(v))
	ib := q.tx.Bucket(bucketQueueInsert) // absent in stores written before it existed
	if ib == nil {
		return nil, v, nil
	}
	ins := ib.Get(key)
	if ins == nil {
		return nil, v, nil
	}
	if len(ins) < 8 || binary.BigEndian.Uint64(ins) > uint64(len(v)) {
		return nil, nil, fmt.Errorf("message data %d: the stored insertion is unreadable: %w", id, state.ErrCorrupt)
	}
	at := int(binary.BigEndian.Uint64(ins))
	head = make([]byte, 0, at+len(ins)-8)
	head = append(append(head, v[:at]...), ins[8:]...)
	return head, v[at:], nil
}

// AddMessage puts a copy of a message into queue m.Queue. With
// m.InternalId zero it is a new message: it gets the next InternalId and
// data is stored; otherwise data may be nil and the existing bytes are
// shared. If the queue already holds a copy of that message the
// recipients are merged into it. The queue's counters are updated.
func (q *QueueTx) AddMessage(m *state.QueuedMessage, data []byte) error {
	return q.addMessage(m, data, 0, nil)
}

// addMessage is AddMessage storing data with insert at offset at (see
// EnqueueInsert).
func (q *QueueTx) addMessage(m *state.QueuedMessage, data []byte, at int, insert []byte) error {
	qr, err := q.Queue(m.Queue)
	if err != nil {
		return err
	}
	db, err := q.bucket(bucketQueueData)
	if err != nil {
		return err
	}
	if m.InternalId == 0 {
		n, err := db.NextSequence()
		if err != nil {
			return err
		}
		m.InternalId = queueInternalIdBase + int64(n)
	}
	if data != nil {
		if err := db.Put(queueKey64(m.InternalId), data); err != nil {
			return err
		}
		ib, err := q.bucket(bucketQueueInsert)
		if err != nil {
			return err
		}
		if len(insert) > 0 {
			v := make([]byte, 8+len(insert))
			binary.BigEndian.PutUint64(v, uint64(at))
			copy(v[8:], insert)
			err = ib.Put(queueKey64(m.InternalId), v)
		} else {
			err = ib.Delete(queueKey64(m.InternalId))
		}
		if err != nil {
			return err
		}
	}
	mb, err := q.bucket(bucketQueueMessages)
	if err != nil {
		return err
	}
	key := queueMsgKey(m.Queue, m.InternalId)
	if v := mb.Get(key); v != nil {
		existing, err := q.decodeQueuedMessage(v)
		if err != nil {
			return err
		}
		m.Recipients = queueMergeRecipients(existing.Recipients, m.Recipients)
		return q.PutMessage(m)
	}
	if err := q.PutMessage(m); err != nil {
		return err
	}
	cb, err := q.bucket(bucketQueueCopies)
	if err != nil {
		return err
	}
	if err := cb.Put(queueMsgKey(m.InternalId, m.Queue), nil); err != nil {
		return err
	}
	qr.MessageCount++
	if m.Status == state.MessageSuspended {
		qr.DeferredMessageCount++
	}
	return q.PutQueue(qr)
}

func queueMergeRecipients(a, b []state.QueuedRecipient) []state.QueuedRecipient {
	out := append([]state.QueuedRecipient(nil), a...)
	for _, r := range b {
		dup := false
		for _, e := range out {
			if queueEqualFold(e.Address, r.Address) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, r)
		}
	}
	return out
}

func queueEqualFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }

// PutMessage rewrites a copy that is already in its queue (status,
// recipients, retry fields).
func (q *QueueTx) PutMessage(m *state.QueuedMessage) error {
	mb, err := q.bucket(bucketQueueMessages)
	if err != nil {
		return err
	}
	v := encodeQueuedMessage(m)
	if err := mb.Put(queueMsgKey(m.Queue, m.InternalId), v); err != nil {
		return err
	}
	q.s.messages.put(v, m)
	return nil
}

// RemoveMessage deletes the copy of message id from a queue; the raw bytes
// go with the last copy. The queue's counters are updated.
func (q *QueueTx) RemoveMessage(queue, id int64) error {
	return q.removeMessage(queue, id, false)
}

func (q *QueueTx) removeMessage(queue, id int64, keepData bool) error {
	mb, err := q.bucket(bucketQueueMessages)
	if err != nil {
		return err
	}
	key := queueMsgKey(queue, id)
	v := mb.Get(key)
	if v == nil {
		return fmt.Errorf("message %d in queue %d: %w", id, queue, state.ErrNotFound)
	}
	old, err := q.decodeQueuedMessage(v)
	if err != nil {
		return err
	}
	suspended := old.Status == state.MessageSuspended
	if err := mb.Delete(key); err != nil {
		return err
	}
	cb, err := q.bucket(bucketQueueCopies)
	if err != nil {
		return err
	}
	if err := cb.Delete(queueMsgKey(id, queue)); err != nil {
		return err
	}
	left, err := q.Copies(id)
	if err != nil {
		return err
	}
	if len(left) == 0 && !keepData && q.dataRefs(id) == 0 {
		if err := q.deleteData(id); err != nil {
			return err
		}
	}
	qr, err := q.Queue(queue)
	if err != nil {
		return err
	}
	if qr.MessageCount > 0 {
		qr.MessageCount--
	}
	if suspended && qr.DeferredMessageCount > 0 {
		qr.DeferredMessageCount--
	}
	return q.PutQueue(qr)
}

// deleteData removes the stored bytes of message id.
func (q *QueueTx) deleteData(id int64) error {
	db, err := q.bucket(bucketQueueData)
	if err != nil {
		return err
	}
	if err := db.Delete(queueKey64(id)); err != nil {
		return err
	}
	ib, err := q.bucket(bucketQueueInsert)
	if err != nil {
		return err
	}
	return ib.Delete(queueKey64(id))
}

// dataRefs is how many mailbox items share message id's stored bytes.
func (q *QueueTx) dataRefs(id int64) uint64 {
	b := q.tx.Bucket(bucketQueueDataRefs) // absent in stores written before it existed
	if b == nil {
		return 0
	}
	if v := b.Get(queueKey64(id)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// addDataRefs changes the count of mailbox items sharing message id's bytes
// by delta and returns the new count.
func (q *QueueTx) addDataRefs(id int64, delta int) (uint64, error) {
	b, err := q.bucket(bucketQueueDataRefs)
	if err != nil {
		return 0, err
	}
	n := int64(q.dataRefs(id)) + int64(delta)
	if n <= 0 {
		return 0, b.Delete(queueKey64(id))
	}
	return uint64(n), b.Put(queueKey64(id), queueKey64(n))
}

// SetMessageStatus changes a copy's status and keeps the queue's
// suspended-message counter in step.
func (q *QueueTx) SetMessageStatus(m *state.QueuedMessage, status string) error {
	old, err := q.Message(m.Queue, m.InternalId)
	if err != nil {
		return err
	}
	m.Status = status
	if err := q.PutMessage(m); err != nil {
		return err
	}
	wasS, isS := old.Status == state.MessageSuspended, status == state.MessageSuspended
	if wasS == isS {
		return nil
	}
	qr, err := q.Queue(m.Queue)
	if err != nil {
		return err
	}
	if isS {
		qr.DeferredMessageCount++
	} else if qr.DeferredMessageCount > 0 {
		qr.DeferredMessageCount--
	}
	return q.PutQueue(qr)
}

// MoveMessage moves the copy m (as read from queue m.Queue, possibly
// changed) into queue to, in this transaction.
func (q *QueueTx) MoveMessage(m *state.QueuedMessage, to int64) error {
	if m.Queue == to {
		return q.PutMessage(m)
	}
	if err := q.RemoveMessageKeepData(m.Queue, m.InternalId); err != nil {
		return err
	}
	m.Queue = to
	return q.AddMessage(m, nil)
}

// RemoveMessageKeepData deletes a copy like RemoveMessage but keeps the raw
// bytes even if it was the last copy (the caller adds a new copy next).
func (q *QueueTx) RemoveMessageKeepData(queue, id int64) error {
	db, err := q.bucket(bucketQueueData)
	if err != nil {
		return err
	}
	if db.Get(queueKey64(id)) == nil {
		return fmt.Errorf("message data %d: %w", id, state.ErrNotFound)
	}
	return q.removeMessage(queue, id, true)
}

// Deliver stores a message in a mailbox and assigns item.Id. Used with
// RemoveMessage in the same QueueUpdate, it makes delivery and dequeue one
// step.
func (q *QueueTx) Deliver(item *state.MailboxItem, data []byte) error {
	return q.deliver(item, data, len(data))
}

// deliver stores an item of size bytes whose first bytes are stored.
func (q *QueueTx) deliver(item *state.MailboxItem, stored []byte, size int) error {
	ib, err := q.bucket(bucketMailboxItems)
	if err != nil {
		return err
	}
	n, err := ib.NextSequence()
	if err != nil {
		return err
	}
	item.Id = int64(n)
	item.Size = int64(size)
	v := encodeMailboxItem(item)
	key := append([]byte(item.Mailbox), queueKey64(item.Id)...)
	if err := ib.Put(key, v); err != nil {
		return err
	}
	rb, err := q.bucket(bucketMailboxData)
	if err != nil {
		return err
	}
	if err := rb.Put(key, stored); err != nil {
		return err
	}
	if item.MessageId != "" {
		xb, err := q.bucket(bucketMailboxMsgIds)
		if err != nil {
			return err
		}
		if err := xb.Put(mailboxMessageIdKey(item.Mailbox, item.MessageId), queueKey64(item.Id)); err != nil {
			return err
		}
	}
	return queueFailpoint("deliver")
}

// maxMessageIdKey is the longest Message-ID kept as it is in an index key;
// a longer one is kept as its SHA-256 (a bbolt key stays small).
const maxMessageIdKey = 512

// mailboxMessageIdKey is the mailboxMessageIds key of a mailbox's
// Message-ID: the mailbox guid, 0 and the Message-ID, or 1 and the
// Message-ID's SHA-256 when it is long.
func mailboxMessageIdKey(mailbox, messageId string) []byte {
	k := make([]byte, 0, len(mailbox)+1+min(len(messageId), maxMessageIdKey))
	k = append(k, mailbox...)
	if len(messageId) <= maxMessageIdKey {
		return append(append(k, 0), messageId...)
	}
	sum := sha256.Sum256([]byte(messageId))
	return append(append(k, 1), sum[:]...)
}

// MailboxMessageId returns the item of a mailbox that was delivered with
// the Message-ID messageId and is still held. Items delivered before the
// index existed are not found.
func (q *QueueTx) MailboxMessageId(mailbox, messageId string) (int64, bool, error) {
	if messageId == "" {
		return 0, false, nil
	}
	xb := q.tx.Bucket(bucketMailboxMsgIds)
	if xb == nil {
		return 0, false, nil
	}
	v := xb.Get(mailboxMessageIdKey(mailbox, messageId))
	if v == nil {
		return 0, false, nil
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("mailbox Message-ID index: %w", state.ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(v)), true, nil
}

// DeliverShared is Deliver for a message whose delivered form is head
// followed by tail, where tail is the end of message id's stored bytes as
// DataParts returned them (the same memory). Only head is written; the
// item refers to the stored bytes, which then stay until the last item
// sharing them is deleted. A tail that is not the stored bytes' end, or
// is small, is stored as a copy, as Deliver does.
func (q *QueueTx) DeliverShared(item *state.MailboxItem, head []byte, id int64, tail []byte) error {
	offset, ok := q.storedSuffix(id, tail)
	if !ok || len(tail) < minSharedTail {
		data := make([]byte, 0, len(head)+len(tail))
		return q.Deliver(item, append(append(data, head...), tail...))
	}
	if err := q.deliver(item, head, len(head)+len(tail)); err != nil {
		return err
	}
	key := append([]byte(item.Mailbox), queueKey64(item.Id)...)
	rb, err := q.bucket(bucketMailboxRefs)
	if err != nil {
		return err
	}
	if err := rb.Put(key, append(queueKey64(id), queueKey64(int64(offset))...)); err != nil {
		return err
	}
	_, err = q.addDataRefs(id, 1)
	return err
}

// minSharedTail is the smallest tail worth sharing: below it, copying the
// bytes costs less than the two reference records (and their pages).
const minSharedTail = 8 << 10

// storedSuffix reports where tail starts in message id's stored bytes,
// when tail is their end, read in place in this transaction.
func (q *QueueTx) storedSuffix(id int64, tail []byte) (int, bool) {
	b := q.tx.Bucket(bucketQueueData)
	if b == nil || len(tail) == 0 {
		return 0, false
	}
	v := b.Get(queueKey64(id))
	if len(v) < len(tail) {
		return 0, false
	}
	off := len(v) - len(tail)
	if unsafe.SliceData(v[off:]) != unsafe.SliceData(tail) {
		return 0, false
	}
	return off, true
}

// mailboxRef returns the stored bytes an item shares, if it shares any.
func (q *QueueTx) mailboxRef(key []byte) (id int64, offset int, ok bool, err error) {
	rb := q.tx.Bucket(bucketMailboxRefs)
	if rb == nil {
		return 0, 0, false, nil
	}
	v := rb.Get(key)
	if v == nil {
		return 0, 0, false, nil
	}
	if len(v) != 16 {
		return 0, 0, false, fmt.Errorf("mailbox item reference: %w", state.ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(v)), int(binary.BigEndian.Uint64(v[8:])), true, nil
}

// MailboxItems lists the items of one mailbox (by the recipient's Guid) in
// delivery order.
func (q *QueueTx) MailboxItems(mailbox string) ([]*state.MailboxItem, error) {
	ib, err := q.bucket(bucketMailboxItems)
	if err != nil {
		return nil, err
	}
	var out []*state.MailboxItem
	prefix := []byte(mailbox)
	c := ib.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
		var it state.MailboxItem
		if err := decodeMailboxItem(v, &it); err != nil {
			return nil, fmt.Errorf("mailbox item: %w: %v", state.ErrCorrupt, err)
		}
		out = append(out, &it)
	}
	return out, nil
}

// MailboxItemData returns the raw bytes of one mailbox item.
func (q *QueueTx) MailboxItemData(mailbox string, id int64) ([]byte, error) {
	rb, err := q.bucket(bucketMailboxData)
	if err != nil {
		return nil, err
	}
	key := append([]byte(mailbox), queueKey64(id)...)
	v := rb.Get(key)
	if v == nil {
		return nil, fmt.Errorf("mailbox item %d: %w", id, state.ErrNotFound)
	}
	dataID, offset, shared, err := q.mailboxRef(key)
	if err != nil || !shared {
		return bytes.Clone(v), err
	}
	db, err := q.bucket(bucketQueueData)
	if err != nil {
		return nil, err
	}
	tail := db.Get(queueKey64(dataID))
	if offset > len(tail) {
		return nil, fmt.Errorf("mailbox item %d: its shared message data is missing: %w", id, state.ErrCorrupt)
	}
	tail = tail[offset:]
	q.s.readMapped(len(v) + len(tail))
	out := make([]byte, 0, len(v)+len(tail))
	return append(append(out, v...), tail...), nil
}

// DeleteMailboxItem removes one item from a mailbox.
func (q *QueueTx) DeleteMailboxItem(mailbox string, id int64) error {
	key := append([]byte(mailbox), queueKey64(id)...)
	ib, err := q.bucket(bucketMailboxItems)
	if err != nil {
		return err
	}
	v := ib.Get(key)
	if v == nil {
		return fmt.Errorf("mailbox item %d: %w", id, state.ErrNotFound)
	}
	var it state.MailboxItem
	if err := decodeMailboxItem(v, &it); err != nil {
		return fmt.Errorf("mailbox item %d: %w: %v", id, state.ErrCorrupt, err)
	}
	if err := ib.Delete(key); err != nil {
		return err
	}
	if err := q.unindexMessageId(mailbox, it.MessageId, id); err != nil {
		return err
	}
	rb, err := q.bucket(bucketMailboxData)
	if err != nil {
		return err
	}
	if err := rb.Delete(key); err != nil {
		return err
	}
	dataID, _, shared, err := q.mailboxRef(key)
	if err != nil || !shared {
		return err
	}
	if err := q.tx.Bucket(bucketMailboxRefs).Delete(key); err != nil {
		return err
	}
	left, err := q.addDataRefs(dataID, -1)
	if err != nil || left > 0 {
		return err
	}
	// The last item sharing the bytes: they go unless a queue still holds
	// the message.
	copies, err := q.Copies(dataID)
	if err != nil || len(copies) > 0 {
		return err
	}
	return q.deleteData(dataID)
}

// unindexMessageId removes a deleted item's Message-ID from its mailbox's
// index when the index names that item.
func (q *QueueTx) unindexMessageId(mailbox, messageId string, id int64) error {
	if got, ok, err := q.MailboxMessageId(mailbox, messageId); err != nil || !ok || got != id {
		return err
	}
	return q.tx.Bucket(bucketMailboxMsgIds).Delete(mailboxMessageIdKey(mailbox, messageId))
}
