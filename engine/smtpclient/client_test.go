package smtpclient

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/engine/replies"
)

func TestWriteDotStuffed(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ".\r\n"},
		{"a\r\n", "a\r\n.\r\n"},
		{"a", "a\r\n.\r\n"},
		{".", "..\r\n.\r\n"},
		{".\r\n", "..\r\n.\r\n"},
		{"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
		{"a\r\n..x\r\n", "a\r\n...x\r\n.\r\n"},
		{".a\r\n.b", "..a\r\n..b\r\n.\r\n"},
		{"bare\nLF\n", "bare\r\nLF\r\n.\r\n"},
		{"\n.\n", "\r\n..\r\n.\r\n"},
		{"bare\rCR\r\n", "bare\rCR\r\n.\r\n"},
		{"CR then dot\r.\r\n", "CR then dot\r.\r\n.\r\n"},
		{"x\r\n\r\n.", "x\r\n\r\n..\r\n.\r\n"},
		{"\x00\xff\r\n.\x00", "\x00\xff\r\n..\x00\r\n.\r\n"},
	} {
		var b bytes.Buffer
		if err := WriteDotStuffed(&b, []byte(tt.in)); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

// The stuffer writes runs, not bytes: a 100 KB message without dots at
// line starts costs a handful of writes.
func TestWriteDotStuffedWritesRuns(t *testing.T) {
	msg := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz\r\n"), 2700)
	var w countingWriter
	if err := WriteDotStuffed(&w, msg); err != nil {
		t.Fatal(err)
	}
	if w.writes > 3 || w.n != len(msg)+3 {
		t.Errorf("%d writes, %d bytes", w.writes, w.n)
	}
}

type countingWriter struct{ writes, n int }

func (c *countingWriter) Write(b []byte) (int, error) { c.writes++; c.n += len(b); return len(b), nil }

func TestParseReply(t *testing.T) {
	for _, tt := range []struct {
		lines []string
		want  replies.Reply
		err   bool
	}{
		{[]string{"250 2.1.0 Sender OK"}, replies.Reply{Code: 250, Enhanced: "2.1.0", Text: "Sender OK"}, false},
		{[]string{"354 Start mail input; end with <CRLF>.<CRLF>"}, replies.Reply{Code: 354, Text: "Start mail input; end with <CRLF>.<CRLF>"}, false},
		{[]string{"220"}, replies.Reply{Code: 220}, false},
		{[]string{"550-5.1.1 first", "550 5.1.1 second"}, replies.Reply{Code: 550, Enhanced: "5.1.1", Text: "first\nsecond"}, false},
		{[]string{"250-EX01 Hello", "250-SIZE 100", "250 CHUNKING"}, replies.Reply{Code: 250, Text: "EX01 Hello\nSIZE 100\nCHUNKING"}, false},
		{[]string{"451 4.4.0 Primary target IP address responded with: \"x\""}, replies.Reply{Code: 451, Enhanced: "4.4.0", Text: "Primary target IP address responded with: \"x\""}, false},
		{[]string{"250-2.0.0 ok", "250"}, replies.Reply{Code: 250, Enhanced: "2.0.0", Text: "ok\n"}, false},
		{[]string{"250-2.0.0 ok", "250 more"}, replies.Reply{Code: 250, Enhanced: "2.0.0", Text: "ok\nmore"}, false},
		{[]string{"250-a", "251 b"}, replies.Reply{}, true},
		{[]string{"abc"}, replies.Reply{}, true},
		{[]string{"999 nope"}, replies.Reply{}, true},
		{nil, replies.Reply{}, true},
	} {
		got, err := ParseReply(tt.lines)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%q: got %+v, %v", tt.lines, got, err)
		}
	}
}

// sink is a real go-smtp server on a loopback port.
type sink struct {
	srv  *smtp.Server
	addr string
	mu   sync.Mutex
	got  []received
}

