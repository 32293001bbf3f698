package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"exsh/state"
	"exsh/state/boltdb"
)

// DefaultPrefix keys the organisation in etcd.
const DefaultPrefix = "/exsh/"

// DefaultTimeout bounds how long a change waits for a majority of the
// members.
const DefaultTimeout = 10 * time.Second

// maxAttempts is how often Update runs a change that other changes keep
// conflicting with before it gives up with state.ErrConflict.
const maxAttempts = 20

// maxChangeBytes bounds what one change writes: etcd refuses requests
// past 1.5 MiB (embed.DefaultMaxRequestBytes), compares included.
const maxChangeBytes = 1 << 20

// maxPointReads is how many single keys of one bucket a change's commit
// checks one by one; past it, the whole bucket is checked.
const maxPointReads = 16

// allKinds are the kinds of record a resynchronisation announces.
var allKinds = []string{state.KindOrganization, state.KindExchangeServer, state.KindReceiveConnector, state.KindSendConnector,
	state.KindAcceptedDomain, state.KindRecipient, state.KindADPermission, state.KindTransportService,
	state.KindMailboxDatabase, state.KindCertificate, state.KindTransportConfig, state.KindComponentState}

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Prefix keys the organisation in etcd; DefaultPrefix if empty.
	Prefix string
	// Timeout bounds a change; DefaultTimeout if zero. A change whose
	// commit got no answer reports that once its attempt has lapsed (see
	// Update), which may be up to attemptTTL later.
	Timeout time.Duration
	// ServerName, when set, is the server the store runs for: while the
	// store is open it holds the server's liveness key (see Alive).
	ServerName string
	// LivenessTTL is how long a server that stopped without closing its
	// store (killed, cut off) is still taken for alive;
	// DefaultLivenessTTL if zero.
	LivenessTTL time.Duration
}

// DefaultLivenessTTL is the liveness lease's time to live.
const DefaultLivenessTTL = 3 * time.Second

// attemptTTL is the lease of a change's attempt key: a change whose
// commit reaches the members later than this after its attempt began is
// refused (see Update). It is below DefaultTimeout and above etcd's
// shortest lease (one and a half election timeouts).
const attemptTTL = 4 * time.Second

// Store is the organisation kept in etcd, replicated into a server's own
// bbolt store (see the package documentation). It implements
// state.ServerStore: the organisation through etcd, the queues and
// mailboxes in the local store.
type Store struct {
	local *boltdb.Store
	cli   *clientv3.Client
	opts  Options

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed when the watcher has stopped
	closed atomic.Bool

	mu       sync.Mutex      // guards seen, advanced and live
	seen     int64           // every organisation event up to this revision is applied
	advanced chan struct{}   // closed and replaced when seen grows
	live     map[string]bool // servers whose liveness key is there (lower case)

	liveDone chan struct{} // closed when the liveness keeper has stopped
	renewed  atomic.Int64  // when this server's liveness lease was last renewed (UnixNano)

	// beforeCommit, when set (tests), runs between a change's attempt
	// and its commit.
	beforeCommit func(attempt clientv3.LeaseID)
}

var _ state.ServerStore = (*Store)(nil)

