package reliability

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/engine/transport"
	"exsh/state/boltdb"
	"exsh/state/statetest"
)

var (
	idleSessions = flag.Int("load.sessions", 1000, "TestLoadIdleSessions: concurrent idle sessions")
	soakMsgs     = flag.Int("soak.msgs", 2000, "TestSoak: messages through the full pipeline (the long variant uses 100000)")
)

// raiseFileLimit lifts RLIMIT_NOFILE to at least n (both ends of every
// loopback connection live on this machine); child processes inherit it.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur >= n {
		return
	}
	old := rl
	rl.Cur = min(max(n, rl.Cur), rl.Max)
	if rl.Cur < n {
		rl.Max, rl.Cur = n, n // needs CAP_SYS_RESOURCE
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skipf("RLIMIT_NOFILE is %d and cannot be raised to %d: %v", old.Cur, n, err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// The server process holds 1,000 idle SMTP sessions (greeted, EHLO done)
// from 50 loopback sources, within Default Frontend's per-source limit of
// 20; its memory per session stays small and is released when they close.
func TestLoadIdleSessions(t *testing.T) {
	n := *idleSessions
	raiseFileLimit(t, uint64(3*n+512))
	srv := startServer(t, filepath.Join(t.TempDir(), "data"))
	base := srv.command("gc")
	baseMem := srv.mem()
	addr := srv.addr(25)

	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	var failed atomic.Int32
	var firstErr atomic.Value
	sem := make(chan struct{}, 64) // connect 64 at a time
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			src := fmt.Sprintf("127.0.1.%d", 1+i/20)
			d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
			c, err := d.Dial("tcp", addr)
			if err == nil {
				err = greet(c)
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				if c != nil {
					c.Close()
				}
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d sessions failed: %v", f, n, firstErr.Load())
	}
	time.Sleep(200 * time.Millisecond)
	at := srv.command("status")
	atMem := srv.mem()
	// Every session is still alive and answers.
	for _, i := range []int{0, n / 2, n - 1} {
		c := conns[i]
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(c, "NOOP\r\n")
		if l, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(l, "250 ") {
			t.Errorf("session %d after the ramp: %q %v", i, l, err)
		}
	}
	for _, c := range conns {
		fmt.Fprint(c, "QUIT\r\n")
		c.Close()
	}
	var after childMsg
	enginetest.WaitFor(t, scaled(10*time.Second), func() bool {
		after = srv.command("gc")
		return after.Goroutines <= base.Goroutines+2
	})
	afterMem := srv.mem()
	perSession := float64(atMem.Anon-baseMem.Anon) * 1024 / float64(n)
	t.Logf("%d idle sessions: server %v at start, %v with the sessions open (%.1f KiB anon per session, %d goroutines, heap in use %.1f MiB), %v after they closed (%d goroutines)",
		n, baseMem, atMem, perSession/1024, at.Goroutines, float64(at.HeapInuse)/(1<<20), afterMem, after.Goroutines)
	if perSession > 96*1024 && !raceEnabled {
		t.Errorf("%.1f KiB of memory per idle session", perSession/1024)
	}
	if at.Goroutines < n {
		t.Errorf("%d goroutines in the server with %d sessions open", at.Goroutines, n)
	}
	if after.Goroutines > base.Goroutines+2 {
		t.Errorf("%d goroutines after the sessions closed, %d before: a leak", after.Goroutines, base.Goroutines)
	}
	srv.stop()
}

// greet reads the banner and does EHLO.
func greet(c net.Conn) error {
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	read := func() (string, error) {
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return l, err
			}
			if len(l) < 4 || l[3] != '-' {
				return l, nil
			}
		}
	}
	if l, err := read(); err != nil || !strings.HasPrefix(l, "220 ") {
		return fmt.Errorf("banner %q: %v", l, err)
	}
	fmt.Fprint(c, "EHLO idle.fabrikam.com\r\n")
	if l, err := read(); err != nil || !strings.HasPrefix(l, "250 ") {
		return fmt.Errorf("EHLO %q: %v", l, err)
	}
	c.SetDeadline(time.Time{})
	return nil
}

