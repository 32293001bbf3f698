package reliability

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// server is a server process (serverMain) started from a test.
type server struct {
	t      testing.TB
	dir    string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout, line by line; closed at EOF
	stderr *syncBuffer
	ready  childMsg
	exited chan struct{}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startChild starts the test binary in a child mode on dir and waits for
// its ready line; the process keeps running. A server process that could
// not listen because another process took one of its free ports (tests
// run in parallel) exits, and a new one starts on fresh ports, so a test
// never talks to someone else's listener and never fails for it.
func startChild(t testing.TB, mode, dir string) (*server, error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s, err := startChildOnce(t, mode, dir)
		if err == nil || attempt == 3 || !portTaken(err) {
			return s, err
		}
		t.Logf("server process could not listen (%v); starting another", err)
		select {
		case <-s.exited: // it lets go of the store
		case <-time.After(scaled(30 * time.Second)):
			s.kill()
		}
	}
}

// portTaken reports whether a child's startup error says that a port it
// picked was in use by the time it listened.
func portTaken(err error) bool {
	return strings.Contains(err.Error(), syscall.EADDRINUSE.Error())
}

// startChildOnce starts one child process and waits for its first stdout
// line. It returns that line; the process keeps running.
func startChildOnce(t testing.TB, mode, dir string) (*server, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childDirEnv+"="+dir)
	s := &server{t: t, dir: dir, cmd: cmd, lines: make(chan string, 16), stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	s.stdin, err = cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	m, err := s.next(time.Duration(30 * timeScale * float64(time.Second)))
	if err != nil {
		return s, err
	}
	if m.Error != "" {
		return s, errors.New(m.Error)
	}
	s.ready = m
	return s, nil
}

// startServer starts a server process on dir and fails the test when it
// does not come up.
func startServer(t testing.TB, dir string) *server {
	t.Helper()
	s, err := startChild(t, "server", dir)
	if err != nil {
		t.Fatalf("server process: %v\nstderr:\n%s", err, s.stderr)
	}
	return s
}

// next reads the next JSON line from the process.
func (s *server) next(timeout time.Duration) (childMsg, error) {
	var m childMsg
	select {
	case l, ok := <-s.lines:
		if !ok {
			<-s.exited
			return m, fmt.Errorf("server process exited (%v)", s.cmd.ProcessState)
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			return m, fmt.Errorf("bad line %q from the server process: %v", l, err)
		}
		return m, nil
	case <-time.After(timeout):
		return m, fmt.Errorf("no answer from the server process in %v", timeout)
	}
}

// command sends a control command and returns the answer.
func (s *server) command(cmd string) childMsg {
	s.t.Helper()
	if _, err := fmt.Fprintln(s.stdin, cmd); err != nil {
		s.t.Fatalf("server process: %v\nstderr:\n%s", err, s.stderr)
	}
	m, err := s.next(30 * time.Second)
	if err != nil {
		s.t.Fatalf("%s: %v\nstderr:\n%s", cmd, err, s.stderr)
	}
	if m.Error != "" {
		s.t.Fatalf("%s: %s", cmd, m.Error)
	}
	return m
}

// addr is the loopback address a binding port listens on.
func (s *server) addr(bindingPort int) string {
	return "127.0.0.1:" + strconv.Itoa(s.ready.Ports[bindingPort])
}

// kill ends the process with SIGKILL and waits for it.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// stop asks for a graceful stop and checks that it went well.
func (s *server) stop() {
	s.t.Helper()
	fmt.Fprintln(s.stdin, "stop")
	m, err := s.next(60 * time.Second)
	if err != nil || !m.Stopped {
		s.t.Fatalf("graceful stop: %v %+v\nstderr:\n%s", err, m, s.stderr)
	}
	<-s.exited
	if !s.cmd.ProcessState.Success() {
		s.t.Fatalf("server process: %v\nstderr:\n%s", s.cmd.ProcessState, s.stderr)
	}
}

// waitDrained polls until the Submission and delivery queues are empty.
func (s *server) waitDrained(timeout time.Duration) childMsg {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := s.command("status")
		if m.Total == 0 {
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("queues not drained after %v: %v", timeout, m.Queues)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procMem is a process's memory as /proc/<pid>/status reports it, in kB.
type procMem struct{ RSS, HWM, Anon int64 }

func (m procMem) String() string {
	return fmt.Sprintf("RSS %.1f MiB (anon %.1f MiB, peak %.1f MiB)", mib(m.RSS), mib(m.Anon), mib(m.HWM))
}

func mib(kb int64) float64 { return float64(kb) / 1024 }

// mem reads the process's memory figures.
func (s *server) mem() procMem {
	s.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		s.t.Fatal(err)
	}
	var m procMem
	for _, ln := range strings.Split(string(b), "\n") {
		f := strings.Fields(ln)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.RSS = n
		case "VmHWM:":
			m.HWM = n
		case "RssAnon:":
			m.Anon = n
		}
	}
	return m
}

// timeScale stretches timeouts on slow machines (EXSH_TEST_TIME_SCALE).
var timeScale = func() float64 {
	if f, err := strconv.ParseFloat(os.Getenv("EXSH_TEST_TIME_SCALE"), 64); err == nil && f > 0 {
		return f
	}
	return 1
}()

func scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * timeScale) }

// seqRE finds the X-Test-Seq header of a delivered message.
var seqRE = regexp.MustCompile(`(?m)^X-Test-Seq: (\d+)\r?$`)

