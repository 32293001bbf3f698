package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// ptyShell runs exsh on a pseudo-terminal of its own (no tmux needed):
// the tests read what it writes and check the terminal's state after it.
type ptyShell struct {
	t    *testing.T
	ptmx *os.File
	tty  *os.File
	cmd  *exec.Cmd

	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{} // the reader goroutine ended
}

func startPTY(t *testing.T, args ...string) *ptyShell {
	t.Helper()
	return startPTYWith(t, &syscall.SysProcAttr{Setsid: true, Setctty: true}, args...)
}

func startPTYWith(t *testing.T, attr *syscall.SysProcAttr, args ...string) *ptyShell {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 100})
	s := &ptyShell{t: t, ptmx: ptmx, tty: tty, done: make(chan struct{})}
	s.cmd = exec.Command(exshPath(t), args...)
	s.cmd.Env = append(os.Environ(), testEnv(t.TempDir())...)
	s.cmd.Env = append(s.cmd.Env, "TERM=xterm")
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = tty, tty, tty
	s.cmd.SysProcAttr = attr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
		tty.Close()
		ptmx.Close()
		<-s.done
	})
	return s
}

func (s *ptyShell) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitOutput waits until the output contains want after the offset from.
func (s *ptyShell) waitOutput(from int, want string, timeout time.Duration) int {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := s.output()
		if i := strings.Index(out[min(from, len(out)):], want); i >= 0 {
			return from + i + len(want)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q in output after %v:\n%q", want, timeout, out[min(from, len(out)):])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *ptyShell) write(text string) {
	s.t.Helper()
	if _, err := s.ptmx.Write([]byte(text)); err != nil {
		s.t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
}

func (s *ptyShell) wait(timeout time.Duration) int {
	s.t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case <-exited:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		s.cmd.Process.Kill()
		<-exited
		s.t.Fatalf("exsh did not exit in %v; output:\n%q", timeout, s.output())
	}
	return -1
}

func (s *ptyShell) termios() *unix.Termios {
	s.t.Helper()
	tio, err := unix.IoctlGetTermios(int(s.tty.Fd()), unix.TCGETS)
	if err != nil {
		s.t.Fatal(err)
	}
	return tio
}

const saneLflags = unix.ECHO | unix.ICANON | unix.ISIG | unix.IEXTEN

func TestPTYExitRestoresTerminal(t *testing.T) {
	s := startPTY(t, "-NoLogo")
	before := s.termios()
	s.waitOutput(0, "[PS] ", 20*time.Second)
	s.write("exit 3\r")
	if code := s.wait(10 * time.Second); code != 3 {
		t.Errorf("exit status %d, want 3", code)
	}
	after := s.termios()
	if after.Lflag&saneLflags != before.Lflag&saneLflags || after.Iflag&unix.ICRNL != before.Iflag&unix.ICRNL {
		t.Errorf("terminal not restored: lflag %#x -> %#x, iflag %#x -> %#x", before.Lflag, after.Lflag, before.Iflag, after.Iflag)
	}
}

func TestPTYCtrlCCancelsPipeline(t *testing.T) {
	s := startPTY(t, "-NoLogo")
	at := s.waitOutput(0, "[PS] ", 20*time.Second)
	s.write("1..100000 | ForEach-Object { Start-Sleep -Milliseconds 1 }; 'not reached'\r")
	// While the statement runs the terminal is back in normal mode: echo
	// and signals on, so Ctrl+C is SIGINT.
	time.Sleep(500 * time.Millisecond)
	if tio := s.termios(); tio.Lflag&saneLflags != saneLflags {
		t.Errorf("terminal in raw mode while a statement runs: lflag %#x", tio.Lflag)
	}
	start := time.Now()
	s.write("\x03")
	at = s.waitOutput(at, "[PS] ", 5*time.Second)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Ctrl+C took %v", d)
	}
	if strings.Contains(s.output(), "\nnot reached") {
		t.Error("the statement went on after Ctrl+C")
	}
	s.write("'still ' + 'here'\r")
	s.waitOutput(at, "still here", 5*time.Second)
	s.write("\x04") // Ctrl+D on an empty line leaves, with the last status
	if code := s.wait(10 * time.Second); code != 0 {
		t.Errorf("exit status %d after Ctrl+D", code)
	}
}

func TestPTYSIGHUPRestoresTerminal(t *testing.T) {
	s := startPTY(t, "-NoLogo")
	before := s.termios()
	s.waitOutput(0, "[PS] ", 20*time.Second)
	s.write("Get-Da")
	s.cmd.Process.Signal(syscall.SIGHUP)
	s.wait(10 * time.Second)
	after := s.termios()
	if after.Lflag&saneLflags != before.Lflag&saneLflags {
		t.Errorf("terminal not restored after SIGHUP: lflag %#x -> %#x", before.Lflag, after.Lflag)
	}
}

// A terminal that is not the controlling one (a service started with
// setsid, say) cannot host the line editor: exsh reads lines instead.
func TestPTYNoControllingTerminal(t *testing.T) {
	s := startPTYWith(t, &syscall.SysProcAttr{Setsid: true}, "-NoLogo")
	s.write("'line ' + 'mode'\r")
	s.waitOutput(0, "line mode", 20*time.Second)
	s.write("exit 4\r")
	if code := s.wait(10 * time.Second); code != 4 {
		t.Errorf("exit status %d, want 4; output:\n%q", code, s.output())
	}
}
