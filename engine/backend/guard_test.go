package backend

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The failed logons of one address are answered one delay apart; with
// lockoutBacklog of them waiting the address is locked out until the
// oldest is answered; other addresses are not held back.
func TestLogonGuard(t *testing.T) {
	const delay = 5 * time.Second
	now := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	g := newLogonGuard(delay, func() time.Time { return now })
	type step struct {
		advance time.Duration
		addr    string
		fail    bool          // a failed logon, else a look at the lockout
		want    time.Duration // its answer's wait, or the lockout left
	}
	for i, s := range []step{
		{0, "127.0.0.2", false, 0},
		{0, "127.0.0.2", true, 5 * time.Second},
		{0, "127.0.0.2", true, 10 * time.Second},
		{0, "127.0.0.2", true, 15 * time.Second},
		{0, "127.0.0.2", false, 0},
		{0, "127.0.0.2", true, 20 * time.Second},
		{0, "127.0.0.2", false, 0},
		{0, "127.0.0.2", true, 25 * time.Second},
		// Five waiting: locked out until the first is answered.
		{0, "127.0.0.2", false, 5 * time.Second},
		{0, "127.0.0.3", false, 0},
		{0, "127.0.0.3", true, 5 * time.Second},
		{2 * time.Second, "127.0.0.2", false, 3 * time.Second},
		{3 * time.Second, "127.0.0.2", false, 0},
		{0, "127.0.0.2", true, 25 * time.Second},
		// All answered: no backlog, one delay again.
		{time.Minute, "127.0.0.2", false, 0},
		{0, "127.0.0.2", true, 5 * time.Second},
	} {
		now = now.Add(s.advance)
		var got time.Duration
		if s.fail {
			got = g.failed(s.addr)
		} else {
			got = g.lockedOut(s.addr)
		}
		if got != s.want {
			t.Errorf("step %d (%+v): %v, want %v", i, s, got, s.want)
		}
	}
}

// Addresses whose failed logons are all answered are forgotten.
func TestLogonGuardForgets(t *testing.T) {
	now := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	g := newLogonGuard(time.Second, func() time.Time { return now })
	for i := range 300 {
		g.failed(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	now = now.Add(time.Minute)
	g.failed("127.0.0.2")
	if n := len(g.answer); n != 1 {
		t.Errorf("%d addresses kept, want 1", n)
	}
}

// Guesses that arrive together are checked one after the other: no more
// than lockoutBacklog of them are checked before the address is locked
// out, however slow the check; another address's logons are checked
// meanwhile.
func TestLogonGuardChecksTogether(t *testing.T) {
	g := newLogonGuard(time.Minute, time.Now)
	var mu sync.Mutex
	checked := 0
	guess := func() bool {
		mu.Lock()
		checked++
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // a store read
		return false
	}
	var wg sync.WaitGroup
	var locked, refused atomic.Int32
	for range 20 {
		wg.Go(func() {
			lockout, wait, ok := g.check("127.0.0.2", guess)
			switch {
			case ok:
				t.Error("a wrong guess passed")
			case lockout > 0:
				locked.Add(1)
			case wait > 0:
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if checked != lockoutBacklog || refused.Load() != lockoutBacklog || locked.Load() != 20-lockoutBacklog {
		t.Errorf("20 guesses at once: %d checked, %d refused, %d locked out; want %d checked and refused",
			checked, refused.Load(), locked.Load(), lockoutBacklog)
	}
	// A check of one address does not hold up another's.
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		defer close(held)
		g.check("127.0.0.4", func() bool { <-release; return true })
	}()
	passed := make(chan bool)
	go func() {
		_, _, ok := g.check("127.0.0.3", func() bool { return true })
		passed <- ok
	}()
	select {
	case ok := <-passed:
		if !ok {
			t.Error("a right credential from another address was refused")
		}
	case <-time.After(5 * time.Second):
		t.Error("a check waited for another address's")
	}
	close(release)
	<-held
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.gates) != 0 {
		t.Errorf("%d gates kept after the checks", len(g.gates))
	}
}
