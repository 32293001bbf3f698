package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/state"
)

// sink is an in-test SMTP server on 127.0.0.1 that records what it gets
// and answers as a test tells it.
type sink struct {
	mu       sync.Mutex
	got      []*delivery
	mailErr  func(from string, user string) error
	rcptErr  func(to string) error
	login    bool // offer AUTH LOGIN besides PLAIN
	users    map[string]string
	srv      *smtp.Server
	addr     *net.TCPAddr
	certPEM  []byte
	sessions []string // remote addresses
}

type delivery struct {
	from   string
	to     []string
	notify [][]smtp.DSNNotify
	data   []byte
	user   string
	tls    bool
}

type sinkSession struct {
	s    *sink
	conn *smtp.Conn
	d    delivery
	user string
}

func (s *sink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.sessions = append(s.sessions, c.Conn().RemoteAddr().String())
	s.mu.Unlock()
	return &sinkSession{s: s, conn: c}, nil
}

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.s.login {
		return []string{"LOGIN", "PLAIN"}
	}
	return []string{"PLAIN"}
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if p, ok := ss.s.users[user]; ok && p == pass {
			ss.user = user
			return nil
		}
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 3}, Message: "Authentication unsuccessful"}
	}
	if mech == "LOGIN" {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error { return check(user, pass) }), nil
}

// loginServer is the server side of AUTH LOGIN.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if len(resp) > 0 {
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

func (ss *sinkSession) Mail(from string, opts *smtp.MailOptions) error {
	if ss.s.mailErr != nil {
		if err := ss.s.mailErr(from, ss.user); err != nil {
			return err
		}
	}
	ss.d = delivery{from: from, user: ss.user}
	_, ss.d.tls = ss.conn.TLSConnectionState()
	return nil
}

func (ss *sinkSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if ss.s.rcptErr != nil {
		if err := ss.s.rcptErr(to); err != nil {
			return err
		}
	}
	ss.d.to = append(ss.d.to, to)
	var n []smtp.DSNNotify
	if opts != nil {
		n = opts.Notify
	}
	ss.d.notify = append(ss.d.notify, n)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	d := ss.d
	d.data = b
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, &d)
	ss.s.mu.Unlock()
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 6, 0}, Message: "<x@EX01.contoso.com> [InternalId=1, Hostname=EX01.contoso.com] Queued mail for delivery"}
}

func (ss *sinkSession) Reset()        {}
func (ss *sinkSession) Logout() error { return nil }

func (s *sink) deliveries() []*delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*delivery(nil), s.got...)
}

func selfSigned(t *testing.T, name string) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		DNSNames:              []string{name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c, certPEM
}

