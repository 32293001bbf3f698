package transport

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"exsh/state"
)

func TestRouteTable(t *testing.T) {
	e := newEnv(t)
	e.stopTransport()
	e.addMailbox("michelle", "m.smith@contoso.com")
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, 2526, nil)
	e.addSendConnector("Contoso Wild", []string{"SMTP:*.fabrikam.com;5"}, []string{"relay1.fabrikam.com"}, 25, nil)
	e.addSendConnector("Fabrikam Exact", []string{"SMTP:fabrikam.com;10"}, nil, 25, nil)
	e.addSendConnector("B Cheap", []string{"SMTP:tailspintoys.com;1"}, []string{"[10.0.0.2]"}, 25, nil)
	e.addSendConnector("A Costly", []string{"SMTP:tailspintoys.com;2"}, []string{"[10.0.0.3]"}, 25, nil)
	e.addSendConnector("Z Tie", []string{"SMTP:woodgrove.com;1"}, []string{"[10.0.0.4]"}, 25, nil)
	e.addSendConnector("Y Tie", []string{"SMTP:woodgrove.com;1"}, []string{"[10.0.0.5]"}, 25, nil)
	e.addSendConnector("Disabled", []string{"SMTP:adatum.com;1"}, []string{"[10.0.0.6]"}, 25, func(c *state.SendConnector) { c.Enabled = false })
	err := e.st.Update(func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "relay", DomainName: "relay.contoso.net", DomainType: "InternalRelay"})
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr, deliveryType, nextHop, fail, connector string
	}{
		{"michelle@contoso.com", state.DeliveryToMailbox, "", "", ""},
		{"M.SMITH@Contoso.COM", state.DeliveryToMailbox, "", "", ""},
		{"nobody@contoso.com", "", "", statusRecipNotFound, ""},
		{"a@fabrikam.com", state.DeliveryDnsConnector, "fabrikam.com", "", "Fabrikam Exact"},
		{"a@mail.fabrikam.com", state.DeliverySmartHostConnector, "relay1.fabrikam.com", "", "Contoso Wild"},
		{"a@tailspintoys.com", state.DeliverySmartHostConnector, "[10.0.0.2]", "", "B Cheap"},
		{"a@woodgrove.com", state.DeliverySmartHostConnector, "[10.0.0.5]", "", "Y Tie"},
		{"a@adatum.com", state.DeliverySmartHostConnector, "[127.0.0.1]", "", "To Internet"},
		{"a@relay.contoso.net", state.DeliverySmartHostConnector, "[127.0.0.1]", "", "To Internet"},
	}
	err = e.st.QueueView(func(q queueTx) error {
		rt, err := loadRouting(q.Org(), "EX01")
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, c := range rt.connectors {
			names[c.Guid] = c.Name
		}
		for _, c := range cases {
			res := rt.route(state.QueuedRecipient{Address: c.addr}, 100)
			if res.fail != c.fail {
				t.Errorf("%s: fail %q, want %q", c.addr, res.fail, c.fail)
				continue
			}
			if c.fail != "" {
				continue
			}
			if res.queue.DeliveryType != c.deliveryType {
				t.Errorf("%s: %s, want %s", c.addr, res.queue.DeliveryType, c.deliveryType)
			}
			if c.nextHop != "" && res.queue.NextHopDomain != c.nextHop {
				t.Errorf("%s: next hop %q, want %q", c.addr, res.queue.NextHopDomain, c.nextHop)
			}
			if c.connector != "" && names[res.rcpt.Connector] != c.connector {
				t.Errorf("%s: connector %q, want %q", c.addr, names[res.rcpt.Connector], c.connector)
			}
			if c.deliveryType == state.DeliveryToMailbox && res.rcpt.Address != "michelle@contoso.com" {
				t.Errorf("%s: rewritten to %q, want the primary address", c.addr, res.rcpt.Address)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNoConnectorIsUnreachableThenConnectorRoutes(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "resubmit me")
	e.waitFor("unreachable", func() bool { return e.queueCount("Unreachable") == 1 })
	if err := e.tr.SuspendQueue("Unreachable"); err != nil {
		t.Fatal(err)
	}
	e.addSendConnector("To Fabrikam", []string{"SMTP:fabrikam.com;1"}, []string{"[127.0.0.1]"}, s.port, nil)
	time.Sleep(100 * time.Millisecond)
	if n := e.queueCount("Unreachable"); n != 1 {
		t.Fatalf("a suspended Unreachable queue was resubmitted (count %d)", n)
	}
	if err := e.tr.RetryQueue(`EX01\Unreachable`, false); err == nil {
		t.Errorf("Retry-Queue on Unreachable without -Resubmit succeeded")
	}
	if err := e.tr.RetryQueue(`EX01\Unreachable`, true); err != nil {
		t.Fatal(err)
	}
	e.waitFor("sink", func() bool { return len(s.got()) == 1 })
	got := s.got()[0]
	if got.From != "chris@contoso.com" || len(got.To) != 1 || got.To[0] != "user@fabrikam.com" {
		t.Errorf("sink got %+v", got)
	}
	if strings.Contains(got.Data, "X-MS-Exchange-Organization") {
		t.Errorf("organisation headers left the organisation:\n%s", got.Data)
	}
	e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
}

func TestUnreachableAutoResubmitOnConnectorChange(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "auto")
	e.waitFor("unreachable", func() bool { return e.queueCount("Unreachable") == 1 })
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"127.0.0.1"}, s.port, nil)
	e.waitFor("sink", func() bool { return len(s.got()) == 1 })
	q := e.tr.queueOf(t, state.DeliverySmartHostConnector)
	if q.NextHopDomain != "[127.0.0.1]" || q.NextHopCategory != "External" {
		t.Errorf("queue %+v", q)
	}
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

func TestOutboundRetryThenDelivered(t *testing.T) {
	e := newEnv(t)
	port := freePort(t)
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, port, func(c *state.SendConnector) { c.ProtocolLoggingLevel = "Verbose" })
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "retry")
	var q QueueInfo
	e.waitFor("retry", func() bool {
		var ok bool
		q, ok = e.tr.findQueue(state.DeliverySmartHostConnector)
		return ok && q.Status == "Retry"
	})
	wantErr := `441 4.4.1 Error encountered while communicating with primary target IP address: "Failed to connect. Winsock error code: 10061, Win32 error code: 10061." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 127.0.0.1:` + strconv.Itoa(port)
	if q.LastError != wantErr || q.RetryCount != 1 || !q.NextRetryTime.Equal(epoch.Add(5*time.Minute)) {
		t.Errorf("queue after refused connection:\n%+v\nwant LastError %q", q, wantErr)
	}
	ms, _ := e.tr.Messages(MessageFilter{Queue: q.Identity})
	if len(ms) != 1 || ms[0].Status != "Retry" || ms[0].RetryCount != 1 || ms[0].LastError != wantErr {
		t.Errorf("message %+v", ms)
	}
	// Before the retry time nothing happens; then a sink appears and the
	// next attempt succeeds.
	s := newSink(t, "127.0.0.1:"+strconv.Itoa(port))
	e.clock.Advance(4 * time.Minute)
	e.tr.kickAll()
	time.Sleep(50 * time.Millisecond)
	if len(s.got()) != 0 {
		t.Fatalf("delivered before the retry time")
	}
	e.clock.Advance(time.Minute)
	e.tr.kickAll()
	e.waitFor("sink", func() bool { return len(s.got()) == 1 })
	e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
	q = e.tr.queueOf(t, state.DeliverySmartHostConnector)
	if q.Status != "Ready" || q.LastError != "" {
		t.Errorf("queue after delivery %+v", q)
	}
	// The SmtpSend protocol log has the session.
	logs, _ := filepath.Glob(filepath.Join(e.dir, "TransportRoles", "Logs", "Hub", "ProtocolLog", "SmtpSend", "SEND*.LOG"))
	if len(logs) == 0 {
		t.Fatal("no SmtpSend log")
	}
	b, _ := os.ReadFile(logs[0])
	for _, want := range []string{",To Internet,", ",<,220 sink.fabrikam.com ESMTP Service Ready,", ",>,EHLO EX01.contoso.com,", ",>,MAIL FROM:<chris@contoso.com>", ",>,BDAT ", ",-,,Local"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("SmtpSend log lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "Hello.") {
		t.Errorf("the message body was logged")
	}
}

