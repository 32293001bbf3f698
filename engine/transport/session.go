package transport

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"

	"exsh/engine/protolog"
)

// openSession does the start of an outbound SMTP session itself (greeting,
// EHLO with our FQDN, STARTTLS when offered and tlsCfg is not nil), because
// go-smtp's client can issue STARTTLS only as its very first command,
// and then hands the connection to a go-smtp client that carries on as if it
// had done those steps. It reports whether TLS is on.
func openSession(nc net.Conn, helo string, tlsCfg *tls.Config, sess *protolog.Session) (*smtp.Client, bool, error) {
	tp := textproto.NewConn(nc)
	readReply := func(expect int) (string, []string, error) {
		var lines []string
		for {
			l, err := tp.ReadLine()
			if err != nil {
				return "", lines, err
			}
			lines = append(lines, l)
			if len(l) < 4 || l[3] != '-' {
				break
			}
		}
		logged := lines[0]
		if len(lines) > 1 {
			logged = protolog.CollapseReply(lines)
		}
		sess.Recv(logged)
		last := lines[len(lines)-1]
		var code int
		fmt.Sscanf(last, "%d", &code)
		if code != expect {
			return logged, lines, replyError(lines)
		}
		return logged, lines, nil
	}
	send := func(cmd string) error {
		sess.Send(cmd)
		return tp.PrintfLine("%s", cmd)
	}
	_, greeting, err := readReply(220)
	if err != nil {
		return nil, false, err
	}
	if err := send("EHLO " + helo); err != nil {
		return nil, false, err
	}
	_, ehlo, err := readReply(250)
	if err != nil {
		return nil, false, err
	}
	offersTLS := false
	for _, l := range ehlo[1:] {
		if len(l) > 4 && strings.EqualFold(strings.Fields(l[4:])[0], "STARTTLS") {
			offersTLS = true
		}
	}
	if !offersTLS || tlsCfg == nil {
		// Let go-smtp replay the greeting and the EHLO reply: its own EHLO
		// is swallowed, the answer comes from what was already read.
		replay := strings.Join(greeting, "\r\n") + "\r\n" + strings.Join(ehlo, "\r\n") + "\r\n"
		rc := &replayConn{Conn: nc, pending: []byte(replay), swallow: true}
		cl := smtp.NewClient(rc)
		cl.DebugWriter = &sendLogWriter{s: sess, skipReplies: 2, skipCommands: 1}
		if err := cl.Hello(helo); err != nil {
			return nil, false, err
		}
		return cl, false, nil
	}
	if err := send("STARTTLS"); err != nil {
		return nil, false, err
	}
	if _, _, err := readReply(220); err != nil {
		return nil, false, err
	}
	tc := tls.Client(nc, tlsCfg)
	if err := tc.Handshake(); err != nil {
		return nil, false, err
	}
	st := tc.ConnectionState()
	sess.Info("", fmt.Sprintf("TLS protocol %s negotiation succeeded using bulk encryption algorithm %s", tlsVersionName(st.Version), tls.CipherSuiteName(st.CipherSuite)))
	// After STARTTLS the server sends no greeting; give go-smtp one.
	rc := &replayConn{Conn: tc, pending: []byte(greeting[len(greeting)-1] + "\r\n")}
	cl := smtp.NewClient(rc)
	cl.DebugWriter = &sendLogWriter{s: sess, skipReplies: 1}
	if err := cl.Hello(helo); err != nil {
		return nil, true, err
	}
	return cl, true, nil
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "SP_PROT_TLS1_3_CLIENT"
	case tls.VersionTLS12:
		return "SP_PROT_TLS1_2_CLIENT"
	}
	return fmt.Sprintf("0x%04x", v)
}

// replyError makes a go-smtp error from a raw reply.
func replyError(lines []string) error {
	last := lines[len(lines)-1]
	var code int
	fmt.Sscanf(last, "%d", &code)
	var msgs []string
	for _, l := range lines {
		if len(l) > 4 {
			msgs = append(msgs, l[4:])
		}
	}
	msg := strings.Join(msgs, "\n")
	se := &smtp.SMTPError{Code: code, EnhancedCode: smtp.NoEnhancedCode, Message: msg}
	var a, b, c int
	if n, _ := fmt.Sscanf(msg, "%d.%d.%d", &a, &b, &c); n == 3 {
		se.EnhancedCode = smtp.EnhancedCode{a, b, c}
		if i := strings.IndexByte(msg, ' '); i > 0 {
			se.Message = msg[i+1:]
		} else {
			se.Message = ""
		}
	}
	return se
}

// replayConn serves pending bytes before reading from the connection, and
// can swallow the first line written to it.
type replayConn struct {
	net.Conn
	mu      sync.Mutex
	pending []byte
	swallow bool
}

func (c *replayConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.Conn.Read(b)
}

func (c *replayConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.swallow {
		i := strings.IndexByte(string(b), '\n')
		if i >= 0 {
			c.swallow = false
			rest := b[i+1:]
			c.mu.Unlock()
			if len(rest) == 0 {
				return len(b), nil
			}
			n, err := c.Conn.Write(rest)
			return n + i + 1, err
		}
		c.mu.Unlock()
		return len(b), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}
