package engine_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/state"
	"exsh/state/setup"
)

const anonymousBanner = `~^220 EX01\.contoso\.com Microsoft ESMTP MAIL Service ready at \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$`

// The seed article's first scenario: anonymous delivery to an internal
// recipient on Default Frontend, proxied to the hub.
func TestAnonymousInternalDelivery(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	d := enginetest.Dial(t, e.Addr(25))
	d.Script(`
		S: ` + anonymousBanner + `
		C: HELO FILESERVER
		S: 250 EX01.contoso.com Hello [127.0.0.1]
		C: MAIL FROM:<synology@exchangelabs.nl>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<administrator@contoso.com>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 Start mail input; end with <CRLF>.<CRLF>
		C: Subject: NAS test
		C:
		C: hello
		C: .
		S: ~^250 2\.6\.0 <[0-9a-f-]+@EX01\.contoso\.com> \[InternalId=\d+, Hostname=EX01\.contoso\.com\] Queued mail for delivery$
		C: QUIT
		S: 221 2.0.0 Service closing transmission channel
	`)
	subs := e.Recorder.Submissions()
	if len(subs) != 1 {
		t.Fatalf("%d submissions", len(subs))
	}
	sub := subs[0]
	if sub.ConnectorIdentity != `EX01\Default EX01` || sub.Sender != "synology@exchangelabs.nl" ||
		strings.Join(sub.Recipients, ",") != "administrator@contoso.com" || sub.AuthUser != "" ||
		sub.Direction != "Incoming" || sub.OriginalClientIP.String() != "127.0.0.1" || sub.ClientHostname != "EX01.contoso.com" {
		t.Errorf("submission %+v", sub)
	}
	data := string(sub.Data)
	// Hub hop on top, Front End hop below it (exchange-receive.md §8.1).
	re := regexp.MustCompile(`^Received: from EX01\.contoso\.com \(127\.0\.0\.1\) by EX01\.contoso\.com \(127\.0\.0\.1\)\r\n with Microsoft SMTP Server \(version=TLS1_2,\r\n cipher=TLS_[A-Z0-9_]+\) id 15\.2\.\d+\.\d+; .*\r\n` +
		`Received: from FILESERVER \(127\.0\.0\.1\) by EX01\.contoso\.com \(127\.0\.0\.1\)\r\n with Microsoft SMTP Server id 15\.2\.\d+\.\d+ via Frontend Transport; .*\r\n`)
	if !re.MatchString(data) {
		t.Errorf("Received chain:\n%s", data)
	}
	if strings.Contains(data, "OriginalClientHelo") {
		t.Errorf("internal proxy header leaked:\n%s", data)
	}
	if !strings.Contains(data, "X-MS-Exchange-Organization-AuthAs: Anonymous\r\n") || !strings.HasSuffix(data, "Subject: NAS test\r\n\r\nhello\r\n") {
		t.Errorf("message:\n%s", data)
	}
}

// Relay to gmail.com from an anonymous client: 5.7.54, as in Figure 4.
func TestAnonymousRelayRefused(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	d := enginetest.Dial(t, e.Addr(25))
	d.Script(`
		S: ` + anonymousBanner + `
		C: EHLO nas.contoso.com
		S: 250 CHUNKING
		C: MAIL FROM:<synology@exchangelabs.nl>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<someone@gmail.com>
		S: 550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain
	`)
}