// A connection that breaks mid-batch puts the queue into Retry, as a
// failed connection does, and the messages not sent wait for the queue's
// retry; once the host answers again they are sent, each once.
func TestOutboundConnectionBrokenMidBatch(t *testing.T) {
	e := newEnv(t)
	port := freePort(t)
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, port, nil)
	for i := range 3 {
		e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, fmt.Sprintf("batch %d", i))
	}
	e.waitFor("three waiting", func() bool {
		q, ok := e.tr.findQueue(state.DeliverySmartHostConnector)
		return ok && q.Status == "Retry" && q.MessageCount == 3
	})
	s := newSink(t, "127.0.0.1:"+strconv.Itoa(port))
	s.mu.Lock()
	s.dropAfter = 1
	s.mu.Unlock()
	e.clock.Advance(5 * time.Minute)
	broke := e.clock.Now()
	e.tr.kickAll()
	var ms []MessageInfo
	e.waitFor("broken", func() bool {
		ms, _ = e.tr.Messages(MessageFilter{Queue: e.tr.queueOf(t, state.DeliverySmartHostConnector).Identity})
		for _, m := range ms {
			if m.Status != "Retry" || !m.LastErrorTime.Equal(broke) {
				return false
			}
		}
		return len(s.got()) == 1 && len(ms) == 2
	})
	q := e.tr.queueOf(t, state.DeliverySmartHostConnector)
	if q.Status != "Retry" || !strings.HasPrefix(q.LastError, "4") || !q.NextRetryTime.After(broke) {
		t.Errorf("queue after the connection broke: %+v", q)
	}
	for _, m := range ms {
		if m.Status != "Retry" || !m.NextRetryTime.Equal(q.NextRetryTime) {
			t.Errorf("message %s: %s, next retry %v; the queue's %v", m.Subject, m.Status, m.NextRetryTime, q.NextRetryTime)
		}
	}
	s.mu.Lock()
	s.dropAfter = 0
	s.mu.Unlock()
	e.clock.Advance(q.NextRetryTime.Sub(e.clock.Now()))
	e.tr.kickAll()
	e.waitFor("sink", func() bool { return len(s.got()) == 3 })
	e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
	seen := map[string]bool{}
	for _, m := range s.got() {
		subject := m.Data[strings.Index(m.Data, "Subject: ")+9:]
		subject = subject[:strings.Index(subject, "\r\n")]
		if seen[subject] {
			t.Errorf("%q sent twice", subject)
		}
		seen[subject] = true
	}
}