func startSink(t *testing.T, configure func(*sink)) *sink {
	t.Helper()
	s := &sink{users: map[string]string{"contoso\\chris": "P@ssw0rd"}}
	if configure != nil {
		configure(s)
	}
	cert, certPEM := selfSigned(t, "EX01.contoso.com")
	s.certPEM = certPEM
	srv := smtp.NewServer(s)
	srv.Domain = "EX01.contoso.com"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.EnableDSN = true
	srv.ErrorLog = quietLog{}
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	s.addr = ln.Addr().(*net.TCPAddr)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// portTo maps every port to the sink's.
func (s *sink) options() Options {
	return Options{PortMap: func(int) int { return s.addr.Port }, HelloName: "WS01"}
}

func sendCmd(d *cmdlets.Deps, o Options) *interp.CmdletInfo {
	return sendMailMessage(d, o)
}

func TestSendPlain(t *testing.T) {
	s := startSink(t, nil)
	dir := t.TempDir()
	att := filepath.Join(dir, "report.csv")
	os.WriteFile(att, []byte("a,b\n1,2\n"), 0o600)
	rt, err := invoke(t, sendCmd(&cmdlets.Deps{Store: &fakeStore{}}, s.options()), map[string]any{
		"From":                       "Chris Green <chris@contoso.com>",
		"To":                         strs("michelle@contoso.com", "Ann <ann@contoso.com>"),
		"Cc":                         strs("cc@contoso.com"),
		"Bcc":                        strs("hidden@contoso.com"),
		"ReplyTo":                    strs("replies@contoso.com"),
		"Subject":                    "Grüße",
		"Body":                       "Hello\nWorld",
		"SmtpServer":                 "127.0.0.1",
		"Port":                       25,
		"Priority":                   "High",
		"DeliveryNotificationOption": strs("OnSuccess", "OnFailure"),
		"Attachments":                strs(att),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.Errors) > 0 {
		t.Fatal(rt.Errors)
	}
	got := s.deliveries()
	if len(got) != 1 {
		t.Fatalf("got %d messages", len(got))
	}
	d := got[0]
	if d.from != "chris@contoso.com" {
		t.Errorf("MAIL FROM %q", d.from)
	}
	if strings.Join(d.to, ",") != "michelle@contoso.com,ann@contoso.com,cc@contoso.com,hidden@contoso.com" {
		t.Errorf("RCPT TO %v", d.to)
	}
	if len(d.notify[0]) != 2 || d.notify[0][0] != smtp.DSNNotifySuccess {
		t.Errorf("NOTIFY %v", d.notify)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(d.data)))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mimeDecoder)
	for k, want := range map[string]string{
		"From":       `"Chris Green" <chris@contoso.com>`,
		"To":         `michelle@contoso.com, "Ann" <ann@contoso.com>`,
		"Cc":         "cc@contoso.com",
		"Bcc":        "",
		"Reply-To":   "replies@contoso.com",
		"X-Priority": "1",
		"Importance": "high",
	} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if got := dec.decode(m.Header.Get("Subject")); got != "Grüße" {
		t.Errorf("Subject %q", got)
	}
	if !strings.HasPrefix(m.Header.Get("Message-ID"), "<") || !strings.HasSuffix(m.Header.Get("Message-ID"), "@ws01>") {
		t.Errorf("Message-ID %q", m.Header.Get("Message-ID"))
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/mixed") {
		t.Errorf("Content-Type %q", m.Header.Get("Content-Type"))
	}
	text, names := readBody(d.data)
	if text != "Hello\nWorld" || len(names) != 1 || names[0] != "report.csv" {
		t.Errorf("body %q, attachments %v", text, names)
	}
	if len(rt.Verbose) != 1 || !strings.Contains(rt.Verbose[0], "Queued mail for delivery") {
		t.Errorf("verbose %v", rt.Verbose)
	}
}

type mimeDecoder struct{}

func (mimeDecoder) decode(s string) string { return decodeHeader(s) }

func errorRecord(t *testing.T, rt *runtime) *interp.ErrorRecord {
	t.Helper()
	if len(rt.Errors) != 1 {
		t.Fatalf("errors: %v", rt.Errors)
	}
	var e *interp.ErrorRecord
	if !errors.As(rt.Errors[0], &e) {
		t.Fatalf("error %T", rt.Errors[0])
	}
	return e
}

func TestSendRelayDenied(t *testing.T) {
	s := startSink(t, func(s *sink) {
		s.rcptErr = func(to string) error {
			if strings.HasSuffix(to, "@fabrikam.com") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 54}, Message: "SMTP; Unable to relay recipient in non-accepted domain"}
			}
			return nil
		}
	})
	o := s.options()
	base := map[string]any{"From": "printer@contoso.com", "Subject": "Scan", "SmtpServer": "localhost"}
	with := func(to ...string) map[string]any {
		m := map[string]any{"To": strs(to...)}
		for k, v := range base {
			m[k] = v
		}
		return m
	}

	rt, err := invoke(t, sendCmd(&cmdlets.Deps{Store: &fakeStore{}}, o), with("chris@fabrikam.com"))
	if err != nil {
		t.Fatal(err)
	}
	e := errorRecord(t, rt)
	if want := "Mailbox unavailable. The server response was: 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"; e.Message != want {
		t.Errorf("message %q", e.Message)
	}
	if e.Reason != "SmtpFailedRecipientException" || e.Category != "InvalidOperation" ||
		e.FullyQualifiedErrorId != "SmtpException,Microsoft.PowerShell.Commands.SendMailMessage" {
		t.Errorf("record %+v", e)
	}
	if n := len(s.deliveries()); n != 0 {
		t.Errorf("%d messages delivered", n)
	}

	// Two refused, one accepted: the message goes to the one, then the
	// error names all.
	rt, _ = invoke(t, sendCmd(&cmdlets.Deps{Store: &fakeStore{}}, o), with("a@fabrikam.com", "b@fabrikam.com", "ok@contoso.com"))
	e = errorRecord(t, rt)
	if e.Message != "Unable to send to all recipients." || e.Reason != "SmtpFailedRecipientsException" {
		t.Errorf("record %+v", e)
	}
	if got := s.deliveries(); len(got) != 1 || strings.Join(got[0].to, ",") != "ok@contoso.com" {
		t.Errorf("deliveries %v", got)
	}
}

