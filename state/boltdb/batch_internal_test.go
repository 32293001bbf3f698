package boltdb

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "exsh.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// waitingCalls is how many Batch calls wait for a round.
func (s *Store) waitingCalls() int {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	return len(s.waiting)
}

// Calls that arrive while a round commits share the next round; rounds
// hold at most MaxBatchSize calls, and every call is committed.
func TestBatchGroupCommit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		maxSize   int
		followers int
		rounds    int // after the leader's own round
	}{
		{"one round for all", 1000, 49, 1},
		{"rounds of ten", 10, 25, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openTemp(t)
			st.db.MaxBatchSize = tc.maxSize
			var mu sync.Mutex
			txs := map[*bolt.Tx]bool{}
			put := func(key string) func(*bolt.Tx) error {
				return func(tx *bolt.Tx) error {
					mu.Lock()
					txs[tx] = true
					mu.Unlock()
					b, err := tx.CreateBucketIfNotExists([]byte("t"))
					if err != nil {
						return err
					}
					return b.Put([]byte(key), []byte("v"))
				}
			}
			started, release := make(chan struct{}), make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, tc.followers+1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- st.Batch(func(tx *bolt.Tx) error {
					close(started)
					<-release
					return put("leader")(tx)
				})
			}()
			<-started
			for i := 0; i < tc.followers; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- st.Batch(put(fmt.Sprint("k", i)))
				}()
			}
			deadline := time.Now().Add(10 * time.Second)
			for st.waitingCalls() < tc.followers {
				if time.Now().After(deadline) {
					t.Fatalf("%d calls waiting, want %d", st.waitingCalls(), tc.followers)
				}
				time.Sleep(time.Millisecond)
			}
			close(release)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := len(txs); got != 1+tc.rounds {
				t.Errorf("%d transactions, want %d", got, 1+tc.rounds)
			}
			err := st.db.View(func(tx *bolt.Tx) error {
				if n := tx.Bucket([]byte("t")).Stats().KeyN; n != tc.followers+1 {
					return fmt.Errorf("%d keys committed, want %d", n, tc.followers+1)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A member whose function fails gets its own error; the others of its
// round are committed.
func TestBatchFailingMember(t *testing.T) {
	st := openTemp(t)
	var wg sync.WaitGroup
	results := make([]error, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = st.Batch(func(tx *bolt.Tx) error {
				if i == 7 {
					return fmt.Errorf("member %d fails", i)
				}
				b, err := tx.CreateBucketIfNotExists([]byte("t"))
				if err != nil {
					return err
				}
				return b.Put([]byte(fmt.Sprint(i)), []byte("v"))
			})
		}()
	}
	wg.Wait()
	for i, err := range results {
		if (err != nil) != (i == 7) {
			t.Errorf("member %d: %v", i, err)
		}
	}
	st.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte("t")).Stats().KeyN; n != 19 {
			t.Errorf("%d keys, want 19", n)
		}
		return nil
	})
}

// The decoded-message cache hands out copies: a caller changing what it
// got changes neither the cache nor what the next reader gets.
func TestMessageCacheCopies(t *testing.T) {
	var c messageCache
	raw := []byte(`{"InternalId":5,"Recipients":[{"Address":"a@contoso.com"}]}`)
	c.put(raw, &state.QueuedMessage{InternalId: 5, Recipients: []state.QueuedRecipient{{Address: "a@contoso.com"}}})
	m, ok := c.get(raw)
	if !ok || m.InternalId != 5 {
		t.Fatalf("get = %+v, %v", m, ok)
	}
	m.InternalId = 6
	m.Recipients[0].Address = "changed@contoso.com"
	again, _ := c.get(raw)
	if again.InternalId != 5 || again.Recipients[0].Address != "a@contoso.com" {
		t.Errorf("the cache kept a caller's change: %+v", again)
	}
	if _, ok := c.get([]byte(`{"InternalId":5}`)); ok {
		t.Error("other bytes hit the cache")
	}
}

// lingering reports whether a round of background calls waits for a
// foreground writer.
func (s *Store) lingering() bool {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	return s.shareWake != nil
}

// Background work shares the commit of a writer somebody waits for while
// such writers keep coming, and commits at once on a quiet store; a
// foreground writer never waits for background work.
func TestBatchBackgroundSharesForegroundCommit(t *testing.T) {
	st := openTemp(t)
	st.shareWait = time.Minute  // a round that waits would stall the test
	st.recentWait = time.Minute // a slow machine still counts as busy
	var mu sync.Mutex
	txOf := map[string]*bolt.Tx{}
	put := func(key string) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			mu.Lock()
			txOf[key] = tx
			mu.Unlock()
			b, err := tx.CreateBucketIfNotExists([]byte("t"))
			if err != nil {
				return err
			}
			return b.Put([]byte(key), []byte("v"))
		}
	}
	// Quiet: no foreground writer yet, so background commits at once.
	quiet := make(chan error, 1)
	go func() { quiet <- st.batch(put("quiet"), true) }()
	select {
	case err := <-quiet:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("a background call on a quiet store did not commit (waiting for a writer: %v)", st.lingering())
	}
	if err := st.Batch(put("first submission")); err != nil {
		t.Fatal(err)
	}
	// Busy: the background call waits for the next foreground writer.
	done := make(chan error, 1)
	go func() { done <- st.batch(put("stage"), true) }()
	deadline := time.Now().Add(10 * time.Second)
	for !st.lingering() {
		if time.Now().After(deadline) {
			t.Fatal("the background call did not wait for a foreground writer")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the background call committed alone: %v", err)
	default:
	}
	if err := st.Batch(put("second submission")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if txOf["stage"] != txOf["second submission"] {
		t.Error("the background call did not share the foreground writer's commit")
	}
	if st.lingering() {
		t.Error("still waiting after the round")
	}
}

// Close ends the wait of a round of background calls lingering for a
// foreground writer; its calls get state.ErrClosed, as calls made after
// Close do.
func TestBatchCloseEndsLingeringRound(t *testing.T) {
	st := openTemp(t)
	st.shareWait = time.Minute // without Close's wake-up the call would wait this long
	st.recentWait = time.Minute
	put := func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("t"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}
	if err := st.Batch(put); err != nil { // the store is busy
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- st.batch(put, true) }()
	deadline := time.Now().Add(10 * time.Second)
	for !st.lingering() {
		if time.Now().After(deadline) {
			t.Fatal("the background call did not wait for a foreground writer")
		}
		time.Sleep(time.Millisecond)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, state.ErrClosed) {
			t.Errorf("the lingering call after Close: %v, want state.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close left the lingering round waiting")
	}
	if err := st.QueueBatch(func(state.QueueTx) error { return nil }); !errors.Is(err, state.ErrClosed) {
		t.Errorf("QueueBatch after Close: %v, want state.ErrClosed", err)
	}
}
