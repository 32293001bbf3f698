package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"exsh/engine/enginetest"
	"exsh/state"
)

// relayTricks are classic open-relay probes. Refused ones must be refused;
// "local" ones are legitimate local parts in contoso.com that Exchange
// accepts as (unknown) local recipients: they must reach the hub as
// contoso.com recipients, never as gmail.com ones.
var relayTricks = []struct {
	rcpt string
	want string // reply: exact, or "~" regexp
}{
	{"<user@gmail.com>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<USER@GMAIL.COM>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@GmAiL.cOm>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@gmail.com.>", "501 5.1.3 Invalid address"},
	{"<@contoso.com:user@gmail.com>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<@contoso.com,@mx.contoso.com:user@gmail.com>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{`<"user@gmail.com">`, "501 5.1.3 Invalid address"},
	{"<gmail.com!user>", "501 5.1.3 Invalid address"},
	{"<user%gmail.com>", "501 5.1.3 Invalid address"},
	{"<user@[1.2.3.4]>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@[127.0.0.1]>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@[IPv6:::1]>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@[contoso.com]>", "501 5.1.3 Invalid address"},
	{"<user@127.0.0.1>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@localhost>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@contoso.com@gmail.com>", "501 5.1.3 Invalid address"},
	{"<user@gmail.com@contoso.com>", "501 5.1.3 Invalid address"},
	{"<user@contoso.com.gmail.com>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@gmail.com%contoso.com>", "501 5.1.3 Invalid address"},
	{"<user@gmail.com?contoso.com>", "501 5.1.3 Invalid address"},
	{"<user@sub.contoso.com>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@contoso.com.>", "501 5.1.3 Invalid address"},
	{"user@gmail.com", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@gmail.com> NOTIFY=NEVER ORCPT=rfc822;administrator@contoso.com", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{`<"user"@gmail.com>`, "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<postmaster@gmail.com>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
	{"<user@gmaíl.com>", "501 5.1.3 Invalid address"},
	{"<user@contoso.com\x01@gmail.com>", "501 5.1.3 Invalid address"},
	{"<user@-gmail.com>", "501 5.1.3 Invalid address"},
	{"<user@gmail..com>", "501 5.1.3 Invalid address"},
	{"<user@gmail.com", "501 5.1.3 Invalid address"},
	{"<user@gmail.com>>", "501 5.1.3 Invalid address"},
	// Legitimate local parts: accepted, and they stay in contoso.com.
	{"<user%gmail.com@contoso.com>", "250 2.1.5 Recipient OK"},
	{`<"user@gmail.com"@contoso.com>`, "250 2.1.5 Recipient OK"},
	{"<gmail.com!user@contoso.com>", "250 2.1.5 Recipient OK"},
	{"<@gmail.com:administrator@contoso.com>", "250 2.1.5 Recipient OK"},
	{"<ADMINISTRATOR@CONTOSO.COM>", "250 2.1.5 Recipient OK"},
}

func TestRelayBattery(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		// Syntax errors count as protocol errors; the battery has many.
		rc := mustConnector(tx, "Default Frontend EX01")
		rc.MaxProtocolErrors = state.Unlimited
		return tx.PutReceiveConnector(rc)
	}})
	d := enginetest.Dial(t, e.Addr(25))
	d.Expect(anonymousBanner)
	d.Do("EHLO probe.example.net", "~^250 ")
	d.Do("MAIL FROM:<spammer@example.net>", "250 2.1.0 Sender OK")
	accepted := 0
	for _, tc := range relayTricks {
		d.Send("RCPT TO:" + tc.rcpt)
		lines := d.Reply()
		if got := lines[len(lines)-1]; !enginetest.Match(got, tc.want) {
			t.Errorf("RCPT TO:%s: %q, want %q", tc.rcpt, got, tc.want)
		}
		if strings.HasPrefix(tc.want, "250") {
			accepted++
		}
	}
	// Other ways to ask for relaying or spoofing the client.
	d.Do("XCLIENT ADDR=10.0.0.1", "500 5.3.3 Unrecognized command")
	d.Do("XFORWARD ADDR=10.0.0.1", "500 5.3.3 Unrecognized command")
	d.Do("ETRN gmail.com", "500 5.3.3 Unrecognized command")
	d = enginetest.Dial(t, e.Addr(25))
	d.Expect(anonymousBanner)
	d.Do("EHLO probe.example.net", "~^250 ")
	d.Do("MAIL FROM:<spammer@example.net>", "250 2.1.0 Sender OK")
	for _, tc := range relayTricks {
		if strings.HasPrefix(tc.want, "250") {
			d.Do("RCPT TO:"+tc.rcpt, "250 2.1.5 Recipient OK")
		}
	}
	d.Do("DATA", "~^354")
	d.Raw("Subject: relay?\r\n\r\n.\r\n")
	d.Expect(`~^250 2\.6\.0`)
	subs := e.Recorder.Submissions()
	if len(subs) != 1 {
		t.Fatalf("%d submissions", len(subs))
	}
	if len(subs[0].Recipients) != accepted {
		t.Errorf("recipients %q", subs[0].Recipients)
	}
	for _, r := range subs[0].Recipients {
		if state.AddressDomain(r) != "contoso.com" {
			t.Errorf("recipient %q reached the hub outside contoso.com", r)
		}
	}
}

