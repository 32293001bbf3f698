package backend

import (
	"sync"
	"time"
)

// lockoutBacklog is how many failed logons of one address may wait for
// their answer at once; beyond that the address is locked out.
const lockoutBacklog = 5

// logonGuard slows down guessing: the failed logons of one address are
// answered one delay apart, each behind the ones before it, and an
// address with lockoutBacklog failed logons waiting is refused without
// its credential being checked until fewer wait.
type logonGuard struct {
	delay time.Duration
	now   func() time.Time

	mu sync.Mutex
	// answer is, per address, when the last of its failed logons is
	// answered; an address whose time has passed has no backlog.
	answer map[string]time.Time
}

func newLogonGuard(delay time.Duration, now func() time.Time) *logonGuard {
	return &logonGuard{delay: delay, now: now, answer: make(map[string]time.Time)}
}

// lockedOut returns how long addr stays locked out; 0 when its logons
// may be checked.
func (g *logonGuard) lockedOut(addr string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lockedOutLocked(addr)
}

func (g *logonGuard) lockedOutLocked(addr string) time.Duration {
	at, ok := g.answer[addr]
	if !ok {
		return 0
	}
	backlog := at.Sub(g.now())
	if free := backlog - (lockoutBacklog-1)*g.delay; free > 0 {
		return free
	}
	return 0
}

// failed records a failed logon of addr and returns how long its answer
// waits: one delay after the answer to the address's last failed logon.
func (g *logonGuard) failed(addr string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failedLocked(addr)
}

func (g *logonGuard) failedLocked(addr string) time.Duration {
	now := g.now()
	at := g.answer[addr]
	if at.Before(now) {
		at = now
	}
	at = at.Add(g.delay)
	g.answer[addr] = at
	if len(g.answer) > 256 {
		for a, t := range g.answer {
			if t.Before(now) {
				delete(g.answer, a)
			}
		}
	}
	return at.Sub(now)
}

// check checks a logon of addr with ok, unless addr is locked out (then
// lockout is how long it stays so). A failed check is recorded and wait
// is how long its answer waits. The look at the lockout, the check and
// its record are one step: logons sent at once are checked one after
// the other, so no more than lockoutBacklog guesses of an address are
// checked before it is locked out, however many arrive together.
func (g *logonGuard) check(addr string, ok func() bool) (lockout, wait time.Duration, passed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if lockout = g.lockedOutLocked(addr); lockout > 0 {
		return lockout, 0, false
	}
	if ok() {
		return 0, 0, true
	}
	return 0, g.failedLocked(addr), false
}