func TestSendNotAuthenticated(t *testing.T) {
	s := startSink(t, func(s *sink) {
		s.mailErr = func(from, user string) error {
			if user == "" {
				return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 57}, Message: "SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"}
			}
			return nil
		}
	})
	rt, _ := invoke(t, sendCmd(&cmdlets.Deps{Store: &fakeStore{}}, s.options()), map[string]any{
		"From": "chris@contoso.com", "To": strs("michelle@contoso.com"), "Subject": "x",
		"SmtpServer": "127.0.0.1", "Port": 587,
	})
	e := errorRecord(t, rt)
	want := "The SMTP server requires a secure connection or the client was not authenticated. The server response was: 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"
	if e.Message != want || e.Reason != "SmtpException" {
		t.Errorf("record %q %s", e.Message, e.Reason)
	}
}

// fakeStore is a state.Store whose only data is the organisation and its
// certificate.
type fakeStore struct {
	state.Store
	cert []byte
}

type fakeTx struct {
	state.Tx
	cert []byte
}

func (f *fakeStore) View(fn func(tx state.Tx) error) error { return fn(&fakeTx{cert: f.cert}) }
func (f *fakeTx) Org() (*state.Organization, error) {
	return &state.Organization{ServerName: "EX01", DomainName: "contoso.com"}, nil
}
func (f *fakeTx) Server(name string) (*state.ExchangeServer, error) {
	return &state.ExchangeServer{Name: "EX01", Fqdn: "EX01.contoso.com"}, nil
}
func (f *fakeTx) ReceiveConnectors() ([]*state.ReceiveConnector, error) {
	return []*state.ReceiveConnector{
		{Name: "Default Frontend EX01", Bindings: []string{"0.0.0.0:25", "[::]:25"}},
		{Name: "Client Frontend EX01", Bindings: []string{"0.0.0.0:587", "[::]:587"}},
		{Name: "Default EX01", Bindings: []string{"0.0.0.0:2525", "[::]:2525"}},
	}, nil
}
func (f *fakeTx) Certificate() (*state.Certificate, error) {
	return &state.Certificate{CertPEM: f.cert}, nil
}

