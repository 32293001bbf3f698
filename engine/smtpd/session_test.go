package smtpd

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
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"exsh/engine/protolog"
	"exsh/engine/replies"
)

// recorder is a Handler that accepts everything except what it is told to
// refuse, and records the messages.
type recorder struct {
	mu       sync.Mutex
	msgs     [][]byte
	envs     []*Envelope
	refuseTo string
}

func (r *recorder) Authenticate(st *State, identity, user, pass string) (string, error) {
	if user == "alice" && pass == "Passw0rd" {
		return `CONTOSO\alice`, nil
	}
	return "", errors.New("bad password")
}
func (r *recorder) Permissions(st *State) string {
	if st.AuthUser == "" {
		return "SMTPSubmit"
	}
	return "SMTPSubmit SMTPAcceptAnyRecipient"
}
func (r *recorder) Mail(st *State, from string, p MailParams) error {
	if from == "panic@x.com" {
		panic("boom")
	}
	return nil
}
func (r *recorder) Rcpt(st *State, env *Envelope, to string, p RcptParams) error {
	if to == r.refuseTo {
		return replies.RelayDenied
	}
	return nil
}
func (r *recorder) Data(st *State, env *Envelope, msg []byte) replies.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, bytes.Clone(msg)) // msg is the session's buffer
	r.envs = append(r.envs, env)
	return replies.Queued("<id@EX01.contoso.com>", 42, "EX01.contoso.com")
}

func testConfig() Config {
	return Config{
		Fqdn: "EX01.contoso.com", SizeMode: "Enabled", MaxMessageSize: 37748736,
		Pipelining: true, DSN: true, EnhancedStatusCodes: true, EightBitMime: true,
		BinaryMime: true, Chunking: true, BasicAuth: true, BasicAuthRequireTLS: true,
		MaxRecipients: 200, MaxHopCount: 60, MaxLogonFailures: 3, MaxProtocolErrors: 5,
		ConnectionTimeout: 10 * time.Minute, InactivityTimeout: 5 * time.Minute,
		MaxHeaderSize: 262144,
	}
}

type server struct {
	t    *testing.T
	ln   net.Listener
	h    *recorder
	cfg  Config
	log  *protolog.Log
	wg   sync.WaitGroup
	mu   sync.Mutex
	sess []*Session
}

func startServer(t *testing.T, cfg Config) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{t: t, ln: ln, h: &recorder{refuseTo: "user@gmail.com"}, cfg: cfg,
		log: protolog.New(t.TempDir(), protolog.Receive, protolog.DefaultLimits)}
	ctx, cancel := context.WithCancel(context.Background())
	srv.wg.Add(1)
	go func() {
		defer srv.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ls := srv.log.Session(`EX01\Test`, protolog.LevelVerbose, AddrPort(c.LocalAddr()), AddrPort(c.RemoteAddr()))
			s := NewSession(c, srv.cfg, srv.h, ls, srv)
			srv.mu.Lock()
			srv.sess = append(srv.sess, s)
			srv.mu.Unlock()
			srv.wg.Add(1)
			go func() { defer srv.wg.Done(); s.Serve(ctx) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		cancel()
		srv.wg.Wait()
		srv.log.Close()
	})
	return srv
}

func (s *server) Printf(format string, v ...any) { s.t.Logf(format, v...) }

type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (srv *server) dial() *client {
	srv.t.Helper()
	c, err := net.Dial("tcp", srv.ln.Addr().String())
	if err != nil {
		srv.t.Fatal(err)
	}
	srv.t.Cleanup(func() { c.Close() })
	cl := &client{t: srv.t, c: c, br: bufio.NewReader(c)}
	return cl
}

func (c *client) raw(data string) {
	c.t.Helper()
	if _, err := c.c.Write([]byte(data)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) send(line string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("write %q: %v", line, err)
	}
}

// reply reads one (possibly multi-line) reply and returns its lines.
func (c *client) reply() []string {
	c.t.Helper()
	var lines []string
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read reply: %v (after %q)", err, lines)
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return lines
		}
	}
}

