package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// lab is a set-up organisation with a running Transport service, driven
// through the queue cmdlets.
type lab struct {
	t    *testing.T
	dir  string
	st   *boltdb.Store
	tr   *transport.Transport
	deps *cmdlets.Deps
	list []*interp.CmdletInfo
}

func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{t: t, dir: t.TempDir()}
	st, err := boltdb.Open(filepath.Join(l.dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	l.st = st
	if err := setup.Run(st, setup.Options{DataPath: l.dir, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	tr, err := transport.New(st, transport.Config{ServerName: "EX01", Fqdn: "EX01.contoso.com", DataPath: l.dir,
		SweepInterval: time.Hour, DialTimeout: 2 * time.Second,
		LookupMX: func(context.Context, string) ([]*net.MX, error) { return nil, errors.New("no DNS in tests") }})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.tr = tr
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tr.Stop(ctx)
		st.Close()
	})
	l.deps = &cmdlets.Deps{Store: st, DataPath: l.dir, Queues: tr}
	l.list = Cmdlets(l.deps)
	l.addMailbox("chris")
	return l
}

func (l *lab) addMailbox(name string) {
	l.t.Helper()
	err := l.st.Update(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return err
		}
		dbs, err := tx.MailboxDatabases()
		if err != nil {
			return err
		}
		return tx.PutRecipient(setup.NewMailboxDefaults(name, name, org, nil, dbs[0]))
	})
	if err != nil {
		l.t.Fatal(err)
	}
}

func (l *lab) addSendConnector(name, space string, port int) {
	l.t.Helper()
	sc := setup.NewSendConnectorDefaults("Custom")
	sc.Name = name
	sc.AddressSpaces = []string{"SMTP:" + space + ";1"}
	sc.SmartHosts = []string{"127.0.0.1"}
	sc.DNSRoutingEnabled = false
	sc.Port = port
	if err := l.st.Update(func(tx state.Tx) error { return tx.PutSendConnector(sc) }); err != nil {
		l.t.Fatal(err)
	}
}

func (l *lab) submit(from, to, subject string) {
	l.t.Helper()
	data := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\nMessage-ID: <%s@contoso.com>\r\n\r\nHello.\r\n",
		from, to, subject, state.NewGuid())
	_, err := l.tr.Submit(&mail.Submission{
		ConnectorIdentity: `EX01\Default EX01`, SessionID: "08DE2E5A1B2C3D4E",
		ClientIP: netip.MustParseAddr("127.0.0.1"), ClientHostname: "EX01.contoso.com",
		ServerIP: netip.MustParseAddr("127.0.0.1"), ServerHostname: "EX01.contoso.com",
		Sender: from, Recipients: []string{to}, ReceivedAt: time.Now(), Data: []byte(data), Direction: "Originating",
	})
	if err != nil {
		l.t.Fatal(err)
	}
}

// run runs a cmdlet; errors written or returned fail the test unless
// wantErr says what they must contain.
func (l *lab) run(name string, bound map[string]any) []*object.PSObject {
	l.t.Helper()
	rt, err := invoke(l.t, find(l.t, l.list, name), bound)
	if err == nil && len(rt.Errors) > 0 {
		err = rt.Errors[0]
	}
	if err != nil {
		l.t.Fatalf("%s %v: %v", name, bound, err)
	}
	var out []*object.PSObject
	for _, o := range rt.Objects {
		out = append(out, o.(*object.PSObject))
	}
	return out
}

func (l *lab) runErr(name string, bound map[string]any) error {
	l.t.Helper()
	rt, err := invoke(l.t, find(l.t, l.list, name), bound)
	if err == nil && len(rt.Errors) > 0 {
		err = rt.Errors[0]
	}
	return err
}

func prop(o *object.PSObject, name string) string {
	v, _ := o.Get(name)
	return object.ToString(v)
}

func (l *lab) waitFor(what string, cond func() bool) {
	l.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.t.Fatalf("timed out waiting for %s", what)
}

// queueWith returns the queue whose NextHopDomain is hop, or nil.
func (l *lab) queueWith(hop string) *object.PSObject {
	for _, q := range l.run("Get-Queue", nil) {
		if strings.EqualFold(prop(q, "NextHopDomain"), hop) {
			return q
		}
	}
	return nil
}

func (l *lab) mailbox(addr string) []*state.MailboxItem {
	items, err := l.tr.MailboxItems(addr)
	if err != nil {
		l.t.Fatal(err)
	}
	return items
}

// smtpSink is a loopback SMTP server that counts what it receives.
type smtpSink struct {
	mu   sync.Mutex
	got  []string
	srv  *smtp.Server
	port int
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSinkSession{s: s}, nil }