func TestSendStartTLSAuthTranscript(t *testing.T) {
	for _, login := range []bool{true, false} {
		t.Run("login="+strconv.FormatBool(login), func(t *testing.T) {
			s := startSink(t, func(s *sink) { s.login = login })
			d := &cmdlets.Deps{Store: &fakeStore{cert: s.certPEM}}
			rt, err := invoke(t, sendCmd(d, s.options()), map[string]any{
				"From": "chris@contoso.com", "To": strs("michelle@contoso.com"), "Subject": "Report",
				"Body": "line", "SmtpServer": "ex01.contoso.com", "Port": 587, "UseSsl": true,
				"Credential": &interp.Credential{UserName: `contoso\chris`, Password: &interp.SecureString{Plain: "P@ssw0rd"}},
				"Transcript": true,
			})
			if err != nil || len(rt.Errors) > 0 {
				t.Fatal(err, rt.Errors)
			}
			got := s.deliveries()
			if len(got) != 1 || got[0].user != `contoso\chris` || !got[0].tls {
				t.Fatalf("deliveries %+v", got)
			}
			out := rt.Host.String()
			for _, want := range []string{
				"=== Connected to 127.0.0.1:",
				"S: 220 EX01.contoso.com ESMTP Service Ready\n",
				"C: EHLO WS01\n",
				"S: 250-STARTTLS\n",
				"C: STARTTLS\n",
				"=== TLS negotiated: TLS 1.3",
				"C: MAIL FROM:<chris@contoso.com>",
				"C: RCPT TO:<michelle@contoso.com>\n",
				"C: DATA\n",
				"S: 354 ",
				"C: Subject: Report\n",
				"C: line\n",
				"C: .\n",
				"S: 250 2.6.0 <x@EX01.contoso.com> [InternalId=1, Hostname=EX01.contoso.com] Queued mail for delivery\n",
				"C: QUIT\n",
				"S: 221 ",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("transcript lacks %q:\n%s", want, out)
				}
			}
			if strings.Count(out, "S: 220 EX01.contoso.com") != 1 {
				t.Errorf("greeting shown twice:\n%s", out)
			}
			if strings.Contains(out, "UEBzc3cwcmQ") || strings.Contains(out, "Y29udG9zb1xjaHJpcw") {
				t.Errorf("credentials in transcript:\n%s", out)
			}
			if login && !strings.Contains(out, "C: AUTH LOGIN <authentication response>\nS: 334 UGFzc3dvcmQ6\nC: <authentication response>\nS: 235") {
				t.Errorf("no AUTH LOGIN:\n%s", out)
			}
			if !login && !strings.Contains(out, "C: AUTH PLAIN <authentication response>\n") {
				t.Errorf("no masked AUTH PLAIN:\n%s", out)
			}
		})
	}
}

func TestSendUntrustedCertificate(t *testing.T) {
	s := startSink(t, nil)
	_, otherPEM := selfSigned(t, "EX01.contoso.com")
	d := &cmdlets.Deps{Store: &fakeStore{cert: otherPEM}}
	rt, _ := invoke(t, sendCmd(d, s.options()), map[string]any{
		"From": "chris@contoso.com", "To": strs("michelle@contoso.com"), "Subject": "x",
		"SmtpServer": "EX01", "UseSsl": true,
	})
	e := errorRecord(t, rt)
	if e.Message != "The remote certificate is invalid according to the validation procedure." {
		t.Errorf("message %q", e.Message)
	}
	if len(s.deliveries()) != 0 {
		t.Error("message sent")
	}
}

func TestSendNoStartTLS(t *testing.T) {
	s := startSink(t, nil)
	s.srv.TLSConfig = nil
	rt, _ := invoke(t, sendCmd(&cmdlets.Deps{Store: &fakeStore{}}, s.options()), map[string]any{
		"From": "chris@contoso.com", "To": strs("michelle@contoso.com"), "Subject": "x",
		"SmtpServer": "127.0.0.1", "UseSsl": true,
	})
	if e := errorRecord(t, rt); e.Message != "Server does not support secure connections." {
		t.Errorf("message %q", e.Message)
	}
}

func TestSendSourceAddress(t *testing.T) {
	probe, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.ParseIP("127.0.0.56")})
	if err != nil {
		t.Skipf("127.0.0.56 not usable here: %v", err)
	}
	probe.Close()
	s := startSink(t, nil)
	rt, _ := invoke(t, sendCmd(&cmdlets.Deps{Store: &fakeStore{}}, s.options()), map[string]any{
		"From": "printer@contoso.com", "To": strs("michelle@contoso.com"), "Subject": "Scan",
		"SmtpServer": "127.0.0.1", "SourceAddress": "127.0.0.56",
	})
	if len(rt.Errors) > 0 {
		t.Fatal(rt.Errors)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) != 1 || !strings.HasPrefix(s.sessions[0], "127.0.0.56:") {
		t.Errorf("sessions %v", s.sessions)
	}
}

func TestSendConnectFailure(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	rt, _ := invoke(t, sendCmd(&cmdlets.Deps{Store: &fakeStore{}}, Options{PortMap: func(int) int { return port }}), map[string]any{
		"From": "a@contoso.com", "To": strs("b@contoso.com"), "Subject": "x", "SmtpServer": "127.0.0.1",
	})
	if e := errorRecord(t, rt); e.Message != "Unable to connect to the remote server" {
		t.Errorf("message %q", e.Message)
	}
}

