package engine_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/state"
	"exsh/state/etcd"
	"exsh/state/etcd/etcdtest"
	"exsh/state/setup"
)

// orgServer is one server of an organisation of several servers kept in
// etcd: its own member, store (replica and queues in its data path) and
// engine, listening on its own loopback address.
type orgServer struct {
	name string
	ip   netip.Addr
	dir  string
	st   *etcd.Store
	org  *testOrg

	mu  sync.Mutex
	svc *engine.Service
}

type testOrg struct {
	offset  int
	servers []*orgServer
	mu      sync.Mutex
	down    map[string]bool
	// sweep is the Transport services' SweepInterval (1 s unless a test
	// says otherwise; 0 is the default of 15 s).
	sweep time.Duration
}

// alive is the engines' liveness: a server whose engine the test stopped
// is down.
func (o *testOrg) alive(server string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.down[strings.ToUpper(server)]
}

// mailboxAlias is the alias of the mailbox setup gives each added server
// in its database: user02 on EX02.
func mailboxAlias(server string) string { return "user" + strings.TrimPrefix(server, "EX") }

// startOrg starts an organisation of n servers EX01..EXn on 127.0.0.11...
// with one port offset: EX01 founded by setup, each other one added with
// its receive connectors, its mailbox database and a mailbox in it.
func startOrg(t *testing.T, n int, retry time.Duration) *testOrg {
	t.Helper()
	var ips []netip.Addr
	for i := range n {
		ips = append(ips, netip.AddrFrom4([4]byte{127, 0, 0, byte(11 + i)}))
	}
	return startOrgAt(t, ips, retry)
}

