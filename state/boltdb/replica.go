package boltdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
)

// A store can hold a replica of an organisation kept elsewhere (state/etcd
// keeps it in etcd, shared by every server): the organisation buckets are
// then a copy of the shared key space, written only by ApplyReplicated,
// while queues and mailboxes stay this server's own. Reads, the engine's
// included, stay local and fast, and go on working when the shared store
// cannot be reached. A change is made in two steps: Rehearse runs the
// change against the replica and returns what it read and wrote without
// keeping anything; the caller commits the writes to the shared store if
// nothing it read has changed there since the replica's revision, and
// applies them back (on every server) with ApplyReplicated, which
// publishes the change to subscribers.

// errReplicated refuses a local write to a replicated organisation.
var errReplicated = fmt.Errorf("this store holds a replica of a shared organisation, changed only through it: %w", state.ErrReadOnly)

// keyMetaReplicated keeps the shared store's revision the replica is at.
var keyMetaReplicated = []byte("replicated")

// isEngineBucket reports whether a raw bucket belongs to the transport
// engine (and so is never part of a shared organisation).
func isEngineBucket(name string) bool {
	return name == reservedBucketNameMeta || strings.HasPrefix(name, "queue") || strings.HasPrefix(name, "mailbox")
}

// SetReplicated marks the organisation buckets as a replica: Update, and
// writes through any Tx but a rehearsal's, are refused with an error
// wrapping state.ErrReadOnly.
func (s *Store) SetReplicated(on bool) { s.replicated.Store(on) }

// OpKind is what a replicated operation does.
type OpKind uint8

// Replicated operation kinds.
const (
	OpPut          OpKind = iota + 1 // Key = Value in Bucket
	OpDelete                         // Key removed from Bucket
	OpSequence                       // Bucket's sequence set to Seq
	OpCreateBucket                   // Bucket created (a raw bucket)
)

// Op is one write to the organisation buckets.
type Op struct {
	Kind       OpKind
	Bucket     string
	Key, Value []byte
	Seq        uint64
}

// Read is one read a rehearsed change depends on: the key Key of Bucket
// (Found tells whether it was there), or with Scan every key of Bucket
// starting with Key.
type Read struct {
	Bucket string
	Key    []byte
	Scan   bool
	Found  bool
}

// Rehearsal is what a rehearsed change read and would write.
type Rehearsal struct {
	// Revision is the shared store's revision the replica was at.
	Revision int64
	// Reads are the keys and ranges the change depends on, in the order
	// first read; a sequence read is a Read of Bucket with a nil Key and
	// Scan false.
	Reads []Read
	// Ops are the writes, one per key (the last write of each), in the
	// order first written.
	Ops []Op
	// Changes are what a commit publishes.
	Changes []state.Change
}

// errRehearsed rolls back a rehearsal.
var errRehearsed = errors.New("rehearsal done")

// Rehearse runs fn as Update would, against the organisation this store
// holds, and keeps nothing: it returns what fn read and wrote. An error
// from fn is returned as it is. Rehearse works on a replicated store.
func (s *Store) Rehearse(fn func(tx state.Tx) error) (*Rehearsal, error) {
	if s.closed.Load() {
		return nil, state.ErrClosed
	}
	if s.opts.ReadOnly {
		return nil, fmt.Errorf("store %q: %w", s.path, state.ErrReadOnly)
	}
	var out *Rehearsal
	err := s.update(func(btx *bolt.Tx) error {
		t := s.newTx(btx)
		t.rec = &recorder{ops: map[string]int{}, reads: map[string]bool{}}
		if err := fn(t); err != nil {
			return err
		}
		out = &Rehearsal{Revision: replicatedRevision(btx), Reads: t.rec.readList, Ops: t.rec.opList, Changes: dedupe(t.changes)}
		return errRehearsed
	})
	if err == errRehearsed {
		return out, nil
	}
	return nil, err
}

// ApplyReplicated writes ops made in the shared store up to revision rev
// into the organisation buckets in one transaction and then publishes
// changes. With reset the organisation buckets (and the raw buckets of
// the organisation) are emptied first: ops are then the whole key space.
func (s *Store) ApplyReplicated(rev int64, reset bool, ops []Op, changes []state.Change) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	err := s.update(func(btx *bolt.Tx) error {
		if reset {
			var drop [][]byte
			err := btx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				if !isEngineBucket(string(name)) {
					drop = append(drop, bytes.Clone(name))
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, name := range drop {
				if err := btx.DeleteBucket(name); err != nil {
					return err
				}
			}
			for _, name := range allOrgBuckets {
				if _, err := btx.CreateBucket(name); err != nil {
					return err
				}
			}
		}
		for _, op := range ops {
			if op.Bucket == "" || isEngineBucket(op.Bucket) {
				return fmt.Errorf("replicated write to bucket %q: %w", op.Bucket, state.ErrInvalid)
			}
			b, err := btx.CreateBucketIfNotExists([]byte(op.Bucket))
			if err != nil {
				return err
			}
			switch op.Kind {
			case OpPut:
				err = b.Put(op.Key, op.Value)
			case OpDelete:
				err = b.Delete(op.Key)
			case OpSequence:
				err = b.SetSequence(op.Seq)
			case OpCreateBucket:
			default:
				err = fmt.Errorf("replicated write of kind %d: %w", op.Kind, state.ErrInvalid)
			}
			if err != nil {
				return err
			}
		}
		return btx.Bucket(bucketMeta).Put(keyMetaReplicated, u64(uint64(rev)))
	})
	if err != nil {
		return err
	}
	if reset && len(changes) == 0 {
		s.generation.Add(1)
	}
	s.publish(changes)
	return nil
}

