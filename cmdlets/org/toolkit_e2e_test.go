package org

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/shell/interp"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// liveLab is a lab whose organisation a running engine and Transport
// service serve on free loopback ports: cmdlets change it, SMTP clients
// see the effect.
type liveLab struct {
	*lab
	env *enginetest.Env
	tr  *transport.Transport
}

// newLiveLab starts the lab; fixed are loopback ports of sinks the
// Transport service connects to as they are.
func newLiveLab(t *testing.T, fixed ...int) *liveLab {
	t.Helper()
	ll := &liveLab{}
	env := enginetest.Start(t, enginetest.Options{FixedPorts: fixed, Submitter: func(st *boltdb.Store, dataPath string, ports func(int) int) (mail.Submitter, func()) {
		tr, err := transport.New(st, transport.Config{ServerName: "EX01", Fqdn: "EX01.contoso.com", DataPath: dataPath, PortMap: ports})
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ll.tr = tr
		return tr, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tr.Stop(ctx)
		}
	}})
	d := &cmdlets.Deps{Store: env.Store, DataPath: env.DataPath, Now: time.Now, PasswordCost: bcrypt.MinCost}
	l := &lab{t: t, store: env.Store, deps: d, cmds: map[string]*interp.CmdletInfo{}}
	for _, c := range Cmdlets(d) {
		l.cmds[strings.ToLower(c.Name)] = c
	}
	ll.lab, ll.env = l, env
	return ll
}

// apply runs a cmdlet and waits until the engine has the change.
func (ll *liveLab) apply(name string, kv ...any) {
	ll.t.Helper()
	ll.ok(name, kv...)
	ll.env.Service.Reload()
}

// items returns the subjects in a mailbox.
func (ll *liveLab) items(addr string) []string {
	ll.t.Helper()
	items, err := ll.tr.MailboxItems(addr)
	if err != nil {
		ll.t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Subject)
	}
	return out
}

func (ll *liveLab) waitItems(addr string, n int) []string {
	ll.t.Helper()
	var got []string
	if !enginetest.WaitFor(ll.t, 15*time.Second, func() bool { got = ll.items(addr); return len(got) >= n }) {
		ll.t.Fatalf("%s has %d items %q, want %d", addr, len(got), got, n)
	}
	return got
}

// sendAnonymous sends a message on Default Frontend (port 25).
func (ll *liveLab) sendAnonymous(from string, to []string, subject, body string) {
	ll.t.Helper()
	c, err := smtp.Dial(ll.env.Addr(25))
	if err != nil {
		ll.t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail(from, to, strings.NewReader("Subject: "+subject+"\r\n\r\n"+body+"\r\n")); err != nil {
		ll.t.Fatalf("sending %q: %v", subject, err)
	}
}

// submit logs on to Client Frontend (587) after STARTTLS and sends.
func (ll *liveLab) submit(user, password, from string, to []string, subject string) error {
	ll.t.Helper()
	c, err := smtp.DialStartTLS(ll.env.Addr(587), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		ll.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("app01"); err != nil {
		ll.t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", user, password)); err != nil {
		ll.t.Fatalf("AUTH %s: %v", user, err)
	}
	return c.SendMail(from, to, strings.NewReader("Subject: "+subject+"\r\n\r\nbody\r\n"))
}

func TestLiveSendAsForAnApplicationAccount(t *testing.T) {
	ll := newLiveLab(t)
	ll.apply("New-Mailbox", "Name", "Reports", "Alias", "reports", "Password", secure("P@ssw0rd1"))
	ll.apply("New-User", "Name", "svc-app", "UserPrincipalName", "svc-app@contoso.com", "Password", secure("P@ssw0rd1"))

	err := ll.submit("svc-app@contoso.com", "P@ssw0rd1", "reports@contoso.com", []string{"reports@contoso.com"}, "before")
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 60}) {
		t.Fatalf("without Send As: %v, want 550 5.7.60", err)
	}

	r := ll.ok("Add-ADPermission", "Identity", "Reports", "User", "svc-app", "ExtendedRights", list("Send As"))
	if got := propText(t, r.obj(0), "ExtendedRights"); got != "Send-As" {
		t.Errorf("ExtendedRights %q", got)
	}
	if err := ll.submit("svc-app@contoso.com", "P@ssw0rd1", "reports@contoso.com", []string{"reports@contoso.com"}, "with send as"); err != nil {
		t.Fatalf("with Send As: %v", err)
	}
	ll.waitItems("reports@contoso.com", 1)
	// Send As covers that mailbox only.
	err = ll.submit("svc-app@contoso.com", "P@ssw0rd1", "administrator@contoso.com", []string{"reports@contoso.com"}, "other")
	if !errors.As(err, &se) || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 60}) {
		t.Errorf("as another mailbox: %v, want 5.7.60", err)
	}
	ll.ok("Remove-ADPermission", "Identity", "Reports", "User", "svc-app", "ExtendedRights", list("Send As"), "Confirm", false)
	err = ll.submit("svc-app@contoso.com", "P@ssw0rd1", "reports@contoso.com", []string{"reports@contoso.com"}, "after")
	if !errors.As(err, &se) || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 60}) {
		t.Errorf("after Remove-ADPermission: %v, want 5.7.60", err)
	}
}