// TestSoak sends many messages through the full pipeline (Front End ->
// hub -> mailbox) from 8 concurrent clients, sampling the server's
// memory. Every message must be acknowledged and delivered exactly once,
// the memory stay bounded while it runs and return near its start once
// the queues have drained.
func TestSoak(t *testing.T) {
	total := *soakMsgs
	if os.Getenv("EXSH_RELIABILITY_LONG") != "" {
		total = max(total, 100000)
	}
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, dir)
	base := srv.command("gc")
	baseMem := srv.mem()

	var peak procMem
	var peakHeap uint64
	sampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			m := srv.mem()
			peak.RSS, peak.Anon = max(peak.RSS, m.RSS), max(peak.Anon, m.Anon)
			select {
			case <-sampling:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	start := time.Now()
	var next atomic.Int64
	var failures atomic.Int64
	var firstErr atomic.Value
	const workers = 8
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *smtp.Client
			var since time.Time
			for {
				n := int(next.Add(1))
				if n > total {
					break
				}
				if c == nil || time.Since(since) > 15*time.Second {
					if c != nil {
						c.Quit()
					}
					var err error
					if c, err = smtpClient(srv.addr(25), "", false, 20*time.Second); err != nil {
						failures.Add(1)
						firstErr.CompareAndSwap(nil, err)
						c = nil
						continue
					}
					since = time.Now()
				}
				to := addrs([]string{testMailboxes[n%len(testMailboxes)]})
				if _, _, err := send(c, "soak@fabrikam.com", to, testMessage(n, "soak@fabrikam.com", to, 10)); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Errorf("message %d: %w", n, err))
					c.Close()
					c = nil
				}
			}
			if c != nil {
				c.Quit()
			}
		}()
	}
	// Watch the queues while the clients send.
	sendDone := make(chan struct{})
	go func() { wg.Wait(); close(sendDone) }()
	var maxQueued int64
	for waiting := true; waiting; {
		select {
		case <-sendDone:
			waiting = false
		case <-time.After(500 * time.Millisecond):
			st := srv.command("status")
			maxQueued = max(maxQueued, st.Total)
			peakHeap = max(peakHeap, st.HeapInuse)
		}
	}
	sent := time.Since(start)
	drained := srv.waitDrained(scaled(120 * time.Second))
	elapsed := time.Since(start)
	close(sampling)
	<-sampled
	time.Sleep(time.Second)
	// Goroutines that served sessions wait a moment for the next
	// connection before they end: a leak is what never ends.
	end := srv.command("gc")
	for deadline := time.Now().Add(scaled(5 * time.Second)); end.Goroutines > base.Goroutines+4 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		end = srv.command("gc")
	}
	endMem := srv.mem()
	if f := failures.Load(); f > 0 {
		t.Errorf("%d of %d messages failed: %v", f, total, firstErr.Load())
	}
	t.Logf("soak: %d messages in %v (%.0f msg/s; sending %v), at most %d queued; server RSS %.1f MiB at start, peak %.1f MiB (anon peak %.1f MiB, heap in use peak %.1f MiB), %.1f MiB after draining and freeing (anon %.1f MiB, was %.1f); goroutines %d at start, %d at the end (%d right after draining)",
		total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), sent.Round(time.Millisecond), maxQueued,
		mib(baseMem.RSS), mib(peak.RSS), mib(peak.Anon), float64(peakHeap)/(1<<20), mib(endMem.RSS), mib(endMem.Anon), mib(baseMem.Anon),
		base.Goroutines, end.Goroutines, drained.Goroutines)
	if raceEnabled {
		// Memory figures mean nothing under the race detector.
	} else if peak.Anon > baseMem.Anon+256*1024 {
		t.Errorf("anonymous memory peaked at %.1f MiB (start %.1f MiB)", mib(peak.Anon), mib(baseMem.Anon))
	}
	if endMem.Anon > baseMem.Anon+48*1024 && !raceEnabled {
		t.Errorf("anonymous memory %.1f MiB after the soak, %.1f MiB at start: not released", mib(endMem.Anon), mib(baseMem.Anon))
	}
	if end.Goroutines > base.Goroutines+4 {
		t.Errorf("%d goroutines after the soak, %d before", end.Goroutines, base.Goroutines)
	}
	srv.stop()

	delivered := deliveredSeqs(t, dir, testMailboxes)
	lost, dup := 0, 0
	for n := 1; n <= total; n++ {
		switch c := delivered[testMailboxes[n%len(testMailboxes)]][n]; {
		case c == 0:
			lost++
		case c > 1:
			dup++
		}
	}
	if lost > 0 || dup > 0 {
		t.Errorf("soak: %d messages lost, %d duplicated", lost, dup)
	}
}

