package reliability

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

var (
	crashRounds = flag.Int("crash.rounds", 24, "TestCrashSafety: server kills (the long variant uses 200 or more)")
	crashMsgs   = flag.Int("crash.msgs", 60, "TestCrashSafety: messages sent per round")
	crashSeed   = flag.Uint64("crash.seed", 0, "TestCrashSafety: random seed (0: from the clock)")
)

// What became of one numbered message, from the client's side.
type sendState int

const (
	stateRefused sendState = iota // never reached DATA
	stateUnacked                  // DATA started, no 250 2.6.0 (killed or failed)
	statePartial                  // the client sent half the data and was paused
	stateAcked                    // 250 2.6.0 ... Queued mail for delivery
)

type sentMsg struct {
	to    []string // mailbox names
	state sendState
}

// crashLedger is the client-side record of every numbered message.
type crashLedger struct {
	mu   sync.Mutex
	next int
	msgs map[int]*sentMsg
}

// take hands out the next sequence number and its recipients.
func (l *crashLedger) take() (int, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	n := l.next
	to := []string{testMailboxes[n%len(testMailboxes)]}
	if n%5 == 0 {
		// Some messages go to two mailboxes: both or neither.
		to = append(to, testMailboxes[(n+1)%len(testMailboxes)])
	}
	l.msgs[n] = &sentMsg{to: to}
	return n, to
}

func (l *crashLedger) set(n int, s sendState) {
	l.mu.Lock()
	l.msgs[n].state = s
	l.mu.Unlock()
}

func addrs(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "@contoso.com"
	}
	return out
}

// How a round ends.
const (
	killWhileSending = iota // at a random moment while clients send
	killAfterSending        // once every client is done: mid-delivery
	killMidData             // right after the paused client sent half its data
	killModes
)

// TestCrashSafety kills the server process with SIGKILL at random moments
// while many clients send numbered messages through the Front End (port
// 25, Front End -> hub -> mailbox) and straight to the hub (2525), then
// restarts it on the same data path. When every round is done the queues
// must drain, and every message that was answered "250 2.6.0 ... Queued
// mail for delivery" must be in its mailboxes exactly once; nothing that
// was not acknowledged may be there twice, or in only some of its
// mailboxes, and a message whose DATA was cut off must not be there at
// all.
func TestCrashSafety(t *testing.T) {
	rounds, perRound := *crashRounds, *crashMsgs
	if os.Getenv("EXSH_RELIABILITY_LONG") != "" {
		rounds, perRound = max(rounds, 200), max(perRound, 200)
	}
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d (-crash.seed to repeat)", seed)

	dir := tempDirOn(t, t.TempDir(), "data")
	ledger := &crashLedger{msgs: map[int]*sentMsg{}}
	const workers = 6
	start := time.Now()
	var modes [killModes]int
	queuedAtKill := 0
	for round := 0; round < rounds; round++ {
		srv := startServer(t, dir)
		mode := round % killModes
		if round >= killModes {
			mode = rng.IntN(killModes)
		}
		modes[mode]++

		paused := make(chan struct{})
		var pausedWG sync.WaitGroup
		pausedWG.Add(1)
		go func() {
			defer pausedWG.Done()
			pausedClient(srv.addr(25), ledger, paused)
		}()

		var quota sync.Mutex
		left := perRound
		takeQuota := func() bool {
			quota.Lock()
			defer quota.Unlock()
			left--
			return left >= 0
		}
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// One worker in three talks to the hub directly.
				crashWorker(srv, w%3 == 2, ledger, takeQuota)
			}()
		}
		switch mode {
		case killWhileSending:
			time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
		case killAfterSending:
			wg.Wait()
			// Kill while messages are still on their way to the mailboxes
			// when there are any.
			if srv.command("status").Total > 0 {
				queuedAtKill++
			}
		case killMidData:
			select {
			case <-paused:
			case <-time.After(5 * time.Second):
			}
			time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
		}
		srv.kill()
		wg.Wait()
		pausedWG.Wait()
	}

	srv := startServer(t, dir)
	st := srv.waitDrained(scaled(60 * time.Second))
	if n := st.Queues[`EX01\Poison`] + st.Queues[`EX01\Unreachable`]; n > 0 {
		t.Errorf("messages parked after the crashes: %v", st.Queues)
	}
	srv.stop()
	elapsed := time.Since(start)

	delivered := deliveredSeqs(t, dir, testMailboxes)
	var attempted, acked, unackedDelivered, lost, duplicated, partial, cut int
	var problems []string
	report := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	seqs := make([]int, 0, len(ledger.msgs))
	for n := range ledger.msgs {
		seqs = append(seqs, n)
	}
	sort.Ints(seqs)
	for _, n := range seqs {
		m := ledger.msgs[n]
		if m.state != stateRefused {
			attempted++
		}
		got := 0
		for _, mb := range m.to {
			c := delivered[mb][n]
			if c > 0 {
				got++
			}
			if c > 1 {
				duplicated++
				report("message %d delivered %d times to %s (client state %d)", n, c, mb, m.state)
			}
		}
		switch {
		case m.state == stateAcked:
			acked++
			if got < len(m.to) {
				lost++
				report("acknowledged message %d is in %d of its %d mailboxes", n, got, len(m.to))
			}
		case m.state == statePartial && got > 0:
			cut++
			report("message %d, cut off mid-DATA, was delivered", n)
		case m.state == stateRefused && got > 0:
			report("message %d, refused before DATA, was delivered", n)
		case got > 0 && got < len(m.to):
			partial++
			report("unacknowledged message %d is in %d of its %d mailboxes", n, got, len(m.to))
		case got > 0:
			unackedDelivered++
		}
	}
	for mb, counts := range delivered {
		for n := range counts {
			if ledger.msgs[n] == nil {
				report("unknown message %d in %s", n, mb)
			}
		}
	}
	t.Logf("crash safety: %d rounds (%d while sending, %d after sending of which %d with messages queued, %d mid-DATA), %d messages numbered, %d reached DATA, %d acknowledged, %d delivered without an acknowledgement; lost %d, duplicated %d, partial %d, cut-off delivered %d; %v",
		rounds, modes[killWhileSending], modes[killAfterSending], queuedAtKill, modes[killMidData], len(seqs), attempted, acked, unackedDelivered, lost, duplicated, partial, cut, elapsed.Round(time.Millisecond))
	if len(problems) > 0 {
		t.Errorf("crash safety violated:\n%s", strings.Join(problems, "\n"))
	}
	if acked < rounds {
		t.Errorf("only %d messages acknowledged in %d rounds: the test proves little", acked, rounds)
	}
}