// deliveredSeqs opens the store of dir read-only (the server must be
// stopped) and counts, per mailbox, how often each X-Test-Seq was
// delivered. It also runs the store's consistency check.
func deliveredSeqs(t testing.TB, dir string, mailboxes []string) map[string]map[int]int {
	t.Helper()
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Errorf("store inconsistent after the crashes: %v", err)
	}
	checkQueueCounts(t, st)
	out := map[string]map[int]int{}
	for _, mb := range mailboxes {
		counts := map[int]int{}
		out[mb] = counts
		var guid string
		err := st.View(func(tx state.Tx) error {
			r, err := tx.RecipientByAddress(mb + "@contoso.com")
			if err == nil {
				guid = r.Guid
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.QueueView(func(q state.QueueTx) error {
			items, err := q.MailboxItems(guid)
			if err != nil {
				return err
			}
			for _, it := range items {
				data, err := q.MailboxItemData(guid, it.Id)
				if err != nil {
					return err
				}
				m := seqRE.FindSubmatch(data)
				if m == nil {
					continue // an NDR or other system message
				}
				n, _ := strconv.Atoi(string(m[1]))
				counts[n]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// testMessage is a small message carrying its sequence number.
func testMessage(seq int, from string, to []string, bodyLines int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: reliability %d\r\nX-Test-Seq: %d\r\nMessage-ID: <seq-%d-%d@fabrikam.com>\r\n\r\n",
		from, strings.Join(to, ">, <"), seq, seq, seq, time.Now().UnixNano())
	for i := 0; i < bodyLines; i++ {
		fmt.Fprintf(&b, "line %04d of message %d: the quick brown fox jumps over the lazy dog\r\n", i, seq)
	}
	return b.Bytes()
}

// smtpClient is a go-smtp client for the Front End (anonymous, port 25)
// or the hub (STARTTLS and AUTH as Administrator, port 2525).
func smtpClient(addr, localIP string, hub bool, timeout time.Duration) (*smtp.Client, error) {
	d := net.Dialer{Timeout: timeout}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	var c *smtp.Client
	if hub {
		c, err = smtp.NewClientStartTLS(conn, &tls.Config{InsecureSkipVerify: true})
	} else {
		c = smtp.NewClient(conn)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.Hello("client.fabrikam.com"); err != nil {
		c.Close()
		return nil, err
	}
	if hub {
		if err := c.Auth(sasl.NewPlainClient("", "administrator@contoso.com", setup.DefaultAdministratorPassword)); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// errNotQueued is a DATA answer other than 250 2.6.0 ... Queued.
var errNotQueued = errors.New("message not queued")

// send runs one transaction. acked is true only for 250 2.6.0 "Queued
// mail for delivery"; dataSent says DATA was started (the message may
// have been queued even when acked is false).
func send(c *smtp.Client, from string, to []string, msg []byte) (acked, dataSent bool, err error) {
	if err := c.Mail(from, nil); err != nil {
		return false, false, err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return false, false, err
		}
	}
	w, err := c.Data()
	if err != nil {
		return false, false, err
	}
	if _, err := w.Write(msg); err != nil {
		return false, true, err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return false, true, err
	}
	if !strings.Contains(resp.StatusText, "Queued mail for delivery") {
		return false, true, fmt.Errorf("%w: %q", errNotQueued, resp.StatusText)
	}
	return true, true, nil
}

// goodClient is a well-behaved client that keeps sending mail while a
// hostile one misbehaves; it records every failure.
type goodClient struct {
	mu       sync.Mutex
	sent     int
	failures []string
	stop     chan struct{}
	done     chan struct{}
}

// startGoodClient sends one message per connection to addr from localIP
// every interval until stopped.
func startGoodClient(addr, localIP string, interval time.Duration) *goodClient {
	g := &goodClient{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		for i := 0; ; i++ {
			err := func() error {
				c, err := smtpClient(addr, localIP, false, 10*time.Second)
				if err != nil {
					return err
				}
				defer c.Close()
				if _, _, err := send(c, "good@fabrikam.com", []string{"administrator@contoso.com"}, testMessage(i, "good@fabrikam.com", []string{"administrator@contoso.com"}, 3)); err != nil {
					return err
				}
				return c.Quit()
			}()
			g.mu.Lock()
			if err != nil {
				g.failures = append(g.failures, err.Error())
			} else {
				g.sent++
			}
			g.mu.Unlock()
			select {
			case <-g.stop:
				return
			case <-time.After(interval):
			}
		}
	}()
	return g
}

// check stops the client and fails the test unless it sent at least one
// message and never failed.
func (g *goodClient) check(t testing.TB) {
	t.Helper()
	close(g.stop)
	<-g.done
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.failures) > 0 || g.sent == 0 {
		t.Errorf("well-behaved client harmed: %d sent, failures %q", g.sent, g.failures)
	}
}

// tempDirOn makes a directory under base removed at cleanup.
func tempDirOn(t testing.TB, base, name string) string {
	t.Helper()
	d := filepath.Join(base, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// checkQueueCounts compares each queue's MessageCount (what Get-Queue
// shows, and what the drain loops poll) with the messages really in it.
func checkQueueCounts(t testing.TB, st *boltdb.Store) {
	t.Helper()
	err := st.QueueView(func(q state.QueueTx) error {
		qs, err := q.Queues()
		if err != nil {
			return err
		}
		for _, qr := range qs {
			n := int64(0)
			if err := q.ForEachMessage(qr.Number, 0, func(*state.QueuedMessage) error { n++; return nil }); err != nil {
				return err
			}
			if n != qr.MessageCount {
				t.Errorf("queue %d (%s): MessageCount %d, %d messages in it", qr.Number, qr.NextHopDomain, qr.MessageCount, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
