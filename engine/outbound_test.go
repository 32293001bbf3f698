package engine_test

import (
	"crypto/tls"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/state"
	"exsh/state/setup"
)

// sink is a loopback SMTP server standing in for the Internet: it records
// what it receives and can be told to refuse.
type sink struct {
	srv  *smtp.Server
	port int

	mu       sync.Mutex
	messages []sunk
	rcptErr  *smtp.SMTPError            // refuses every recipient
	rcptErrs map[string]*smtp.SMTPError // refuses one recipient
	mailErr  *smtp.SMTPError
}

type sunk struct {
	From string
	To   []string
	Data string
}

func newSink(t *testing.T) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{port: ln.Addr().(*net.TCPAddr).Port}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "mx.fabrikam.com"
	s.srv.ErrorLog = quietLog{}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}

func (s *sink) got() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.messages...)
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s    *sink
	from string
	to   []string
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.mailErr != nil {
		return ss.s.mailErr
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.rcptErr != nil {
		return ss.s.rcptErr
	}
	if err := ss.s.rcptErrs[strings.ToLower(to)]; err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, sunk{From: ss.from, To: ss.to, Data: string(b)})
	ss.s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

// outboundLab is an organisation with a send connector "To Internet"
// (SMTP:*, smart host 127.0.0.1 on the sink's port) that proxies through
// the Front End, the real Transport service and the receive side sharing
// one server credential, as cmd/exsh wires them.
type outboundLab struct {
	*enginetest.Env
	tr   *transport.Transport
	cred mail.ServerCredential
}

func startOutboundLab(t *testing.T, sinkPort int) *outboundLab {
	t.Helper()
	cred, err := mail.NewServerCredential(mail.ServerAccount("CONTOSO", "EX01"))
	if err != nil {
		t.Fatal(err)
	}
	lab := &outboundLab{cred: cred}
	lab.Env = enginetest.Start(t, enginetest.Options{
		Credential: cred,
		FixedPorts: []int{sinkPort},
		Prepare: func(tx state.Tx) error {
			sc := toSmartHost("To Internet", "*", sinkPort)
			sc.FrontendProxyEnabled = true
			sc.ProtocolLoggingLevel = "Verbose"
			return tx.PutSendConnector(sc)
		},
		Submitter: transportWith(cred, &lab.tr),
	})
	return lab
}

// toSmartHost is an Internet send connector named name for the address
// space (SMTP, cost 1) to the smart host 127.0.0.1 on port.
func toSmartHost(name, space string, port int) *state.SendConnector {
	sc := setup.NewSendConnectorDefaults("Internet")
	sc.Name = name
	sc.AddressSpaces = []string{"SMTP:" + space + ";1"}
	sc.SmartHosts = []string{"[127.0.0.1]"}
	sc.DNSRoutingEnabled = false
	sc.Port = port
	return sc
}

// submit sends a message from the Administrator mailbox on Client
// Frontend (587) with STARTTLS and AUTH, as a mail client does.
func (lab *outboundLab) submit(t *testing.T, to, subject string) {
	t.Helper()
	submitAsAdministrator(t, lab.Addr(587), to, subject, "Hello from EX01.")
}