// The permission matrix of the five default connectors.
func TestDefaultConnectorPermissions(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: addUserWithoutMailbox})
	const pass = "P@ssw0rd"
	type step struct{ cmd, want string }
	anonymousSteps := map[int][]step{
		25: {
			{"MAIL FROM:<x@fabrikam.com>", "250 2.1.0 Sender OK"},
			{"RCPT TO:<administrator@contoso.com>", "250 2.1.5 Recipient OK"},
			{"RCPT TO:<x@gmail.com>", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
			{"RSET", "~^250"},
			// AnonymousUsers has Accept-Authoritative-Domain-Sender.
			{"MAIL FROM:<administrator@contoso.com>", "250 2.1.0 Sender OK"},
		},
		587:  {{"MAIL FROM:<x@fabrikam.com>", "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"}},
		717:  {{"MAIL FROM:<x@fabrikam.com>", "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"}},
		2525: {{"MAIL FROM:<x@fabrikam.com>", "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"}},
		465:  {{"MAIL FROM:<x@fabrikam.com>", "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"}},
	}
	for port, steps := range anonymousSteps {
		t.Run(fmt.Sprintf("anonymous-%d", port), func(t *testing.T) {
			d := enginetest.Dial(t, e.Addr(port))
			d.Expect(anonymousBanner)
			d.Do("EHLO client", "~^250 ")
			for _, s := range steps {
				d.Do(s.cmd, s.want)
			}
		})
	}
	// Authenticated users: ExchangeUsers on 587, 2525 and 465; nothing for
	// them on 25 and 717 (AUTH fails without ms-Exch-SMTP-Submit).
	userSteps := []step{
		{"MAIL FROM:<someone.else@contoso.com>", "550 5.7.60 SMTP; Client does not have permissions to send as this sender"},
		{"MAIL FROM:<Administrator@contoso.com>", "250 2.1.0 Sender OK"},
		{"RCPT TO:<x@gmail.com>", "250 2.1.5 Recipient OK"},
	}
	for _, port := range []int{25, 587, 717, 2525, 465} {
		t.Run(fmt.Sprintf("user-%d", port), func(t *testing.T) {
			d := enginetest.Dial(t, e.Addr(port))
			d.Expect(anonymousBanner)
			d.Do("EHLO client", "~^250 ")
			d.StartTLS()
			d.Do("EHLO client", "~^250 ")
			d.Do("AUTH PLAIN "+plain("administrator", pass), map[bool]string{true: "235 2.7.0 Authentication successful", false: "535 5.7.3 Authentication unsuccessful"}[port != 25 && port != 717])
			if port == 25 || port == 717 {
				return
			}
			for _, s := range userSteps {
				d.Do(s.cmd, s.want)
			}
		})
	}
	t.Run("no-mailbox", func(t *testing.T) {
		d := enginetest.Dial(t, e.Addr(587))
		d.Expect(anonymousBanner)
		d.Do("EHLO client", "~^250 ")
		d.StartTLS()
		d.Do("EHLO client", "~^250 ")
		d.Do("AUTH PLAIN "+plain("svc-scanner@contoso.com", "Scan-Pa55"), "235 2.7.0 Authentication successful")
		d.Do("MAIL FROM:<svc-scanner@contoso.com>", "550 5.7.60 SMTP; Client does not have permissions to send as this sender")
	})
	t.Run("bad-password", func(t *testing.T) {
		d := enginetest.Dial(t, e.Addr(587))
		d.Expect(anonymousBanner)
		d.Do("EHLO client", "~^250 ")
		d.StartTLS()
		d.Do("EHLO client", "~^250 ")
		d.Do("AUTH PLAIN "+plain("administrator", "nope"), "535 5.7.3 Authentication unsuccessful")
		d.Do("AUTH PLAIN "+plain(`CONTOSO\EX01$`, "guess"), "535 5.7.3 Authentication unsuccessful")
	})
}