type smtpSinkSession struct {
	s  *smtpSink
	to []string
}

func (ss *smtpSinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *smtpSinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *smtpSinkSession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, ss.to...)
	ss.s.mu.Unlock()
	return nil
}
func (ss *smtpSinkSession) Reset()        { ss.to = nil }
func (ss *smtpSinkSession) Logout() error { return nil }

func (s *smtpSink) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

type quiet struct{}

func (quiet) Printf(string, ...interface{}) {}
func (quiet) Println(...interface{})        {}

// startSink serves SMTP on 127.0.0.1:port.
func startSink(t *testing.T, port int) *smtpSink {
	t.Helper()
	s := &smtpSink{port: port}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.fabrikam.com"
	s.srv.ErrorLog = quiet{}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestEndToEndSendConnectorDownThenUp(t *testing.T) {
	l := newLab(t)
	port := freePort(t)
	l.addSendConnector("To Fabrikam", "fabrikam.com", port)
	l.submit("chris@contoso.com", "ann@fabrikam.com", "Quarterly report")

	// The smart host is down: the queue goes to Retry with the message in it.
	var q *object.PSObject
	l.waitFor("a queue in Retry", func() bool {
		q = l.queueWith("[127.0.0.1]")
		if q == nil {
			q = l.queueWith("127.0.0.1")
		}
		return q != nil && prop(q, "Status") == "Retry"
	})
	id := prop(q, "Identity")
	if prop(q, "DeliveryType") != "SmartHostConnectorDelivery" || prop(q, "MessageCount") != "1" {
		t.Fatalf("queue %s: %s %s", id, prop(q, "DeliveryType"), prop(q, "MessageCount"))
	}
	if !strings.HasPrefix(prop(q, "LastError"), "441 4.4.1") {
		t.Errorf("LastError %q", prop(q, "LastError"))
	}
	if got := l.run("Get-Queue", map[string]any{"Filter": "Status -eq 'Retry' -and MessageCount -gt 0"}); len(got) != 1 || prop(got[0], "Identity") != id {
		t.Errorf("filter found %d queues", len(got))
	}
	if got := l.run("Get-Queue", map[string]any{"Include": []any{"External"}}); len(got) != 1 {
		t.Errorf("Include External: %d", len(got))
	}

	msgs := l.run("Get-Message", map[string]any{"Queue": id, "IncludeRecipientInfo": true})
	if len(msgs) != 1 || prop(msgs[0], "FromAddress") != "chris@contoso.com" || prop(msgs[0], "Subject") != "Quarterly report" {
		t.Fatalf("messages %v", msgs)
	}
	if !strings.HasPrefix(prop(msgs[0], "Identity"), id+`\`) || prop(msgs[0], "Queue") != id {
		t.Errorf("message identity %s in %s", prop(msgs[0], "Identity"), prop(msgs[0], "Queue"))
	}

	l.run("Suspend-Queue", map[string]any{"Identity": id})
	if got := l.run("Get-Queue", map[string]any{"Identity": id}); prop(got[0], "Status") != "Suspended" {
		t.Errorf("after Suspend-Queue: %s", prop(got[0], "Status"))
	}
	l.run("Resume-Queue", map[string]any{"Identity": id})
	if got := l.run("Get-Queue", map[string]any{"Identity": id}); prop(got[0], "Status") == "Suspended" {
		t.Errorf("after Resume-Queue: still suspended")
	}

	// The smart host comes up; Retry-Queue delivers now.
	sink := startSink(t, port)
	l.run("Retry-Queue", map[string]any{"Identity": id})
	l.waitFor("delivery to the sink", func() bool { return len(sink.received()) == 1 })
	l.waitFor("the queue to empty", func() bool {
		got := l.run("Get-Message", map[string]any{"Filter": "Subject -eq 'Quarterly report'"})
		return len(got) == 0
	})
}

func TestEndToEndRemoveWithNDR(t *testing.T) {
	l := newLab(t)
	l.submit("chris@contoso.com", "bob@tailspintoys.com", "Lunch")
	var msgs []*object.PSObject
	l.waitFor("the message in Unreachable", func() bool {
		msgs = l.run("Get-Message", map[string]any{"Queue": `EX01\Unreachable`})
		return len(msgs) == 1
	})
	if q := l.run("Get-Queue", map[string]any{"Identity": "Unreachable"}); prop(q[0], "MessageCount") != "1" || prop(q[0], "NextHopDomain") != "Unreachable Domain" {
		t.Errorf("Unreachable queue: %s %s", prop(q[0], "MessageCount"), prop(q[0], "NextHopDomain"))
	}
	id := prop(msgs[0], "Identity")

	// Export needs a suspended message.
	if err := l.runErr("Export-Message", map[string]any{"Identity": id}); err == nil || !strings.Contains(err.Error(), "must be suspended before it can be exported") {
		t.Errorf("export of a ready message: %v", err)
	}
	l.run("Suspend-Message", map[string]any{"Identity": id})
	if got := l.run("Get-Message", map[string]any{"Identity": id}); prop(got[0], "Status") != "Suspended" {
		t.Errorf("status after Suspend-Message: %s", prop(got[0], "Status"))
	}
	out := l.run("Export-Message", map[string]any{"Identity": id})
	data, _ := out[0].Get("FileData")
	if !strings.Contains(string(data.([]byte)), "Subject: Lunch") {
		t.Errorf("exported %q", data)
	}
	file := filepath.Join(t.TempDir(), "lunch.eml")
	l.run("AssembleMessage", map[string]any{"Path": file, "InputObject": out[0]})
	if b, _ := os.ReadFile(file); string(b) != string(data.([]byte)) {
		t.Errorf("AssembleMessage wrote %d bytes", len(b))
	}
	l.run("Resume-Message", map[string]any{"Identity": id})

	before := len(l.mailbox("chris@contoso.com"))
	l.run("Remove-Message", map[string]any{"Identity": id})
	l.waitFor("the NDR in chris's mailbox", func() bool {
		items := l.mailbox("chris@contoso.com")
		return len(items) > before && strings.HasPrefix(items[len(items)-1].Subject, "Undeliverable: Lunch")
	})
	if got := l.run("Get-Message", map[string]any{"Queue": `EX01\Unreachable`}); len(got) != 0 {
		t.Errorf("%d messages left in Unreachable", len(got))
	}
	if err := l.runErr("Get-Message", map[string]any{"Identity": id}); err == nil || !strings.Contains(err.Error(), "couldn't be found") {
		t.Errorf("removed message still found: %v", err)
	}
}

func TestEndToEndResubmitUnreachable(t *testing.T) {
	l := newLab(t)
	l.submit("chris@contoso.com", "dan@northwind.com", "Invoice")
	l.waitFor("the message in Unreachable", func() bool {
		return len(l.run("Get-Message", map[string]any{"Queue": `EX01\Unreachable`})) == 1
	})

	if err := l.runErr("Retry-Queue", map[string]any{"Identity": `EX01\Unreachable`}); err == nil || !strings.Contains(err.Error(), "-Resubmit $true") {
		t.Errorf("Retry-Queue Unreachable without -Resubmit: %v", err)
	}

	// Suspended, Unreachable is not resubmitted by itself when the send
	// connector appears; Retry-Queue -Resubmit does it.
	l.run("Suspend-Queue", map[string]any{"Identity": `EX01\Unreachable`})
	sink := startSink(t, freePort(t))
	l.addSendConnector("To Northwind", "northwind.com", sink.port)
	l.run("Retry-Queue", map[string]any{"Identity": `EX01\Unreachable`, "Resubmit": true})
	l.waitFor("delivery through the new connector", func() bool {
		r := sink.received()
		return len(r) == 1 && r[0] == "dan@northwind.com"
	})
	l.run("Resume-Queue", map[string]any{"Identity": `EX01\Unreachable`})
	if got := l.run("Get-Message", map[string]any{"Queue": `EX01\Unreachable`}); len(got) != 0 {
		t.Errorf("%d messages left in Unreachable", len(got))
	}
}

// A message identity without its server ("Unreachable\12", "12") names a
// message on this server: the part before the backslash is its queue, not
// a server.
func TestMessageIdentityWithoutServer(t *testing.T) {
	l := newLab(t)
	l.submit("chris@contoso.com", "bob@tailspintoys.com", "Lunch")
	var msgs []*object.PSObject
	l.waitFor("the message in Unreachable", func() bool {
		msgs = l.run("Get-Message", map[string]any{"Queue": `EX01\Unreachable`})
		return len(msgs) == 1
	})
	id := prop(msgs[0], "Identity") // EX01\Unreachable\12
	_, short, _ := strings.Cut(id, `\`)
	_, n, _ := strings.Cut(short, `\`)
	for _, ident := range []string{id, short, n} {
		got := l.run("Get-Message", map[string]any{"Identity": ident})
		if len(got) != 1 || prop(got[0], "Identity") != id {
			t.Errorf("Get-Message %s: %d messages", ident, len(got))
		}
	}
	l.run("Suspend-Message", map[string]any{"Identity": short})
	if got := l.run("Get-Message", map[string]any{"Identity": id}); prop(got[0], "Status") != "Suspended" {
		t.Errorf("Suspend-Message %s: status %s", short, prop(got[0], "Status"))
	}
}
