package smtpclient

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// countingConn counts the writes that reach the connection.
type countingConn struct {
	net.Conn
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes++
	return c.Conn.Write(p)
}

func TestCorkedConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(conn)
		got <- b
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingConn{Conn: raw}
	c := newCorkedConn(counted)
	c.SetDeadline(time.Now().Add(5 * time.Second))

	c.Write([]byte("EHLO a\r\n"))
	c.Write([]byte("MAIL FROM:<>\r\n"))
	if counted.writes != 0 {
		t.Errorf("small writes went out before a read: %d writes", counted.writes)
	}
	// A read sends what is held, in one write.
	raw.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	c.Read(make([]byte, 1))
	if counted.writes != 1 {
		t.Errorf("after a read: %d writes, want 1", counted.writes)
	}
	// A write past the limit goes out at once, after what is held.
	c.Write([]byte("x"))
	big := bytes.Repeat([]byte("y"), corkLimit)
	c.Write(big)
	if counted.writes != 3 {
		t.Errorf("after a large write: %d writes, want 3", counted.writes)
	}
	// A write deadline alone (TLS's closing alert) sends what is held.
	c.Write([]byte("z"))
	c.SetWriteDeadline(time.Now().Add(time.Second))
	if counted.writes != 4 {
		t.Errorf("after SetWriteDeadline: %d writes, want 4", counted.writes)
	}
	c.Write([]byte("!"))
	// After uncork, the next read sends what is held and later writes
	// go straight through.
	c.uncork()
	c.Write([]byte("?"))
	if counted.writes != 4 {
		t.Errorf("after uncork: %d writes, want 4", counted.writes)
	}
	raw.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	c.Read(make([]byte, 1))
	if counted.writes != 5 {
		t.Errorf("after the read that ends holding: %d writes, want 5", counted.writes)
	}
	c.Write([]byte("."))
	if counted.writes != 6 {
		t.Errorf("a write after holding ended: %d writes, want 6", counted.writes)
	}
	c.Close()
	want := "EHLO a\r\nMAIL FROM:<>\r\nx" + string(big) + "z!?."
	if b := <-got; string(b) != want {
		t.Errorf("the server read %d bytes, want %d in order", len(b), len(want))
	}
}

// A handshake the client gives up on still sends the server its alert,
// so the server can log why.
func TestStartTLSRefusalReachesServer(t *testing.T) {
	cfg := serverTLS(t)
	serverErr := make(chan error, 1)
	addr := scripted(t, func(rw *bufio.ReadWriter, conn net.Conn) {
		say(rw, "220 sink\r\n")
		rw.ReadString('\n') // EHLO
		say(rw, "250-sink\r\n250 STARTTLS\r\n")
		rw.ReadString('\n') // STARTTLS
		say(rw, "220 go ahead\r\n")
		serverErr <- tls.Server(conn, cfg).Handshake()
	})
	c := dial(t, addr, Options{})
	defer c.Close()
	refuse := &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(tls.ConnectionState) error { return errors.New("not the pinned certificate") }}
	if err := c.Start("EX01.contoso.com", refuse); err == nil {
		t.Fatal("the handshake succeeded")
	}
	if err := <-serverErr; err == nil || !strings.Contains(err.Error(), "remote error") {
		t.Errorf("server: %v, want the client's alert", err)
	}
}

// After QUIT the session's buffer is recycled: later calls report a
// closed connection rather than reading through it.
func TestCommandsAfterQuit(t *testing.T) {
	addr := scripted(t, func(rw *bufio.ReadWriter, _ net.Conn) {
		say(rw, "220 sink\r\n")
		rw.ReadString('\n') // EHLO
		say(rw, "250 sink\r\n")
		rw.ReadString('\n') // QUIT
		say(rw, "221 bye\r\n")
	})
	c := dial(t, addr, Options{})
	if err := c.Start("EX01.contoso.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Noop(); err == nil {
		t.Error("NOOP after QUIT: no error")
	}
	if err := c.StartTLS("EX01.contoso.com", &tls.Config{InsecureSkipVerify: true}); err == nil {
		t.Error("STARTTLS after QUIT: no error")
	}
}
