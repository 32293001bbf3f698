package repl

import (
	"errors"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	prompt "github.com/c-bata/go-prompt"
	"golang.org/x/sys/unix"
)

// terminal is the go-prompt input side, replacing the library's own
// (prompt.ConsoleParser) to avoid its defects in v0.2.6:
//
//   - The library saves the terminal state once and then changes the saved
//     copy in place when it enters raw mode, so every "restore" restores
//     raw mode: the executor runs without echo or signals and the shell is
//     left raw on exit. terminal keeps its own copy, taken before go-prompt
//     is created, and writes it back on every TearDown and by [terminal.restore].
//   - Keys that arrive in one read (a paste, a script typing "Get-Queue\r")
//     are handed over as one chunk, which go-prompt inserts as text with a
//     literal CR. terminal hands over one key, or one run of text, per Read.
//   - Keys typed after Enter in the same chunk were lost when Input returned.
//     terminal holds everything after a line end until the next Setup, that
//     is the next Input call.
//   - The library sets O_NONBLOCK on the file description, which it shares
//     with the parent shell when it is the standard input. terminal polls
//     instead.
//   - go-prompt reads and renders from two loops that wake every 10 ms, so
//     an idle prompt keeps a CPU busy. terminal blocks instead: Read waits
//     in poll(2) for a key once the editor has drawn everything it was
//     given, and the editor's writer (see [renderWriter]) waits after
//     drawing until Read has handed over the next key. Read must return
//     promptly whenever go-prompt may be about to stop its reader (after
//     any key it has not yet drawn), so it blocks only when every key
//     handed over has been drawn.
type terminal struct {
	fd    int
	saved *unix.Termios
	// wakeR and wakeW are a pipe that interrupts a blocked Read.
	wakeR, wakeW int

	mu      sync.Mutex
	drawn   *sync.Cond // signalled when handed grows
	pending []byte
	held    bool // a line end was handed over; wait for the next Setup
	lastKey byte // the last control byte handed over (0 after text)
	// handed counts the keys Read returned since Setup; renders counts
	// the prompts the editor drew since Setup. go-prompt draws once when
	// Input starts and once after each key that does not end it.
	handed, renders int

	// wake, when set, makes Read hand over a Ctrl+C once so that a
	// blocked Input returns (the exit checker sees the reason).
	wake atomic.Bool
	// hangup is set when the terminal went away (POLLHUP or end of file).
	hangup atomic.Bool
}

var errNoInput = errors.New("no input")

func newTerminal(fd int) (*terminal, error) {
	saved, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, err
	}
	t := &terminal{fd: fd, saved: saved, wakeR: p[0], wakeW: p[1]}
	t.drawn = sync.NewCond(&t.mu)
	return t, nil
}

// close releases the wake-up pipe.
func (t *terminal) close() {
	unix.Close(t.wakeR)
	unix.Close(t.wakeW)
}

// wakeUp makes a blocked Input return: Read hands over a Ctrl+C.
func (t *terminal) wakeUp() {
	t.wake.Store(true)
	unix.Write(t.wakeW, []byte{0})
}

// Setup puts the terminal in raw mode for line editing.
func (t *terminal) Setup() error {
	t.mu.Lock()
	t.held = false
	t.lastKey = 0
	t.handed, t.renders = 0, 0
	t.mu.Unlock()
	raw := *t.saved
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(t.fd, unix.TCSETS, &raw)
}

// TearDown restores the terminal state saved at creation.
func (t *terminal) TearDown() error { return t.restore() }

func (t *terminal) restore() error {
	return unix.IoctlSetTermios(t.fd, unix.TCSETS, t.saved)
}

// GetWinSize returns the window size, or 80x24 when it is unknown (the
// library's own version panics).
func (t *terminal) GetWinSize() *prompt.WinSize {
	ws, err := unix.IoctlGetWinsize(t.fd, unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return &prompt.WinSize{Row: 24, Col: 80}
	}
	return &prompt.WinSize{Row: ws.Row, Col: ws.Col}
}

