package etcd

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"exsh/state"
	"exsh/state/boltdb"
)

// Founding limits: one Txn of the copy stays well below etcd's request
// size and operation count.
const (
	foundBatchOps   = 1000
	foundBatchBytes = 512 << 10
)

// Found founds the organisation in etcd under prefix (DefaultPrefix if
// empty), once. When the key space has no "founded" marker yet, whatever
// an interrupted founding left there is deleted and local's organisation,
// if it holds one (a single server moving to several), is copied in
// batches below the Txn limits; the marker is written last, so a founding
// interrupted halfway starts over. copied reports whether local's
// organisation was copied. A key space already founded is left alone.
// Found needs a majority of the members.
func Found(ctx context.Context, cli *clientv3.Client, local *boltdb.Store, prefix string) (copied bool, err error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	s := &Store{opts: Options{Prefix: prefix}}
	marker := s.key(kindFounded, "")
	resp, err := cli.Get(ctx, marker, clientv3.WithCountOnly())
	if err != nil {
		return false, founding(err)
	}
	if resp.Count > 0 {
		return false, nil
	}
	if _, err := cli.Delete(ctx, prefix, clientv3.WithPrefix()); err != nil {
		return false, founding(err)
	}
	hasOrg := false
	if err := local.View(func(tx state.Tx) error {
		_, err := tx.Org()
		if errors.Is(err, state.ErrNotFound) {
			return nil
		}
		hasOrg = err == nil
		return err
	}); err != nil {
		return false, err
	}
	if hasOrg {
		ops, err := local.OrganisationOps()
		if err != nil {
			return false, err
		}
		var batch []clientv3.Op
		size := 0
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			_, err := cli.Txn(ctx).Then(batch...).Commit()
			batch, size = nil, 0
			return err
		}
		for _, op := range ops {
			var eop clientv3.Op
			switch op.Kind {
			case boltdb.OpPut:
				eop = clientv3.OpPut(s.recordKey(op.Bucket, op.Key), string(op.Value))
			case boltdb.OpSequence:
				eop = clientv3.OpPut(s.key(kindSequence, op.Bucket), strconv.FormatUint(op.Seq, 10))
			case boltdb.OpCreateBucket:
				eop = clientv3.OpPut(s.key(kindBucket, op.Bucket), "")
			default:
				continue
			}
			n := len(prefix) + len(op.Bucket) + len(op.Key) + len(op.Value) + 16
			if len(batch) == foundBatchOps || size+n > foundBatchBytes {
				if err := flush(); err != nil {
					return false, founding(err)
				}
			}
			batch = append(batch, eop)
			size += n
		}
		if err := flush(); err != nil {
			return false, founding(err)
		}
	}
	if _, err := cli.Put(ctx, marker, "complete"); err != nil {
		return false, founding(err)
	}
	return hasOrg, nil
}

// Founded reports whether the organisation under prefix has been founded
// (its founding completed).
func Founded(ctx context.Context, cli *clientv3.Client, prefix string) (bool, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	s := &Store{opts: Options{Prefix: prefix}}
	resp, err := cli.Get(ctx, s.key(kindFounded, ""), clientv3.WithCountOnly())
	if err != nil {
		return false, founding(err)
	}
	return resp.Count > 0, nil
}

func founding(err error) error {
	return fmt.Errorf("founding the organisation: %w (%v)", state.ErrUnavailable, err)
}
