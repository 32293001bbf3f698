package smtpclient

import (
	"net"
	"sync"
	"time"
)

// corkedConn holds small writes until the next read: a client always
// reads a reply after what it sends, so what it wrote goes out then, in
// one system call. Under TLS this sends the client's last handshake
// flight together with the EHLO that follows it (one write instead of
// two, one wakeup of the server instead of two). Once uncork has been
// called, the next read ends the holding and later writes go straight
// through. Writes that would hold more than corkLimit bytes go out at
// once, so a large message is never held in memory.
//
// crypto/tls may write (a closing alert) while another goroutine reads,
// so the held bytes are guarded.
type corkedConn struct {
	net.Conn
	mu      sync.Mutex // guards everything below
	held    []byte
	buf     [512]byte // held's first storage: a handshake flight and a command fit
	last    bool      // the next read ends the holding
	through bool      // writes are no longer held
}

// corkLimit is the most a corkedConn holds back.
const corkLimit = 16 << 10

func newCorkedConn(conn net.Conn) *corkedConn {
	c := &corkedConn{Conn: conn}
	c.held = c.buf[:0]
	return c
}

// uncork makes the next read the last that sends held bytes.
func (c *corkedConn) uncork() {
	c.mu.Lock()
	c.last = true
	c.mu.Unlock()
}

func (c *corkedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.through || len(c.held)+len(p) > corkLimit {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		return c.Conn.Write(p)
	}
	c.held = append(c.held, p...)
	return len(p), nil
}

func (c *corkedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	err := c.flushLocked()
	if c.last {
		c.through = true
	}
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// SetWriteDeadline sends what is held first, under the deadline it was
// written with: a write deadline alone bounds a write that no read
// follows, such as the TLS close_notify alert (crypto/tls sets one around
// it, then an expired one). SetDeadline, with which the client bounds a
// command and its reply, leaves held bytes for the read.
func (c *corkedConn) SetWriteDeadline(t time.Time) error {
	c.flush()
	return c.Conn.SetWriteDeadline(t)
}

// Close sends what is held before closing.
func (c *corkedConn) Close() error {
	c.flush()
	return c.Conn.Close()
}

func (c *corkedConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

func (c *corkedConn) flushLocked() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.held)
	c.held = c.held[:0]
	return err
}