// startOrgAt is startOrg with the servers' addresses: EX01 on ips[0]...
func startOrgAt(t *testing.T, ips []netip.Addr, retry time.Duration) *testOrg {
	t.Helper()
	n := len(ips)
	members := etcdtest.StartMembers(t, n)
	o := &testOrg{down: map[string]bool{}, sweep: time.Second}
	for i := range n {
		s := &orgServer{name: fmt.Sprintf("EX%02d", i+1), ip: ips[i], dir: t.TempDir(), org: o}
		s.st = etcdtest.Open(t, members[i], s.dir, etcd.Options{})
		o.servers = append(o.servers, s)
	}
	o.offset = enginetest.FreeOffset(ips, enginetest.ServerPorts)
	first := o.servers[0]
	if err := setup.Run(first.st, setup.Options{DataPath: first.dir, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	err := first.st.Update(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return err
		}
		cert, err := tx.Certificate()
		if err != nil {
			return err
		}
		ex01, err := tx.Server("EX01")
		if err != nil {
			return err
		}
		ex01.IPAddress, ex01.PortOffset = first.ip.String(), o.offset
		if err := tx.PutServer(ex01); err != nil {
			return err
		}
		for i, s := range o.servers[1:] {
			srv := *ex01
			srv.Name, srv.Fqdn, srv.Guid, srv.Identity, srv.DistinguishedName = s.name, s.name+".contoso.com", "", "", ""
			srv.IPAddress = s.ip.String()
			if err := tx.PutServer(&srv); err != nil {
				return err
			}
			for _, rc := range setup.DefaultReceiveConnectors(&srv, cert.TlsCertificateName()) {
				if err := tx.PutReceiveConnector(rc); err != nil {
					return err
				}
			}
			db := &state.MailboxDatabase{Name: fmt.Sprintf("Mailbox Database 0%d00000000", i+2), Server: s.name, ReplicationType: "None", IsMailboxDatabase: true, Mounted: true}
			if err := tx.PutMailboxDatabase(db); err != nil {
				return err
			}
			alias := mailboxAlias(s.name)
			if err := tx.PutRecipient(setup.NewMailboxDefaults(alias, alias, org, &srv, db)); err != nil {
				return err
			}
			if err := setup.AddTransportServices(tx, s.name, s.dir); err != nil {
				return err
			}
		}
		if retry == 0 {
			return nil // Exchange's default
		}
		// Retries come quickly in a test (TransientFailureRetryInterval).
		for _, s := range o.servers {
			ts, err := tx.TransportService(s.name, "Hub")
			if err != nil {
				return err
			}
			ts.TransientFailureRetryInterval = retry
			if err := tx.PutTransportService(ts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	last := o.servers[n-1].name
	for _, s := range o.servers {
		if !enginetest.WaitFor(t, 10*time.Second, func() bool {
			return s.st.View(func(tx state.Tx) error {
				_, err := tx.RecipientByAddress(mailboxAlias(last) + "@contoso.com")
				return err
			}) == nil
		}) {
			t.Fatalf("%s's replica did not catch up", s.name)
		}
	}
	for _, s := range o.servers {
		s.start(t)
	}
	t.Cleanup(func() {
		for _, s := range o.servers {
			s.stop()
		}
	})
	return o
}

func (s *orgServer) start(t *testing.T) {
	t.Helper()
	svc, err := engine.NewServer(s.st, engine.Options{DataPath: s.dir, ServerName: s.name, PortOffset: s.org.offset, IPAddress: s.ip, Alive: s.org.alive},
		transport.Config{SweepInterval: s.org.sweep})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.svc = svc
	s.mu.Unlock()
	s.org.mu.Lock()
	delete(s.org.down, s.name)
	s.org.mu.Unlock()
}

func (s *orgServer) stop() {
	s.mu.Lock()
	svc := s.svc
	s.svc = nil
	s.mu.Unlock()
	if svc == nil {
		return
	}
	s.org.mu.Lock()
	s.org.down[s.name] = true
	s.org.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc.Stop(ctx)
}

func (s *orgServer) transport() *transport.Transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.svc.Transport()
}

func (s *orgServer) addr(port int) string {
	return net.JoinHostPort(s.ip.String(), strconv.Itoa(port+s.org.offset))
}

// send submits a message anonymously on the server's Front End (25).
func (s *orgServer) send(t *testing.T, to, subject string) {
	t.Helper()
	c, err := smtp.Dial(s.addr(25))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := "From: chris@fabrikam.com\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\nhello\r\n"
	if err := c.SendMail("chris@fabrikam.com", []string{to}, strings.NewReader(msg)); err != nil {
		t.Fatalf("%s's Front End refused the message: %v", s.name, err)
	}
	c.Quit()
}

// mailbox returns the messages in a mailbox, as the server holding it
// stored them.
func (s *orgServer) mailbox(t *testing.T, address string) []string {
	t.Helper()
	var out []string
	var rec *state.Recipient
	s.st.View(func(tx state.Tx) error {
		var err error
		rec, err = tx.RecipientByAddress(address)
		return err
	})
	if rec == nil {
		t.Fatalf("no recipient %s", address)
	}
	s.st.QueueView(func(q state.QueueTx) error {
		items, err := q.MailboxItems(rec.Guid)
		if err != nil {
			return err
		}
		for _, it := range items {
			if data, err := q.MailboxItemData(rec.Guid, it.Id); err == nil {
				out = append(out, string(data))
			}
		}
		return nil
	})
	return out
}

// queue returns the server's queue with the DeliveryType, or false.
func (s *orgServer) queue(deliveryType string) (transport.QueueInfo, bool) {
	qs, _ := s.transport().Queues()
	for _, q := range qs {
		if q.DeliveryType == deliveryType {
			return q, true
		}
	}
	return transport.QueueInfo{}, false
}

func (s *orgServer) tracking(t *testing.T, eventID, subject string) []tracking.Event {
	t.Helper()
	trk := s.transport().Tracking()
	trk.Flush()
	evs, err := trk.Search(tracking.Query{EventID: eventID, Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func delivered(t *testing.T, s *orgServer, address string, n int, within time.Duration) []string {
	t.Helper()
	var got []string
	if !enginetest.WaitFor(t, within, func() bool {
		got = s.mailbox(t, address)
		return len(got) >= n
	}) {
		t.Fatalf("%s: %d messages in %s's mailbox after %v, want %d", s.name, len(got), address, within, n)
	}
	return got
}

// Mail entering EX01's Front End for a mailbox on EX02 is proxied to
// EX02's Transport service (the recipient database's server) and
// delivered there; each hop's Received: line names its server and
// address.
func TestOrganisationFrontEndToOtherServer(t *testing.T) {
	o := startOrg(t, 2, time.Second)
	ex01, ex02 := o.servers[0], o.servers[1]
	ex01.send(t, "user02@contoso.com", "to EX02")
	msgs := delivered(t, ex02, "user02@contoso.com", 1, 15*time.Second)
	hops := receivedLines(msgs[0])
	want := []string{
		`^Received: from EX02\.contoso\.com \(127\.0\.0\.12\) by EX02\.contoso\.com \(127\.0\.0\.12\)\r\n with Microsoft SMTP Server.*\r\n via Mailbox Transport;`,
		`^Received: from EX01\.contoso\.com \(127\.0\.0\.11\) by EX02\.contoso\.com \(127\.0\.0\.12\)\r\n with Microsoft SMTP Server \(version=TLS1_2`,
		`^Received: from \S+ \(127\.0\.0\.1\) by EX01\.contoso\.com \(127\.0\.0\.11\)\r\n with Microsoft SMTP Server id 15\.2\.1118\.7 via Frontend Transport;`,
	}
	if len(hops) != len(want) {
		t.Fatalf("Received chain:\n%s\nwant %d lines", strings.Join(hops, "\n"), len(want))
	}
	for i, re := range want {
		if !regexp.MustCompile(`(?s)` + re).MatchString(hops[i]) {
			t.Errorf("Received line %d:\n%s\nwant %s", i+1, hops[i], re)
		}
	}
	// Mailbox Transport names the TLS parameters of the hop the message
	// arrived on, not a fixed RSA suite under an ECDSA certificate.
	tlsRE := regexp.MustCompile(`\(version=(\S+),\s+cipher=(\w+)\)`)
	arrival, mbx := tlsRE.FindStringSubmatch(hops[1]), tlsRE.FindStringSubmatch(hops[0])
	if arrival == nil || mbx == nil || arrival[1] != mbx[1] || arrival[2] != mbx[2] {
		t.Errorf("Mailbox Transport's TLS %q, the arrival hop's %q", mbx, arrival)
	}
	if n := len(ex01.mailbox(t, "administrator@contoso.com")); n != 0 {
		t.Errorf("EX01 delivered %d messages itself", n)
	}
	// EX01's Transport service saw nothing: the Front End went to EX02.
	if evs := ex01.tracking(t, "RECEIVE", "to EX02"); len(evs) != 0 {
		t.Errorf("EX01's Transport service received the message: %+v", evs)
	}
}

// The hop between two Transport services: EX01's Front End cannot log on
// to EX02's hub (the ExchangeServers permission group is taken away from
// Default EX02; ExchangeUsers stays), so EX01's
// own Transport service takes the message, and its queue for EX02's
// database waits in Retry with Exchange's KB 979175 text; once the
// permission is back, the message flows within a retry. The tracking logs
// show the hop as Exchange writes it: SEND on EX01 naming EX02, RECEIVE
// and DELIVER on EX02.
func TestOrganisationHubToHubAuthentication(t *testing.T) {
	o := startOrg(t, 2, 2*time.Second)
	ex01, ex02 := o.servers[0], o.servers[1]
	setGroups := func(groups state.Flags) {
		err := ex01.st.Update(func(tx state.Tx) error {
			rc, err := tx.ReceiveConnectorByName("EX02", "Default EX02")
			if err != nil {
				return err
			}
			rc.PermissionGroups = groups
			rc.AuthTarpitInterval = 0 // refused logons are answered at once
			return tx.PutReceiveConnector(rc)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var before state.Flags
	ex01.st.View(func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX02", "Default EX02")
		if err == nil {
			before = rc.PermissionGroups
		}
		return err
	})
	if !before.Has("ExchangeServers") {
		t.Fatalf("Default EX02 does not grant ExchangeServers: %v", before)
	}
	var without state.Flags
	for _, g := range before {
		// A server's computer account is an authenticated user too, but
		// ExchangeUsers alone does not let it log on as a server.
		if g != "ExchangeServers" {
			without = append(without, g)
		}
	}
	if !without.Has("ExchangeUsers") {
		t.Fatalf("Default EX02 does not grant ExchangeUsers: %v", without)
	}
	setGroups(without)
	// Every server applies the change.
	time.Sleep(500 * time.Millisecond)

	ex01.send(t, "user02@contoso.com", "across")
	const kb = `451 4.4.0 Primary target IP address responded with: "451 5.7.3 Cannot achieve Exchange Server authentication." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts.`
	var q transport.QueueInfo
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		var ok bool
		q, ok = ex01.queue(state.DeliveryToMailbox)
		return ok && q.Status == "Retry" && q.LastError == kb
	}) {
		qs, _ := ex01.transport().Queues()
		t.Fatalf("EX01's queue for EX02's database: %+v\nEX01's queues: %+v\nin EX02's mailbox: %d", q, qs, len(ex02.mailbox(t, "user02@contoso.com")))
	}
	if !strings.HasPrefix(q.NextHopDomain, "mailbox database 02") || q.MessageCount != 1 {
		t.Errorf("queue NextHopDomain %q MessageCount %d", q.NextHopDomain, q.MessageCount)
	}
	if n := len(ex02.mailbox(t, "user02@contoso.com")); n != 0 {
		t.Fatalf("delivered without the permission")
	}

	setGroups(before)
	msgs := delivered(t, ex02, "user02@contoso.com", 1, 15*time.Second)
	// Mailbox Transport on EX02, EX02's hub from EX01's hub, EX01's hub
	// from its Front End, EX01's Front End from the client.
	hops := receivedLines(msgs[0])
	want := []string{
		`^Received: from EX02\.contoso\.com \(127\.0\.0\.12\) by EX02\.contoso\.com \(127\.0\.0\.12\).* via Mailbox Transport;`,
		`^Received: from EX01\.contoso\.com \(127\.0\.0\.11\) by EX02\.contoso\.com \(127\.0\.0\.12\)`,
		`^Received: from EX01\.contoso\.com \(127\.0\.0\.11\) by EX01\.contoso\.com \(127\.0\.0\.11\)`,
		`^Received: from \S+ \(127\.0\.0\.1\) by EX01\.contoso\.com \(127\.0\.0\.11\).* via Frontend Transport;`,
	}
	if len(hops) != len(want) {
		t.Fatalf("Received chain:\n%s\nwant %d lines", strings.Join(hops, "\n"), len(want))
	}
	for i, re := range want {
		if !regexp.MustCompile(`(?s)` + re).MatchString(hops[i]) {
			t.Errorf("Received line %d:\n%s\nwant %s", i+1, hops[i], re)
		}
	}
	if !enginetest.WaitFor(t, 5*time.Second, func() bool {
		q, _ := ex01.queue(state.DeliveryToMailbox)
		return q.MessageCount == 0
	}) {
		t.Error("EX01's queue still holds the message")
	}

	send := ex01.tracking(t, "SEND", "across")
	if len(send) != 1 || send[0].ConnectorId != "Intra-Organization SMTP Send Connector" || send[0].ServerHostname != "EX02.contoso.com" || send[0].ServerIp != "127.0.0.12" {
		t.Errorf("EX01's SEND events: %+v", send)
	}
	if recv := ex02.tracking(t, "RECEIVE", "across"); len(recv) != 1 || recv[0].ClientIp != "127.0.0.11" || recv[0].ClientHostname != "EX01.contoso.com" {
		t.Errorf("EX02's RECEIVE events: %+v", recv)
	}
	if dl := ex02.tracking(t, "DELIVER", "across"); len(dl) != 1 {
		t.Errorf("EX02's DELIVER events: %+v", dl)
	}
}

// Mail for the database of a server that is down waits in a queue for
// it on another server (Retry) and is delivered soon after its return,
// with Exchange's default retry intervals (TransientFailureRetryInterval
// 5 minutes): the queue waits at most 30 s between attempts, and the
// server's liveness wakes it at once.
func TestOrganisationServerDown(t *testing.T) {
	o := startOrg(t, 2, 0)
	ex01, ex02 := o.servers[0], o.servers[1]
	ex02.stop()
	ex01.send(t, "user02@contoso.com", "while down")
	var q transport.QueueInfo
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		var ok bool
		q, ok = ex01.queue(state.DeliveryToMailbox)
		return ok && q.Status == "Retry" && strings.HasPrefix(q.LastError, "441 4.4.1 ")
	}) {
		t.Fatalf("EX01's queue for EX02's database: %+v", q)
	}
	if wait := q.NextRetryTime.Sub(q.LastRetryTime); wait > 30*time.Second {
		t.Errorf("the queue waits %v between attempts", wait)
	}
	// The server stays down for a few of the Transport service's sweeps.
	time.Sleep(3 * time.Second)
	back := time.Now()
	ex02.start(t)
	delivered(t, ex02, "user02@contoso.com", 1, 60*time.Second)
	// The liveness of EX02 wakes the queue at the next sweep (1 s here)
	// rather than at its next retry.
	if took := time.Since(back); took > 15*time.Second {
		t.Errorf("delivered %v after EX02 returned", took.Round(time.Millisecond))
	}
}

// A server down for less than a sweep of the Transport service (15 s by
// default) is still seen return: the queue for its database is woken
// within about a second of its liveness, not at its next retry (30 s),
// and again while the server's Transport service does not yet listen.
func TestOrganisationServerBackSoon(t *testing.T) {
	o := startOrg(t, 2, 0)
	ex01, ex02 := o.servers[0], o.servers[1]
	o.sweep = 0
	ex01.stop()
	ex01.start(t)
	ex02.stop()
	ex01.send(t, "user02@contoso.com", "while down")
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		q, ok := ex01.queue(state.DeliveryToMailbox)
		return ok && q.Status == "Retry"
	}) {
		t.Fatal("EX01's queue for EX02's database is not in Retry")
	}
	time.Sleep(1500 * time.Millisecond) // the liveness of EX02 is looked at
	// EX02 is alive a little before its Transport service listens: the
	// first attempt after its return fails, and the queue is woken again.
	o.mu.Lock()
	delete(o.down, "EX02")
	o.mu.Unlock()
	if !enginetest.WaitFor(t, 10*time.Second, func() bool {
		q, ok := ex01.queue(state.DeliveryToMailbox)
		return ok && q.Status == "Retry" && q.RetryCount >= 2
	}) {
		t.Fatal("EX01 did not try EX02 again once it was alive")
	}
	back := time.Now()
	ex02.start(t)
	delivered(t, ex02, "user02@contoso.com", 1, 60*time.Second)
	if took := time.Since(back); took > 5*time.Second {
		t.Errorf("delivered %v after EX02 returned", took.Round(time.Millisecond))
	}
}

// The queue relaying to a send connector's only source server that is
// down is woken like a database's queue when that server returns: within
// about a second of its liveness, again while its Transport service does
// not yet listen, not at the queue's next retry (30 s).
func TestOrganisationSourceServerBackSoon(t *testing.T) {
	s := newSink(t)
	o := startOrg(t, 2, 0)
	ex01, ex02 := o.servers[0], o.servers[1]
	smartHostConnector(t, ex01, s.port, "EX02")
	o.sweep = 0
	ex01.stop()
	ex01.start(t)
	ex02.stop()
	ex01.submit(t, "user@fabrikam.com", "while down")
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		q, ok := ex01.queue(state.DeliveryRelayToSourceServers)
		return ok && q.Status == "Retry"
	}) {
		q, _ := ex01.queue(state.DeliveryRelayToSourceServers)
		t.Fatalf("EX01's relay queue to EX02 is not in Retry: %+v", q)
	}
	time.Sleep(1500 * time.Millisecond) // the liveness of EX02 is looked at
	o.mu.Lock()
	delete(o.down, "EX02")
	o.mu.Unlock()
	if !enginetest.WaitFor(t, 10*time.Second, func() bool {
		q, ok := ex01.queue(state.DeliveryRelayToSourceServers)
		return ok && q.Status == "Retry" && q.RetryCount >= 2
	}) {
		q, _ := ex01.queue(state.DeliveryRelayToSourceServers)
		t.Fatalf("EX01 did not try EX02 again once it was alive: %+v", q)
	}
	back := time.Now()
	ex02.start(t)
	if !enginetest.WaitFor(t, 60*time.Second, func() bool { return len(s.got()) == 1 }) {
		t.Fatal("nothing reached the smart host")
	}
	if took := time.Since(back); took > 5*time.Second {
		t.Errorf("sent out %v after EX02 returned", took.Round(time.Millisecond))
	}
}