// Denying Accept-Authoritative-Domain-Sender to anonymous (the anti-spoof
// recipe of exchange-receive.md §6.3).
func TestAnonymousSpoofDenied(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		rc.ProtocolLoggingLevel = "Verbose"
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
		return tx.PutADPermission(&state.ADPermission{Identity: rc.Identity, ConnectorGuid: rc.Guid,
			User: state.PrincipalAnonymous, Deny: true, ExtendedRights: []string{state.RightAcceptAuthoritativeDomainSender}})
	}})
	d := enginetest.Dial(t, e.Addr(25))
	d.Script(`
		S: ~^220
		C: HELO x
		S: ~^250
		C: MAIL FROM:<administrator@contoso.com>
		S: 550 5.7.1 Anonymous client does not have permissions to send as this sender
		C: MAIL FROM:<x@fabrikam.com>
		S: 250 2.1.0 Sender OK
	`)
	// The protocol log shows what the deny did: the session's permissions
	// lack SMTPAcceptAuthoritativeDomainSender from the start.
	waitLog(t, e, "FrontEnd", ",*,SMTPSubmit SMTPAcceptAnySender AcceptRoutingHeaders,Set Session Permissions\r\n")
}

// The relay connector of method B: ExternalAuthoritative.
func TestExternallySecuredRelay(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		srv, err := tx.Server("EX01")
		if err != nil {
			return err
		}
		rc := &state.ReceiveConnector{}
		*rc = *mustConnector(tx, "Default Frontend EX01")
		rc.Guid, rc.Name, rc.Identity = "", "Secured Relay", `EX01\Secured Relay`
		rc.Server = srv.Name
		rc.RemoteIPRanges = []string{"127.0.0.60-127.0.0.70"}
		rc.AuthMechanism = state.Flags{"Tls", "ExternalAuthoritative"}
		rc.PermissionGroups = state.Flags{"ExchangeServers"}
		return tx.PutReceiveConnector(rc)
	}})
	d := enginetest.DialFrom(t, "127.0.0.65", e.Addr(25))
	d.Script(`
		S: ~^220
		C: HELO app
		S: ~^250
		C: MAIL FROM:<app@contoso.com>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<someone@gmail.com>
		S: 250 2.1.5 Recipient OK
	`)
}

