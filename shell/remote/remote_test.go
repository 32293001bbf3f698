package remote

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoSession runs "scripts" of a tiny language: "echo X" prints X,
// "fail" writes an error and fails, "sleep" blocks until cancelled,
// "set X" remembers X and "get" prints it (session state), "width" prints
// the request's width.
type echoSession struct {
	saved string
}

func (s *echoSession) Run(ctx context.Context, req *RunRequest, client *Streams) Result {
	stdout, stderr := client.Stdout, client.Stderr
	switch {
	case req.Script == "ask":
		fmt.Fprintln(stdout, "answer:", client.Confirm("Remove it?"))
		return Result{Succeeded: true}
	case strings.HasPrefix(req.Script, "echo "):
		fmt.Fprintln(stdout, strings.TrimPrefix(req.Script, "echo "))
		return Result{Succeeded: true}
	case req.Script == "fail":
		fmt.Fprintln(stderr, "it failed")
		return Result{ExitCode: 1}
	case req.Script == "sleep":
		fmt.Fprintln(stdout, "sleeping")
		<-ctx.Done()
		fmt.Fprintln(stderr, "stopped")
		return Result{ExitCode: 1}
	case strings.HasPrefix(req.Script, "set "):
		s.saved = strings.TrimPrefix(req.Script, "set ")
		return Result{Succeeded: true}
	case req.Script == "get":
		fmt.Fprintln(stdout, s.saved)
		return Result{Succeeded: true}
	case req.Script == "width":
		fmt.Fprintln(stdout, "width", req.Width)
		return Result{Succeeded: true}
	case strings.HasPrefix(req.Script, "exit "):
		var n int
		fmt.Sscan(strings.TrimPrefix(req.Script, "exit "), &n)
		return Result{ExitCode: n, Exit: true}
	}
	return Result{ExitCode: 2}
}

func (s *echoSession) Commands() []Command {
	return []Command{{Name: "Get-Thing", Params: []Param{{Name: "Identity", Completable: true}}}}
}

func (s *echoSession) Complete(ctx context.Context, command, param, prefix string) []string {
	return []string{command + "/" + param + "/" + prefix}
}

func (s *echoSession) Variables() []string { return []string{"saved"} }
func (s *echoSession) Close() error        { return nil }

func startServer(t *testing.T) (string, *Server, chan error) {
	t.Helper()
	dir, err := os.MkdirTemp("", "remote")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := SocketPath(dir)
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Name: "EX01", DataPath: dir, NewSession: func() (Session, error) { return &echoSession{}, nil }}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return path, srv, done
}

func TestRunAndSessionState(t *testing.T) {
	path, _, _ := startServer(t)
	ctx := context.Background()
	c, err := Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Server != "EX01" || c.PID != os.Getpid() {
		t.Errorf("welcome: server %q pid %d", c.Server, c.PID)
	}
	var out, errOut bytes.Buffer
	res, err := c.Run(ctx, &RunRequest{Script: "echo hello"}, &out, &errOut)
	if err != nil || res.ExitCode != 0 || !res.Succeeded || out.String() != "hello\n" {
		t.Fatalf("echo: %v %+v %q", err, res, out.String())
	}
	out.Reset()
	res, _ = c.Run(ctx, &RunRequest{Script: "fail"}, &out, &errOut)
	if res.ExitCode != 1 || errOut.String() != "it failed\n" {
		t.Fatalf("fail: %+v %q", res, errOut.String())
	}
	c.Run(ctx, &RunRequest{Script: "set abc"}, &out, &errOut)
	out.Reset()
	c.Run(ctx, &RunRequest{Script: "get"}, &out, &errOut)
	if out.String() != "abc\n" {
		t.Fatalf("session state lost: %q", out.String())
	}
	res, _ = c.Run(ctx, &RunRequest{Script: "exit 7"}, &out, &errOut)
	if !res.Exit || res.ExitCode != 7 {
		t.Fatalf("exit: %+v", res)
	}
	cmds, err := c.Commands(ctx)
	if err != nil || len(cmds) != 1 || cmds[0].Name != "Get-Thing" {
		t.Fatalf("commands: %v %+v", err, cmds)
	}
	items, err := c.Complete(ctx, "Get-Thing", "Identity", "De")
	if err != nil || len(items) != 1 || items[0] != "Get-Thing/Identity/De" {
		t.Fatalf("complete: %v %v", err, items)
	}
}