func TestDefaultFrontendEHLO(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	d := enginetest.Dial(t, e.Addr(25))
	d.Expect(anonymousBanner)
	d.Send("EHLO client.fabrikam.com")
	want := []string{
		"250-EX01.contoso.com Hello [127.0.0.1]",
		"250-SIZE 37748736",
		"250-PIPELINING",
		"250-DSN",
		"250-ENHANCEDSTATUSCODES",
		"250-STARTTLS",
		"250-8BITMIME",
		"250-BINARYMIME",
		"250 CHUNKING",
	}
	if got := d.Reply(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("EHLO:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	d.StartTLS()
	d.Send("EHLO client.fabrikam.com")
	got := d.Reply()
	if strings.Contains(strings.Join(got, "\n"), "STARTTLS") || !contains(got, "250-AUTH LOGIN PLAIN") {
		t.Errorf("EHLO after STARTTLS: %q", got)
	}
	// Hub's Default connector advertises SIZE without a value.
	d2 := enginetest.Dial(t, e.Addr(2525))
	d2.Expect(anonymousBanner)
	d2.Send("EHLO x")
	if got := d2.Reply(); got[1] != "250-SIZE" {
		t.Errorf("Default EX01 EHLO: %q", got)
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

// 587 without AUTH: 5.7.57 at MAIL FROM.
func TestClientFrontendNeedsAuth(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	d := enginetest.Dial(t, e.Addr(587))
	d.Expect(anonymousBanner)
	d.Send("EHLO laptop")
	if got := d.Reply(); contains(got, "250-AUTH LOGIN PLAIN") {
		t.Errorf("AUTH offered before TLS on Client Frontend: %q", got)
	}
	d.Do("AUTH LOGIN", "504 5.7.4 Unrecognized authentication type")
	d.Do("MAIL FROM:<administrator@contoso.com>", "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM")
}

func addUserWithoutMailbox(tx state.Tx) error {
	hash, err := state.HashPasswordCost("Scan-Pa55", 4)
	if err != nil {
		return err
	}
	return tx.PutRecipient(&state.Recipient{
		Name: "svc-scanner", Alias: "svc-scanner", DisplayName: "svc-scanner",
		UserPrincipalName: "svc-scanner@contoso.com", SamAccountName: "svc-scanner",
		RecipientType: "User", RecipientTypeDetails: "User", PasswordHash: hash,
		Identity: "contoso.com/Users/svc-scanner",
	})
}

// An account without a mailbox: 5.7.60 at MAIL FROM (Figure 5).
func TestAccountWithoutMailbox(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: addUserWithoutMailbox})
	c, err := smtp.DialStartTLS(e.Addr(587), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("scanner"); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", `CONTOSO\svc-scanner`, "Scan-Pa55")); err != nil {
		t.Fatalf("AUTH: %v", err)
	}
	err = c.Mail("svc-scanner@contoso.com", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.Message != "SMTP; Client does not have permissions to send as this sender" || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 60}) {
		t.Fatalf("MAIL FROM: %v", err)
	}
}

// STARTTLS + AUTH on 587, proxied to Client Proxy (465); the client sees
// the hub's 250 2.6.0.
func TestAuthenticatedSubmission(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		c, err := smtp.DialStartTLS(e.Addr(587), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Hello("laptop.contoso.com"); err != nil {
			t.Fatal(err)
		}
		var a sasl.Client = sasl.NewPlainClient("", "administrator@contoso.com", setup.DefaultAdministratorPassword)
		if mech == "LOGIN" {
			a = sasl.NewLoginClient("Administrator", setup.DefaultAdministratorPassword)
		}
		if err := c.Auth(a); err != nil {
			t.Fatalf("AUTH %s: %v", mech, err)
		}
		if err := c.Mail("administrator@contoso.com", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("someone@gmail.com", nil); err != nil {
			t.Fatalf("authenticated relay refused: %v", err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("Subject: report\r\n\r\nbody\r\n"))
		resp, err := w.CloseWithResponse()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^2\.6\.0 <.*> \[InternalId=\d+, Hostname=EX01\.contoso\.com\] Queued mail for delivery$`).MatchString(resp.StatusText) {
			t.Errorf("DATA reply %q", resp.StatusText)
		}
		c.Quit()
	}
	subs := e.Recorder.Submissions()
	if len(subs) != 2 {
		t.Fatalf("%d submissions", len(subs))
	}
	for _, sub := range subs {
		if sub.ConnectorIdentity != `EX01\Client Proxy EX01` || sub.AuthUser != `CONTOSO\Administrator` || sub.Direction != "Originating" {
			t.Errorf("submission %+v", sub)
		}
		// Only the hub's line, naming the client (no Front End line).
		if n := strings.Count(string(sub.Data), "Received: "); n != 1 || !strings.HasPrefix(string(sub.Data), "Received: from laptop.contoso.com (127.0.0.1) by EX01.contoso.com") {
			t.Errorf("Received lines:\n%s", sub.Data)
		}
	}
}

// A relay connector for one device address, as in the article's lab.
func TestCustomRelayConnector(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		srv, err := tx.Server("EX01")
		if err != nil {
			return err
		}
		rc := setup.NewReceiveConnectorDefaults("Custom", "FrontendTransport", srv)
		rc.Name = "Anonymous Relay"
		rc.Identity = `EX01\Anonymous Relay`
		rc.Bindings = []string{"0.0.0.0:25"}
		rc.RemoteIPRanges = []string{"127.0.0.56"}
		rc.PermissionGroups = state.Flags{"AnonymousUsers"}
		rc.TarpitInterval = 0
		rc.ProtocolLoggingLevel = "Verbose"
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
		return tx.PutADPermission(&state.ADPermission{
			Identity: rc.Identity, ConnectorGuid: rc.Guid, User: state.PrincipalAnonymous,
			ExtendedRights: []string{state.RightAcceptAnyRecipient}, AccessRights: []string{"ExtendedRight"},
		})
	}})
	// The device's address picks the relay connector.
	d := enginetest.DialFrom(t, "127.0.0.56", e.Addr(25))
	d.Script(`
		S: ` + anonymousBanner + `
		C: HELO printer
		S: 250 EX01.contoso.com Hello [127.0.0.56]
		C: MAIL FROM:<printer@contoso.com>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<someone@gmail.com>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: ~^354
		C: Subject: scan
		C:
		C: .
		S: ~^250 2\.6\.0
	`)
	// Everyone else still gets Default Frontend and 5.7.54.
	d2 := enginetest.DialFrom(t, "127.0.0.57", e.Addr(25))
	d2.Script(`
		S: ~^220
		C: HELO other
		S: 250 EX01.contoso.com Hello [127.0.0.57]
		C: MAIL FROM:<x@fabrikam.com>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<someone@gmail.com>
		S: 550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain
	`)
	subs := e.Recorder.Submissions()
	if len(subs) != 1 || subs[0].Recipients[0] != "someone@gmail.com" {
		t.Fatalf("submissions %+v", subs)
	}
	// The protocol log names the relay connector.
	waitLog(t, e, "FrontEnd", `EX01\Anonymous Relay`)
}

func waitLog(t *testing.T, e *enginetest.Env, svc, want string) string {
	t.Helper()
	var all string
	ok := enginetest.WaitFor(t, 5*time.Second, func() bool {
		all = readLogs(filepath.Join(e.DataPath, "TransportRoles", "Logs", svc, "ProtocolLog", "SmtpReceive"))
		return strings.Contains(all, want)
	})
	if !ok {
		t.Fatalf("%s receive log lacks %q:\n%s", svc, want, all)
	}
	return all
}

func readLogs(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.LOG"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.Write(data)
	}
	return b.String()
}

// A Submitter failure is never acknowledged.
func TestSubmitFailure(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	e.Recorder.Fail = errors.New("disk full")
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
		C: x
		C: .
		S: 452 4.3.1 Insufficient system resources
	`)
}

func TestStopGraceful(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	idle := enginetest.Dial(t, e.Addr(25))
	idle.Expect("~^220")
	busy := enginetest.Dial(t, e.Addr(25))
	busy.Script(`
		S: ~^220
		C: HELO x
		S: ~^250
		C: MAIL FROM:<a@fabrikam.com>
		S: ~^250
	`)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- e.Service.Stop(ctx)
	}()
	idle.Expect("421 4.3.2 Service not available")
	busy.Script(`
		C: RCPT TO:<administrator@contoso.com>
		S: ~^250
		C: DATA
		S: ~^354
		C: x
		C: .
		S: ~^250 2\.6\.0
		S: 421 4.3.2 Service not available
	`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := enginetest.TryDial(e.Addr(25)); err == nil {
		t.Error("still listening after Stop")
	}
}

// Connectors follow the store: disabling one stops its listener.
func TestConnectorChangesApplyLive(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	e.Update(func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Outbound Proxy Frontend EX01")
		if err != nil {
			return err
		}
		rc.Enabled = false
		return tx.PutReceiveConnector(rc)
	})
	if !enginetest.WaitFor(t, 5*time.Second, func() bool { _, err := enginetest.TryDial(e.Addr(717)); return err != nil }) {
		t.Error("717 still listening after the connector was disabled")
	}
	e.Update(func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Outbound Proxy Frontend EX01")
		if err != nil {
			return err
		}
		rc.Enabled = true
		rc.Banner = "220 Outbound proxy ready"
		return tx.PutReceiveConnector(rc)
	})
	d := enginetest.Dial(t, e.Addr(717))
	d.Expect("220 Outbound proxy ready")
	var lines []string
	for _, ep := range e.Service.Endpoints() {
		lines = append(lines, ep.String())
	}
	joined := strings.Join(lines, "\n")
	if !regexp.MustCompile(`(?m)^Default Frontend EX01  0\.0\.0\.0:25 -> 127\.0\.0\.1:\d+$`).MatchString(joined) {
		t.Errorf("endpoints:\n%s", joined)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// The header firewall: an anonymous client cannot inject the Front End's
// internal headers or organisation headers.
func TestHeaderFirewall(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	d := enginetest.Dial(t, e.Addr(25))
	d.Script(`
		S: ~^220
		C: HELO evil
		S: ~^250
		C: MAIL FROM:<a@fabrikam.com>
		S: ~^250
		C: RCPT TO:<administrator@contoso.com>
		S: ~^250
		C: DATA
		S: ~^354
		C: X-MS-Exchange-Organization-AuthAs: Internal
		C: X-MS-Exchange-Organization-OriginalClientHelo: forged
		C: X-MS-Exchange-Organization-OriginalClientIPAddress: 10.9.9.9
		C: X-MS-Exchange-Forest-Whatever: x
		C: Subject: spoof
		C:
		C: .
		S: ~^250 2\.6\.0
	`)
	sub := e.Recorder.Submissions()[0]
	data := string(sub.Data)
	for _, bad := range []string{"forged", "10.9.9.9", "Forest-Whatever", "AuthAs: Internal"} {
		if strings.Contains(data, bad) {
			t.Errorf("message keeps %q:\n%s", bad, data)
		}
	}
	if strings.Count(data, "X-MS-Exchange-Organization-AuthAs: Anonymous") != 1 || sub.OriginalClientIP.String() != "127.0.0.1" {
		t.Errorf("message:\n%s", data)
	}
}

// Wildcard [::] bindings listen on ::1 when the host has IPv6 loopback.
func TestIPv6Loopback(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	addr := fmt.Sprintf("[::1]:%d", e.Service.ListenPort(25))
	if ok, _ := enginetest.TryDial(addr); !ok {
		t.Skip("no IPv6 loopback")
	}
	d := enginetest.Dial(t, addr)
	d.Expect(anonymousBanner)
	d.Do("HELO v6", "250 EX01.contoso.com Hello [::1]")
}

// Every goroutine the engine starts ends by the time Stop returns.
func TestStopLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	e := enginetest.Start(t, enginetest.Options{})
	for i := 0; i < 3; i++ {
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
			C: x
			C: .
			S: ~^250 2\.6\.0
		`)
	}
	if err := e.Service.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !enginetest.WaitFor(t, 3*time.Second, func() bool { return runtime.NumGoroutine() <= before+1 }) {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Stop:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
	if err := e.Service.Stop(context.Background()); !errors.Is(err, engine.ErrStopped) {
		t.Errorf("second Stop: %v", err)
	}
}