func TestLiveDistributionGroups(t *testing.T) {
	ll := newLiveLab(t)
	ll.apply("New-Mailbox", "Name", "Bob", "Alias", "bob", "Password", secure("P@ssw0rd1"))
	ll.apply("New-Mailbox", "Name", "Alice", "Alias", "alice", "Password", secure("P@ssw0rd1"))
	ll.apply("New-DistributionGroup", "Name", "Sales", "Members", list("bob"))
	ll.apply("New-DistributionGroup", "Name", "Everyone", "Members", list("Sales", "alice"))
	ll.apply("Add-DistributionGroupMember", "Identity", "Sales", "Member", "Everyone") // a loop

	// Authenticated, the group expands: the loop is cut, one copy each.
	if err := ll.submit("administrator@contoso.com", setup.DefaultAdministratorPassword, "administrator@contoso.com", []string{"everyone@contoso.com"}, "to everyone"); err != nil {
		t.Fatal(err)
	}
	ll.waitItems("bob@contoso.com", 1)
	ll.waitItems("alice@contoso.com", 1)

	// Anonymous mail to a group that requires authenticated senders is
	// taken at RCPT and NDR'd by the categorizer.
	ll.sendAnonymous("administrator@contoso.com", []string{"sales@contoso.com"}, "anonymous", "hi")
	if ndr := ll.waitItems("administrator@contoso.com", 1); ndr[0] != "Undeliverable: anonymous" {
		t.Errorf("NDR subject %q", ndr[0])
	}
	ll.apply("Set-DistributionGroup", "Identity", "Sales", "RequireSenderAuthenticationEnabled", false)
	ll.sendAnonymous("someone@contoso.com", []string{"sales@contoso.com"}, "anonymous again", "hi")
	ll.waitItems("bob@contoso.com", 2)
	if got := ll.items("alice@contoso.com"); len(got) != 1 {
		// Everyone, nested in Sales, still requires authentication.
		t.Errorf("alice got %q through a restricted nested group", got)
	}

	evs, err := ll.tr.Tracking().Search(tracking.Query{EventID: "EXPAND", ResultSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	var related []string
	for _, ev := range evs {
		related = append(related, ev.RelatedRecipientAddress)
	}
	if !strings.EqualFold(strings.Join(related, ","), "everyone@contoso.com,sales@contoso.com,sales@contoso.com") {
		t.Errorf("EXPAND events for %v", related)
	}
	r := ll.ok("Get-DistributionGroupMember", "Identity", "Everyone")
	if len(r.objs) != 2 {
		t.Errorf("Everyone has %d members", len(r.objs))
	}
}

// sink is a loopback SMTP server standing for a host outside the
// organisation; it records the envelope recipients it is given.
type sink struct {
	mu   sync.Mutex
	rcpt []string
	port int
}

func newSink(t *testing.T) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{port: ln.Addr().(*net.TCPAddr).Port}
	srv := smtp.NewServer(s)
	srv.Domain = "mx.fabrikam.net"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

func (s *sink) recipients() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rcpt...)
}

type sinkSession struct {
	s  *sink
	to []string
}

func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.rcpt = append(ss.s.rcpt, ss.to...)
	ss.s.mu.Unlock()
	return nil
}
func (ss *sinkSession) Reset()        { ss.to = nil }
func (ss *sinkSession) Logout() error { return nil }

