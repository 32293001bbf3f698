package repl

import (
	"errors"
	"testing"
	"time"

	"github.com/creack/pty"
)

func newPTYTerminal(t *testing.T) (*terminal, func(string)) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	term, err := newTerminal(int(tty.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(term.close)
	if err := term.Setup(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.restore() })
	return term, func(s string) {
		if _, err := ptmx.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
}

// returnsWithin runs f and reports whether it returned within d.
func returnsWithin(d time.Duration, f func()) (done chan struct{}, ok bool) {
	done = make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return done, true
	case <-time.After(d):
		return done, false
	}
}

// waitDrawing waits until the editor's draw (started in another
// goroutine) has counted itself: only then has every key handed over been
// drawn, and Read may block. On a busy machine the goroutine can start
// later than the test's next step.
func waitDrawing(t *testing.T, term *terminal) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		term.mu.Lock()
		drawing := term.renders > term.handed
		term.mu.Unlock()
		if drawing {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the editor's draw never started")
		}
		time.Sleep(time.Millisecond)
	}
}

// The idle prompt waits for a key in the kernel, not in a polling loop:
// both the editor (after drawing) and the reader block until a key
// arrives, and the reader returns at once while a key it handed over has
// not been drawn (go-prompt may be about to stop it).
func TestTerminalBlocksWhileIdle(t *testing.T) {
	term, typeKeys := newPTYTerminal(t)

	// Input's first draw, before its reader starts: waits for input.
	done, ok := returnsWithin(200*time.Millisecond, term.rendered)
	if ok {
		t.Fatal("the first draw returned with nothing typed")
	}
	typeKeys("a")
	<-done
	if key, err := term.Read(); err != nil || string(key) != "a" {
		t.Fatalf("Read = %q, %v", key, err)
	}
	// A key handed over but not drawn yet: Read must not block.
	if _, ok := returnsWithin(time.Second, func() {
		if _, err := term.Read(); !errors.Is(err, errNoInput) {
			t.Errorf("Read with nothing typed: %v", err)
		}
	}); !ok {
		t.Fatal("Read blocked while a key it handed over was not drawn")
	}

	// The editor drew the key: now the reader and the editor both block.
	drawn, ok := returnsWithin(200*time.Millisecond, term.rendered)
	if ok {
		t.Fatal("the draw after a key returned with nothing typed")
	}
	waitDrawing(t, term)
	var key []byte
	var err error
	read, ok := returnsWithin(200*time.Millisecond, func() { key, err = term.Read() })
	if ok {
		t.Fatalf("Read returned %q, %v with nothing typed; it should block", key, err)
	}
	typeKeys("\x1b[A")
	<-read
	<-drawn
	if err != nil || string(key) != "\x1b[A" {
		t.Fatalf("Read = %q, %v", key, err)
	}

	// A signal wakes a blocked reader with a Ctrl+C.
	drawn, _ = returnsWithin(100*time.Millisecond, term.rendered)
	waitDrawing(t, term)
	read, ok = returnsWithin(200*time.Millisecond, func() { key, err = term.Read() })
	if ok {
		t.Fatal("Read did not block")
	}
	term.wakeUp()
	<-read
	<-drawn
	if err != nil || string(key) != "\x03" {
		t.Fatalf("Read after wakeUp = %q, %v", key, err)
	}
}
