package boltdb

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"exsh/state"
)

// bbolt trusts the pages of its file: on a damaged page it panics ("assertion
// failed: Page expected to be: 2, but self identifies as ...", "invalid page
// type") or reads through a bad offset. Every transaction this package runs
// goes through guard, which turns such a panic into an error wrapping
// state.ErrCorrupt that names the file. Panics raised by the caller's own
// function (a bug, not damage) are left alone.

// view runs fn in a read-only bbolt transaction.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	return s.guard(func() error { return s.db.View(fn) })
}

// update runs fn in a read-write bbolt transaction.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	return s.guard(func() error { return s.db.Update(fn) })
}

// guard runs op, which runs one bbolt transaction (bbolt rolls it back while
// the panic unwinds), and reports a panic raised inside bbolt as damage.
// Memory faults are made panics for the duration, so that a page offset
// pointing outside the mapping is reported too instead of killing the
// process. A transaction that begins after Close (a batch round, or a
// caller that checked before Close) gives state.ErrClosed, as a call made
// after Close does.
func (s *Store) guard(op func() error) (err error) {
	done := false
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if done || !panickingInBolt() {
			return
		}
		err = s.damaged(recover())
	}()
	err = op()
	done = true
	if errors.Is(err, berrors.ErrDatabaseNotOpen) && s.closed.Load() {
		err = state.ErrClosed
	}
	return err
}

// damaged is the error for a panic bbolt raised on the store's pages.
func (s *Store) damaged(p any) error {
	return damagedError(s.path, p)
}

func damagedError(path string, p any) error {
	return fmt.Errorf("the store %q is damaged (%v); restore it from a backup, or remove it to start a new lab: %w", path, p, state.ErrCorrupt)
}

// panickingInBolt reports whether the goroutine is panicking and the panic
// was raised in bbolt: the first frame below runtime.gopanic that belongs
// to bbolt or to exsh is bbolt's (standard-library frames in between, such
// as sort.Search or bytes.Compare called by bbolt, are skipped). It must be
// called from the deferred function itself.
func panickingInBolt() bool {
	var pcs [64]uintptr
	n := runtime.Callers(3, pcs[:]) // skip Callers, panickingInBolt, the deferred function
	frames := runtime.CallersFrames(pcs[:n])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case !panicking:
			panicking = f.Function == "runtime.gopanic"
		case strings.HasPrefix(f.Function, "go.etcd.io/bbolt"):
			return true
		case strings.HasPrefix(f.Function, "exsh/"):
			return false
		}
		if !more {
			return false
		}
	}
}

// --- Batch -----------------------------------------------------------

// Batch is group commit: callers that arrive while a commit is on its way
// to disk wait for it, and then share the next transaction, so N
// concurrent writers cost about one fsync pair instead of N. A writer
// somebody waits for (a message being submitted, whose 250 waits for the
// commit) never waits for a timer: finding the store idle, it commits at
// once. Background work (the queue stages) is not waited for, so while
// such writers keep coming, a round holding only background calls first
// waits up to shareWait for one of them and commits with it: a busy
// server then pays about one fsync pair per round of submissions instead
// of one more for every stage's batch. The commit of a round is run by one
// of its members (the leader), through guard, so that a panic on a damaged
// page is recovered as for Update. A round holds at most
// DB().MaxBatchSize calls.

const (
	// shareWait is the longest a round of background calls waits for a
	// writer somebody waits for.
	shareWait = 2 * time.Millisecond
	// foregroundRecent: background rounds wait only if such a writer came
	// within this time; on a quiet store they commit at once.
	foregroundRecent = 20 * time.Millisecond
)

// errTrySolo tells a batch member to run its function in a transaction of
// its own: it failed inside the shared one.
var errTrySolo = errors.New("batch function returned an error and should be re-run solo")

// errLead tells a waiting batch member to commit the next round.
var errLead = errors.New("batch member promoted to commit the next round")

