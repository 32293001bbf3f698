package mail

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
)

// transcript prints an SMTP dialogue as "C: " and "S: " lines.
//
// go-smtp's Client.DebugWriter sees the dialogue as text, above TLS, but
// does not say which way the bytes went. The client is strictly
// request/response, so the direction is that of the last raw I/O on the
// connection underneath: a command is written (Write) just before the
// debug writer sees it, and a reply is read (Read) just before. After
// STARTTLS the TLS layer sits between the two, but its handshake happens
// inside the first write of the next command, so the last raw operation
// is still the right one. tracedConn records that operation.
type transcript struct {
	mu    sync.Mutex
	out   func(line string)
	conn  *tracedConn
	dir   byte // direction of the partial line in buf
	buf   []byte
	auth  bool // inside an AUTH exchange: mask what the client sends
	data  bool // inside DATA: count lines instead of printing them all
	lines int  // DATA lines printed so far
	more  int  // DATA lines not printed
	// skip is how many lines to leave out at the start: the greeting
	// replayed to the client after a STARTTLS done by hand.
	skip int
}

// maxDataLines is how many lines of message content a transcript shows.
const maxDataLines = 60

// tracedConn is a net.Conn that remembers whether the last I/O was a read
// or a write.
type tracedConn struct {
	net.Conn
	mu   sync.Mutex
	last byte // 'C' after Write, 'S' after Read
}

func (c *tracedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.last = 'S'
		c.mu.Unlock()
	}
	return n, err
}

func (c *tracedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.last = 'C'
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *tracedConn) direction() byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == 0 {
		return 'S'
	}
	return c.last
}

// Write is the go-smtp DebugWriter.
func (t *transcript) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	dir := t.conn.direction()
	if dir != t.dir && len(t.buf) > 0 {
		t.line(t.dir, string(t.buf))
		t.buf = t.buf[:0]
	}
	t.dir = dir
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		t.line(dir, strings.TrimRight(string(t.buf[:i]), "\r"))
		t.buf = t.buf[i+1:]
	}
	return len(p), nil
}

// line prints one line of the dialogue.
func (t *transcript) line(dir byte, s string) {
	if t.skip > 0 {
		t.skip--
		return
	}
	if dir == 'S' {
		if t.data {
			// Only the reply to the end of data arrives while in DATA.
			t.flushData()
		}
		// The AUTH exchange ends with a reply other than 334.
		if t.auth && !strings.HasPrefix(s, "334") {
			t.auth = false
		}
		if strings.HasPrefix(s, "354") {
			t.data = true
			t.lines, t.more = 0, 0
		}
		t.out("S: " + s)
		return
	}
	switch {
	case t.data:
		if s == "." {
			t.flushData()
			t.out("C: .")
			return
		}
		if t.lines < maxDataLines {
			t.lines++
			t.out("C: " + s)
		} else {
			t.more++
		}
		return
	case t.auth:
		t.out("C: <authentication response>")
		return
	}
	if u := strings.ToUpper(s); strings.HasPrefix(u, "AUTH ") {
		t.auth = true
		if f := strings.Fields(s); len(f) > 2 {
			s = f[0] + " " + f[1] + " <authentication response>"
		}
	}
	t.out("C: " + s)
}

func (t *transcript) flushData() {
	if t.more > 0 {
		t.out(fmt.Sprintf("C: [... %d more lines of message data]", t.more))
	}
	t.data = false
	t.more = 0
}

// flush prints a final partial line, if any.
func (t *transcript) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) > 0 {
		t.line(t.dir, strings.TrimRight(string(t.buf), "\r"))
		t.buf = nil
	}
}