// Open makes local a replica of the organisation kept in etcd under
// opts.Prefix and returns the store that reads it there and changes it
// through etcd. local's organisation is replaced by etcd's; from then on
// only the returned store changes it. The store owns local and cli and
// closes them; when Open fails they are left to the caller.
func Open(local *boltdb.Store, cli *clientv3.Client, opts Options) (*Store, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.LivenessTTL <= 0 {
		opts.LivenessTTL = DefaultLivenessTTL
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{local: local, cli: cli, opts: opts, ctx: ctx, cancel: cancel, done: make(chan struct{}), advanced: make(chan struct{}), live: map[string]bool{}, liveDone: make(chan struct{})}
	local.SetReplicated(true)
	rctx, rcancel := context.WithTimeout(ctx, opts.Timeout)
	rev, err := s.resync(rctx, false)
	rcancel()
	if err != nil {
		err = s.requestError("reading the organisation", rctx, err)
		cancel()
		local.SetReplicated(false)
		return nil, err
	}
	s.renewed.Store(time.Now().UnixNano()) // the majority answered just now
	s.seen = rev
	go s.watch(rev + 1)
	if err := s.migrate(); err != nil {
		cancel()
		<-s.done
		local.SetReplicated(false)
		return nil, fmt.Errorf("bringing the organisation up to date: %w", err)
	}
	if opts.ServerName != "" {
		go s.keepAlive()
	} else {
		close(s.liveDone)
	}
	return s, nil
}

// Local is the server's own store, which holds the replica.
func (s *Store) Local() *boltdb.Store { return s.local }

// Path is the local store's file name.
func (s *Store) Path() string { return s.local.Path() }

// View implements state.Store: it reads the local replica, which follows
// etcd within a watch's delay and keeps working without a majority.
func (s *Store) View(fn func(tx state.Tx) error) error { return s.local.View(fn) }

// Subscribe implements state.Store. Changes made on any server are sent
// once the replica has them.
func (s *Store) Subscribe() (<-chan state.Change, func()) { return s.local.Subscribe() }

// Generation implements state.Store.
func (s *Store) Generation() uint64 { return s.local.Generation() }

// Check checks the replica's consistency (see boltdb.Store.Check).
func (s *Store) Check() error { return s.local.Check() }

// Close stops following etcd and closes the client and the local store.
// It is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	<-s.done
	<-s.liveDone
	cerr := s.cli.Close()
	if err := s.local.Close(); err != nil {
		return err
	}
	if cerr != nil && !errors.Is(cerr, context.Canceled) {
		return cerr
	}
	return nil
}

// Update implements state.Store. The change is rehearsed on the replica,
// brought up to date with etcd first, and committed to etcd in one
// transaction that holds only if nothing it read has changed since; then
// Update waits until the replica has it. When another change got in
// between, fn runs again on the newer organisation (so fn may run more
// than once, and must start afresh each time), up to a bound past which
// the error wraps state.ErrConflict. Without a majority of the members
// within the timeout the error wraps state.ErrUnavailable and nothing is
// changed, then or later: each try carries an attempt key its commit
// requires (see attempt and the package documentation).
func (s *Store) Update(fn func(tx state.Tx) error) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		// The attempt proves a majority answers now, and its revision
		// covers every change committed before this one began.
		key, lease, rev, lapsed, err := s.attempt(ctx)
		if err != nil {
			return err
		}
		if err := s.waitSeen(ctx, rev); err != nil {
			return err
		}
		r, err := s.local.Rehearse(fn)
		if err != nil {
			return err
		}
		if len(r.Ops) == 0 {
			return nil
		}
		ops, err := s.writes(r)
		if err != nil {
			return err
		}
		if s.beforeCommit != nil {
			s.beforeCommit(lease)
		}
		cmps := append(s.compares(r), clientv3.Compare(clientv3.Version(key), ">", 0))
		ops = append(ops, clientv3.OpDelete(key))
		tr, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Else(clientv3.OpGet(key, clientv3.WithCountOnly())).Commit()
		if err != nil {
			err = s.requestError("changing the organisation", ctx, err)
			if errors.Is(err, state.ErrUnavailable) {
				// The Txn may still reach the members and commit while
				// its attempt lives: report the failure once it cannot.
				s.sleepUntil(lapsed)
			}
			return err
		}
		if err := s.waitSeen(ctx, tr.Header.Revision); err != nil {
			return err
		}
		if tr.Succeeded {
			return nil
		}
		if len(tr.Responses) == 1 {
			if g := tr.Responses[0].GetResponseRange(); g != nil && g.Count == 0 {
				return fmt.Errorf("changing the organisation: the change did not reach a majority of the servers within %v, and is not made: %w", attemptTTL, state.ErrUnavailable)
			}
		}
		if attempt == maxAttempts {
			return fmt.Errorf("changing the organisation: gave up after %d attempts: %w", attempt, state.ErrConflict)
		}
	}
}