// expect reads a reply and checks its last line: exactly, or as a regexp
// when want starts with "~".
func (c *client) expect(want string) string {
	c.t.Helper()
	lines := c.reply()
	got := lines[len(lines)-1]
	if strings.HasPrefix(want, "~") {
		if !regexp.MustCompile(want[1:]).MatchString(got) {
			c.t.Fatalf("reply %q, want match %q", got, want[1:])
		}
	} else if got != want {
		c.t.Fatalf("reply %q, want %q", got, want)
	}
	return got
}

func (c *client) do(cmd, want string) string {
	c.t.Helper()
	c.send(cmd)
	return c.expect(want)
}

func (c *client) expectClosed() {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if l, err := c.br.ReadString('\n'); err == nil {
		c.t.Fatalf("connection still open, got %q", l)
	}
}

func TestDialogue(t *testing.T) {
	cfg := testConfig()
	cfg.MaxProtocolErrors = 20
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect(`~^220 EX01\.contoso\.com Microsoft ESMTP MAIL Service ready at \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$`)
	c.do("MAIL FROM:<a@b.com>", "503 5.5.2 Send hello first")
	c.send("EHLO client.fabrikam.com")
	got := c.reply()
	want := []string{
		"250-EX01.contoso.com Hello [127.0.0.1]",
		"250-SIZE 37748736",
		"250-PIPELINING",
		"250-DSN",
		"250-ENHANCEDSTATUSCODES",
		"250-8BITMIME",
		"250-BINARYMIME",
		"250 CHUNKING",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("EHLO reply\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c.do("RCPT TO:<x@contoso.com>", "503 5.5.2 Need mail command")
	c.do("DATA", "503 5.5.2 Need mail command")
	c.do("MAIL FROM:<chris@fabrikam.com> SIZE=100", "250 2.1.0 Sender OK")
	c.do("MAIL FROM:<chris@fabrikam.com>", "503 5.5.2 Sender already specified")
	c.do("DATA", "503 5.5.2 Need rcpt command")
	c.do("RCPT TO:<user@gmail.com>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain")
	c.do("RCPT TO:<michelle@contoso.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;michelle@contoso.com", "250 2.1.5 Recipient OK")
	c.do("DATA", "354 Start mail input; end with <CRLF>.<CRLF>")
	c.send("Subject: hi\r\n\r\n..leading dot\r\nbare lf\nend")
	c.do(".", "250 2.6.0 <id@EX01.contoso.com> [InternalId=42, Hostname=EX01.contoso.com] Queued mail for delivery")
	c.do("NOOP", "250 2.0.0 OK")
	c.do("VRFY x", "~^252 ")
	c.do("RSET", "250 2.0.0 Resetting")
	c.do("XYZZY", "500 5.3.3 Unrecognized command")
	c.do("STARTTLS", "500 5.3.3 Unrecognized command")
	c.do("AUTH LOGIN", "504 5.7.4 Unrecognized authentication type")
	c.do("QUIT", "221 2.0.0 Service closing transmission channel")
	c.expectClosed()

	srv.h.mu.Lock()
	defer srv.h.mu.Unlock()
	if len(srv.h.msgs) != 1 {
		t.Fatalf("%d messages", len(srv.h.msgs))
	}
	if got, want := string(srv.h.msgs[0]), "Subject: hi\r\n\r\n.leading dot\r\nbare lf\r\nend\r\n"; got != want {
		t.Errorf("message %q want %q", got, want)
	}
	env := srv.h.envs[0]
	if env.From != "chris@fabrikam.com" || len(env.Rcpts) != 1 || env.Rcpts[0].Params.Notify != "SUCCESS,FAILURE" {
		t.Errorf("envelope %+v", env)
	}

	// Every session's log starts as Exchange's does: connect, the
	// anonymous session's permissions, the banner.
	lines := protocolLogLines(t, srv)
	if len(lines) < 3 {
		t.Fatalf("protocol log has %d lines", len(lines))
	}
	for i, want := range []string{",0,", ",1,", ",2,"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d is %q, want sequence number %s", i, lines[i], want)
		}
	}
	if !strings.HasSuffix(lines[0], ",+,,") ||
		!strings.HasSuffix(lines[1], ",*,SMTPSubmit,Set Session Permissions") ||
		!strings.Contains(lines[2], ",>,\"220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at ") {
		t.Errorf("session starts\n%s", strings.Join(lines[:3], "\n"))
	}
}

// protocolLogLines closes the server's protocol log and returns its
// session lines (no # header lines).
func protocolLogLines(t *testing.T, srv *server) []string {
	t.Helper()
	srv.log.Close()
	files, _ := filepath.Glob(filepath.Join(srv.log.Dir(), "RECV*.LOG"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
	}
	return out
}

func TestPipelining(t *testing.T) {
	srv := startServer(t, testConfig())
	c := srv.dial()
	c.expect("~^220 ")
	c.send("EHLO x\r\nMAIL FROM:<a@fabrikam.com>\r\nRCPT TO:<b@contoso.com>\r\nRCPT TO:<c@contoso.com>\r\nDATA")
	c.reply()
	c.expect("250 2.1.0 Sender OK")
	c.expect("250 2.1.5 Recipient OK")
	c.expect("250 2.1.5 Recipient OK")
	c.expect("~^354 ")
	c.raw("x\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster>\r\nBDAT 5 LAST\r\nhello")
	c.expect("~^250 2.6.0 ")
	c.expect("250 2.1.0 Sender OK")
	c.expect("250 2.1.5 Recipient OK")
	c.expect("~^250 2.6.0 ")
	srv.h.mu.Lock()
	defer srv.h.mu.Unlock()
	if len(srv.h.msgs) != 2 || string(srv.h.msgs[1]) != "hello" || !srv.h.envs[1].Chunked {
		t.Errorf("messages %q", srv.h.msgs)
	}
}

func TestBDAT(t *testing.T) {
	srv := startServer(t, testConfig())
	c := srv.dial()
	c.expect("~^220 ")
	c.send("EHLO x")
	c.reply()
	c.raw("BDAT 3\r\nabc")
	c.expect("503 5.5.2 Need mail command")
	c.do("MAIL FROM:<a@fabrikam.com> BODY=BINARYMIME", "250 2.1.0 Sender OK")
	c.do("RCPT TO:<b@contoso.com>", "250 2.1.5 Recipient OK")
	c.do("DATA", "503 5.5.1 Bad sequence of commands")
	c.raw("BDAT 6\r\nhello ")
	c.expect("250 2.6.0 CHUNK received OK, 6 octets")
	c.raw("BDAT 5 LAST\r\nworld")
	c.expect("~^250 2.6.0 ")
	srv.h.mu.Lock()
	defer srv.h.mu.Unlock()
	if string(srv.h.msgs[0]) != "hello world" {
		t.Errorf("message %q", srv.h.msgs[0])
	}
}

func TestLimits(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 100
	cfg.MaxRecipients = 2
	cfg.MaxHopCount = 2
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect("~^220 ")
	c.send("EHLO x")
	if l := c.reply(); l[1] != "250-SIZE 100" {
		t.Errorf("SIZE line %q", l[1])
	}
	c.do("MAIL FROM:<a@fabrikam.com> SIZE=101", "552 5.3.4 Message size exceeds fixed maximum message size")
	c.do("MAIL FROM:<a@fabrikam.com>", "250 2.1.0 Sender OK")
	c.do("RCPT TO:<1@contoso.com>", "250 2.1.5 Recipient OK")
	c.do("RCPT TO:<2@contoso.com>", "250 2.1.5 Recipient OK")
	c.do("RCPT TO:<3@contoso.com>", "452 4.5.3 Too many recipients")
	c.do("DATA", "~^354 ")
	c.send(strings.Repeat("0123456789\r\n", 20) + ".")
	c.expect("552 5.3.4 Message size exceeds fixed maximum message size")
	// The session is still usable.
	c.do("MAIL FROM:<a@fabrikam.com>", "250 2.1.0 Sender OK")
	c.do("RCPT TO:<1@contoso.com>", "250 2.1.5 Recipient OK")
	c.do("DATA", "~^354 ")
	c.send("Received: a\r\nReceived: b\r\nReceived: c\r\n\r\nx\r\n.")
	c.expect("554 5.4.6 Hop count exceeded - possible mail loop")
	// BDAT over the limit.
	c.do("MAIL FROM:<a@fabrikam.com>", "250 2.1.0 Sender OK")
	c.do("RCPT TO:<1@contoso.com>", "250 2.1.5 Recipient OK")
	c.raw("BDAT 101 LAST\r\n" + strings.Repeat("x", 101))
	c.expect("552 5.3.4 Message size exceeds fixed maximum message size")
	c.do("NOOP", "250 2.0.0 OK")
	// A command line over the limit ends the session.
	c.send("MAIL FROM:<" + strings.Repeat("a", 2100) + "@x.com>")
	c.expect("500 5.5.2 Command too long")
	c.expectClosed()
}

func TestProtocolErrorsClose(t *testing.T) {
	cfg := testConfig()
	cfg.MaxProtocolErrors = 2
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect("~^220 ")
	c.do("FOO", "500 5.3.3 Unrecognized command")
	c.do("BAR", "500 5.3.3 Unrecognized command")
	// The error past the limit is answered by the 421 alone.
	c.do("BAZ", "~^421 4.7.0 ")
	c.expectClosed()
}

func TestTimeouts(t *testing.T) {
	cfg := testConfig()
	cfg.InactivityTimeout = 200 * time.Millisecond
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect("~^220 ")
	c.expect("451 4.7.0 Timeout waiting for client input")
	c.expectClosed()

	cfg.InactivityTimeout = time.Second
	cfg.ConnectionTimeout = 700 * time.Millisecond
	srv2 := startServer(t, cfg)
	c2 := srv2.dial()
	c2.expect("~^220 ")
	time.Sleep(300 * time.Millisecond)
	c2.do("NOOP", "250 2.0.0 OK")
	c2.expect("421 4.4.1 Connection timed out")
	c2.expectClosed()
}

func TestPanicGives421(t *testing.T) {
	srv := startServer(t, testConfig())
	c := srv.dial()
	c.expect("~^220 ")
	c.do("HELO x", "250 EX01.contoso.com Hello [127.0.0.1]")
	c.do("MAIL FROM:<panic@x.com>", "421 4.3.2 Service not available")
	c.expectClosed()
	// The server still serves.
	c2 := srv.dial()
	c2.expect("~^220 ")
}

func TestShutdown(t *testing.T) {
	srv := startServer(t, testConfig())
	idle := srv.dial()
	idle.expect("~^220 ")
	busy := srv.dial()
	busy.expect("~^220 ")
	busy.send("EHLO x")
	busy.reply()
	busy.do("MAIL FROM:<a@fabrikam.com>", "250 2.1.0 Sender OK")
	time.Sleep(50 * time.Millisecond)
	srv.mu.Lock()
	for _, s := range srv.sess {
		s.Shutdown()
	}
	srv.mu.Unlock()
	idle.expect("421 4.3.2 Service not available")
	idle.expectClosed()
	// The transaction in flight finishes, then the session ends.
	busy.do("RCPT TO:<b@contoso.com>", "250 2.1.5 Recipient OK")
	busy.do("DATA", "~^354 ")
	busy.send("x\r\n.")
	busy.expect("~^250 2.6.0 ")
	busy.expect("421 4.3.2 Service not available")
	busy.expectClosed()
}

func selfSigned(t testing.TB) *tls.Config {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234), Subject: pkix.Name{CommonName: "EX01"},
		DNSNames: []string{"EX01", "EX01.contoso.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}, MaxVersion: tls.VersionTLS12}
}

func TestStartTLSAndAuth(t *testing.T) {
	cfg := testConfig()
	cfg.TLSConfig = selfSigned(t)
	cfg.AuthTarpitInterval = 100 * time.Millisecond
	cfg.MaxLogonFailures = 2
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect("~^220 ")
	c.send("EHLO x")
	lines := c.reply()
	if !contains(lines, "250-STARTTLS") || containsPrefix(lines, "250-AUTH") {
		t.Fatalf("pre-TLS EHLO %q", lines)
	}
	c.do("STARTTLS", "220 2.0.0 SMTP server ready")
	tc := tls.Client(c.c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c = &client{t: t, c: tc, br: bufio.NewReader(tc)}
	c.do("MAIL FROM:<a@b.com>", "503 5.5.2 Send hello first")
	c.send("EHLO x")
	lines = c.reply()
	if contains(lines, "250-STARTTLS") || !contains(lines, "250-AUTH LOGIN PLAIN") {
		t.Fatalf("post-TLS EHLO %q", lines)
	}
	b64 := base64.StdEncoding.EncodeToString
	c.do("AUTH LOGIN", "334 VXNlcm5hbWU6")
	c.do(b64([]byte("alice")), "334 UGFzc3dvcmQ6")
	start := time.Now()
	c.do(b64([]byte("wrong")), "535 5.7.3 Authentication unsuccessful")
	if time.Since(start) < 100*time.Millisecond {
		t.Error("failed AUTH not delayed by AuthTarpitInterval")
	}
	c.do("AUTH PLAIN "+b64([]byte("\x00alice\x00Passw0rd")), "235 2.7.0 Authentication successful")
	c.do("AUTH PLAIN", "503 5.5.2 Auth command already specified")
	c.do("QUIT", "~^221 ")

	// MaxLogonFailures closes the connection.
	c = srv.dial()
	c.expect("~^220 ")
	c.send("EHLO x")
	c.reply()
	c.do("STARTTLS", "~^220 ")
	tc = tls.Client(c.c, &tls.Config{InsecureSkipVerify: true})
	c = &client{t: t, c: tc, br: bufio.NewReader(tc)}
	c.send("EHLO x")
	c.reply()
	c.do("AUTH PLAIN "+b64([]byte("\x00alice\x00x")), "535 5.7.3 Authentication unsuccessful")
	c.do("AUTH LOGIN "+b64([]byte("alice")), "334 UGFzc3dvcmQ6")
	// The failure that reaches MaxLogonFailures gets the 421 instead.
	c.do(b64([]byte("y")), "~^421 4.7.0 ")
	c.expectClosed()

	// The protocol log has the TLS lines and no password.
	srv.log.Close()
	files, _ := filepath.Glob(filepath.Join(srv.log.Dir(), "RECV*.LOG"))
	var all strings.Builder
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	log := all.String()
	for _, want := range []string{
		",>,220 2.0.0 SMTP server ready,",
		"Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names",
		"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded",
		"*,,TlsDomainCapabilities='None'; Status='NoRemoteCertificate'",
		",<,AUTH LOGIN,",
		",>,334 <authentication response>,",
		",*,,Inbound AUTH LOGIN failed because of LogonDenied",
		",*,,User Name: alice",
		`,*,CONTOSO\alice,authenticated`,
		",*,SMTPSubmit SMTPAcceptAnyRecipient,Set Session Permissions",
		",>,235 2.7.0 Authentication successful,",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("protocol log lacks %q", want)
		}
	}
	// STARTTLS that leaves the permissions as they were adds no line:
	// one anonymous line per connection (two here, both with STARTTLS).
	if n := strings.Count(log, ",*,SMTPSubmit,Set Session Permissions"); n != 2 {
		t.Errorf("%d anonymous permission lines, want 2 (one per connection)", n)
	}
	for _, secret := range []string{"Passw0rd", b64([]byte("\x00alice\x00Passw0rd")), b64([]byte("wrong"))} {
		if strings.Contains(log, secret) {
			t.Errorf("protocol log holds a credential %q", secret)
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func containsPrefix(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

func TestTarpit(t *testing.T) {
	cfg := testConfig()
	cfg.TarpitInterval = 150 * time.Millisecond
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect("~^220 ")
	c.do("HELO x", "~^250 ")
	c.do("MAIL FROM:<a@fabrikam.com>", "~^250 ")
	start := time.Now()
	c.do("RCPT TO:<user@gmail.com>", "~^550 5.7.54 ")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("5xx reply after %v, want tarpit", d)
	}
}

func TestReceivedHeader(t *testing.T) {
	tm := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	got := Received("client.fabrikam.com", netip.MustParseAddr("192.0.2.1"), "EX01.contoso.com", netip.MustParseAddr("10.0.0.5"),
		&tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}, "15.2.1118.7", "Frontend Transport", tm)
	want := "Received: from client.fabrikam.com (192.0.2.1) by EX01.contoso.com (10.0.0.5)\r\n" +
		" with Microsoft SMTP Server (version=TLS1_2,\r\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.7 via Frontend Transport; Fri, 27 Nov 2026 09:30:00 +0000\r\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if b := BuildFromVersion("Version 15.2 (Build 1118.7)"); b != "15.2.1118.7" {
		t.Errorf("build %q", b)
	}
}

func TestTimeoutInData(t *testing.T) {
	cfg := testConfig()
	cfg.InactivityTimeout = 300 * time.Millisecond
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect("~^220 ")
	c.do("HELO x", "~^250 ")
	c.do("MAIL FROM:<a@b.com>", "~^250 ")
	c.do("RCPT TO:<c@d.com>", "~^250 ")
	c.do("DATA", "~^354 ")
	c.send("Subject: stalled")
	c.expect("451 4.7.0 Timeout waiting for client input")
	c.expectClosed()
	if len(srv.h.msgs) != 0 {
		t.Error("a stalled message was accepted")
	}
}

func TestHeaderStatsLocalHops(t *testing.T) {
	local := []string{"EX01.contoso.com", "mail.contoso.com"}
	msg := "Received: from a (1.2.3.4) by EX01.contoso.com (10.0.0.5)\r\n with Microsoft SMTP Server id 15.2.1118.7; Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
		"Received: from b by\r\n ex01.CONTOSO.com with SMTP; Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
		"Received: from c by mail.contoso.com; Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
		"Received: from EX01.contoso.com by mx.fabrikam.com; Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
		"X-Note: by EX01.contoso.com\r\n" +
		"Received: by EX01.contoso.com.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
		"\r\nReceived: by EX01.contoso.com\r\n"
	_, hops, localHops := headerStats([]byte(msg), local)
	if hops != 5 || localHops != 3 {
		t.Errorf("hops %d, local %d; want 5, 3", hops, localHops)
	}
	if _, _, n := headerStats([]byte(msg), nil); n != 0 {
		t.Errorf("local hops without local hosts: %d", n)
	}
}

// MaxLocalHopCount counts only the hops through this server; the reply is
// Exchange's 5.4.6.
func TestMaxLocalHopCount(t *testing.T) {
	cfg := testConfig()
	cfg.MaxLocalHopCount = 2
	cfg.LocalHosts = []string{"EX01.contoso.com"}
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect("~^220 ")
	c.do("EHLO x", "~^250 ")
	local := "Received: from x by EX01.contoso.com; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	other := "Received: from x by mx.fabrikam.com; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	send := func(header, want string) {
		t.Helper()
		c.do("MAIL FROM:<a@fabrikam.com>", "250 2.1.0 Sender OK")
		c.do("RCPT TO:<1@contoso.com>", "250 2.1.5 Recipient OK")
		c.do("DATA", "~^354 ")
		c.send(header + "Subject: loop\r\n\r\nx\r\n.")
		c.expect(want)
	}
	send(local+local+other+other+other, "~^250 ")
	send(local+other+local+local, "554 5.4.6 Hop count exceeded - possible mail loop")
	c.do("NOOP", "250 2.0.0 OK")
}

// A response that is not base64 is a failed logon: 535, and it counts
// toward MaxLogonFailures.
func TestAuthBadBase64IsAFailedLogon(t *testing.T) {
	cfg := testConfig()
	cfg.BasicAuthRequireTLS = false
	cfg.MaxLogonFailures = 2
	srv := startServer(t, cfg)
	c := srv.dial()
	c.expect("~^220 ")
	c.send("EHLO x")
	c.reply()
	c.do("AUTH PLAIN !!!not-base64!!!", "535 5.7.3 Authentication unsuccessful")
	c.do("AUTH LOGIN", "334 VXNlcm5hbWU6")
	c.do("%%%", "~^421 4.7.0 ")
	c.expectClosed()
}

func TestXtextEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"QQ314159", "QQ314159"},
		{"a+b=c", "a+2Bb+3Dc"},
		{"two words", "two+20words"},
		{"é", "+C3+A9"},
	} {
		if got := XtextEncode(tc.in); got != tc.want {
			t.Errorf("XtextEncode(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := xtextDecode(XtextEncode(tc.in)); back != tc.in {
			t.Errorf("round trip of %q gives %q", tc.in, back)
		}
	}
}

// recordTypes reads through a TLS 1.2 connection and notes the content
// type of every record the peer sends (alerts are 21 in clear text).
type recordTypes struct {
	net.Conn
	raw []byte
}

func (r *recordTypes) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.raw = append(r.raw, b[:n]...)
	return n, err
}