func mustConnector(tx state.Tx, name string) *state.ReceiveConnector {
	rc, err := tx.ReceiveConnectorByName("EX01", name)
	if err != nil {
		panic(err)
	}
	return rc
}

func plain(user, pass string) string {
	return b64("\x00" + user + "\x00" + pass)
}

// Every connector limit, on Default Frontend.
func TestConnectorLimits(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		rc := mustConnector(tx, "Default Frontend EX01")
		rc.MaxRecipientsPerMessage = 2
		rc.MaxMessageSize = 65536
		rc.MaxHopCount = 3
		rc.MaxHeaderSize = 2048
		rc.MaxProtocolErrors = 2
		rc.MaxInboundConnectionPerSource = 2
		rc.MaxInboundConnectionPercentagePerSource = 100
		rc.ConnectionInactivityTimeout = 400 * time.Millisecond
		rc.ConnectionTimeout = 3 * time.Second
		return tx.PutReceiveConnector(rc)
	}})
	t.Run("recipients-size-hops-header", func(t *testing.T) {
		d := enginetest.Dial(t, e.Addr(25))
		d.Expect(anonymousBanner)
		d.Send("EHLO x")
		if l := d.Reply(); l[1] != "250-SIZE 65536" {
			t.Errorf("SIZE line %q", l[1])
		}
		d.Do("MAIL FROM:<a@fabrikam.com> SIZE=65537", "552 5.3.4 Message size exceeds fixed maximum message size")
		d.Do("MAIL FROM:<a@fabrikam.com> SIZE=100", "250 2.1.0 Sender OK")
		d.Do("RCPT TO:<1@contoso.com>", "250 2.1.5 Recipient OK")
		d.Do("RCPT TO:<2@contoso.com>", "250 2.1.5 Recipient OK")
		d.Do("RCPT TO:<3@contoso.com>", "452 4.5.3 Too many recipients")
		d.Do("DATA", "~^354")
		d.Raw(strings.Repeat(strings.Repeat("x", 998)+"\r\n", 70) + ".\r\n")
		d.Expect("552 5.3.4 Message size exceeds fixed maximum message size")
		d.Do("MAIL FROM:<a@fabrikam.com>", "250 2.1.0 Sender OK")
		d.Do("RCPT TO:<1@contoso.com>", "250 2.1.5 Recipient OK")
		d.Do("DATA", "~^354")
		d.Raw("Received: a\r\nReceived: b\r\nReceived: c\r\nReceived: d\r\n\r\nloop\r\n.\r\n")
		d.Expect("554 5.4.6 Hop count exceeded - possible mail loop")
		d.Do("MAIL FROM:<a@fabrikam.com>", "250 2.1.0 Sender OK")
		d.Do("RCPT TO:<1@contoso.com>", "250 2.1.5 Recipient OK")
		d.Do("DATA", "~^354")
		d.Raw("X-Big: " + strings.Repeat("y", 3000) + "\r\n\r\nbody\r\n.\r\n")
		d.Expect("552 5.3.4 Header size exceeds fixed maximum size")
		d.Do("QUIT", "~^221")
		if n := len(e.Recorder.Submissions()); n != 0 {
			t.Errorf("%d messages accepted over the limits", n)
		}
	})
	t.Run("protocol-errors", func(t *testing.T) {
		d := enginetest.Dial(t, e.Addr(25))
		d.Expect(anonymousBanner)
		d.Do("BOGUS", "500 5.3.3 Unrecognized command")
		d.Do("BOGUS", "500 5.3.3 Unrecognized command")
		// The error past MaxProtocolErrors gets the 421 alone.
		d.Do("BOGUS", "~^421 4.7.0")
		d.Closed()
	})
	t.Run("inactivity", func(t *testing.T) {
		d := enginetest.Dial(t, e.Addr(25))
		d.Expect(anonymousBanner)
		d.Expect("451 4.7.0 Timeout waiting for client input")
		d.Closed()
	})
	t.Run("connection-timeout", func(t *testing.T) {
		d := enginetest.Dial(t, e.Addr(25))
		d.Expect(anonymousBanner)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			d.Send("NOOP")
			lines := d.Reply()
			if l := lines[len(lines)-1]; l != "250 2.0.0 OK" {
				if l != "421 4.4.1 Connection timed out" {
					t.Fatalf("got %q", l)
				}
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatal("ConnectionTimeout did not end the session")
	})
	t.Run("connections-per-source", func(t *testing.T) {
		a := enginetest.DialFrom(t, "127.0.0.80", e.Addr(25))
		a.Expect(anonymousBanner)
		b := enginetest.DialFrom(t, "127.0.0.80", e.Addr(25))
		b.Expect(anonymousBanner)
		c := enginetest.DialFrom(t, "127.0.0.80", e.Addr(25))
		c.Expect("421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel")
		c.Closed()
		other := enginetest.DialFrom(t, "127.0.0.81", e.Addr(25))
		other.Expect(anonymousBanner)
	})
}