// crashWorker sends numbered messages over one connection (reconnecting
// after a failure) until the quota is used up or the server is gone.
func crashWorker(srv *server, hub bool, ledger *crashLedger, takeQuota func() bool) {
	port, from := 25, "sender@fabrikam.com"
	if hub {
		port, from = 2525, "administrator@contoso.com"
	}
	var c *smtp.Client
	var since time.Time
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for takeQuota() {
		if c == nil || time.Since(since) > 15*time.Second {
			if c != nil {
				c.Quit()
			}
			var err error
			c, err = smtpClient(srv.addr(port), "", hub, 20*time.Second)
			if err != nil {
				return // the server is gone
			}
			since = time.Now()
		}
		n, to := ledger.take()
		acked, dataSent, err := send(c, from, addrs(to), testMessage(n, from, addrs(to), 8))
		switch {
		case acked:
			ledger.set(n, stateAcked)
		case dataSent:
			ledger.set(n, stateUnacked)
		}
		if err != nil {
			c.Close()
			c = nil
		}
	}
	if c != nil {
		c.Quit()
	}
}

// pausedClient starts a transaction on the Front End, sends half of the
// message and then waits, without the final dot, until the server dies.
func pausedClient(addr string, ledger *crashLedger, paused chan<- struct{}) {
	var once sync.Once
	signal := func() { once.Do(func() { close(paused) }) }
	defer signal()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	expect := func(code string) bool {
		for {
			l, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(l, code) {
				return false
			}
			if len(l) < 4 || l[3] != '-' {
				return true
			}
		}
	}
	n, to := ledger.take()
	if !expect("220") {
		return
	}
	cmds := []struct{ line, code string }{{"EHLO paused.fabrikam.com", "250"}, {"MAIL FROM:<paused@fabrikam.com>", "250"}}
	for _, r := range addrs(to) {
		cmds = append(cmds, struct{ line, code string }{"RCPT TO:<" + r + ">", "250"})
	}
	cmds = append(cmds, struct{ line, code string }{"DATA", "354"})
	for _, c := range cmds {
		if _, err := conn.Write([]byte(c.line + "\r\n")); err != nil || !expect(c.code) {
			return
		}
	}
	msg := testMessage(n, "paused@fabrikam.com", addrs(to), 40)
	if _, err := conn.Write(msg[:len(msg)/2]); err != nil {
		return
	}
	ledger.set(n, statePartial)
	signal()
	// Wait for the kill: the read fails when the connection is reset.
	br.ReadString('\n')
}