func (r *recordTypes) types() []byte {
	var ts []byte
	for b := r.raw; len(b) >= 5; {
		ts = append(ts, b[0])
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if n > len(b) {
			break
		}
		b = b[n:]
	}
	return ts
}

func TestCloseNotifyOnlyWhenNotQuit(t *testing.T) {
	const alert = 21
	for _, quit := range []bool{true, false} {
		cfg := testConfig()
		cfg.TLSConfig = selfSigned(t)
		cfg.InactivityTimeout = 300 * time.Millisecond
		srv := startServer(t, cfg)
		c := srv.dial()
		c.expect("~^220 ")
		c.send("EHLO x")
		c.reply()
		c.do("STARTTLS", "220 2.0.0 SMTP server ready")
		rt := &recordTypes{Conn: c.c}
		tc := tls.Client(rt, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		c = &client{t: t, c: tc, br: bufio.NewReader(tc)}
		c.send("EHLO x")
		c.reply()
		if quit {
			c.do("QUIT", "221 2.0.0 Service closing transmission channel")
		} else {
			c.expect("451 4.7.0 Timeout waiting for client input")
		}
		c.expectClosed()
		ts := rt.types()
		if got := bytes.IndexByte(ts, alert) >= 0; got == quit {
			t.Errorf("quit %v: records %v, close_notify sent %v", quit, ts, got)
		}
	}
}

// A reply's line is in the protocol log's file by the time the client
// reads the reply (SPEC §3), while the session is still open.
func TestReplyLoggedBeforeSent(t *testing.T) {
	srv := startServer(t, testConfig())
	c := srv.dial()
	read := func() string {
		files, _ := filepath.Glob(filepath.Join(srv.log.Dir(), "RECV*.LOG"))
		var b strings.Builder
		for _, f := range files {
			data, _ := os.ReadFile(f)
			b.Write(data)
		}
		return b.String()
	}
	c.expect(`~^220 EX01\.contoso\.com Microsoft ESMTP`)
	if got := read(); !strings.Contains(got, `,>,"220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at `) {
		t.Fatalf("banner received but not in the log:\n%s", got)
	}
	c.send("EHLO client.fabrikam.com")
	c.reply()
	c.do("MAIL FROM:<chris@fabrikam.com>", "250 2.1.0 Sender OK")
	got := read()
	for _, want := range []string{",<,EHLO client.fabrikam.com,", ",>,250  EX01.contoso.com Hello [127.0.0.1]", ",<,MAIL FROM:<chris@fabrikam.com>,", ",>,250 2.1.0 Sender OK,"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q not in the log after its reply:\n%s", want, got)
		}
	}
}

// The EHLO reply is logged as every other multi-line reply is.
func TestCollapseEHLO(t *testing.T) {
	for _, texts := range [][]string{
		{"EX01.contoso.com Hello [127.0.0.1]"},
		{"EX01.contoso.com Hello [127.0.0.1]", "SIZE 37748736", "PIPELINING", "CHUNKING"},
		{"", "X"},
	} {
		lines := make([]string, len(texts))
		for i, tx := range texts {
			sep := "-"
			if i == len(texts)-1 {
				sep = " "
			}
			lines[i] = "250" + sep + tx
		}
		if got, want := collapseEHLO(texts), protolog.CollapseReply(lines); got != want {
			t.Errorf("collapseEHLO(%q) = %q, want %q", texts, got, want)
		}
	}
}
