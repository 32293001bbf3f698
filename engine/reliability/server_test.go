package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/engine/transport"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// The test binary doubles as the server process that TestCrashSafety and
// the load tests kill and restart: with childEnv set, TestMain runs
// serverMain (or holdMain) instead of the tests.
const (
	childEnv    = "EXSH_RELIABILITY_CHILD" // "server" or "hold"
	childDirEnv = "EXSH_RELIABILITY_DATA"  // the data path
)

// The mailboxes every server process makes sure exist.
var testMailboxes = []string{"user1", "user2", "user3"}

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "server":
		os.Exit(serverMain(os.Getenv(childDirEnv)))
	case "hold":
		os.Exit(holdMain(os.Getenv(childDirEnv)))
	}
	os.Exit(m.Run())
}

// childMsg is one JSON line the server process writes on stdout: the
// ready line, the answer to a command, or a fatal error.
type childMsg struct {
	Ready      bool             `json:"ready,omitempty"`
	Error      string           `json:"error,omitempty"`
	Pid        int              `json:"pid,omitempty"`
	Ports      map[int]int      `json:"ports,omitempty"`  // binding port -> listening port
	Queues     map[string]int64 `json:"queues,omitempty"` // queue identity -> MessageCount
	Total      int64            `json:"total"`            // messages in Submission and delivery queues
	Goroutines int              `json:"goroutines,omitempty"`
	HeapInuse  uint64           `json:"heapInuse,omitempty"`
	Stopped    bool             `json:"stopped,omitempty"`
}

// serverMain opens the data path (running setup the first time), starts
// the Transport service and the receive connectors on free loopback
// ports, writes a ready line and then answers commands on stdin, one per
// line: "status" (queue counts), "gc" (release freed memory to the OS,
// then status) and "stop" (graceful stop; also on EOF or SIGTERM).
func serverMain(dir string) int {
	out := json.NewEncoder(os.Stdout)
	fail := func(err error) int {
		out.Encode(childMsg{Error: err.Error()})
		fmt.Fprintln(os.Stderr, "server:", err)
		return 2
	}
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{})
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	if err := setup.Run(st, setup.Options{DataPath: dir, PasswordCost: bcrypt.MinCost}); err != nil {
		return fail(err)
	}
	if err := st.Update(prepareOrg); err != nil {
		return fail(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ports := &enginetest.PortMap{}
	tr, err := transport.New(st, transport.Config{ServerName: "EX01", DataPath: dir, PortMap: ports.Map, Logger: logger})
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	if err := tr.Start(ctx); err != nil {
		return fail(err)
	}
	// A port taken by another process between being picked and being
	// listened on gets a new one (enginetest.StartService). If one is
	// still taken, the process gives up rather than let a test talk to
	// someone else's listener; startServer then starts a new process.
	svc, err := enginetest.StartService(ports, func() (*engine.Service, error) {
		return engine.New(st, engine.Options{DataPath: dir, PortMap: ports.Map, ServerName: "EX01", Submitter: tr, Logger: logger})
	})
	if err != nil {
		return fail(err)
	}
	for _, ep := range svc.Endpoints() {
		if errors.Is(ep.Err, syscall.EADDRINUSE) {
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			svc.Stop(sctx)
			tr.Stop(sctx)
			cancel()
			return fail(fmt.Errorf("%s %s: %w", ep.Connector, ep.Binding, ep.Err))
		}
	}
	ready := childMsg{Ready: true, Pid: os.Getpid(), Ports: map[int]int{}}
	for _, p := range []int{25, 587, 717, 2525, 465} {
		ready.Ports[p] = svc.ListenPort(p)
	}
	out.Encode(ready)

	status := func() childMsg {
		var m childMsg
		qs, err := tr.Queues()
		if err != nil {
			m.Error = err.Error()
			return m
		}
		m.Queues = map[string]int64{}
		for _, q := range qs {
			m.Queues[q.Identity] = q.MessageCount
			if q.Number != state.QueueUnreachable && q.Number != state.QueuePoison {
				m.Total += q.MessageCount
			}
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m.Goroutines, m.HeapInuse = runtime.NumGoroutine(), ms.HeapInuse
		return m
	}

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
loop:
	for {
		select {
		case <-sig:
			break loop
		case cmd, ok := <-lines:
			if !ok {
				break loop
			}
			switch strings.TrimSpace(cmd) {
			case "status":
				out.Encode(status())
			case "gc":
				debug.FreeOSMemory()
				out.Encode(status())
			case "stop":
				break loop
			default:
				out.Encode(childMsg{Error: "unknown command " + cmd})
			}
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = svc.Stop(sctx)
	if err2 := tr.Stop(sctx); err == nil {
		err = err2
	}
	if err2 := st.Close(); err == nil {
		err = err2
	}
	if err != nil {
		return fail(err)
	}
	out.Encode(childMsg{Stopped: true})
	return 0
}

// prepareOrg is what a reliability server needs beyond setup: no tarpit
// (failure replies must be fast under load), the test mailboxes, and no
// poison message detection. Exchange moves a message that was being
// processed during two crashes to the Poison queue; TestCrashSafety
// kills the server on purpose many times, and wants every acknowledged
// message delivered rather than parked.
func prepareOrg(tx state.Tx) error {
	rcs, err := tx.ReceiveConnectors()
	if err != nil {
		return err
	}
	for _, rc := range rcs {
		if rc.TarpitInterval == 0 && rc.AuthTarpitInterval == 0 {
			continue
		}
		rc.TarpitInterval, rc.AuthTarpitInterval = 0, 0
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
	}
	ts, err := tx.TransportService("EX01", "Hub")
	if err != nil {
		return err
	}
	if ts.PoisonMessageDetectionEnabled {
		ts.PoisonMessageDetectionEnabled = false
		if err := tx.PutTransportService(ts); err != nil {
			return err
		}
	}
	return addMailboxes(tx, testMailboxes...)
}

// addMailboxes creates the named mailboxes that do not exist yet.
func addMailboxes(tx state.Tx, names ...string) error {
	org, err := tx.Org()
	if err != nil {
		return err
	}
	dbs, err := tx.MailboxDatabases()
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, err := tx.RecipientByAddress(name + "@" + org.DomainName); err == nil {
			continue
		}
		if err := tx.PutRecipient(setup.NewMailboxDefaults(name, name, org, nil, dbs[0])); err != nil {
			return err
		}
	}
	return nil
}

// holdMain opens the store and keeps it (and its file lock) until stdin
// closes: "another process holds the store".
func holdMain(dir string) int {
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{})
	if err != nil {
		json.NewEncoder(os.Stdout).Encode(childMsg{Error: err.Error()})
		return 2
	}
	json.NewEncoder(os.Stdout).Encode(childMsg{Ready: true, Pid: os.Getpid()})
	io.Copy(io.Discard, os.Stdin)
	st.Close()
	return 0
}