func TestLiveMailContact(t *testing.T) {
	s := newSink(t)
	ll := newLiveLab(t, s.port)
	ll.apply("New-SendConnector", "Name", "To Fabrikam", "AddressSpaces", list("fabrikam.net"), "SmartHosts", list("127.0.0.1"),
		"DNSRoutingEnabled", false, "Port", s.port)
	ll.apply("New-MailContact", "Name", "Chris Ashton", "Alias", "chris", "ExternalEmailAddress", "chris@fabrikam.net", "PrimarySmtpAddress", "chris@contoso.com")
	ll.apply("New-DistributionGroup", "Name", "Partners", "Members", list("Chris Ashton"), "RequireSenderAuthenticationEnabled", false)

	// Mail to the contact's address in the organisation, and to a group
	// it is a member of, goes to its external address.
	ll.sendAnonymous("someone@contoso.com", []string{"chris@contoso.com"}, "to the contact", "hi")
	ll.sendAnonymous("someone@contoso.com", []string{"partners@contoso.com"}, "to the group", "hi")
	var got []string
	if !enginetest.WaitFor(t, 15*time.Second, func() bool { got = s.recipients(); return len(got) == 2 }) {
		t.Fatalf("the sink got %v", got)
	}
	for _, r := range got {
		if r != "chris@fabrikam.net" {
			t.Errorf("relayed to %q, want chris@fabrikam.net", r)
		}
	}

	// Set-MailContact moves the contact's mail to its new address; the
	// old external address stays one of its proxy addresses.
	ll.apply("Set-MailContact", "Identity", "chris", "ExternalEmailAddress", "ashton@fabrikam.net")
	ll.sendAnonymous("someone@contoso.com", []string{"chris@contoso.com"}, "after the move", "hi")
	if !enginetest.WaitFor(t, 15*time.Second, func() bool { got = s.recipients(); return len(got) == 3 }) {
		t.Fatalf("the sink got %v", got)
	}
	if got[2] != "ashton@fabrikam.net" {
		t.Errorf("relayed to %q after Set-MailContact, want ashton@fabrikam.net", got[2])
	}
}

func TestLiveOrganizationSizeLimit(t *testing.T) {
	ll := newLiveLab(t)
	ll.apply("Set-TransportConfig", "MaxReceiveSize", "2KB")
	ll.sendAnonymous("administrator@contoso.com", []string{"administrator@contoso.com"}, "big", strings.Repeat("x", 4096))
	got := ll.waitItems("administrator@contoso.com", 1)
	if got[0] != "Undeliverable: big" {
		t.Fatalf("got %q, want an NDR", got)
	}
	ll.apply("Set-TransportConfig", "MaxReceiveSize", "Unlimited")
	ll.sendAnonymous("administrator@contoso.com", []string{"administrator@contoso.com"}, "big again", strings.Repeat("x", 4096))
	got = ll.waitItems("administrator@contoso.com", 2)
	if got[1] != "big again" {
		t.Errorf("got %q", got)
	}
}

func TestLiveHubDraining(t *testing.T) {
	ll := newLiveLab(t)
	// A message waits in Submission when maintenance starts.
	if err := ll.tr.SuspendQueue(`EX01\Submission`); err != nil {
		t.Fatal(err)
	}
	ll.sendAnonymous("someone@contoso.com", []string{"administrator@contoso.com"}, "queued before", "hi")
	ll.apply("Set-ServerComponentState", "Identity", "EX01", "Component", "HubTransport", "State", "Draining", "Requester", "Maintenance")

	// The Transport service still greets, and refuses new mail at MAIL
	// FROM, closing the session ...
	d := enginetest.Dial(t, ll.env.Addr(2525))
	d.Expect("~^220 ")
	d.Do("EHLO ex01.contoso.com", "~^250")
	d.Do("MAIL FROM:<someone@contoso.com>", "421 4.3.2 Service not available")
	d.Closed()
	// ... and the Front End, with no hub to proxy to, can't take mail.
	c, err := smtp.Dial(ll.env.Addr(25))
	if err != nil {
		t.Fatal(err)
	}
	err = c.SendMail("someone@contoso.com", []string{"administrator@contoso.com"}, strings.NewReader("Subject: during\r\n\r\nhi\r\n"))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code/100 != 4 {
		t.Errorf("Front End during maintenance: %v, want a transient refusal", err)
	}
	c.Close()
	// ... while what is queued is still delivered.
	if err := ll.tr.ResumeQueue(`EX01\Submission`); err != nil {
		t.Fatal(err)
	}
	if got := ll.waitItems("administrator@contoso.com", 1); got[0] != "queued before" {
		t.Errorf("delivered %q", got)
	}

	r := ll.ok("Get-ServerComponentState", "Identity", "EX01", "Component", "HubTransport")
	if got := propText(t, r.obj(0), "State"); got != state.ComponentDraining {
		t.Errorf("State %q", got)
	}
	ll.apply("Set-ServerComponentState", "Identity", "EX01", "Component", "HubTransport", "State", "Active", "Requester", "Maintenance")
	d = enginetest.Dial(t, ll.env.Addr(2525))
	d.Expect("~^220 ")
	d.Do("QUIT", "~^221")
}