// Read hands over one key or one run of text. go-prompt calls it in a
// loop from a goroutine that it stops after a line end or an exit key;
// Read blocks only while the editor waits for a key, see [terminal].
func (t *terminal) Read() ([]byte, error) {
	if t.wake.CompareAndSwap(true, false) {
		return t.hand([]byte{0x03}), nil
	}
	t.mu.Lock()
	if t.held {
		t.mu.Unlock()
		return nil, errNoInput
	}
	if len(t.pending) == 0 {
		// Block only when every key handed over has been drawn: go-prompt
		// then sits in renderWriter.Flush and cannot be stopping us.
		timeout := 0
		if t.handed < max(t.renders, 1) {
			timeout = -1
		}
		t.mu.Unlock()
		fds := []unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}, {Fd: int32(t.wakeR), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, timeout)
		for err == unix.EINTR && timeout < 0 && !t.wake.Load() {
			// A signal (the Go runtime's preemption among them) is no
			// key: keep waiting rather than send the editor round again.
			n, err = unix.Poll(fds, timeout)
		}
		if fds[1].Revents != 0 {
			var b [16]byte
			unix.Read(t.wakeR, b[:])
		}
		if t.wake.CompareAndSwap(true, false) {
			return t.hand([]byte{0x03}), nil
		}
		if err != nil || n == 0 || fds[0].Revents&unix.POLLIN == 0 {
			if err == nil && fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				// The terminal went away: end the session.
				t.hangup.Store(true)
				return t.hand([]byte{0x03}), nil
			}
			return nil, errNoInput
		}
		buf := make([]byte, 1024)
		n, err = unix.Read(t.fd, buf)
		if err != nil || n <= 0 {
			if n == 0 && err == nil {
				t.hangup.Store(true)
				return t.hand([]byte{0x03}), nil
			}
			return nil, errNoInput
		}
		t.mu.Lock()
		t.pending = append(t.pending, buf[:n]...)
	}
	defer t.mu.Unlock()
	k := nextKey(t.pending)
	if k == 0 {
		return nil, errNoInput // an incomplete UTF-8 sequence: wait for the rest
	}
	key := append([]byte(nil), t.pending[:k]...)
	t.pending = t.pending[k:]
	if len(key) == 1 && key[0] == 0 {
		// go-prompt drops a NUL (Ctrl+Space) without drawing: so does
		// terminal, so that handed keeps counting what the editor sees.
		return nil, errNoInput
	}
	if len(key) == 1 && (key[0] < 0x20 || key[0] == 0x7f) {
		t.lastKey = key[0]
		if key[0] == '\r' || key[0] == '\n' {
			t.held = true
		}
	} else {
		t.lastKey = 0
	}
	t.handed++
	t.drawn.Broadcast()
	return key, nil
}

// hand counts a key made up by terminal (not read) as handed over.
func (t *terminal) hand(key []byte) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastKey = key[0]
	t.handed++
	t.drawn.Broadcast()
	return key
}

// rendered is called when go-prompt has drawn the prompt: it waits until
// Read hands over a key the editor has not seen yet.
func (t *terminal) rendered() {
	t.mu.Lock()
	t.renders++
	if t.renders == 1 {
		// Input draws its prompt before it starts its reader: wait here
		// until there is something to read (or a reason to wake), and
		// leave the reading to Read.
		if len(t.pending) > 0 || t.handed > 0 {
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		fds := []unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}, {Fd: int32(t.wakeR), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				return
			}
		}
	}
	defer t.mu.Unlock()
	for t.handed < t.renders {
		t.drawn.Wait()
	}
}

// renderWriter is go-prompt's writer, which tells the terminal when a
// prompt has been drawn: go-prompt's Render ends with ShowCursor and then
// Flush, and nothing else calls ShowCursor. Its Flush then waits for the
// next key rather than let go-prompt poll for it.
type renderWriter struct {
	prompt.ConsoleWriter
	t     *terminal
	armed bool
}

func (w *renderWriter) ShowCursor() {
	w.ConsoleWriter.ShowCursor()
	w.armed = true
}

func (w *renderWriter) Flush() error {
	err := w.ConsoleWriter.Flush()
	if w.armed {
		w.armed = false
		w.t.rendered()
	}
	return err
}

// last returns the last control byte handed over.
func (t *terminal) last() byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastKey
}

// nextKey returns the length of the first key in b: an escape sequence, a
// control byte, or a run of text up to the next control byte. It returns 0
// when b ends inside a UTF-8 sequence.
func nextKey(b []byte) int {
	switch c := b[0]; {
	case c == 0x1b:
		if len(b) == 1 {
			return 1
		}
		switch b[1] {
		case '[': // CSI: parameters, then a final byte in 0x40..0x7e
			for i := 2; i < len(b); i++ {
				if b[i] >= 0x40 && b[i] <= 0x7e {
					return i + 1
				}
			}
			return len(b)
		case 'O': // SS3: one more byte
			return min(3, len(b))
		}
		return 2 // Alt+key
	case c < 0x20 || c == 0x7f:
		return 1
	}
	i := 0
	for i < len(b) && b[i] >= 0x20 && b[i] != 0x7f {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) {
			break
		}
		_, size := utf8.DecodeRune(b[i:])
		i += size
	}
	return i
}