// A send connector whose SourceTransportServers do not include this
// server: EX01 relays the mail to EX02's Transport service
// (SmtpRelayToConnectorSourceServers, NextHopDomain the connector's
// name), and EX02 sends it out through the connector.
func TestOrganisationSourceTransportServers(t *testing.T) {
	s := newSink(t)
	o := startOrg(t, 3, time.Second)
	ex01, ex02, ex03 := o.servers[0], o.servers[1], o.servers[2]
	smartHostConnector(t, ex01, s.port, "EX03", "EX02")
	// EX03 is down: the relay goes to the next source server.
	ex03.stop()
	time.Sleep(500 * time.Millisecond)
	ex01.submit(t, "user@fabrikam.com", "outbound")
	if !enginetest.WaitFor(t, 15*time.Second, func() bool { return len(s.got()) == 1 }) {
		q, _ := ex01.queue(state.DeliveryRelayToSourceServers)
		t.Fatalf("nothing reached the smart host; EX01's relay queue: %+v", q)
	}
	if hops := receivedLines(s.got()[0].Data); len(hops) < 2 || !strings.Contains(hops[0], "by EX02.contoso.com (127.0.0.12)") || !strings.Contains(hops[1], "by EX01.contoso.com (127.0.0.11)") {
		t.Errorf("Received chain at the smart host:\n%s", strings.Join(hops, "\n"))
	}
	q, ok := ex01.queue(state.DeliveryRelayToSourceServers)
	if !ok || q.NextHopDomain != "To the smart host" || q.NextHopCategory != "Internal" {
		t.Errorf("EX01's relay queue: %+v", q)
	}
	// The submission stays Originating on the next server.
	if evs := ex02.tracking(t, "RECEIVE", "outbound"); len(evs) != 1 || evs[0].Directionality != "Originating" || evs[0].ClientIp != "127.0.0.11" {
		t.Errorf("EX02's RECEIVE events: %+v", evs)
	}
	// EX02 logs SEND once the smart host has answered, which may be just
	// after the sink has the message.
	var sends []tracking.Event
	enginetest.WaitFor(t, 5*time.Second, func() bool { sends = ex02.tracking(t, "SEND", "outbound"); return len(sends) > 0 })
	if len(sends) != 1 || sends[0].ConnectorId != "To the smart host" {
		t.Errorf("EX02's SEND events: %+v", sends)
	}
	if evs := ex01.tracking(t, "SEND", "outbound"); len(evs) != 1 || evs[0].ConnectorId != "Intra-Organization SMTP Send Connector" {
		t.Errorf("EX01's SEND events: %+v", evs)
	}
}