func TestConfirm(t *testing.T) {
	path, _, _ := startServer(t)
	ctx := context.Background()
	c, err := Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var asked []string
	c.Confirm = func(prompt string) bool { asked = append(asked, prompt); return false }
	var out bytes.Buffer
	// Interactive: the client's user answers.
	if _, err := c.Run(ctx, &RunRequest{Script: "ask", Interactive: true}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if out.String() != "answer: false\n" || len(asked) != 1 || asked[0] != "Remove it?" {
		t.Fatalf("interactive: %q, asked %q", out.String(), asked)
	}
	// A script: nobody is asked, the action goes ahead.
	out.Reset()
	c.Run(ctx, &RunRequest{Script: "ask"}, &out, io.Discard)
	if out.String() != "answer: true\n" || len(asked) != 1 {
		t.Fatalf("script: %q, asked %q", out.String(), asked)
	}
}

func TestCancelStopsOnlyThatScript(t *testing.T) {
	path, _, _ := startServer(t)
	ctx := context.Background()
	a, err := Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var aOut, aErr syncBuffer
	var aRes Result
	wg.Add(1)
	go func() {
		defer wg.Done()
		aRes, _ = a.Run(runCtx, &RunRequest{Script: "sleep"}, &aOut, &aErr)
	}()
	waitFor(t, func() bool { return aOut.String() == "sleeping\n" })

	// The other session works while the first one is busy.
	var out bytes.Buffer
	if res, err := b.Run(ctx, &RunRequest{Script: "echo other"}, &out, io.Discard); err != nil || res.ExitCode != 0 || out.String() != "other\n" {
		t.Fatalf("second client: %v %+v %q", err, res, out.String())
	}
	cancel()
	wg.Wait()
	if aRes.ExitCode != 1 || aErr.String() != "stopped\n" {
		t.Fatalf("cancelled: %+v %q", aRes, aErr.String())
	}
	// The cancelled session is usable again.
	out.Reset()
	if res, err := a.Run(ctx, &RunRequest{Script: "echo again"}, &out, io.Discard); err != nil || res.ExitCode != 0 || out.String() != "again\n" {
		t.Fatalf("after cancel: %v %+v %q", err, res, out.String())
	}
}

func TestShutdownWhileRunning(t *testing.T) {
	path, srv, done := startServer(t)
	ctx := context.Background()
	c, err := Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out, errOut syncBuffer
	resc := make(chan Result, 1)
	go func() {
		res, _ := c.Run(ctx, &RunRequest{Script: "sleep"}, &out, &errOut)
		resc <- res
	}()
	waitFor(t, func() bool { return out.String() == "sleeping\n" })
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	done <- ErrServerClosed // for the cleanup
	if res := <-resc; res.ExitCode != 1 {
		t.Fatalf("result %+v", res)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
	if _, err := Dial(ctx, path); !errors.Is(err, ErrNoServer) {
		t.Fatalf("dial after shutdown: %v", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	dir := t.TempDir()
	path := SocketPath(dir)
	// A socket file nobody listens on, as a crashed process leaves it.
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(context.Background(), path); !errors.Is(err, ErrNoServer) {
		t.Fatalf("dial on stale socket: %v", err)
	}
	l2, err := Listen(path)
	if err != nil {
		t.Fatalf("listen over stale socket: %v", err)
	}
	defer l2.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	// A live socket is not taken over.
	if _, err := Listen(path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second listen: %v", err)
	}
}

func TestVersionMismatch(t *testing.T) {
	path, _, _ := startServer(t)
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c := newConn(nc)
	defer c.close()
	c.write(&Message{Type: typeHello, Version: Version + 1})
	m, err := c.read()
	if err != nil || m.Type != typeError || !strings.Contains(m.Text, "version") {
		t.Fatalf("got %+v %v", m, err)
	}
}

func TestDialNoServer(t *testing.T) {
	_, err := Dial(context.Background(), filepath.Join(t.TempDir(), SocketName))
	if !errors.Is(err, ErrNoServer) {
		t.Fatalf("got %v", err)
	}
}

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

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPathTooLong(t *testing.T) {
	long := "/tmp/" + strings.Repeat("d", 120) + "/" + SocketName
	if _, err := Listen(long); !errors.Is(err, ErrPathTooLong) {
		t.Errorf("Listen: %v", err)
	}
	if _, err := Dial(context.Background(), long); !errors.Is(err, ErrPathTooLong) {
		t.Errorf("Dial: %v", err)
	}
}

// Each request carries the client's width as it is then, so a resized
// terminal reaches the server with the next statement; a frame without
// the field arrives as 0.
func TestWidthTravelsWithEachRequest(t *testing.T) {
	path, _, _ := startServer(t)
	ctx := context.Background()
	c, err := Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, w := range []int{120, 73, 200} {
		var out, errOut bytes.Buffer
		if _, err := c.Run(ctx, &RunRequest{Script: "width", Width: w}, &out, &errOut); err != nil {
			t.Fatal(err)
		}
		if got, want := out.String(), fmt.Sprintf("width %d\n", w); got != want {
			t.Errorf("server saw %q, want %q", got, want)
		}
	}

	// A frame as a client that knows no width writes it.
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	raw := newConn(nc)
	defer raw.close()
	if err := raw.write(&Message{Type: typeHello, Version: Version}); err != nil {
		t.Fatal(err)
	}
	if m, err := raw.read(); err != nil || m.Type != typeWelcome {
		t.Fatalf("hello: %+v %v", m, err)
	}
	frame := []byte(`{"t":"run","run":{"script":"width"}}`)
	hdr := make([]byte, 4, 4+len(frame))
	binary.BigEndian.PutUint32(hdr, uint32(len(frame)))
	if _, err := nc.Write(append(hdr, frame...)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		m, err := raw.read()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == typeStdout {
			got = append(got, m.Data)
		}
		if m.Type == typeDone {
			break
		}
	}
	if strings.Join(got, "") != "width 0\n" {
		t.Errorf("a run frame without a width: server saw %q", got)
	}
}