// TarpitInterval delays failure replies to anonymous clients.
func TestTarpit(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{KeepTarpit: true, Prepare: func(tx state.Tx) error {
		rc := mustConnector(tx, "Default Frontend EX01")
		rc.TarpitInterval = 300 * time.Millisecond
		return tx.PutReceiveConnector(rc)
	}})
	d := enginetest.Dial(t, e.Addr(25))
	d.Script(`
		S: ~^220
		C: HELO x
		S: ~^250
		C: MAIL FROM:<a@fabrikam.com>
		S: ~^250
	`)
	start := time.Now()
	d.Do("RCPT TO:<x@gmail.com>", "~^550 5.7.54")
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("5.7.54 after %v, want the 300ms tarpit", el)
	}
}

// A message just under the limit still passes the hub, although the Front
// End's headers make it larger: Exchange servers bypass size limits.
func TestSizeLimitBypassedBetweenServers(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		for _, name := range []string{"Default Frontend EX01", "Default EX01"} {
			rc := mustConnector(tx, name)
			rc.MaxMessageSize = 65536
			if err := tx.PutReceiveConnector(rc); err != nil {
				return err
			}
		}
		return nil
	}})
	d := enginetest.Dial(t, e.Addr(25))
	d.Script(`
		S: ~^220
		C: HELO x
		S: ~^250
		C: MAIL FROM:<a@fabrikam.com>
		S: ~^250
		C: RCPT TO:<administrator@contoso.com>
		S: ~^250
		C: DATA
		S: ~^354
	`)
	d.Raw("Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("z", 98)+"\r\n", 650) + ".\r\n")
	d.Expect(`~^250 2\.6\.0`)
}

// Client Frontend's MessageRateLimit is 5 per user per minute.
func TestMessageRateLimit(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	d := enginetest.Dial(t, e.Addr(587))
	d.Expect(anonymousBanner)
	d.Do("EHLO client", "~^250 ")
	d.StartTLS()
	d.Do("EHLO client", "~^250 ")
	d.Do("AUTH PLAIN "+plain("administrator", "P@ssw0rd"), "235 2.7.0 Authentication successful")
	for i := 0; i < 5; i++ {
		d.Do("MAIL FROM:<administrator@contoso.com>", "250 2.1.0 Sender OK")
		d.Do("RCPT TO:<administrator@contoso.com>", "250 2.1.5 Recipient OK")
		d.Do("DATA", "~^354")
		d.Raw("Subject: n\r\n\r\n.\r\n")
		d.Expect(`~^250 2\.6\.0`)
	}
	d.Do("MAIL FROM:<administrator@contoso.com>", "421 4.4.2 Message submission rate for this client has exceeded the configured limit")
	d.Closed()
	if n := len(e.Recorder.Submissions()); n != 5 {
		t.Errorf("%d submissions", n)
	}
}