// A server on ::1 beside one on 127.0.0.11 (-IPAddress of either
// family): it listens on ::1 for its IPv4 wildcard bindings and not for
// its IPv6 ones; mail goes both ways between the families, through the
// Front Ends and between the Transport services; and its Transport
// service sends to an IPv4 smart host, from an IPv4 address.
func TestOrganisationIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	ln.Close()
	s := newSink(t)
	o := startOrgAt(t, []netip.Addr{netip.MustParseAddr("127.0.0.11"), netip.IPv6Loopback()}, time.Second)
	ex01, ex02 := o.servers[0], o.servers[1]
	listensOnItsAddress(t, o)

	// The Front End of each server to the other's Transport service.
	ex01.send(t, "user02@contoso.com", "to EX02")
	hops := receivedLines(delivered(t, ex02, "user02@contoso.com", 1, 15*time.Second)[0])
	if len(hops) != 3 || !strings.Contains(hops[0], "by EX02.contoso.com (::1)") ||
		!strings.Contains(hops[1], "from EX01.contoso.com (::1) by EX02.contoso.com (::1)") ||
		!strings.Contains(hops[2], "by EX01.contoso.com (127.0.0.11)") {
		t.Errorf("Received chain on EX02:\n%s", strings.Join(hops, "\n"))
	}
	ex02.send(t, "administrator@contoso.com", "to EX01")
	hops = receivedLines(delivered(t, ex01, "administrator@contoso.com", 1, 15*time.Second)[0])
	if len(hops) != 3 || !strings.Contains(hops[0], "by EX01.contoso.com (127.0.0.11)") ||
		!strings.Contains(hops[1], "from EX02.contoso.com (127.0.0.1) by EX01.contoso.com (127.0.0.11)") ||
		!strings.Contains(hops[2], "(::1) by EX02.contoso.com (::1)") {
		t.Errorf("Received chain on EX01:\n%s", strings.Join(hops, "\n"))
	}

	// One message to a mailbox on each: the Transport service that takes
	// it hands the other recipient to the other server.
	c, err := smtp.Dial(ex01.addr(25))
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: chris@fabrikam.com\r\nTo: user02@contoso.com, administrator@contoso.com\r\nSubject: to both\r\n\r\nhello\r\n"
	if err := c.SendMail("chris@fabrikam.com", []string{"user02@contoso.com", "administrator@contoso.com"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	delivered(t, ex02, "user02@contoso.com", 2, 15*time.Second)
	delivered(t, ex01, "administrator@contoso.com", 2, 15*time.Second)

	// Mail for the Internet through a send connector whose source server
	// is EX02: EX01 relays it to EX02, which sends it to the smart host on
	// 127.0.0.1.
	smartHostConnector(t, ex01, s.port, "EX02")
	ex01.submit(t, "user@fabrikam.com", "outbound")
	if !enginetest.WaitFor(t, 15*time.Second, func() bool { return len(s.got()) == 1 }) {
		q1, _ := ex01.queue(state.DeliveryRelayToSourceServers)
		q2, _ := ex02.queue(state.DeliverySmartHostConnector)
		t.Fatalf("nothing reached the smart host; EX01's relay queue: %+v; EX02's queue: %+v", q1, q2)
	}
	hops = receivedLines(s.got()[0].Data)
	if len(hops) < 2 || !strings.Contains(hops[0], "by EX02.contoso.com (::1)") || !strings.Contains(hops[1], "by EX01.contoso.com (127.0.0.11)") {
		t.Errorf("Received chain at the smart host:\n%s", strings.Join(hops, "\n"))
	}
}

// smartHostConnector adds, through s, the send connector "To the smart
// host" for every domain, to the smart host 127.0.0.1 on port, sent from
// the given source servers (any server when none), and waits until every
// server's replica has it.
func smartHostConnector(t *testing.T, s *orgServer, port int, sources ...string) {
	t.Helper()
	err := s.st.Update(func(tx state.Tx) error {
		sc := toSmartHost("To the smart host", "*", port)
		sc.SourceTransportServers = sources
		return tx.PutSendConnector(sc)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range s.org.servers {
		if !enginetest.WaitFor(t, 10*time.Second, func() bool {
			return other.st.View(func(tx state.Tx) error {
				_, err := tx.SendConnectorByName("To the smart host")
				return err
			}) == nil
		}) {
			t.Fatalf("%s's replica has no send connector", other.name)
		}
	}
}

// submit sends a message from the Administrator mailbox on the server's
// Client Frontend (587) with STARTTLS and AUTH, as a mail client does.
func (s *orgServer) submit(t *testing.T, to, subject string) {
	t.Helper()
	submitAsAdministrator(t, s.addr(587), to, subject, "Hello.")
}

// A server with an address listens on it for the IPv4 wildcard bindings
// and not at all for the IPv6 ones; its banner comes from there.
func listensOnItsAddress(t *testing.T, o *testOrg) {
	for _, s := range o.servers {
		s.mu.Lock()
		eps := s.svc.Endpoints()
		s.mu.Unlock()
		if len(eps) == 0 {
			t.Fatalf("%s listens nowhere", s.name)
		}
		for _, ep := range eps {
			b, err := netip.ParseAddrPort(ep.Binding)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Addr().Is4() {
				t.Errorf("%s: %s %s is listened on (%s)", s.name, ep.Connector, ep.Binding, ep.Listen)
				continue
			}
			if want := s.addr(int(b.Port())); ep.Listen != want || ep.Err != nil {
				t.Errorf("%s: %s %s listens on %q (%v), want %s", s.name, ep.Connector, ep.Binding, ep.Listen, ep.Err, want)
			}
		}
		d := enginetest.Dial(t, s.addr(25))
		d.Expect(`~^220 ` + s.name + `\.contoso\.com `)
	}
}

// A hub connector takes the logon of another server of the organisation
// (its secret derived from the organisation's key) and nothing else: not
// a wrong secret, not an account that is no server of the organisation,
// not a secret derived under another key.
func serverLogon(t *testing.T, o *testOrg) {
	ex02 := o.servers[1]
	var key []byte
	ex02.st.View(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return err
		}
		key, err = mail.ParseServerKey(org.ServerAuthKey)
		return err
	})
	if key == nil {
		t.Fatal("the organisation has no server key")
	}
	otherEnc, _ := mail.NewServerKey()
	other, _ := mail.ParseServerKey(otherEnc)
	plain := func(user, password string) string {
		return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	}
	ex01 := mail.DeriveServerCredential(key, `CONTOSO\EX01$`)
	tests := []struct {
		name, user, password, want string
	}{
		{"EX01", ex01.Account, ex01.Secret, "235 2.7.0 Authentication successful"},
		{"wrong secret", ex01.Account, ex01.Secret[1:], "535 5.7.3 Authentication unsuccessful"},
		{"no server of the organisation", `CONTOSO\EX09$`, mail.DeriveServerCredential(key, `CONTOSO\EX09$`).Secret, "535 5.7.3 Authentication unsuccessful"},
		{"another organisation's key", ex01.Account, mail.DeriveServerCredential(other, ex01.Account).Secret, "535 5.7.3 Authentication unsuccessful"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := enginetest.DialFrom(t, "127.0.0.11", ex02.addr(2525))
			d.Expect(`~^220 `)
			d.Do("EHLO EX01.contoso.com", "~^250 ")
			d.StartTLS()
			d.Do("EHLO EX01.contoso.com", "~^250 ")
			d.Do("AUTH PLAIN "+plain(tc.user, tc.password), tc.want)
		})
	}
}

