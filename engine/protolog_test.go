package engine_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"exsh/engine/enginetest"
	"exsh/state"
)

var update = flag.Bool("update", false, "rewrite the golden protocol logs")

var (
	maskTime    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)
	maskSession = regexp.MustCompile(`\b08D[0-9A-F]{13}\b`)
	maskPort    = regexp.MustCompile(`(127\.0\.0\.1|::1\]):\d{4,5}\b`)
	maskDate    = regexp.MustCompile(`\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}`)
	maskCert    = regexp.MustCompile(`,\*, CN=[^,]*,Sending certificate`)
	maskMsgID   = regexp.MustCompile(`<[0-9a-f-]+@EX01\.contoso\.com> \[InternalId=\d+`)
	maskSize    = regexp.MustCompile(`SIZE=\d+`)
	maskBdat    = regexp.MustCompile(`,BDAT \d+`)
	maskCipher  = regexp.MustCompile(`algorithm CALG_[A-Z0-9_]+ with strength \d+ bits, MAC hash algorithm CALG_SHA_\d+`)
)

// masked removes what changes from run to run: times, session ids,
// ephemeral ports, dates in banners, certificate details, message ids.
func masked(log string) string {
	var out []string
	for _, ln := range strings.Split(log, "\r\n") {
		if ln == "" || strings.HasPrefix(ln, "#Date:") {
			continue
		}
		ln = maskTime.ReplaceAllString(ln, "TIME")
		ln = maskSession.ReplaceAllString(ln, "SESSION")
		ln = maskPort.ReplaceAllString(ln, "$1:PORT")
		ln = maskDate.ReplaceAllString(ln, "DATE")
		ln = maskCert.ReplaceAllString(ln, ",*, CERTIFICATE,Sending certificate")
		ln = maskMsgID.ReplaceAllString(ln, "<MESSAGE-ID> [InternalId=N")
		ln = maskCipher.ReplaceAllString(ln, "algorithm CIPHER")
		if strings.Contains(ln, "Inbound Proxy") {
			ln = maskSize.ReplaceAllString(ln, "SIZE=N")
			ln = maskBdat.ReplaceAllString(ln, ",BDAT N")
		}
		out = append(out, ln)
	}
	return strings.Join(out, "\n") + "\n"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func logDir(e *enginetest.Env, svc, kind string) string {
	return filepath.Join(e.DataPath, "TransportRoles", "Logs", svc, "ProtocolLog", kind)
}

// The protocol logs of one anonymous delivery on Default Frontend with
// STARTTLS: the Front End's receive log (Verbose by default) and its send
// log for the proxy hop (IntraOrgConnectorProtocolLoggingLevel Verbose).
func TestProtocolLogGolden(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	d := enginetest.Dial(t, e.Addr(25))
	d.Expect(anonymousBanner)
	d.Send("EHLO mail.fabrikam.com")
	d.Reply()
	d.StartTLS()
	d.Script(`
		C: EHLO mail.fabrikam.com
		S: 250 CHUNKING
		C: MAIL FROM:<chris@fabrikam.com> SIZE=40
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<administrator@contoso.com>
		S: 250 2.1.5 Recipient OK
		C: RCPT TO:<someone@gmail.com>
		S: 550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain
		C: DATA
		S: 354 Start mail input; end with <CRLF>.<CRLF>
		C: Subject: hello
		C:
		C: body
		C: .
		S: ~^250 2\.6\.0
		C: QUIT
		S: 221 2.0.0 Service closing transmission channel
	`)
	var recv, send string
	enginetest.WaitFor(t, 5*time.Second, func() bool {
		recv = readLogs(logDir(e, "FrontEnd", "SmtpReceive"))
		send = readLogs(logDir(e, "FrontEnd", "SmtpSend"))
		return strings.Contains(recv, ",-,,") && strings.Contains(send, ",-,,")
	})
	golden(t, "frontend-receive.log", masked(recv))
	golden(t, "frontend-send.log", masked(send))
	// Hub connectors log at None by default.
	if hub := readLogs(logDir(e, "Hub", "SmtpReceive")); hub != "" {
		t.Errorf("Default EX01 logged at level None:\n%s", hub)
	}
	// File names follow RECVyyyymmddhh-N.LOG.
	files, _ := filepath.Glob(filepath.Join(logDir(e, "FrontEnd", "SmtpReceive"), "*"))
	for _, f := range files {
		if !regexp.MustCompile(`^RECV\d{10}-\d+\.LOG$`).MatchString(filepath.Base(f)) {
			t.Errorf("log file %s", f)
		}
	}
}

// With Default EX01 at Verbose, the hub's log shows the Front End logging
// on as this server, its permissions, and no credential.
func TestHubProtocolLog(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		rc := mustConnector(tx, "Default EX01")
		rc.ProtocolLoggingLevel = "Verbose"
		return tx.PutReceiveConnector(rc)
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
		C: x
		C: .
		S: ~^250 2\.6\.0
		C: QUIT
		S: ~^221
	`)
	log := waitLog(t, e, "Hub", `,*,CONTOSO\EX01$,authenticated`)
	for _, want := range []string{
		`EX01\Default EX01,`,
		",<,AUTH PLAIN,",
		",*,SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAuthenticationFlag SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender BypassAntiSpam BypassMessageSizeLimit SMTPAcceptEXCH50 AcceptRoutingHeaders AcceptForestHeaders AcceptOrganizationHeaders SendXMessageContextADRecipientCache SendXMessageContextExtendedProperties SendXMessageContextFastIndex SMTPAcceptXAttr SMTPAcceptXProxyFrom SMTPAcceptXSessionParams SMTPAcceptXShadow SMTPAcceptXSysProbe,Set Session Permissions",
		",>,235 2.7.0 Authentication successful,",
		"Queued mail for delivery",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("hub log lacks %q:\n%s", want, log)
		}
	}
}

// Set-FrontendTransportService -ReceiveProtocolLogPath moves the log; a
// $null path turns it off.
func TestProtocolLogPathChanges(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	moved := filepath.Join(t.TempDir(), "Receive")
	setPath := func(p string) {
		e.Update(func(tx state.Tx) error {
			ts, err := tx.TransportService("EX01", "FrontEnd")
			if err != nil {
				return err
			}
			ts.ReceiveProtocolLogPath = p
			return tx.PutTransportService(ts)
		})
	}
	session := func() {
		d := enginetest.Dial(t, e.Addr(25))
		d.Expect("~^220")
		d.Do("QUIT", "~^221")
		d.Closed()
	}
	setPath(moved)
	session()
	if !enginetest.WaitFor(t, 5*time.Second, func() bool { return strings.Contains(readLogs(moved), ",-,,Local") }) {
		t.Fatalf("nothing logged in %s", moved)
	}
	setPath("")
	before := readLogs(moved)
	session()
	time.Sleep(100 * time.Millisecond)
	if after := readLogs(moved); after != before {
		t.Errorf("logged with the path cleared")
	}
}