type batchCall struct {
	fn         func(*bolt.Tx) error
	err        chan error
	background bool
}

type batch struct {
	s     *Store
	calls []batchCall
}

func (s *Store) batch(fn func(*bolt.Tx) error, background bool) error {
	errCh := make(chan error, 1)
	s.batchMu.Lock()
	s.waiting = append(s.waiting, batchCall{fn: fn, err: errCh, background: background})
	if !background {
		s.foreground++
		s.lastForeground = time.Now()
		s.wakeLingering() // a lingering round commits now, with this call
	}
	lead := !s.committing
	s.committing = true
	s.batchMu.Unlock()
	if lead {
		s.lead()
	}
	for {
		err := <-errCh
		switch err {
		case errLead:
			s.lead()
			continue
		case errTrySolo:
			err = s.update(fn)
		}
		return err
	}
}

// lead commits the next round as its leader; a round of background calls
// on a busy store first waits for a foreground writer to join it (see
// Batch), or for Close. Only one leader exists at a time, so the wait's
// timer is the store's.
func (s *Store) lead() {
	s.batchMu.Lock()
	if s.foreground == 0 && time.Since(s.lastForeground) < s.recentWait && !s.closed.Load() {
		wake := make(chan struct{})
		s.shareWake = wake
		if s.shareTimer == nil {
			s.shareTimer = time.NewTimer(s.shareWait)
		} else {
			s.shareTimer.Reset(s.shareWait)
		}
		s.batchMu.Unlock()
		select {
		case <-wake:
		case <-s.shareTimer.C:
		}
		s.shareTimer.Stop()
		s.batchMu.Lock()
		if s.shareWake == wake {
			s.shareWake = nil
		}
	}
	s.batchMu.Unlock()
	s.commitRound()
}

// wakeLingering ends the wait of a round lingering for a foreground
// writer: one has come, or the store closes.
func (s *Store) wakeLingering() {
	if s.shareWake != nil {
		close(s.shareWake)
		s.shareWake = nil
	}
}

// commitRound commits the calls waiting now (the leader's own among them)
// and hands the lead to the first call that arrived meanwhile, if any.
func (s *Store) commitRound() {
	maxSize := max(s.db.MaxBatchSize, 1)
	s.batchMu.Lock()
	calls := s.waiting
	if len(calls) > maxSize {
		calls = append([]batchCall(nil), calls[:maxSize]...)
		s.waiting = append(s.waiting[:0], s.waiting[maxSize:]...)
	} else {
		s.waiting = nil
	}
	for _, c := range calls {
		if !c.background {
			s.foreground--
		}
	}
	s.batchMu.Unlock()
	// Hand the lead on even if the round panics, or every later writer
	// would wait for a leader that never comes.
	defer func() {
		s.batchMu.Lock()
		if len(s.waiting) > 0 {
			s.waiting[0].err <- errLead
		} else {
			s.committing = false
		}
		s.batchMu.Unlock()
	}()
	(&batch{s: s, calls: calls}).run()
}

// run commits the batch; a member whose function fails is taken out and
// told to retry on its own, and the rest run again.
func (b *batch) run() {
	for len(b.calls) > 0 {
		failed := -1
		err := b.s.update(func(tx *bolt.Tx) error {
			for i, c := range b.calls {
				if err := safelyCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			c := b.calls[failed]
			b.calls[failed], b.calls = b.calls[len(b.calls)-1], b.calls[:len(b.calls)-1]
			c.err <- errTrySolo
			continue
		}
		for _, c := range b.calls {
			c.err <- err
		}
		return
	}
}

// safelyCall runs one batch member's function; its panic fails only that
// member (the panic is re-raised when it runs solo, in its own goroutine),
// except a panic raised in bbolt, which is damage and is left to guard.
func safelyCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	done := false
	defer func() {
		if done || panickingInBolt() {
			return
		}
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	err = fn(tx)
	done = true
	return err
}