func TestOutboundTransientReplyRetry(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	s.mailErr = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Connection dropped"}
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, nil)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "421")
	var q QueueInfo
	e.waitFor("retry", func() bool {
		var ok bool
		q, ok = e.tr.findQueue(state.DeliverySmartHostConnector)
		return ok && q.Status == "Retry"
	})
	want := `451 4.4.0 Primary target IP address responded with: "421 4.4.2 Connection dropped." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts.`
	if q.LastError != want {
		t.Errorf("LastError %q\nwant      %q", q.LastError, want)
	}
	ms, _ := e.tr.Messages(MessageFilter{Queue: q.Identity})
	if len(ms) != 1 || ms[0].Status != "Retry" || ms[0].LastError != want {
		t.Errorf("message %+v", ms)
	}
	s.mu.Lock()
	s.mailErr = nil
	s.mu.Unlock()
	e.clock.Advance(5 * time.Minute)
	e.tr.kickAll()
	e.waitFor("sink", func() bool { return len(s.got()) == 1 })
}

func TestPermanentFailureNDR(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("chris")
	s := newSink(t, "")
	s.rcptErr["gone@fabrikam.com"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, nil)
	e.submit("chris@contoso.com", []string{"gone@fabrikam.com", "ok@fabrikam.com"}, "partly")
	e.waitFor("NDR", func() bool { return len(e.mailbox("chris@contoso.com")) == 1 })
	e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
	if got := s.got(); len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "ok@fabrikam.com" {
		t.Errorf("sink got %+v", got)
	}
	item := e.mailbox("chris@contoso.com")[0]
	data, _ := e.tr.MailboxItemData(item)
	if !strings.Contains(string(data), "Remote Server returned '550 5.1.1 User unknown'") ||
		!strings.Contains(string(data), "Final-Recipient: rfc822;gone@fabrikam.com") ||
		strings.Contains(string(data), "Final-Recipient: rfc822;ok@fabrikam.com") {
		t.Errorf("NDR:\n%s", data)
	}
}

func TestSmartHostBasicAuthAndExpiry(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("chris")
	s := newSink(t, "")
	s.authUser, s.authPass = "relay", "secret"
	e.addSendConnector("Auth", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, func(c *state.SendConnector) {
		c.SmartHostAuthMechanism = "BasicAuth"
		c.AuthUser, c.AuthPassword = "relay", "wrong"
	})
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "auth")
	e.waitFor("retry", func() bool {
		q, ok := e.tr.findQueue(state.DeliverySmartHostConnector)
		return ok && q.Status == "Retry"
	})
	q := e.tr.queueOf(t, state.DeliverySmartHostConnector)
	if !strings.Contains(q.LastError, "535 5.7.8") {
		t.Errorf("LastError %q", q.LastError)
	}
	// Four hours later the sender gets a delay DSN; two days later the
	// message expires: FAIL and an NDR with 4.4.7.
	e.clock.Advance(4 * time.Hour)
	e.tr.kickAll()
	e.waitFor("delay DSN", func() bool { return len(e.mailbox("chris@contoso.com")) == 1 })
	e.clock.Advance(44 * time.Hour)
	e.tr.kickAll()
	e.waitFor("expiry NDR", func() bool {
		for _, it := range e.mailbox("chris@contoso.com") {
			if strings.HasPrefix(it.Subject, "Undeliverable:") {
				return true
			}
		}
		return false
	})
	e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
	// A delay DSN went out first (4 hours < 2 days).
	var subjects []string
	for _, it := range e.mailbox("chris@contoso.com") {
		subjects = append(subjects, it.Subject)
	}
	if len(subjects) != 2 || subjects[0] != "Delivery delayed:auth" || subjects[1] != "Undeliverable: auth" {
		t.Errorf("sender got %q", subjects)
	}
}
