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
	// gates are the addresses whose logons are being checked.
	gates map[string]*gate
}

func newLogonGuard(delay time.Duration, now func() time.Time) *logonGuard {
	return &logonGuard{delay: delay, now: now, answer: make(map[string]time.Time)}
}

// lockedOut returns how long addr stays locked out; 0 when its logons
// may be checked.
func (g *logonGuard) lockedOut(addr string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
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
// is how long its answer waits. For one address the look at the
// lockout, the check and its record are one step: logons it sends at
// once are checked one after the other, so no more than lockoutBacklog
// of its guesses are checked before it is locked out, however many
// arrive together. Other addresses' logons are checked meanwhile.
func (g *logonGuard) check(addr string, ok func() bool) (lockout, wait time.Duration, passed bool) {
	gate := g.enter(addr)
	defer g.leave(addr, gate)
	if lockout = g.lockedOut(addr); lockout > 0 {
		return lockout, 0, false
	}
	if ok() {
		return 0, 0, true
	}
	return 0, g.failed(addr), false
}

// A gate lets one logon of an address be checked at a time.
type gate struct {
	sync.Mutex
	users int // logons holding or waiting for it
}

// enter waits for addr's gate and holds it.
func (g *logonGuard) enter(addr string) *gate {
	g.mu.Lock()
	if g.gates == nil {
		g.gates = make(map[string]*gate)
	}
	gt := g.gates[addr]
	if gt == nil {
		gt = &gate{}
		g.gates[addr] = gt
	}
	gt.users++
	g.mu.Unlock()
	gt.Lock()
	return gt
}

// leave lets the next logon of addr through its gate; the gate goes
// when no logon wants it.
func (g *logonGuard) leave(addr string, gt *gate) {
	gt.Unlock()
	g.mu.Lock()
	if gt.users--; gt.users == 0 {
		delete(g.gates, addr)
	}
	g.mu.Unlock()
}