func TestSendBadAddress(t *testing.T) {
	_, err := invoke(t, sendCmd(&cmdlets.Deps{}, Options{}), map[string]any{
		"From": "not an address", "To": strs("b@contoso.com"), "Subject": "x",
	})
	var e *interp.ErrorRecord
	if !errors.As(err, &e) || e.Message != "The specified string is not in the form required for an e-mail address." {
		t.Errorf("error %v", err)
	}
}

func TestSendMissingAttachment(t *testing.T) {
	_, err := invoke(t, sendCmd(&cmdlets.Deps{}, Options{}), map[string]any{
		"From": "a@contoso.com", "To": strs("b@contoso.com"), "Subject": "x",
		"Attachments": strs(filepath.Join(t.TempDir(), "nope.txt")),
	})
	var e *interp.ErrorRecord
	if !errors.As(err, &e) || !strings.HasPrefix(e.Message, "Could not find file '") || e.Category != "ObjectNotFound" {
		t.Errorf("error %v", err)
	}
}

func TestTargetResolve(t *testing.T) {
	d := &cmdlets.Deps{Store: &fakeStore{}, Engine: listenPorts{}}
	for _, tt := range []struct {
		host string
		port int
		self bool
		dial string
	}{
		{"EX01", 25, true, "127.0.0.1:10025"},
		{"ex01.contoso.com", 587, true, "127.0.0.1:10587"},
		{"localhost", 2525, true, "127.0.0.1:12525"},
		{"127.0.0.1", 25, true, "127.0.0.1:10025"},
		{"::1", 25, true, "[::1]:10025"},
		{"[::1]", 25, true, "[::1]:10025"},
		// Ports no connector is bound to are used as given: the listening
		// port itself, a sink's port.
		{"127.0.0.1", 10025, true, "127.0.0.1:10025"},
		{"EX01", 7999, true, "127.0.0.1:7999"},
		{"mail.fabrikam.com", 25, false, "mail.fabrikam.com:25"},
		{"10.0.0.5", 25, false, "10.0.0.5:25"},
	} {
		tg := &target{host: tt.host, port: tt.port}
		tg.resolve(d, Options{})
		if tg.self != tt.self || tg.dial != tt.dial {
			t.Errorf("%s:%d -> self=%v dial=%s", tt.host, tt.port, tg.self, tg.dial)
		}
	}
}

var errRelay = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 54}, Message: "SMTP; Unable to relay recipient in non-accepted domain"}

type quietLog struct{}

func (quietLog) Printf(string, ...interface{}) {}
func (quietLog) Println(...interface{})        {}

type listenPorts struct{}

func (listenPorts) ListenPort(p int) int { return p + 10000 }

func TestMessageBytes(t *testing.T) {
	m := &message{
		From:      &mail.Address{Address: "a@contoso.com"},
		To:        []*mail.Address{{Address: "b@contoso.com"}},
		Subject:   "Hi",
		Body:      "plain =text\r\nsecond line",
		Priority:  "Low",
		Date:      time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		MessageID: "<1@ws01>",
	}
	got := string(m.Bytes())
	want := "MIME-Version: 1.0\r\nFrom: a@contoso.com\r\nTo: b@contoso.com\r\nX-Priority: 5\r\nPriority: non-urgent\r\nImportance: low\r\n" +
		"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nSubject: Hi\r\nMessage-ID: <1@ws01>\r\n" +
		"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"plain =3Dtext\r\nsecond line\r\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	m.Encoding = "ASCII"
	m.Body = "Grüße"
	if b := string(m.Bytes()); !strings.Contains(b, "\r\n\r\nGr??e\r\n") {
		t.Errorf("ASCII body: %q", b)
	}
}

func TestParseAddresses(t *testing.T) {
	l, err := parseAddresses([]string{"a@contoso.com, B <b@contoso.com>", "c.@contoso.com"})
	if err != nil || len(l) != 3 || l[1].Name != "B" || l[2].Address != "c.@contoso.com" {
		t.Errorf("%v %v", l, err)
	}
	if _, err := parseAddresses([]string{"nobody"}); err == nil {
		t.Error("bare name accepted")
	}
}