// ReplicatedRevision is the shared store's revision the replica is at: 0
// for a store that never held one.
func (s *Store) ReplicatedRevision() (rev int64, err error) {
	if s.closed.Load() {
		return 0, state.ErrClosed
	}
	err = s.view(func(btx *bolt.Tx) error {
		rev = replicatedRevision(btx)
		return nil
	})
	return rev, err
}

func replicatedRevision(btx *bolt.Tx) int64 {
	if v := btx.Bucket(bucketMeta).Get(keyMetaReplicated); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}

// recorder notes what a rehearsal reads and writes. Keys and values are
// copied: bbolt's are valid only during the transaction.
type recorder struct {
	readList []Read
	reads    map[string]bool // bucket NUL scan-flag key: seen
	opList   []Op
	ops      map[string]int // bucket NUL key (or kind marker): index in opList
}

func (r *recorder) read(bucket []byte, key []byte, scan, found bool) {
	if r == nil {
		return
	}
	kind := "k" // a key; "s" a scan, "q" the sequence
	if scan {
		kind = "s"
	} else if key == nil {
		kind = "q"
	}
	id := string(bucket) + "\x00" + kind + string(key)
	if r.reads[id] {
		return
	}
	r.reads[id] = true
	r.readList = append(r.readList, Read{Bucket: string(bucket), Key: bytes.Clone(key), Scan: scan, Found: found})
}

func (r *recorder) write(op Op) {
	if r == nil {
		return
	}
	id := op.Bucket + "\x00"
	switch op.Kind {
	case OpPut, OpDelete:
		id += "k" + string(op.Key)
		op.Key = bytes.Clone(op.Key)
		op.Value = bytes.Clone(op.Value)
	case OpSequence:
		id += "s"
	case OpCreateBucket:
		id += "b"
	}
	if i, ok := r.ops[id]; ok {
		r.opList[i] = op
		return
	}
	r.ops[id] = len(r.opList)
	r.opList = append(r.opList, op)
}

func (r *recorder) createBucket(name string) {
	r.write(Op{Kind: OpCreateBucket, Bucket: name})
}

// orgBucket is a bucket of the organisation as a Tx sees it: bbolt's, with
// reads and writes noted in a rehearsal. Outside one rec is nil and every
// method is bbolt's plus a nil check.
type orgBucket struct {
	*bolt.Bucket
	rec  *recorder
	name []byte
}

func (b orgBucket) Get(key []byte) []byte {
	v := b.Bucket.Get(key)
	if b.rec != nil {
		b.rec.read(b.name, key, false, v != nil)
	}
	return v
}

func (b orgBucket) Put(key, value []byte) error {
	if b.rec != nil {
		b.rec.write(Op{Kind: OpPut, Bucket: string(b.name), Key: key, Value: value})
	}
	return b.Bucket.Put(key, value)
}

func (b orgBucket) Delete(key []byte) error {
	if b.rec != nil {
		b.rec.write(Op{Kind: OpDelete, Bucket: string(b.name), Key: key})
	}
	return b.Bucket.Delete(key)
}

func (b orgBucket) NextSequence() (uint64, error) {
	n, err := b.Bucket.NextSequence()
	if b.rec != nil && err == nil {
		b.rec.read(b.name, nil, false, true)
		b.rec.write(Op{Kind: OpSequence, Bucket: string(b.name), Seq: n})
	}
	return n, err
}

func (b orgBucket) ForEach(fn func(k, v []byte) error) error {
	if b.rec != nil {
		b.rec.read(b.name, []byte{}, true, true)
	}
	return b.Bucket.ForEach(fn)
}

func (b orgBucket) Cursor() orgCursor {
	return orgCursor{Cursor: b.Bucket.Cursor(), rec: b.rec, name: b.name}
}

// orgCursor is a cursor whose Seek(prefix) is noted as a scan of prefix
// (every caller walks the keys with the prefix it sought) and whose First
// as a scan of the bucket.
type orgCursor struct {
	*bolt.Cursor
	rec  *recorder
	name []byte
}

func (c orgCursor) Seek(prefix []byte) ([]byte, []byte) {
	if c.rec != nil {
		c.rec.read(c.name, prefix, true, true)
	}
	return c.Cursor.Seek(prefix)
}

func (c orgCursor) First() ([]byte, []byte) {
	if c.rec != nil {
		c.rec.read(c.name, []byte{}, true, true)
	}
	return c.Cursor.First()
}

// OrganisationOps returns the organisation this store holds as the writes
// that make it in an empty shared store (a single server moving its
// organisation into an organisation of several): every key of every
// organisation bucket, each bucket's sequence, and the raw buckets.
func (s *Store) OrganisationOps() ([]Op, error) {
	if s.closed.Load() {
		return nil, state.ErrClosed
	}
	org := map[string]bool{}
	for _, name := range allOrgBuckets {
		org[string(name)] = true
	}
	var ops []Op
	err := s.view(func(btx *bolt.Tx) error {
		return btx.ForEach(func(name []byte, b *bolt.Bucket) error {
			n := string(name)
			if isEngineBucket(n) {
				return nil
			}
			if !org[n] {
				ops = append(ops, Op{Kind: OpCreateBucket, Bucket: n})
			}
			if seq := b.Sequence(); seq != 0 {
				ops = append(ops, Op{Kind: OpSequence, Bucket: n, Seq: seq})
			}
			return b.ForEach(func(k, v []byte) error {
				if v == nil { // a nested bucket: the organisation has none
					return fmt.Errorf("bucket %q holds a nested bucket %q: %w", n, k, state.ErrCorrupt)
				}
				ops = append(ops, Op{Kind: OpPut, Bucket: n, Key: bytes.Clone(k), Value: bytes.Clone(v)})
				return nil
			})
		})
	})
	return ops, err
}