// submitAsAdministrator sends a message with subject and body from the
// Administrator mailbox to the Client Frontend at addr (587) with
// STARTTLS and AUTH LOGIN, as a mail client does.
func submitAsAdministrator(t *testing.T, addr, to, subject, body string) {
	t.Helper()
	c, err := smtp.DialStartTLS(addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("laptop"); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewLoginClient("administrator@contoso.com", setup.DefaultAdministratorPassword)); err != nil {
		t.Fatal(err)
	}
	msg := "From: administrator@contoso.com\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\n" + body + "\r\n"
	if err := c.SendMail("administrator@contoso.com", []string{to}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	c.Quit()
}

// externalQueue is the hub's SmartHostConnectorDelivery queue.
func (lab *outboundLab) externalQueue() (transport.QueueInfo, bool) {
	qs, _ := lab.tr.Queues()
	for _, q := range qs {
		if q.DeliveryType == "SmartHostConnectorDelivery" {
			return q, true
		}
	}
	return transport.QueueInfo{}, false
}

// protocolLog returns the files of one protocol log folder
// (FrontEnd/Hub, SmtpReceive/SmtpSend) in one string.
func protocolLog(dataPath, service, kind string) string {
	return readLogs(filepath.Join(dataPath, "TransportRoles", "Logs", service, "ProtocolLog", kind))
}

func receivedLines(msg string) []string {
	header, _, _ := strings.Cut(msg, "\r\n\r\n")
	return regexp.MustCompile(`(?m)^Received: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*`).FindAllString(header, -1)
}

// Mail from the Administrator mailbox to the Internet through a send
// connector with FrontendProxyEnabled: 587 → Client Proxy 465 → queue →
// Outbound Proxy Frontend 717 → the smart host.
func TestOutboundProxyEndToEnd(t *testing.T) {
	s := newSink(t)
	lab := startOutboundLab(t, s.port)
	lab.submit(t, "user@fabrikam.com", "outbound")

	if !enginetest.WaitFor(t, 15*time.Second, func() bool { return len(s.got()) == 1 }) {
		q, _ := lab.externalQueue()
		t.Fatalf("nothing reached the smart host; queue %+v", q)
	}
	got := s.got()[0]
	if got.From != "administrator@contoso.com" || len(got.To) != 1 || got.To[0] != "user@fabrikam.com" {
		t.Errorf("envelope %q -> %q", got.From, got.To)
	}
	// The Front End adds no Received: line on the way out
	// (exchange-receive.md §8.1): the only hop is the Transport service's,
	// naming the client that submitted on 587.
	hops := receivedLines(got.Data)
	re := regexp.MustCompile(`^Received: from laptop \(127\.0\.0\.1\) by EX01\.contoso\.com \(127\.0\.0\.1\)\r\n with Microsoft SMTP Server \(version=TLS1_2,\r\n cipher=TLS_[A-Z0-9_]+\) id 15\.2\.\d+\.\d+; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$`)
	if len(hops) != 1 || !re.MatchString(hops[0]) {
		t.Errorf("Received chain at the destination:\n%s", strings.Join(hops, "\n"))
	}
	if strings.Contains(got.Data, "X-MS-Exchange-Organization-") || !strings.Contains(got.Data, "\r\nSubject: outbound\r\n") || !strings.HasSuffix(got.Data, "\r\n\r\nHello from EX01.\r\n") {
		t.Errorf("message at the destination:\n%s", got.Data)
	}
	if !enginetest.WaitFor(t, 10*time.Second, func() bool {
		q, ok := lab.externalQueue()
		return !ok || q.MessageCount == 0
	}) {
		t.Errorf("the message stayed queued")
	}

	// The hub's leg: its SmtpSend log, under the send connector's name,
	// logging on to 717 as the server inside TLS.
	// A session's lines reach the file when it ends: wait for the hub's
	// leg, the 717 session (587 logs nothing by default), and the Front
	// End's proxy and outbound legs.
	var hubSend, feRecv, feSend string
	enginetest.WaitFor(t, 10*time.Second, func() bool {
		hubSend = protocolLog(lab.DataPath, "Hub", "SmtpSend")
		feRecv = protocolLog(lab.DataPath, "FrontEnd", "SmtpReceive")
		feSend = protocolLog(lab.DataPath, "FrontEnd", "SmtpSend")
		return strings.Count(hubSend, ",-,,") >= 1 && strings.Count(feRecv, ",-,,") >= 1 && strings.Count(feSend, ",-,,") >= 2
	})
	for _, want := range []string{
		",To Internet,",
		",*,,attempting to connect",
		`,<,"220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at `,
		",>,STARTTLS,",
		",>,AUTH PLAIN,",
		",<,235 2.7.0 Authentication successful,",
		",>,MAIL FROM:<administrator@contoso.com> ",
		",>,RCPT TO:<user@fabrikam.com>",
	} {
		if !strings.Contains(hubSend, want) {
			t.Errorf("Hub SmtpSend log lacks %q:\n%s", want, hubSend)
		}
	}
	// The Front End's 717 session: Outbound Proxy Frontend, the server's
	// logon and permissions, the proxy destination.
	for _, want := range []string{
		`,EX01\Outbound Proxy Frontend EX01,`,
		",<,AUTH PLAIN,",
		`,*,CONTOSO\EX01$,authenticated`,
		",*,SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAuthenticationFlag SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender BypassAntiSpam BypassMessageSizeLimit",
		",*,,Proxy destination(s) obtained from send connector 'To Internet'",
		",>,250 2.1.5 Recipient OK,",
	} {
		if !strings.Contains(feRecv, want) {
			t.Errorf("Front End SmtpReceive log lacks %q:\n%s", want, feRecv)
		}
	}
	// The Front End's outbound leg: its SmtpSend log, under the send
	// connector's name, to the smart host.
	for _, want := range []string{
		",To Internet,",
		",*,,attempting to connect",
		",<,220 mx.fabrikam.com ESMTP Service Ready,",
		",<,250  Hello EX01.contoso.com PIPELINING",
		",>,MAIL FROM:<administrator@contoso.com> ",
		",>,RCPT TO:<user@fabrikam.com>,",
		",>,BDAT ",
		",>,QUIT,",
	} {
		if !strings.Contains(feSend, want) {
			t.Errorf("Front End SmtpSend log lacks %q:\n%s", want, feSend)
		}
	}
	for name, log := range map[string]string{"Hub SmtpSend": hubSend, "FrontEnd SmtpReceive": feRecv, "FrontEnd SmtpSend": feSend} {
		if strings.Contains(log, lab.cred.Secret) || strings.Contains(log, "Hello from EX01.") {
			t.Errorf("%s log holds the secret or the message body:\n%s", name, log)
		}
	}
}

// A destination that cannot be reached, or answers 4xx, leaves the message
// in the hub's queue for retry; a 5xx sends the sender an NDR.
func TestOutboundProxyFailures(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		port := enginetest.FreePort() // nothing listens here
		lab := startOutboundLab(t, port)
		lab.submit(t, "user@fabrikam.com", "nobody home")
		var q transport.QueueInfo
		if !enginetest.WaitFor(t, 15*time.Second, func() bool {
			var ok bool
			q, ok = lab.externalQueue()
			return ok && q.Status == "Retry"
		}) {
			t.Fatalf("queue %+v, want Retry", q)
		}
		if !strings.HasPrefix(q.LastError, `451 4.4.0 Primary target IP address responded with: "421 4.4.1 Error encountered while communicating with primary target IP address: "Failed to connect. Winsock error code: 10061, Win32 error code: 10061."`) {
			t.Errorf("LastError %q", q.LastError)
		}
		ms, _ := lab.tr.Messages(transport.MessageFilter{Queue: q.Identity})
		if len(ms) != 1 || ms[0].Status != "Retry" {
			t.Errorf("messages %+v", ms)
		}
	})
	t.Run("transient", func(t *testing.T) {
		s := newSink(t)
		s.rcptErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"}
		lab := startOutboundLab(t, s.port)
		lab.submit(t, "user@fabrikam.com", "greylisted")
		var ms []transport.MessageInfo
		if !enginetest.WaitFor(t, 15*time.Second, func() bool {
			q, ok := lab.externalQueue()
			if !ok {
				return false
			}
			ms, _ = lab.tr.Messages(transport.MessageFilter{Queue: q.Identity})
			return len(ms) == 1 && ms[0].Status == "Retry"
		}) {
			t.Fatalf("messages %+v, want one in Retry", ms)
		}
		if ms[0].LastError != "451 4.7.1 Greylisted, try again later" {
			t.Errorf("LastError %q", ms[0].LastError)
		}
		if len(s.got()) != 0 {
			t.Errorf("delivered: %+v", s.got())
		}
	})
	t.Run("permanent", func(t *testing.T) {
		s := newSink(t)
		s.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
		lab := startOutboundLab(t, s.port)
		lab.submit(t, "user@fabrikam.com", "to nobody")
		var msgs []string
		if !enginetest.WaitFor(t, 15*time.Second, func() bool {
			msgs = mailbox(t, lab.Store, "administrator@contoso.com")
			return len(msgs) == 1
		}) {
			t.Fatalf("no NDR in the sender's mailbox")
		}
		if !strings.Contains(msgs[0], "Remote Server returned '550 5.1.1 User unknown'") || !strings.Contains(msgs[0], "Final-Recipient: rfc822;user@fabrikam.com") {
			t.Errorf("NDR:\n%s", msgs[0])
		}
		if !enginetest.WaitFor(t, 10*time.Second, func() bool {
			q, ok := lab.externalQueue()
			return !ok || q.MessageCount == 0
		}) {
			t.Errorf("the failed message stayed queued")
		}
	})
}