// attempt starts one try at committing a change: a key on a lease of
// attemptTTL, which the change's Txn requires to be there. A Txn that
// reaches the members only after the lease has expired (held up while
// they had no majority, then committed once they have one again) finds
// the key gone and changes nothing, though its Update has long returned
// state.ErrUnavailable. rev is the revision the key was put at; by
// lapsed the lease has expired (the members start its time to live
// before they answer the grant).
func (s *Store) attempt(ctx context.Context) (key string, lease clientv3.LeaseID, rev int64, lapsed time.Time, err error) {
	g, err := s.cli.Grant(ctx, int64(attemptTTL/time.Second))
	if err != nil {
		return "", 0, 0, time.Time{}, s.requestError("changing the organisation", ctx, err)
	}
	lapsed = time.Now().Add(attemptTTL)
	key = s.key(kindAttempt, strconv.FormatInt(int64(g.ID), 16))
	p, err := s.cli.Put(ctx, key, s.opts.ServerName, clientv3.WithLease(g.ID))
	if err != nil {
		return "", 0, 0, time.Time{}, s.requestError("changing the organisation", ctx, err)
	}
	return key, g.ID, p.Header.Revision, lapsed, nil
}

// sleepUntil waits until t or Close.
func (s *Store) sleepUntil(t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-s.ctx.Done():
	}
}

// requestError describes a failed etcd request.
func (s *Store) requestError(what string, ctx context.Context, err error) error {
	if s.closed.Load() || s.ctx.Err() != nil {
		return state.ErrClosed
	}
	if e := rpctypes.Error(err); errors.Is(e, rpctypes.ErrRequestTooLarge) || errors.Is(e, rpctypes.ErrTooManyOps) {
		return fmt.Errorf("%s: the change is too large for one commit (%v): %w", what, err, state.ErrInvalid)
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: no answer within %v: %w", what, s.opts.Timeout, state.ErrUnavailable)
	}
	return fmt.Errorf("%s: %v: %w", what, err, state.ErrUnavailable)
}

// compares are the conditions a rehearsed change commits under: nothing
// it read has changed since the replica's revision. A key read is
// checked by itself; a range walked is checked as a range (a key put in
// it since) and by the bucket's deletion marker (a key deleted from it
// since); a bucket with many keys read is checked as a whole.
func (s *Store) compares(r *boltdb.Rehearsal) []clientv3.Cmp {
	below := r.Revision + 1
	scans := map[string][]string{} // bucket -> prefixes walked
	points := map[string]int{}
	for _, rd := range r.Reads {
		switch {
		case rd.Scan:
			scans[rd.Bucket] = append(scans[rd.Bucket], string(rd.Key))
		case rd.Key != nil:
			points[rd.Bucket]++
		}
	}
	for b, n := range points {
		if n > maxPointReads {
			scans[b] = append(scans[b], "")
		}
	}
	// covered tells whether key is inside a range walked; for a walked
	// prefix (self is its index), inside another one (of equal ones, the
	// first covers the rest).
	covered := func(b, key string, self int) bool {
		for i, p := range scans[b] {
			if i != self && strings.HasPrefix(key, p) && (self < 0 || len(p) < len(key) || i < self) {
				return true
			}
		}
		return false
	}
	var cmps []clientv3.Cmp
	for b, ps := range scans {
		for i, p := range ps {
			if !covered(b, p, i) {
				cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.recordKey(b, []byte(p))), "<", below).WithPrefix())
			}
		}
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.key(kindDeleted, b)), "<", below))
	}
	for _, rd := range r.Reads {
		switch {
		case rd.Scan:
		case rd.Key == nil: // the bucket's sequence
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.key(kindSequence, rd.Bucket)), "<", below))
		case covered(rd.Bucket, string(rd.Key), -1):
		default:
			k := s.recordKey(rd.Bucket, rd.Key)
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "<", below))
			if rd.Found {
				cmps = append(cmps, clientv3.Compare(clientv3.Version(k), ">", 0))
			}
		}
	}
	return cmps
}