// A store from before server keys: the first engine of an organisation
// adds the key, and every server derives from the same one.
func keyAddedWhenMissing(t *testing.T, o *testOrg) {
	keys := map[string]bool{}
	for _, s := range o.servers {
		s.st.View(func(tx state.Tx) error {
			org, err := tx.Org()
			if err == nil {
				keys[org.ServerAuthKey] = true
			}
			return err
		})
	}
	if len(keys) != 1 || keys[""] {
		t.Fatalf("server keys seen by the servers: %v", keys)
	}
	for k := range keys {
		again, err := engine.EnsureServerAuthKey(o.servers[1].st)
		if err != nil {
			t.Fatal(err)
		}
		if base64.RawStdEncoding.EncodeToString(again) != k {
			t.Error("EnsureServerAuthKey replaced the key")
		}
	}
}

// CheckServerLogon, for channels between servers other than SMTP, takes
// the same logons as the hub connectors.
func checkServerLogon(t *testing.T, o *testOrg) {
	ex02 := o.servers[1]
	cred, err := engine.OrganizationCredential(ex02.st, "EX02")
	if err != nil {
		t.Fatal(err)
	}
	ex01, err := engine.OrganizationCredential(o.servers[0].st, "EX01")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, password string
		want                 bool
	}{
		{"own", cred.Account, cred.Secret, true},
		{"EX01", ex01.Account, ex01.Secret, true},
		{"EX01 by its FQDN", `CONTOSO\EX01.contoso.com$`, mail.DeriveServerCredential(cred.Key, `CONTOSO\EX01.contoso.com$`).Secret, false},
		{"wrong secret", ex01.Account, cred.Secret, false},
		{"no server", `CONTOSO\EX07$`, mail.DeriveServerCredential(cred.Key, `CONTOSO\EX07$`).Secret, false},
		{"other domain", `FABRIKAM\EX01$`, mail.DeriveServerCredential(cred.Key, `FABRIKAM\EX01$`).Secret, false},
		{"user account", `CONTOSO\Administrator`, mail.DeriveServerCredential(cred.Key, `CONTOSO\Administrator`).Secret, false},
	}
	for _, tc := range tests {
		if _, got := engine.CheckServerLogon(ex02.st, cred, tc.user, tc.password); got != tc.want {
			t.Errorf("%s: CheckServerLogon(%q) = %v, want %v", tc.name, tc.user, got, tc.want)
		}
	}
}

