package etcd

import (
	"bytes"
	"fmt"
	"strconv"

	"exsh/state"
	"exsh/state/boltdb"
)

// Key layout under the prefix. The organisation's buckets are mirrored
// key by key; bucket names never hold a NUL.
//
//	k/<bucket> NUL <key>  a record or index entry: the bucket's value
//	s/<bucket>            the bucket's sequence, in decimal
//	b/<bucket>            a raw bucket of the organisation exists
//	d/<bucket>            put whenever a key of the bucket is deleted, so
//	                      a change that walked the bucket sees the deletion
//	c                     the changes of the last commit (JSON), which
//	                      every server publishes to its subscribers
//	f                     the organisation's founding is complete
//	l/<server>            the server is running (bound to its liveness
//	                      lease)
//	a/<id>                a change's attempt, on a lease a little shorter
//	                      than the change's timeout (see Update)
const (
	kindRecord   = "k/"
	kindSequence = "s/"
	kindBucket   = "b/"
	kindDeleted  = "d/"
	kindChanges  = "c"
	kindFounded  = "f"
	kindLive     = "l/"
	kindAttempt  = "a/"
)

func (s *Store) key(kind, bucket string) string { return s.opts.Prefix + kind + bucket }

func (s *Store) recordKey(bucket string, key []byte) string {
	return s.opts.Prefix + kindRecord + bucket + "\x00" + string(key)
}

func (s *Store) isChanges(key []byte) bool { return string(key) == s.opts.Prefix+kindChanges }

// decode turns an etcd key and value into a write to the replica; ok is
// false for keys that are not one (deletion markers, the changes).
func (s *Store) decode(key, value []byte, deleted bool) (op boltdb.Op, ok bool, err error) {
	rest, found := bytes.CutPrefix(key, []byte(s.opts.Prefix))
	if !found {
		return op, false, nil
	}
	bad := func() error {
		return fmt.Errorf("etcd key %q is not an organisation key: %w", key, state.ErrCorrupt)
	}
	switch {
	case bytes.HasPrefix(rest, []byte(kindRecord)):
		bucket, k, found := bytes.Cut(rest[len(kindRecord):], []byte{0})
		if !found || len(bucket) == 0 {
			return op, false, bad()
		}
		if deleted {
			return boltdb.Op{Kind: boltdb.OpDelete, Bucket: string(bucket), Key: k}, true, nil
		}
		return boltdb.Op{Kind: boltdb.OpPut, Bucket: string(bucket), Key: k, Value: value}, true, nil
	case bytes.HasPrefix(rest, []byte(kindSequence)):
		if deleted {
			return op, false, nil
		}
		n, err := strconv.ParseUint(string(value), 10, 64)
		if err != nil {
			return op, false, bad()
		}
		return boltdb.Op{Kind: boltdb.OpSequence, Bucket: string(rest[len(kindSequence):]), Seq: n}, true, nil
	case bytes.HasPrefix(rest, []byte(kindBucket)):
		if deleted {
			return op, false, nil
		}
		return boltdb.Op{Kind: boltdb.OpCreateBucket, Bucket: string(rest[len(kindBucket):])}, true, nil
	}
	return op, false, nil
}