// Outbound Proxy Frontend takes only Exchange servers (its permission
// groups are ExchangeServers alone): anonymous clients may not send, users
// may not log on, and a wrong server secret is refused. The server gets
// the destination's own replies, transaction by transaction.
func TestOutboundProxyFrontendOnlyServers(t *testing.T) {
	s := newSink(t)
	s.rcptErrs = map[string]*smtp.SMTPError{"gone@fabrikam.com": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}}
	lab := startOutboundLab(t, s.port)
	d := enginetest.Dial(t, lab.Addr(717))
	d.Script(`
		S: ` + anonymousBanner + `
		C: EHLO attacker.example
		S: ~^250 CHUNKING$
		C: MAIL FROM:<spam@example.com>
		S: 530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM
	`)
	d.StartTLS()
	d.Script(`
		C: EHLO attacker.example
		S: ~^250 CHUNKING$
	`)
	d.Send("AUTH PLAIN " + plain("administrator@contoso.com", setup.DefaultAdministratorPassword))
	d.Expect("535 5.7.3 Authentication unsuccessful")
	d.Send("AUTH PLAIN " + plain(`CONTOSO\EX01$`, "not-the-secret"))
	d.Expect("535 5.7.3 Authentication unsuccessful")
	d.Send("AUTH PLAIN " + plain(`CONTOSO\EX01$`, lab.cred.Secret))
	d.Expect("235 2.7.0 Authentication successful")
	d.Script(`
		C: MAIL FROM:<administrator@contoso.com>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<gone@fabrikam.com>
		S: 550 5.1.1 User unknown
		C: RCPT TO:<ok@fabrikam.com>
		S: 250 2.1.5 Recipient OK
		C: RSET
		S: ~^250
		C: MAIL FROM:<administrator@contoso.com>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<ok@fabrikam.com>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: ~^354
		C: X-MS-Exchange-Organization-AuthAs: Internal
		C: Subject: relayed
		C:
		C: body
		C: .
		S: 250 2.0.0 OK: queued
		C: QUIT
		S: ~^221
	`)
	got := s.got()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "ok@fabrikam.com" || got[0].Data != "Subject: relayed\r\n\r\nbody\r\n" {
		t.Errorf("destination got %+v", got)
	}
	if !enginetest.WaitFor(t, 5*time.Second, func() bool {
		return strings.Contains(protocolLog(lab.DataPath, "FrontEnd", "SmtpSend"), ",>,RSET,")
	}) {
		t.Errorf("no RSET between the transactions:\n%s", protocolLog(lab.DataPath, "FrontEnd", "SmtpSend"))
	}
}
