package boltdb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"exsh/state"
)

// FileName is the store's file name inside a data path.
const FileName = "exsh.db"

// DefaultTimeout is how long Open waits for another process to release the
// store file before it gives up with state.ErrLocked.
const DefaultTimeout = time.Second

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Timeout is how long to wait for the file lock; 0 means
	// DefaultTimeout. Open never waits without a bound.
	Timeout time.Duration

	// ReadOnly opens the file with a shared lock; Update then returns
	// state.ErrReadOnly. The file must exist and hold a current schema.
	ReadOnly bool

	// NoSync skips fsync on commit. DANGEROUS: a crash can lose or corrupt
	// committed data. For tests and benchmarks only.
	NoSync bool

	// Now is the clock used for WhenCreated/WhenChanged; time.Now if nil.
	Now func() time.Time
}

// Store is the bbolt implementation of state.Store: one file holding the
// organisation, plus the transport engine's queue and mailbox buckets
// (whose code lives beside this file and uses db directly).
type Store struct {
	db   *bolt.DB
	path string
	opts Options

	closed atomic.Bool

	// replicated marks the organisation buckets as a replica of a shared
	// organisation (see SetReplicated).
	replicated atomic.Bool

	// generation counts committed changes to the organisation (see
	// Generation).
	generation atomic.Uint64

	connectors   recordCache[state.ReceiveConnector, *state.ReceiveConnector]
	recipients   recordCache[state.Recipient, *state.Recipient]
	orgs         flatCache[state.Organization]
	databases    flatCache[state.MailboxDatabase]
	messages     messageCache
	queueRecords queueRecordCache
	mapped       mappedReads

	batchMu        sync.Mutex // guards the fields down to shareTimer
	waiting        []batchCall
	committing     bool      // a batch member is committing a round
	foreground     int       // calls in waiting somebody waits for
	lastForeground time.Time // when the latest of them came
	shareWake      chan struct{}
	shareTimer     *time.Timer
	shareWait      time.Duration // shareWait; tests lengthen it
	recentWait     time.Duration // foregroundRecent; tests lengthen it

	subMu sync.Mutex // guards subs and nextSub
	subs  map[int]*subscriber
	next  int
}

var _ state.Store = (*Store)(nil)

// OpenDataPath opens (creating if needed) the store of a data path,
// <dataPath>/exsh.db.
func OpenDataPath(dataPath string, opts Options) (*Store, error) {
	return Open(filepath.Join(dataPath, FileName), opts)
}

// Open opens the store file at path, creating it and its directory (mode
// 0700) when missing, and brings its schema up to date. Errors wrap
// state.ErrLocked (another process holds the file), state.ErrCorrupt (not
// an exsh store, or damaged), state.ErrReadOnly (the file or directory
// cannot be written, the file system is mounted read-only),
// state.ErrSchemaVersion (written by a newer exsh) or state.ErrNotFound
// (ReadOnly and no file).
//
// An existing file of zero bytes is where a store was being created when
// the process died (bbolt writes its first pages right after creating the
// file), or what is left of a store truncated by a full disk or a bad
// copy. Open treats it as new only when nothing else is in its directory
// (the data path): beside other lab data (logs, history, a socket) it is
// reported as state.ErrCorrupt, so that a lost organisation is noticed
// rather than silently replaced by an empty one. A read-only open always
// reports it.
func Open(path string, opts Options) (st *Store, err error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("store %q does not exist: %w", path, state.ErrNotFound)
			}
			return nil, fmt.Errorf("store %q: %w", path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		if isReadOnlyError(err) {
			return nil, fmt.Errorf("store %q: cannot create the data path: %v: %w", path, err, state.ErrReadOnly)
		}
		return nil, fmt.Errorf("store %q: cannot create the data path: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("store %q is a directory: %w", path, state.ErrCorrupt)
	}
	if err := checkEmptyFile(path, opts); err != nil {
		return nil, err
	}

	// bbolt panics on some damaged files instead of returning an error, or
	// faults reading through a bad offset.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if st != nil && st.db != nil {
				st.db.Close()
			}
			st, err = nil, damagedError(path, r)
		}
	}()

	bopts := &bolt.Options{
		Timeout:         opts.Timeout,
		ReadOnly:        opts.ReadOnly,
		NoSync:          opts.NoSync,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
	}
	db, err := bolt.Open(path, 0o600, bopts)
	if errors.Is(err, syscall.ENOMEM) {
		// Address space is limited (ulimit -v): map only the file.
		bopts.InitialMmapSize = 0
		db, err = bolt.Open(path, 0o600, bopts)
	}
	if err != nil {
		return nil, openError(path, opts, err)
	}
	s := &Store{db: db, path: path, opts: opts, subs: map[int]*subscriber{}, shareWait: shareWait, recentWait: foregroundRecent}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func openError(path string, opts Options, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("store %q: another process has held its file lock for more than %v: %w", path, opts.Timeout, state.ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrInvalidMapping):
		return fmt.Errorf("store %q: %v: %w", path, err, state.ErrCorrupt)
	case isReadOnlyError(err):
		return fmt.Errorf("store %q cannot be opened for writing: %v: %w", path, err, state.ErrReadOnly)
	}
	// bbolt reports a file too small to hold its meta pages with plain
	// text errors ("file size too small"); anything else that is not an OS
	// error means the file is not a usable store.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("store %q: %w", path, err)
	}
	return fmt.Errorf("store %q: %v: %w", path, err, state.ErrCorrupt)
}