// writes are a rehearsed change's operations in etcd, with the changes
// to publish.
func (s *Store) writes(r *boltdb.Rehearsal) ([]clientv3.Op, error) {
	ops := make([]clientv3.Op, 0, len(r.Ops)+2)
	deleted := map[string]bool{}
	for _, op := range r.Ops {
		switch op.Kind {
		case boltdb.OpPut:
			ops = append(ops, clientv3.OpPut(s.recordKey(op.Bucket, op.Key), string(op.Value)))
		case boltdb.OpDelete:
			ops = append(ops, clientv3.OpDelete(s.recordKey(op.Bucket, op.Key)))
			deleted[op.Bucket] = true
		case boltdb.OpSequence:
			ops = append(ops, clientv3.OpPut(s.key(kindSequence, op.Bucket), strconv.FormatUint(op.Seq, 10)))
		case boltdb.OpCreateBucket:
			ops = append(ops, clientv3.OpPut(s.key(kindBucket, op.Bucket), ""))
		}
	}
	for b := range deleted {
		ops = append(ops, clientv3.OpPut(s.key(kindDeleted, b), ""))
	}
	changes, err := json.Marshal(r.Changes)
	if err != nil {
		return nil, err
	}
	ops = append(ops, clientv3.OpPut(s.key(kindChanges, ""), string(changes)))
	if len(ops) > maxTxnOps {
		return nil, fmt.Errorf("the change writes %d keys, more than the %d one change may: %w", len(ops), maxTxnOps, state.ErrInvalid)
	}
	size := len(changes)
	for _, op := range r.Ops {
		size += len(s.opts.Prefix) + len(op.Bucket) + len(op.Key) + len(op.Value) + 16
	}
	if size > maxChangeBytes {
		return nil, fmt.Errorf("the change writes %d KiB, more than the %d KiB one change may: %w", size>>10, maxChangeBytes>>10, state.ErrInvalid)
	}
	return ops, nil
}

