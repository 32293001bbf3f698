package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"exsh/engine/mail"
	"exsh/engine/transport/tracking"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// fakeClock is a settable clock for retry, expiry and delay tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

type env struct {
	t      testing.TB
	dir    string
	st     *boltdb.Store
	tr     *Transport
	clock  *fakeClock
	noSync bool
}

// newEnv opens a set-up store in a temporary data path and a Transport on
// it with a fake clock; the Transport is started.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: &fakeClock{t: epoch}, noSync: true}
	e.open()
	if err := setup.Run(e.st, setup.Options{DataPath: e.dir, Now: e.clock.Now, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	e.startTransport()
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	e.t.Helper()
	st, err := boltdb.Open(filepath.Join(e.dir, boltdb.FileName), boltdb.Options{NoSync: e.noSync})
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
}

func (e *env) newTransport() *Transport {
	e.t.Helper()
	tr, err := New(e.st, Config{ServerName: "EX01", DataPath: e.dir, Now: e.clock.Now, SweepInterval: time.Hour,
		LookupMX: func(ctx context.Context, domain string) ([]*net.MX, error) {
			return nil, errors.New("tests never use DNS")
		}})
	if err != nil {
		e.t.Fatal(err)
	}
	return tr
}

func (e *env) startTransport() {
	e.t.Helper()
	e.tr = e.newTransport()
	if err := e.tr.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// restart stops the Transport, closes and reopens the store, and starts a
// new Transport on it.
func (e *env) restart() {
	e.t.Helper()
	e.stopTransport()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
	e.startTransport()
}

func (e *env) stopTransport() {
	e.t.Helper()
	if e.tr == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.tr.Stop(ctx); err != nil && !errors.Is(err, ErrStopped) {
		e.t.Errorf("stop: %v", err)
	}
}

func (e *env) close() {
	e.stopTransport()
	e.st.Close()
}

func (e *env) addMailbox(name string, extra ...string) *state.Recipient {
	e.t.Helper()
	var rec *state.Recipient
	err := e.st.Update(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return err
		}
		dbs, err := tx.MailboxDatabases()
		if err != nil {
			return err
		}
		rec = setup.NewMailboxDefaults(name, name, org, nil, dbs[0])
		for _, x := range extra {
			rec.EmailAddresses = append(rec.EmailAddresses, "smtp:"+x)
		}
		return tx.PutRecipient(rec)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}

func (e *env) addSendConnector(name string, spaces []string, smartHosts []string, port int, mod func(*state.SendConnector)) *state.SendConnector {
	e.t.Helper()
	sc := setup.NewSendConnectorDefaults("Custom")
	sc.Name = name
	sc.AddressSpaces = spaces
	if len(smartHosts) > 0 {
		sc.SmartHosts = smartHosts
		sc.DNSRoutingEnabled = false
	}
	sc.Port = port
	if mod != nil {
		mod(sc)
	}
	err := e.st.Update(func(tx state.Tx) error { return tx.PutSendConnector(sc) })
	if err != nil {
		e.t.Fatal(err)
	}
	return sc
}

func (e *env) submit(from string, to []string, subject string) *mail.Receipt {
	e.t.Helper()
	r, err := e.tr.Submit(testSubmission(from, to, subject))
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func testSubmission(from string, to []string, subject string) *mail.Submission {
	body := fmt.Sprintf("Received: from EX01.contoso.com (127.0.0.1) by EX01.contoso.com (127.0.0.1) with Microsoft SMTP Server id 15.2.1118.7; Fri, 27 Nov 2026 09:00:00 +0000\r\n"+
		"From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\nMessage-ID: <%s@fabrikam.com>\r\n\r\nHello.\r\n",
		from, strings.Join(to, ">, <"), subject, state.NewGuid())
	return &mail.Submission{
		ConnectorIdentity: `EX01\Default EX01`,
		SessionID:         "08DE2E5A1B2C3D4E",
		ClientIP:          netip.MustParseAddr("127.0.0.1"),
		ClientHostname:    "EX01.contoso.com",
		ServerIP:          netip.MustParseAddr("127.0.0.1"),
		ServerHostname:    "EX01.contoso.com",
		Sender:            from,
		Recipients:        to,
		ReceivedAt:        epoch,
		Data:              []byte(body),
		Direction:         "Incoming",
	}
}

// waitFor polls cond until it holds or 10 s pass.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("timed out waiting for %s", what)
}

func (e *env) mailbox(addr string) []*state.MailboxItem {
	e.t.Helper()
	items, err := e.tr.MailboxItems(addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return items
}

func (e *env) queue(identity string) QueueInfo {
	e.t.Helper()
	qs, err := e.tr.ResolveQueues(identity)
	if err != nil {
		e.t.Fatal(err)
	}
	return qs[0]
}

func (e *env) queueCount(identity string) int64 {
	qs, err := e.tr.ResolveQueues(identity)
	if err != nil {
		return -1
	}
	return qs[0].MessageCount
}

// totalQueued is the number of message copies in every queue.
func (e *env) totalQueued() int64 {
	qs, err := e.tr.Queues()
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, q := range qs {
		n += q.MessageCount
	}
	return n
}

// sink is a loopback SMTP server that records what it receives and can be
// told to refuse.
type sink struct {
	srv  *smtp.Server
	ln   net.Listener
	addr string
	port int

	mu       sync.Mutex
	messages []sunkMessage
	rcptErr  map[string]*smtp.SMTPError // by recipient
	mailErr  *smtp.SMTPError
	authUser string
	authPass string
	// dropAfter, when not 0, drops the connection at the MAIL command
	// once that many messages were taken.
	dropAfter int
}

type sunkMessage struct {
	From string
	To   []string
	Data string
	Auth string
}

func newSink(t testing.TB, addr string) *sink {
	t.Helper()
	s := &sink{rcptErr: map[string]*smtp.SMTPError{}}
	s.start(t, addr)
	t.Cleanup(s.close)
	return s
}

func (s *sink) start(t testing.TB, addr string) {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.addr = ln.Addr().String()
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.fabrikam.com"
	s.srv.AllowInsecureAuth = true
	s.srv.ErrorLog = nopLogger{}
	go s.srv.Serve(ln)
}

func (s *sink) close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}

func (s *sink) got() []sunkMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkMessage(nil), s.messages...)
}

func (s *sink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &sinkSession{s: s, conn: c}, nil
}

type sinkSession struct {
	s    *sink
	conn *smtp.Conn
	from string
	to   []string
	auth string
}

func (ss *sinkSession) AuthMechanisms() []string { return []string{"PLAIN"} }

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		ss.s.mu.Lock()
		defer ss.s.mu.Unlock()
		if username != ss.s.authUser || password != ss.s.authPass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.auth = username
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, opts *smtp.MailOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.mailErr != nil {
		return ss.s.mailErr
	}
	if ss.s.dropAfter > 0 && len(ss.s.messages) >= ss.s.dropAfter {
		ss.conn.Close()
		return errors.New("dropped")
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if err := ss.s.rcptErr[strings.ToLower(to)]; err != nil {
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
	ss.s.messages = append(ss.s.messages, sunkMessage{From: ss.from, To: ss.to, Data: string(b), Auth: ss.auth})
	ss.s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

type (
	queueTx     = state.QueueTx
	smtpConn    = smtp.Conn
	smtpSession = smtp.Session
)

func itoa(n int) string { return strconv.Itoa(n) }

func trackingQuery(eventID string) tracking.Query {
	return tracking.Query{EventID: eventID, ResultSize: -1}
}