// The servers of an organisation: where they listen, how they log on to
// each other, and their organisation's key.
func TestOrganisationServers(t *testing.T) {
	o := startOrg(t, 2, time.Second)
	err := o.servers[0].st.Update(func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX02", "Default EX02")
		if err != nil {
			return err
		}
		rc.AuthTarpitInterval = 0 // refused logons are answered at once
		return tx.PutReceiveConnector(rc)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ListensOnItsAddress", func(t *testing.T) { listensOnItsAddress(t, o) })
	t.Run("ServerLogon", func(t *testing.T) { serverLogon(t, o) })
	t.Run("KeyAddedWhenMissing", func(t *testing.T) { keyAddedWhenMissing(t, o) })
	t.Run("CheckServerLogon", func(t *testing.T) { checkServerLogon(t, o) })
}

// Redirect-Message on EX01 hands the messages waiting in its delivery
// queues to EX02, which routes them again and sends them on; EX01's
// queue is empty once EX02 has them.
func TestOrganisationRedirectMessage(t *testing.T) {
	s := newSink(t)
	s.mu.Lock()
	s.mailErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "try later"}
	s.mu.Unlock()
	o := startOrg(t, 2, time.Hour)
	ex01, ex02 := o.servers[0], o.servers[1]
	smartHostConnector(t, ex01, s.port)
	for i := range 3 {
		ex01.submit(t, "user@fabrikam.com", fmt.Sprint("waiting ", i))
	}
	// The smart host refuses for now: the messages wait on EX01.
	var waiting []transport.MessageInfo
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		q, ok := ex01.queue(state.DeliverySmartHostConnector)
		if !ok || q.MessageCount != 3 {
			return false
		}
		waiting, _ = ex01.transport().Messages(transport.MessageFilter{Queue: q.Identity})
		retry := 0
		for _, m := range waiting {
			if m.Status == state.MessageRetry {
				retry++
			}
		}
		return retry == 3
	}) {
		t.Fatalf("EX01's smart host queue: %+v", waiting)
	}
	s.mu.Lock()
	s.mailErr = nil
	s.mu.Unlock()

	if _, err := ex01.transport().RedirectMessages([]string{"EX01"}); err == nil {
		t.Error("a server redirected its messages to itself")
	}
	moved, err := ex01.transport().RedirectMessages([]string{"EX02.contoso.com"})
	if err != nil || moved != 3 {
		t.Fatalf("RedirectMessages = %d, %v; want 3 moved", moved, err)
	}
	if !enginetest.WaitFor(t, 15*time.Second, func() bool { return len(s.got()) == 3 }) {
		q, _ := ex01.queue(state.DeliveryRelayToServers)
		t.Fatalf("%d messages reached the smart host; EX01's redirect queue: %+v", len(s.got()), q)
	}
	for _, m := range s.got() {
		hops := receivedLines(m.Data)
		if len(hops) < 2 || !strings.Contains(hops[0], "by EX02.contoso.com (127.0.0.12)") || !strings.Contains(hops[1], "by EX01.contoso.com (127.0.0.11)") {
			t.Errorf("Received chain at the smart host:\n%s", strings.Join(hops, "\n"))
		}
	}
	if q, ok := ex01.queue(state.DeliveryRelayToServers); !ok || q.NextHopDomain != "EX02.contoso.com" || q.NextHopCategory != "Internal" || q.MessageCount != 0 {
		t.Errorf("EX01's redirect queue: %+v", q)
	}
	if q, _ := ex01.queue(state.DeliverySmartHostConnector); q.MessageCount != 0 {
		t.Errorf("EX01's smart host queue still holds %d messages", q.MessageCount)
	}
	if evs := ex01.tracking(t, "SEND", "waiting 0"); len(evs) != 1 || evs[0].ConnectorId != "Intra-Organization SMTP Send Connector" {
		t.Errorf("EX01's SEND events: %+v", evs)
	}
	if evs := ex02.tracking(t, "RECEIVE", "waiting 0"); len(evs) != 1 || evs[0].ClientIp != "127.0.0.11" {
		t.Errorf("EX02's RECEIVE events: %+v", evs)
	}
}