// resync replaces the replica with the organisation in etcd and returns
// the revision it was read at. With announce, subscribers are told that
// every kind of record may have changed (what changed while the watch
// was lost is not known).
func (s *Store) resync(ctx context.Context, announce bool) (int64, error) {
	var (
		rev  int64
		ops  []boltdb.Op
		live = map[string]bool{}
	)
	start, end := s.opts.Prefix, clientv3.GetPrefixRangeEnd(s.opts.Prefix)
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(1000)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := s.cli.Get(ctx, start, opts...)
		if err != nil {
			return 0, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			if name, ok := s.liveName(kv.Key); ok {
				live[name] = true
				continue
			}
			if op, ok, err := s.decode(kv.Key, kv.Value, false); err != nil {
				return 0, err
			} else if ok {
				ops = append(ops, op)
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	var changes []state.Change
	if announce {
		for _, kind := range allKinds {
			changes = append(changes, state.Change{Kind: kind, Op: state.OpPut})
		}
	}
	if err := s.local.ApplyReplicated(rev, true, ops, changes); err != nil {
		return 0, err
	}
	s.replaceLive(live)
	return rev, nil
}

// watch applies the organisation's changes to the replica as etcd
// commits them, one transaction per revision, until Close. A watch that
// ends (a compacted revision, a lost stream) starts again from a full
// copy.
func (s *Store) watch(from int64) {
	defer close(s.done)
	for {
		wch := s.cli.Watch(s.ctx, s.opts.Prefix, clientv3.WithPrefix(), clientv3.WithRev(from))
		ok := s.follow(wch)
		if s.ctx.Err() != nil {
			return
		}
		if ok {
			continue
		}
		for {
			rctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
			rev, err := s.resync(rctx, true)
			cancel()
			if err == nil {
				s.advance(rev)
				from = rev + 1
				break
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// follow applies a watch's events until it ends; false means the replica
// must be copied again.
func (s *Store) follow(wch clientv3.WatchChan) bool {
	for resp := range wch {
		if resp.Err() != nil || resp.Canceled {
			return false
		}
		if resp.IsProgressNotify() {
			s.advance(resp.Header.Revision)
			continue
		}
		for i := 0; i < len(resp.Events); {
			rev := resp.Events[i].Kv.ModRevision
			var (
				ops     []boltdb.Op
				changes []state.Change
			)
			for ; i < len(resp.Events) && resp.Events[i].Kv.ModRevision == rev; i++ {
				ev := resp.Events[i]
				deleted := ev.Type == clientv3.EventTypeDelete
				if name, ok := s.liveName(ev.Kv.Key); ok {
					s.setLive(name, !deleted)
					continue
				}
				if s.isChanges(ev.Kv.Key) && !deleted {
					if err := json.Unmarshal(ev.Kv.Value, &changes); err != nil {
						changes = nil
					}
					continue
				}
				op, ok, err := s.decode(ev.Kv.Key, ev.Kv.Value, deleted)
				if err != nil {
					return false
				}
				if ok {
					ops = append(ops, op)
				}
			}
			// A revision of liveness and attempt keys alone leaves the
			// replica as it is.
			if len(ops) > 0 || len(changes) > 0 {
				if err := s.local.ApplyReplicated(rev, false, ops, changes); err != nil {
					return false
				}
			}
			s.advance(rev)
		}
	}
	return s.ctx.Err() != nil
}

// advance records that every event up to rev is applied.
func (s *Store) advance(rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev <= s.seen {
		return
	}
	s.seen = rev
	close(s.advanced)
	s.advanced = make(chan struct{})
}

// waitSeen waits until the replica has every change up to rev.
func (s *Store) waitSeen(ctx context.Context, rev int64) error {
	for {
		s.mu.Lock()
		seen, advanced := s.seen, s.advanced
		s.mu.Unlock()
		if seen >= rev {
			return nil
		}
		// A revision outside the organisation's keys comes with no event:
		// a progress notification tells the watch has passed it.
		if err := s.cli.RequestProgress(ctx); err != nil {
			return s.requestError("waiting for the organisation's change", ctx, err)
		}
		select {
		case <-advanced:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return s.requestError("waiting for the organisation's change", ctx, ctx.Err())
		}
	}
}

// QueueStore: the server's own queues and mailboxes, in the local store.

// InitQueues implements state.QueueStore.
func (s *Store) InitQueues(now time.Time) error { return s.local.InitQueues(now) }

// Enqueue implements state.QueueStore.
func (s *Store) Enqueue(m *state.QueuedMessage, data []byte) error {
	return s.local.Enqueue(m, data)
}

// EnqueueInsert implements state.QueueStore.
func (s *Store) EnqueueInsert(m *state.QueuedMessage, data []byte, at int, insert []byte) error {
	return s.local.EnqueueInsert(m, data, at, insert)
}

// QueueUpdate implements state.QueueStore. The organisation it shows
// (QueueTx.Org) is the replica and cannot be changed through it.
func (s *Store) QueueUpdate(fn func(q state.QueueTx) error) error { return s.local.QueueUpdate(fn) }

// QueueBatch implements state.QueueStore.
func (s *Store) QueueBatch(fn func(q state.QueueTx) error) error { return s.local.QueueBatch(fn) }

// QueueView implements state.QueueStore.
func (s *Store) QueueView(fn func(q state.QueueTx) error) error { return s.local.QueueView(fn) }