// Start and Stop leave no goroutine behind: the Transport service and the
// engine are started and stopped three times over one store, with mail,
// idle sessions and a session cut off mid-DATA, and the goroutine count
// must come back to where it was.
func TestGoroutineLeak(t *testing.T) {
	settle := func(want int) int {
		n := runtime.NumGoroutine()
		for deadline := time.Now().Add(scaled(5 * time.Second)); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
			time.Sleep(20 * time.Millisecond)
		}
		return n
	}
	before := settle(0)
	st := statetest.MustOpenSetUp(t)
	dir := filepath.Dir(st.Path())
	if err := st.Update(prepareOrg); err != nil {
		t.Fatal(err)
	}
	withStore := settle(before)
	var counts []string
	for cycle := 0; cycle < 3; cycle++ {
		running := leakCycle(t, st, dir, cycle)
		after := settle(withStore)
		counts = append(counts, fmt.Sprintf("%d running, %d after stop", running, after))
		if after > withStore {
			var buf bytes.Buffer
			pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Fatalf("cycle %d: %d goroutines after Stop, %d before Start:\n%s", cycle, after, withStore, buf.String())
		}
	}
	t.Logf("goroutines: %d before the store, %d with it open; %s", before, withStore, strings.Join(counts, "; "))
}

// leakCycle runs the engine once and returns the goroutine count while it
// is busy.
func leakCycle(t *testing.T, st *boltdb.Store, dir string, cycle int) int {
	t.Helper()
	ports := &enginetest.PortMap{}
	tr, err := transport.New(st, transport.Config{ServerName: "EX01", DataPath: dir, PortMap: ports.Map})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc, err := enginetest.StartService(ports, func() (*engine.Service, error) {
		return engine.New(st, engine.Options{DataPath: dir, PortMap: ports.Map, Submitter: tr})
	})
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", svc.ListenPort(25))
	for i := 0; i < 10; i++ {
		// Half through the Front End, half straight to the hub.
		to, hub, from := addr, i%2 == 1, "leak@fabrikam.com"
		if hub {
			to, from = fmt.Sprintf("127.0.0.1:%d", svc.ListenPort(2525)), "administrator@contoso.com"
		}
		c, err := smtpClient(to, "", hub, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := send(c, from, []string{"user1@contoso.com"}, testMessage(cycle*100+i, from, []string{"user1@contoso.com"}, 2)); err != nil {
			t.Fatal(err)
		}
		c.Quit()
	}
	var idle []net.Conn
	for i := 0; i < 5; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := greet(c); err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	cut, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	greet(cut)
	fmt.Fprint(cut, "MAIL FROM:<cut@fabrikam.com>\r\nRCPT TO:<user2@contoso.com>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a")
	enginetest.WaitFor(t, scaled(10*time.Second), func() bool {
		items, _ := tr.MailboxItems("user1@contoso.com")
		return len(items) >= 10*(cycle+1)
	})
	running := runtime.NumGoroutine()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err = svc.Stop(ctx) // the cut-off session holds Stop until ctx ends
	if err2 := tr.Stop(ctx); err == nil {
		err = err2
	}
	if el := time.Since(start); el > scaled(5*time.Second) {
		t.Errorf("Stop took %v", el)
	}
	_ = err // a cut-off DATA makes Stop give up waiting: that is expected
	for _, c := range append(idle, cut) {
		c.Close()
	}
	return running
}