type received struct {
	from string
	opts smtp.MailOptions
	to   []string
	data []byte
	user string
}

type sinkSession struct {
	s *sink
	r received
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

func (ss *sinkSession) AuthMechanisms() []string { return []string{"PLAIN"} }
func (ss *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user == "relay" && pass == "secret" {
			ss.r.user = user
			return nil
		}
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 3}, Message: "Authentication unsuccessful"}
	}), nil
}
func (ss *sinkSession) Mail(from string, o *smtp.MailOptions) error {
	ss.r.from = from
	if o != nil {
		ss.r.opts = *o
	}
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
	}
	ss.r.to = append(ss.r.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.r.data = b
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, ss.r)
	ss.s.mu.Unlock()
	return nil
}
func (ss *sinkSession) Reset()        { ss.r = received{user: ss.r.user} }
func (ss *sinkSession) Logout() error { return nil }

func startSink(t *testing.T, mod func(*smtp.Server)) *sink {
	t.Helper()
	s := &sink{}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.fabrikam.com"
	s.srv.AllowInsecureAuth = true
	s.srv.EnableDSN = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.ErrorLog = quiet{}
	if mod != nil {
		mod(s.srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
func (quiet) Println(...any)        {}

func (s *sink) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// events records a session's events.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) hook(ev Event) { e.mu.Lock(); e.all = append(e.all, ev); e.mu.Unlock() }

func (e *events) commands() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		if ev.Kind == Command || ev.Kind == AuthCommand {
			out = append(out, ev.Line)
		}
	}
	return out
}

func dial(t *testing.T, addr string, opts Options) *Client {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	c, err := Dial(context.Background(), addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// awkward holds what dot-stuffing and line ends must survive.
const awkward = "Subject: dots\r\n\r\n.\r\n..\r\n.leading dot\r\nlast line\r\n.\r\n"

func TestDataDotStuffingRoundTrip(t *testing.T) {
	s := startSink(t, nil)
	var ev events
	c := dial(t, s.addr, Options{NoChunking: true, Hook: ev.hook})
	if err := c.Start("EX01.contoso.com", nil); err != nil {
		t.Fatal(err)
	}
	res, err := c.Send("a@contoso.com", MailParams{}, []string{"b@fabrikam.com", "nobody@fabrikam.com"}, nil, []byte(awkward+"bare\nLF"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Final().Code != 250 || res.Accepted != 1 || res.Rcpts[1] != (replies.Reply{Code: 550, Enhanced: "5.1.1", Text: "User unknown"}) {
		t.Fatalf("result %+v", res)
	}
	got := s.messages()
	if len(got) != 1 || string(got[0].data) != awkward+"bare\r\nLF\r\n" {
		t.Fatalf("received %+v", got)
	}
	if got[0].opts.Body != smtp.Body8BitMIME {
		t.Errorf("BODY=%q", got[0].opts.Body)
	}
	if cmds := strings.Join(ev.commands(), "|"); cmds != "EHLO EX01.contoso.com|MAIL FROM:<a@contoso.com> BODY=8BITMIME|RCPT TO:<b@fabrikam.com>|RCPT TO:<nobody@fabrikam.com>|DATA" {
		t.Errorf("commands %s", cmds)
	}
	if err := c.Quit(); err != nil {
		t.Error(err)
	}
}

func TestBdatChunks(t *testing.T) {
	s := startSink(t, func(srv *smtp.Server) { srv.EnableBINARYMIME = true })
	var msg []byte
	msg = append(msg, "Content-Transfer-Encoding: binary\r\n\r\n"...)
	for i := 0; i < 256; i++ {
		msg = append(msg, byte(i))
	}
	msg = append(msg, "\n.\n\r.\r\n.\r\nend"...)
	for _, tt := range []struct {
		size, chunks int
	}{{7, (len(msg) + 6) / 7}, {len(msg), 1}, {0, 1}} {
		var ev events
		c := dial(t, s.addr, Options{ChunkSize: tt.size, Hook: ev.hook})
		if err := c.Start("EX01.contoso.com", nil); err != nil {
			t.Fatal(err)
		}
		res, err := c.Send("a@contoso.com", MailParams{Body: "BINARYMIME", Size: int64(len(msg))}, []string{"b@fabrikam.com"}, nil, msg)
		if err != nil || res.Final().Code != 250 {
			t.Fatalf("chunk size %d: %+v %v", tt.size, res, err)
		}
		var bdats []string
		for _, l := range ev.commands() {
			if strings.HasPrefix(l, "BDAT ") {
				bdats = append(bdats, l)
			}
		}
		if len(bdats) != tt.chunks || !strings.HasSuffix(bdats[len(bdats)-1], " LAST") || strings.Count(strings.Join(bdats, "|"), "LAST") != 1 {
			t.Errorf("chunk size %d: %d BDAT commands: %q", tt.size, len(bdats), bdats)
		}
		c.Quit()
	}
	for i, m := range s.messages() {
		if !bytes.Equal(m.data, msg) || m.opts.Body != smtp.BodyBinaryMIME {
			t.Errorf("message %d changed: BODY=%s %q", i, m.opts.Body, m.data)
		}
	}
}

// Binary content is never squeezed into DATA: without CHUNKING and
// BINARYMIME the transaction is refused before MAIL FROM.
func TestBinaryMIMENeedsChunking(t *testing.T) {
	s := startSink(t, nil) // CHUNKING, no BINARYMIME
	var ev events
	c := dial(t, s.addr, Options{Hook: ev.hook})
	if err := c.Start("EX01.contoso.com", nil); err != nil {
		t.Fatal(err)
	}
	r, err := c.Mail("a@contoso.com", MailParams{Body: "BINARYMIME"})
	if err != nil || r != BodyNotSupported {
		t.Fatalf("%v %v", r, err)
	}
	r, err = c.Mail("a@contoso.com", MailParams{SMTPUTF8: true})
	if err != nil || r != UTF8NotSupported {
		t.Fatalf("%v %v", r, err)
	}
	if cmds := ev.commands(); len(cmds) != 1 {
		t.Errorf("sent %q", cmds)
	}
}

func TestStartTLSAndAuth(t *testing.T) {
	s := startSink(t, func(srv *smtp.Server) {
		srv.TLSConfig = serverTLS(t)
		srv.AllowInsecureAuth = false
	})
	var ev events
	var transcript []string
	c := dial(t, s.addr, Options{Hook: Hooks(ev.hook, Transcript(func(l string) { transcript = append(transcript, l) }))})
	if err := c.Start("EX01.contoso.com", &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	if c.TLS() == nil || !c.SupportsAuth("PLAIN") {
		t.Fatalf("TLS %v, AUTH %v", c.TLS(), c.SupportsAuth("PLAIN"))
	}
	err := c.Auth(sasl.NewPlainClient("", "relay", "wrong"))
	var r replies.Reply
	if !errors.As(err, &r) || r.Code != 535 || r.Enhanced != "5.7.3" {
		t.Fatalf("wrong password: %v", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "relay", "secret")); err != nil {
		t.Fatal(err)
	}
	res, err := c.Send("a@contoso.com", MailParams{}, []string{"b@fabrikam.com"}, nil, []byte("Subject: x\r\n\r\nx\r\n"))
	if err != nil || res.Final().Code != 250 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := s.messages(); len(got) != 1 || got[0].user != "relay" {
		t.Errorf("received %+v", got)
	}
	cmds := strings.Join(ev.commands(), "|")
	if !strings.HasPrefix(cmds, "EHLO EX01.contoso.com|STARTTLS|EHLO EX01.contoso.com|AUTH PLAIN|AUTH PLAIN|MAIL FROM:") {
		t.Errorf("commands %s", cmds)
	}
	all := strings.Join(transcript, "\n")
	if strings.Contains(all, "secret") || strings.Contains(all, "cmVsYXk") || !strings.Contains(all, "=== TLS negotiated: TLS 1.3") ||
		!strings.Contains(all, "C: AUTH PLAIN <authentication response>") {
		t.Errorf("transcript:\n%s", all)
	}
}

func serverTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.fabrikam.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"sink.fabrikam.com"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// scripted serves one connection with a script: what to send, and the
// command each reply answers.
func scripted(t *testing.T, script func(rw *bufio.ReadWriter, conn net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		script(bufio.NewReadWriter(bufio.NewReader(conn), bufio.NewWriter(conn)), conn)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func say(rw *bufio.ReadWriter, s string) { rw.WriteString(s); rw.Flush() }

func TestMultiLineRepliesAndHeloFallback(t *testing.T) {
	addr := scripted(t, func(rw *bufio.ReadWriter, _ net.Conn) {
		say(rw, "220-mx.fabrikam.com first\r\n220 second\r\n")
		rw.ReadString('\n') // EHLO
		say(rw, "500 5.5.1 Unrecognized command\r\n")
		rw.ReadString('\n') // HELO
		say(rw, "250 mx.fabrikam.com\r\n")
		rw.ReadString('\n') // MAIL
		say(rw, "550-5.7.1 Refused\r\n550-5.7.1 for policy\r\n550 5.7.1 reasons\r\n")
		rw.ReadString('\n') // QUIT
		say(rw, "221 2.0.0 Bye\r\n")
	})
	var lines []string
	c := dial(t, addr, Options{Hook: Transcript(func(l string) { lines = append(lines, l) })})
	if err := c.Start("EX01.contoso.com", &tls.Config{}); err != nil {
		t.Fatal(err)
	}
	if g := c.Greeting(); g.Text != "mx.fabrikam.com first\nsecond" {
		t.Errorf("greeting %+v", g)
	}
	r, err := c.Mail("a@contoso.com", MailParams{Body: "8BITMIME", Size: 10})
	if err != nil || r != (replies.Reply{Code: 550, Enhanced: "5.7.1", Text: "Refused\nfor policy\nreasons"}) {
		t.Fatalf("%+v %v", r, err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	want := "S: 220-mx.fabrikam.com first|S: 220 second|C: EHLO EX01.contoso.com|S: 500 5.5.1 Unrecognized command|C: HELO EX01.contoso.com|S: 250 mx.fabrikam.com|" +
		"C: MAIL FROM:<a@contoso.com>|S: 550-5.7.1 Refused|S: 550-5.7.1 for policy|S: 550 5.7.1 reasons|C: QUIT|S: 221 2.0.0 Bye"
	if got := strings.Join(lines, "|"); got != want {
		t.Errorf("transcript\n got %s\nwant %s", got, want)
	}
}

// A failure that is not a reply stands for a 421 4.4.2 named after the
// way the connection broke.
func TestSessionFailureNamesTheCause(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{io.EOF, "Connection dropped due to SocketError"},
		{os.ErrDeadlineExceeded, "Connection dropped due to TimedOut"},
		{errors.New("tls: bad record MAC"), "Connection dropped"},
		{replies.Reply{Code: 554, Enhanced: "5.7.1", Text: "Refused"}, "Refused"},
	} {
		if got := SessionFailure(tt.err); got.Text != tt.want {
			t.Errorf("%v: %+v, want %q", tt.err, got, tt.want)
		}
	}
}

func TestServerDropsTheConnection(t *testing.T) {
	for _, tt := range []struct {
		name   string
		script func(rw *bufio.ReadWriter, conn net.Conn)
		step   string // where the client sees it
		want   replies.Reply
	}{
		{"after the greeting line started", func(rw *bufio.ReadWriter, _ net.Conn) { say(rw, "220 mx.fab") }, "start",
			replies.Reply{Code: 421, Enhanced: "4.4.2", Text: "Connection dropped due to SocketError"}},
		{"at MAIL FROM", func(rw *bufio.ReadWriter, _ net.Conn) {
			say(rw, "220 mx\r\n")
			rw.ReadString('\n')
			say(rw, "250-mx\r\n250 CHUNKING\r\n")
			rw.ReadString('\n')
		}, "send", replies.Reply{Code: 421, Enhanced: "4.4.2", Text: "Connection dropped due to SocketError"}},
		{"during BDAT", func(rw *bufio.ReadWriter, _ net.Conn) {
			say(rw, "220 mx\r\n")
			rw.ReadString('\n')
			say(rw, "250-mx\r\n250 CHUNKING\r\n")
			rw.ReadString('\n')
			say(rw, "250 2.1.0 OK\r\n")
			rw.ReadString('\n')
			say(rw, "250 2.1.5 OK\r\n")
			rw.ReadString('\n')
		}, "send", replies.Reply{Code: 421, Enhanced: "4.4.2", Text: "Connection dropped due to SocketError"}},
		{"a 421 greeting", func(rw *bufio.ReadWriter, _ net.Conn) { say(rw, "421 4.3.2 Service not available\r\n") }, "start",
			replies.Reply{Code: 421, Enhanced: "4.3.2", Text: "Service not available"}},
		{"a reply line without end", func(rw *bufio.ReadWriter, _ net.Conn) { say(rw, "220 "+strings.Repeat("x", 5000)) }, "start",
			replies.Reply{Code: 421, Enhanced: "4.4.2", Text: "Connection dropped"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := scripted(t, tt.script)
			c := dial(t, addr, Options{Timeout: 3 * time.Second})
			err := c.Start("EX01.contoso.com", nil)
			if tt.step == "send" {
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Send("a@contoso.com", MailParams{}, []string{"b@fabrikam.com"}, nil, bytes.Repeat([]byte("x"), 1<<20))
			}
			if err == nil {
				t.Fatal("no error")
			}
			if got := SessionFailure(err); got != tt.want {
				t.Errorf("%v: failure %+v, want %+v", err, got, tt.want)
			}
		})
	}
}

// A refused DATA command leaves the transaction open (RSET ends it); a
// refused message ends it.
func TestTransactionState(t *testing.T) {
	addr := scripted(t, func(rw *bufio.ReadWriter, _ net.Conn) {
		say(rw, "220 mx\r\n")
		rw.ReadString('\n')
		say(rw, "250-mx\r\n250 8BITMIME\r\n")
		for _, r := range []string{"250 2.1.0 OK", "250 2.1.5 OK", "554 5.5.1 No valid recipients", "250 2.0.0 Reset",
			"250 2.1.0 OK", "250 2.1.5 OK", "354 Go ahead"} {
			rw.ReadString('\n')
			say(rw, r+"\r\n")
		}
		for {
			l, err := rw.ReadString('\n')
			if err != nil || l == ".\r\n" {
				break
			}
		}
		say(rw, "550 5.7.1 Content refused\r\n")
	})
	c := dial(t, addr, Options{})
	if err := c.Start("EX01.contoso.com", nil); err != nil {
		t.Fatal(err)
	}
	res, err := c.Send("a@contoso.com", MailParams{}, []string{"b@fabrikam.com"}, nil, []byte("x\r\n"))
	if err != nil || res.Data.Code != 554 || !c.InTransaction() {
		t.Fatalf("refused DATA: %+v %v open=%v", res, err, c.InTransaction())
	}
	if r, err := c.Reset(); err != nil || r.Code != 250 || c.InTransaction() {
		t.Fatalf("RSET: %v %v", r, err)
	}
	res, err = c.Send("a@contoso.com", MailParams{}, []string{"b@fabrikam.com"}, nil, []byte("x\r\n"))
	if err != nil || res.Final() != (replies.Reply{Code: 550, Enhanced: "5.7.1", Text: "Content refused"}) || c.InTransaction() {
		t.Fatalf("refused content: %+v %v open=%v", res, err, c.InTransaction())
	}
}

func TestTranscriptOfContent(t *testing.T) {
	var lines []string
	h := Transcript(func(l string) { lines = append(lines, l) })
	var msg strings.Builder
	msg.WriteString("Subject: x\r\n\r\n.\r\n.dot\r\n")
	for i := 0; i < 70; i++ {
		msg.WriteString("line\r\n")
	}
	h(Event{Kind: Content, Data: []byte(msg.String())})
	h(Event{Kind: EndOfData})
	if len(lines) != MaxTranscriptLines+2 || lines[2] != "C: .." || lines[3] != "C: ..dot" ||
		lines[MaxTranscriptLines] != "C: [... 14 more lines of message data]" || lines[MaxTranscriptLines+1] != "C: ." {
		t.Errorf("%d lines: %q", len(lines), lines)
	}
}

// A challenge that is not base64 cancels the exchange with "*" and does
// not break the session.
func TestAuthBadChallenge(t *testing.T) {
	addr := scripted(t, func(rw *bufio.ReadWriter, _ net.Conn) {
		say(rw, "220 mx\r\n")
		rw.ReadString('\n')
		say(rw, "250-mx\r\n250 AUTH LOGIN\r\n")
		rw.ReadString('\n') // AUTH LOGIN <user>
		say(rw, "334 not base64!\r\n")
		if l, _ := rw.ReadString('\n'); l == "*\r\n" {
			say(rw, "501 5.5.4 Authentication cancelled\r\n")
		}
		rw.ReadString('\n')
		say(rw, "250 2.0.0 OK\r\n")
	})
	c := dial(t, addr, Options{})
	if err := c.Start("EX01.contoso.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewLoginClient("relay", "secret")); err == nil {
		t.Fatal("no error")
	}
	if r, err := c.Noop(); err != nil || r.Code != 250 {
		t.Fatalf("after AUTH: %v %v", r, err)
	}
}

// With PIPELINING offered, MAIL FROM and every RCPT TO arrive in one
// write; the replies are matched in order, a refused MAIL FROM makes the
// recipients' replies irrelevant, and a 421 to a recipient ends the
// transaction there. Without PIPELINING, or with NoPipelining, each
// command waits for its reply.
func TestPipelining(t *testing.T) {
	ehlo := "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
	for _, tt := range []struct {
		name     string
		ehlo     string
		opts     Options
		replies  []string // to MAIL and the two RCPTs
		together bool     // MAIL and RCPTs read in one go
		final    replies.Reply
		accepted int
	}{
		{"accepted", ehlo, Options{}, []string{"250 2.1.0 OK", "250 2.1.5 OK", "550 5.1.1 Unknown"}, true,
			replies.Reply{Code: 250, Enhanced: "2.0.0", Text: "Queued"}, 1},
		{"mail refused", ehlo, Options{}, []string{"550 5.7.1 No", "503 5.5.1 Need MAIL", "503 5.5.1 Need MAIL"}, true,
			replies.Reply{Code: 550, Enhanced: "5.7.1", Text: "No"}, 0},
		{"closed at rcpt", ehlo, Options{}, []string{"250 2.1.0 OK", "421 4.3.2 Bye"}, true,
			replies.Reply{Code: 421, Enhanced: "4.3.2", Text: "Bye"}, 0},
		{"not offered", "250-mx\r\n250 8BITMIME\r\n", Options{}, []string{"250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK"}, false,
			replies.Reply{Code: 250, Enhanced: "2.0.0", Text: "Queued"}, 2},
		{"NoPipelining", ehlo, Options{NoPipelining: true}, []string{"250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK"}, false,
			replies.Reply{Code: 250, Enhanced: "2.0.0", Text: "Queued"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			together := make(chan bool, 1)
			addr := scripted(t, func(rw *bufio.ReadWriter, _ net.Conn) {
				say(rw, "220 mx\r\n")
				rw.ReadString('\n')
				say(rw, tt.ehlo)
				rw.ReadString('\n') // MAIL
				// Give a pipelining client time to have written everything.
				time.Sleep(50 * time.Millisecond)
				together <- rw.Reader.Buffered() > 0
				for i, r := range tt.replies {
					if i > 0 {
						rw.ReadString('\n') // RCPT
					}
					say(rw, r+"\r\n")
				}
				if strings.HasPrefix(tt.replies[0], "250") && len(tt.replies) == 3 && tt.accepted > 0 {
					rw.ReadString('\n') // DATA
					say(rw, "354 Go ahead\r\n")
					for {
						l, err := rw.ReadString('\n')
						if err != nil || l == ".\r\n" {
							break
						}
					}
					say(rw, "250 2.0.0 Queued\r\n")
				}
			})
			c := dial(t, addr, tt.opts)
			if err := c.Start("EX01.contoso.com", nil); err != nil {
				t.Fatal(err)
			}
			res, err := c.Send("a@contoso.com", MailParams{}, []string{"b@contoso.com", "c@contoso.com"}, nil, []byte("x\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := <-together; got != tt.together {
				t.Errorf("RCPT TO already sent with MAIL FROM: %v, want %v", got, tt.together)
			}
			if res.Final() != tt.final || res.Accepted != tt.accepted {
				t.Errorf("final %+v accepted %d, want %+v %d", res.Final(), res.Accepted, tt.final, tt.accepted)
			}
		})
	}
}

// A small message sent with BDAT goes in the same write as MAIL FROM and
// RCPT TO; the chunk's reply is the transaction's, and a chunk sent with
// no accepted recipient is read back as the refusal it gets.
func TestPipelinedChunk(t *testing.T) {
	for _, tt := range []struct {
		name     string
		rcpt     string
		final    replies.Reply
		accepted int
	}{
		{"accepted", "250 2.1.5 OK", replies.Reply{Code: 250, Enhanced: "2.6.0", Text: "Queued"}, 1},
		{"no recipient", "550 5.1.1 Unknown", replies.Reply{Code: 550, Enhanced: "5.1.1", Text: "Unknown"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 1)
			addr := scripted(t, func(rw *bufio.ReadWriter, _ net.Conn) {
				say(rw, "220 mx\r\n")
				rw.ReadString('\n')
				say(rw, "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
				mail, _ := rw.ReadString('\n')
				time.Sleep(50 * time.Millisecond)
				rcpt, _ := rw.ReadString('\n')
				bdat, _ := rw.ReadString('\n')
				chunk := make([]byte, 5)
				io.ReadFull(rw, chunk)
				got <- mail + rcpt + bdat + string(chunk)
				say(rw, "250 2.1.0 OK\r\n"+tt.rcpt+"\r\n")
				if tt.accepted > 0 {
					say(rw, "250 2.6.0 Queued\r\n")
				} else {
					say(rw, "503 5.5.1 No valid recipients\r\n")
				}
				rw.ReadString('\n') // RSET or QUIT
				say(rw, "250 2.0.0 OK\r\n")
			})
			c := dial(t, addr, Options{})
			if err := c.Start("EX01.contoso.com", nil); err != nil {
				t.Fatal(err)
			}
			res, err := c.Send("a@contoso.com", MailParams{}, []string{"b@contoso.com"}, nil, []byte("x\r\ny\r\n")[:5])
			if err != nil {
				t.Fatal(err)
			}
			if w := "MAIL FROM:<a@contoso.com>\r\nRCPT TO:<b@contoso.com>\r\nBDAT 5 LAST\r\nx\r\ny\r"; <-got != w {
				t.Errorf("the server read something else than one pipelined transaction")
			}
			if res.Final() != tt.final || res.Accepted != tt.accepted || c.InTransaction() {
				t.Errorf("final %+v accepted %d open %v", res.Final(), res.Accepted, c.InTransaction())
			}
			if _, err := c.Reset(); err != nil {
				t.Errorf("the session is out of step after the transaction: %v", err)
			}
		})
	}
}

// TestCloseNotifyOnlyWithoutQuit: once QUIT is answered the client closes
// the TCP connection without a TLS close_notify alert; Close without QUIT
// still sends one. The server here speaks TLS 1.2, whose alerts are
// visible as record type 21.
func TestCloseNotifyOnlyWithoutQuit(t *testing.T) {
	const alert = 21
	cfg := serverTLS(t).Clone()
	cfg.MaxVersion = tls.VersionTLS12
	for _, quit := range []bool{true, false} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		types := make(chan []byte, 1)
		go func() {
			defer ln.Close()
			conn, err := ln.Accept()
			if err != nil {
				types <- nil
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(conn, "220 sink\r\n")
			br := bufio.NewReader(conn)
			br.ReadString('\n') // EHLO
			io.WriteString(conn, "250-sink\r\n250 STARTTLS\r\n")
			br.ReadString('\n') // STARTTLS
			io.WriteString(conn, "220 go ahead\r\n")
			var raw bytes.Buffer
			tc := tls.Server(readCopy{conn, &raw}, cfg)
			tbr := bufio.NewReader(tc)
			tbr.ReadString('\n') // EHLO
			io.WriteString(tc, "250 sink\r\n")
			if l, _ := tbr.ReadString('\n'); l == "QUIT\r\n" {
				io.WriteString(tc, "221 bye\r\n")
			}
			io.Copy(io.Discard, tbr)
			var ts []byte
			for b := raw.Bytes(); len(b) >= 5; {
				ts = append(ts, b[0])
				n := 5 + (int(b[3])<<8 | int(b[4]))
				if n > len(b) {
					break
				}
				b = b[n:]
			}
			types <- ts
		}()
		c := dial(t, ln.Addr().String(), Options{})
		if err := c.Start("EX01.contoso.com", &tls.Config{InsecureSkipVerify: true}); err != nil {
			t.Fatal(err)
		}
		if quit {
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
		} else {
			c.Close()
		}
		ts := <-types
		if got := bytes.IndexByte(ts, alert) >= 0; got == quit {
			t.Errorf("quit %v: records %v, close_notify sent %v", quit, ts, got)
		}
	}
}

// readCopy keeps a copy of everything read from a connection.
type readCopy struct {
	net.Conn
	w io.Writer
}

func (r readCopy) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.w.Write(b[:n])
	return n, err
}

// TestDialLocalFamily checks that a session leaves from Options.Local when
// the destination is of its family, and from an address the system picks
// when it is of the other (a server on ::1 sending to 127.0.0.1).
func TestDialLocalFamily(t *testing.T) {
	v6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	defer v6.Close()
	v4, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer v4.Close()
	tests := []struct {
		local string
		ln    net.Listener
		want  string // the session's source address
	}{
		{"127.0.0.2", v4, "127.0.0.2"},
		{"::1", v6, "::1"},
		{"::1", v4, "127.0.0.1"},
		{"127.0.0.2", v6, "::1"},
		{"::ffff:127.0.0.2", v4, "127.0.0.2"},
	}
	for _, tt := range tests {
		c, err := Dial(context.Background(), tt.ln.Addr().String(), Options{Local: netip.MustParseAddr(tt.local), DialTimeout: 5 * time.Second})
		if err != nil {
			t.Errorf("from %s to %s: %v", tt.local, tt.ln.Addr(), err)
			continue
		}
		if got := c.LocalAddr().Addr().String(); got != tt.want {
			t.Errorf("from %s to %s: the session leaves from %s, want %s", tt.local, tt.ln.Addr(), got, tt.want)
		}
		c.Conn().Close()
	}
}
