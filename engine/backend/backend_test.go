package backend_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"exsh/engine/backend"
	"exsh/engine/backend/backendtest"
	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/state"
	"exsh/state/statetest"
)

// One server reads and acts on another's queues, messages, tracking log
// and mailboxes through the channel, with the same results and errors
// as the server itself gives.
func TestChannelBetweenServers(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01, ex02 := nodes[0], nodes[1]

	// Mail for a domain no connector reaches waits in EX02's Unreachable
	// queue; mail for EX02's mailbox is delivered there.
	backendtest.Submit(t, ex02, "someone@fabrikam.example", "stuck on EX02")
	rc := backendtest.Submit(t, ex02, ex02.Mailbox.PrimarySmtpAddress, "delivered on EX02")

	c, err := ex01.Dialer.Server("ex02") // names are case-insensitive
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "EX02" || c.Fqdn() != "EX02.contoso.com" {
		t.Errorf("client for %s (%s), want EX02 (EX02.contoso.com)", c.Name(), c.Fqdn())
	}
	var unreachable []transport.QueueInfo
	if !enginetest.WaitFor(t, 10*time.Second, func() bool {
		unreachable, err = c.ResolveQueues(`EX02\Unreachable`)
		return err == nil && len(unreachable) == 1 && unreachable[0].MessageCount == 1
	}) {
		t.Fatalf("EX02's Unreachable queue through the channel: %+v, %v", unreachable, err)
	}
	local, err := ex02.Service.Transport().Queues()
	if err != nil {
		t.Fatal(err)
	}
	remote, err := c.Queues()
	if err != nil {
		t.Fatal(err)
	}
	if len(remote) != len(local) {
		t.Fatalf("Queues through the channel: %d queues, EX02 has %d", len(remote), len(local))
	}
	for i := range remote {
		if remote[i].Identity != local[i].Identity || !strings.HasPrefix(remote[i].Identity, `EX02\`) {
			t.Errorf("queue %d: %s through the channel, %s on EX02", i, remote[i].Identity, local[i].Identity)
		}
	}

	msgs, err := c.Messages(transport.MessageFilter{Queue: `EX02\Unreachable`, IncludeRecipientInfo: true})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Messages: %+v, %v", msgs, err)
	}
	m := msgs[0]
	if m.Subject != "stuck on EX02" || len(m.Recipients) != 1 || m.Recipients[0].Address != "someone@fabrikam.example" {
		t.Errorf("message through the channel: %+v", m)
	}
	if err := c.SuspendMessage(m.Identity); err != nil {
		t.Fatal(err)
	}
	data, err := c.ExportMessage(m.Identity)
	if err != nil || !strings.Contains(string(data), "Subject: stuck on EX02") {
		t.Errorf("ExportMessage: %q, %v", data, err)
	}

	// Errors keep their kind and text.
	_, err = c.ResolveQueues(`EX02\99`)
	if !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("an unknown queue: %v, want ErrQueueNotFound", err)
	}
	_, lerr := ex02.Service.Transport().ResolveQueues(`EX02\99`)
	if err == nil || lerr == nil || err.Error() != lerr.Error() {
		t.Errorf("the error through the channel is %q, on EX02 %q", err, lerr)
	}
	if err := c.RetryQueue(`EX02\Unreachable`, false); !errors.Is(err, transport.ErrInvalidOperation) {
		t.Errorf("Retry-Queue on Unreachable without -Resubmit: %v, want ErrInvalidOperation", err)
	}
	if n, err := c.RedirectMessages([]string{"EX02"}); n != 0 || !errors.Is(err, transport.ErrInvalidOperation) {
		t.Errorf("Redirect-Message from EX02 to itself: %d, %v; want ErrInvalidOperation", n, err)
	}

	// The mailbox and the tracking log of EX02.
	var items []*state.MailboxItem
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		items, err = c.MailboxItems(ex02.Mailbox.Guid)
		return err == nil && len(items) == 1
	}) {
		t.Fatalf("EX02's mailbox through the channel: %d items, %v", len(items), err)
	}
	if items[0].Subject != "delivered on EX02" || items[0].MessageId != rc.MessageID {
		t.Errorf("mailbox item: %+v", items[0])
	}
	body, err := c.MailboxItemData(ex02.Mailbox.Guid, items[0].Id)
	if err != nil || !strings.Contains(string(body), "hello") {
		t.Errorf("MailboxItemData: %q, %v", body, err)
	}
	if _, err := c.MailboxItemData(ex02.Mailbox.Guid, 999999); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a missing item: %v, want state.ErrNotFound", err)
	}
	events, err := c.Search(tracking.Query{MessageID: rc.MessageID, EventID: "DELIVER"})
	if err != nil || len(events) != 1 {
		t.Fatalf("tracking through the channel: %+v, %v", events, err)
	}
	if !strings.HasPrefix(events[0].ServerHostname, "EX02") {
		t.Errorf("the DELIVER event was logged by %q, want EX02", events[0].ServerHostname)
	}

	// And the other way round: EX02 reads EX01.
	back, err := ex02.Dialer.Server("EX01.contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := back.Queues()
	if err != nil || len(qs) == 0 || !strings.HasPrefix(qs[0].Identity, `EX01\`) {
		t.Errorf("EX01's queues from EX02: %+v, %v", qs, err)
	}
}

// A request without the server credential, or with a wrong one, is
// refused; the caller gets ErrAccessDenied.
func TestChannelRefusesWrongCredential(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01 := nodes[0]
	for _, cred := range []mail.ServerCredential{
		{Account: ex01.Service.Credential().Account, Secret: "not-the-secret"},
		{Account: `CONTOSO\Administrator`, Secret: ex01.Service.Credential().Secret},
		{},
	} {
		d := &backend.Dialer{Store: ex01.Store, Credential: cred}
		c, err := d.Server("EX02")
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Queues()
		if !errors.Is(err, backend.ErrAccessDenied) {
			t.Errorf("credential %q/%q: %v, want ErrAccessDenied", cred.Account, cred.Secret, err)
		}
		d.Close()
	}

	// Without any logon at all, over plain TLS.
	var srv *state.ExchangeServer
	statetest.View(t, ex01.Store, func(tx state.Tx) (err error) {
		srv, err = tx.Server("EX02")
		return err
	})
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post("https://"+backend.Addr(srv)+"/exsh/backend/v1/Queues", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a request without logon: %s, want 401", resp.Status)
	}
	// Plain HTTP gets no answer from the TLS listener.
	if resp, err := hc.Post("http://"+backend.Addr(srv)+"/exsh/backend/v1/Queues", "application/json", strings.NewReader("{}")); err == nil {
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was answered")
		}
		resp.Body.Close()
	}
}

// A server that is down is reported as unreachable, fast and by name; a
// server the organisation does not have, or one without an address, is
// told apart.
func TestChannelServerDown(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01, ex02 := nodes[0], nodes[1]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ex02.Channel.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := ex01.Dialer.Server("EX02")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Queues()
	took := time.Since(start)
	var ue *backend.UnreachableError
	if !errors.As(err, &ue) || !errors.Is(err, backend.ErrUnreachable) {
		t.Fatalf("a server that is down: %v, want an *UnreachableError", err)
	}
	if ue.Server != "EX02" || ue.Fqdn != "EX02.contoso.com" || !strings.Contains(err.Error(), "EX02") {
		t.Errorf("the error names %q (%q): %v", ue.Server, ue.Fqdn, err)
	}
	if took > 2*time.Second {
		t.Errorf("reporting a server that is down took %v", took)
	}

	if _, err := ex01.Dialer.Server("EX99"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("an unknown server: %v, want state.ErrNotFound", err)
	}
	statetest.Update(t, ex01.Store, func(tx state.Tx) error {
		srv, err := tx.Server("EX02")
		if err != nil {
			return err
		}
		srv.IPAddress = ""
		return tx.PutServer(srv)
	})
	if _, err := ex01.Dialer.Server("EX02"); !errors.Is(err, backend.ErrNoChannel) || !errors.Is(err, backend.ErrUnreachable) {
		t.Errorf("a server without an address: %v, want ErrNoChannel", err)
	}
}

// A host that answers on a server's address with a certificate other
// than the organisation's is not trusted, and gets no credential.
func TestChannelPinsCertificate(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01 := nodes[0]

	// Another organisation, with its own certificate, listening where
	// the organisation says EX09 is.
	other := statetest.MustOpenSetUp(t)
	port := enginetest.FreePort()
	seen := make(chan string, 4)
	impostor, err := backend.Listen(backend.Config{
		Addr:  "127.0.0.1:" + strconv.Itoa(port),
		Store: other,
		Check: checkFunc(func(user, password string) bool { seen <- user + ":" + password; return true }),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer impostor.Close(context.Background())
	statetest.Update(t, ex01.Store, func(tx state.Tx) error {
		srv, err := tx.Server("EX02")
		if err != nil {
			return err
		}
		srv.Name, srv.Fqdn, srv.Guid, srv.Identity, srv.DistinguishedName = "EX09", "EX09.contoso.com", "", "", ""
		srv.IPAddress, srv.PortOffset = "127.0.0.1", port-backend.Port
		return tx.PutServer(srv)
	})
	c, err := ex01.Dialer.Server("EX09")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Queues()
	if !errors.Is(err, backend.ErrCertificate) || !errors.Is(err, backend.ErrUnreachable) {
		t.Errorf("a host with another certificate: %v, want ErrCertificate", err)
	}
	select {
	case got := <-seen:
		t.Errorf("the credential was sent to a host with another certificate: %s", got)
	default:
	}
}

type checkFunc func(user, password string) bool

func (f checkFunc) Check(user, password string) bool { return f(user, password) }

// Addr is the back-end port plus the offset on the server's address, and
// nothing for a single server.
func TestAddr(t *testing.T) {
	for _, tc := range []struct {
		srv  *state.ExchangeServer
		want string
	}{
		{&state.ExchangeServer{Name: "EX01"}, ""},
		{nil, ""},
		{&state.ExchangeServer{Name: "EX02", IPAddress: "127.0.0.12"}, "127.0.0.12:444"},
		{&state.ExchangeServer{Name: "EX02", IPAddress: "127.0.0.12", PortOffset: 10000}, "127.0.0.12:10444"},
		{&state.ExchangeServer{Name: "EX03", IPAddress: "::1", PortOffset: 1}, "[::1]:445"},
	} {
		if got := backend.Addr(tc.srv); got != tc.want {
			t.Errorf("Addr(%+v) = %q, want %q", tc.srv, got, tc.want)
		}
	}
}

// stalled is a Transport service that never answers Get-Queue.
type stalled struct {
	*transport.Transport
	release chan struct{}
}

func (s stalled) Queues() ([]transport.QueueInfo, error) {
	<-s.release
	return nil, nil
}

// A server that takes too long to answer gives up at the Dialer's
// timeout with an unreachable error, never hangs.
func TestChannelTimeout(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01, ex02 := nodes[0], nodes[1]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ex02.Channel.Close(ctx); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer close(release)
	var srv *state.ExchangeServer
	statetest.View(t, ex02.Store, func(tx state.Tx) (err error) {
		srv, err = tx.Server("EX02")
		return err
	})
	ch, err := backend.Listen(backend.Config{Addr: backend.Addr(srv), Store: ex02.Store, Check: ex02.Service.Credential(), Queues: stalled{ex02.Service.Transport(), release}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ch.Close(ctx)
	}()
	d := &backend.Dialer{Store: ex01.Store, Credential: ex02.Service.Credential(), Timeout: 500 * time.Millisecond}
	defer d.Close()
	c, err := d.Server("EX02")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Queues()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a stalled server held the call for %v", took)
	}
	if !errors.Is(err, backend.ErrUnreachable) || !strings.Contains(err.Error(), "no answer in time") {
		t.Errorf("a stalled server: %v, want unreachable, no answer in time", err)
	}
}

// A logged-on request still gets only what the channel offers: an
// operation it has, by POST, with a body of at most 1 MiB; a part the
// server does not run answers that it isn't running.
func TestChannelRequestLimits(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	srv, err := backend.Listen(backend.Config{
		Addr:  "127.0.0.1:" + strconv.Itoa(enginetest.FreePort()),
		Store: st,
		Check: checkFunc(func(user, password string) bool { return user == `CONTOSO\EX02$` && password == "s3cret" }),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	identity := func(n int) string { return `{"identity":"` + strings.Repeat("x", n) + `"}` }
	for _, tc := range []struct {
		name, method, op, body string
		status                 int
		answer                 string
	}{
		{"unknown operation", http.MethodPost, "DropDatabase", "{}", http.StatusNotFound, ""},
		{"GET", http.MethodGet, "Queues", "", http.StatusNotFound, ""},
		{"body over 1 MiB", http.MethodPost, "ResolveQueues", identity(1 << 20), http.StatusRequestEntityTooLarge, ""},
		{"no Transport service", http.MethodPost, "ResolveQueues", identity(10), http.StatusOK, `"kind":"NotRunning"`},
		{"no tracking log", http.MethodPost, "Search", "{}", http.StatusOK, `"kind":"NotRunning"`},
	} {
		req, err := http.NewRequest(tc.method, "https://"+srv.Addr()+"/exsh/backend/v1/"+tc.op, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(`CONTOSO\EX02$`, "s3cret")
		resp, err := hc.Do(req)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.answer) {
			t.Errorf("%s: %s %s, want %d with %s", tc.name, resp.Status, body, tc.status, tc.answer)
		}
	}
}