// isReadOnlyError reports whether err means the file or directory cannot
// be written: no permission (EACCES, EPERM) or a file system mounted
// read-only (EROFS).
func isReadOnlyError(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// initialMmapSize is how much of the file bbolt maps at first. bbolt
// remaps when the file outgrows its mapping, and before unmapping it
// copies every value the open write transaction holds onto the heap: with
// a small mapping, the commit that stores a large message (the store
// doubles from a few hundred KiB) holds the message three times. Address
// space is cheap on 64-bit systems; a map larger than the file costs
// nothing until the file grows into it.
const initialMmapSize = (1 << 30) * int(^uintptr(0)>>63) // 1 GiB on 64-bit, 0 (bbolt's default) on 32-bit

// Path is the store's file name.
func (s *Store) Path() string { return s.path }

// DB returns the underlying bbolt database, for tuning (MaxBatchSize).
// Transactions should go through View, Update, Batch, QueueView and
// QueueUpdate, which report a damaged file as state.ErrCorrupt where
// bbolt itself panics. Organisation data must be changed only through
// Update.
func (s *Store) DB() *bolt.DB { return s.db }

// Batch runs fn with group commit: concurrent callers share one
// transaction (see batch). It is for writers somebody waits for: it never
// waits for a timer. fn may run more than once and must be
// idempotent. A nil
// return means committed. A damaged page gives an error wrapping
// state.ErrCorrupt, as for Update.
func (s *Store) Batch(fn func(*bolt.Tx) error) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("store %q: %w", s.path, state.ErrReadOnly)
	}
	return s.batch(fn, false)
}

// View implements state.Store. A damaged page in the file gives an error
// wrapping state.ErrCorrupt rather than bbolt's panic.
func (s *Store) View(fn func(tx state.Tx) error) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	return s.view(func(btx *bolt.Tx) error {
		return fn(s.newTx(btx))
	})
}

// Update implements state.Store. A damaged page in the file gives an
// error wrapping state.ErrCorrupt rather than bbolt's panic; nothing is
// committed.
func (s *Store) Update(fn func(tx state.Tx) error) error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("store %q: %w", s.path, state.ErrReadOnly)
	}
	if s.replicated.Load() {
		return fmt.Errorf("store %q: %w", s.path, errReplicated)
	}
	return s.update(func(btx *bolt.Tx) error {
		return fn(s.newTx(btx))
	})
}

// Generation changes whenever a change to the organisation commits, before
// the call that made it returns. A reader can keep what it derived from
// the organisation for as long as Generation is what it was before the
// reading began.
func (s *Store) Generation() uint64 { return s.generation.Load() }

// Tx wraps a bbolt transaction begun by the caller (for example inside
// Batch or DB().Update) as a state.Tx, so queue code can read and change
// the organisation in the same transaction. Changes made through it are
// published when btx commits.
func (s *Store) Tx(btx *bolt.Tx) state.Tx { return s.newTx(btx) }

// Close closes every subscription and the file. It is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// A round of background calls waiting for a foreground writer stops
	// waiting: its calls get state.ErrClosed at once.
	s.batchMu.Lock()
	s.wakeLingering()
	s.batchMu.Unlock()
	s.subMu.Lock()
	for id, sub := range s.subs {
		sub.cancel()
		delete(s.subs, id)
	}
	s.subMu.Unlock()
	return s.db.Close()
}

// Subscribe implements state.Store.
func (s *Store) Subscribe() (<-chan state.Change, func()) {
	sub := &subscriber{
		out:  make(chan state.Change, 64),
		done: make(chan struct{}),
		wake: make(chan struct{}, 1),
	}
	s.subMu.Lock()
	if s.closed.Load() {
		s.subMu.Unlock()
		close(sub.out)
		return sub.out, func() {}
	}
	id := s.next
	s.next++
	s.subs[id] = sub
	s.subMu.Unlock()
	go sub.run()
	return sub.out, func() {
		s.subMu.Lock()
		delete(s.subs, id)
		s.subMu.Unlock()
		sub.cancel()
	}
}

func (s *Store) publish(changes []state.Change) {
	if len(changes) == 0 {
		return
	}
	s.generation.Add(1)
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for _, sub := range s.subs {
		sub.push(changes)
	}
}

// subscriber delivers changes in order through an unbounded queue, so a
// slow reader never blocks a committing writer.
type subscriber struct {
	out  chan state.Change
	done chan struct{}
	wake chan struct{} // capacity 1: "queue may be non-empty"
	once sync.Once

	mu    sync.Mutex // guards queue
	queue []state.Change
}

func (s *subscriber) push(changes []state.Change) {
	s.mu.Lock()
	s.queue = append(s.queue, changes...)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) cancel() { s.once.Do(func() { close(s.done) }) }

func (s *subscriber) run() {
	defer close(s.out)
	for {
		s.mu.Lock()
		q := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, c := range q {
			select {
			case s.out <- c:
			case <-s.done:
				return
			}
		}
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}
