package engine_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/state"
	"exsh/state/setup"
)

// Protocol-log goldens for the sessions an admin meets first: the device
// dropping mail on 25 (the seed article's log), the relay refused with
// 5.7.54, authenticated submission on 587 proxied to 465, the Front End's
// proxy hop to the hub, and the hub sending through a send connector.
// Times, session ids, ephemeral ports and message ids are masked by
// maskedSession; everything else must stay byte for byte.

var (
	maskEndpoint  = regexp.MustCompile(`\b(127\.0\.0\.\d{1,3}):(\d+)\b`)
	maskMailSize  = regexp.MustCompile(`( SIZE=)\d+`)
	maskSinkQueue = regexp.MustCompile(`250 2\.0\.0 OK: queued[^,]*`)
)

// bindingPorts are the default connectors' ports. They stay in the
// goldens: a log must show the port the connector is bound to (2525 for
// Default EX01), not the port a test happened to listen on.
var bindingPorts = map[string]bool{"25": true, "465": true, "587": true, "717": true, "2525": true}

// maskedSession is masked, except that it keeps binding ports and masks
// every other port on any loopback address (devices such as
// 127.0.0.56), and message sizes, which depend on header lines with
// times in them.
func maskedSession(log string) string {
	var out []string
	for _, ln := range strings.Split(log, "\r\n") {
		if ln == "" || strings.HasPrefix(ln, "#Date:") {
			continue
		}
		ln = maskTime.ReplaceAllString(ln, "TIME")
		ln = maskSession.ReplaceAllString(ln, "SESSION")
		ln = maskEndpoint.ReplaceAllStringFunc(ln, func(ep string) string {
			m := maskEndpoint.FindStringSubmatch(ep)
			if bindingPorts[m[2]] {
				return ep
			}
			return m[1] + ":PORT"
		})
		ln = maskDate.ReplaceAllString(ln, "DATE")
		ln = maskCert.ReplaceAllString(ln, ",*, CERTIFICATE,Sending certificate")
		ln = maskMsgID.ReplaceAllString(ln, "<MESSAGE-ID> [InternalId=N")
		ln = maskCipher.ReplaceAllString(ln, "algorithm CIPHER")
		ln = maskMailSize.ReplaceAllString(ln, "${1}N")
		ln = maskBdat.ReplaceAllString(ln, ",BDAT N")
		ln = maskSinkQueue.ReplaceAllString(ln, "250 2.0.0 OK: queued")
		out = append(out, ln)
	}
	return strings.Join(out, "\n") + "\n"
}

// waitSessionsLogged waits until dir holds n complete sessions (n
// disconnect lines) and returns its files.
func waitSessionsLogged(t *testing.T, dir string, n int) string {
	t.Helper()
	var log string
	if !enginetest.WaitFor(t, 10*time.Second, func() bool {
		log = readLogs(dir)
		return strings.Count(log, ",-,,") >= n
	}) {
		t.Fatalf("%s: want %d finished sessions, have:\n%s", dir, n, log)
	}
	return log
}

// The seed article's device: a file server at 127.0.0.56 says HELO on
// Default Frontend and drops a message for an internal mailbox without
// authenticating. With Default EX01 at Verbose the proxy hop is logged on
// both ends: the Front End's SmtpSend (intra-org, Verbose by default) and
// the hub's SmtpReceive.
func TestProtocolLogGoldenSeedDeviceAndProxyHop(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		rc := mustConnector(tx, "Default EX01")
		rc.ProtocolLoggingLevel = "Verbose"
		return tx.PutReceiveConnector(rc)
	}})
	d := enginetest.DialFrom(t, "127.0.0.56", e.Addr(25))
	d.Expect(anonymousBanner)
	d.Script(`
		C: HELO FILESERVER
		S: 250 EX01.contoso.com Hello [127.0.0.56]
		C: MAIL FROM:<synology@exchangelabs.nl>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<administrator@contoso.com>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 Start mail input; end with <CRLF>.<CRLF>
		C: From: synology@exchangelabs.nl
		C: Subject: Test message from FILESERVER
		C:
		C: Test mail.
		C: .
		S: ~^250 2\.6\.0
		C: QUIT
		S: 221 2.0.0 Service closing transmission channel
	`)
	recv := waitSessionsLogged(t, logDir(e, "FrontEnd", "SmtpReceive"), 1)
	send := waitSessionsLogged(t, logDir(e, "FrontEnd", "SmtpSend"), 1)
	hub := waitSessionsLogged(t, logDir(e, "Hub", "SmtpReceive"), 1)
	golden(t, "seed-device-frontend-receive.log", maskedSession(recv))
	golden(t, "proxy-hop-frontend-send.log", maskedSession(send))
	golden(t, "proxy-hop-hub-receive.log", maskedSession(hub))
	if strings.Contains(send+hub, "Test mail.") {
		t.Errorf("the message body reached a protocol log")
	}
}

// The Synology NAS of the article's Figure 4: anonymous mail to a domain
// that is not accepted is refused at RCPT, and nothing is proxied.
func TestProtocolLogGoldenRelayRefused(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	d := enginetest.DialFrom(t, "127.0.0.57", e.Addr(25))
	d.Expect(anonymousBanner)
	d.Script(`
		C: EHLO synology
		S: ~^250 CHUNKING$
		C: MAIL FROM:<synology@exchangelabs.nl>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<jaap@gmail.com>
		S: 550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain
		C: QUIT
		S: 221 2.0.0 Service closing transmission channel
	`)
	recv := waitSessionsLogged(t, logDir(e, "FrontEnd", "SmtpReceive"), 1)
	golden(t, "relay-refused-frontend-receive.log", maskedSession(recv))
	if send := readLogs(logDir(e, "FrontEnd", "SmtpSend")); send != "" {
		t.Errorf("a refused relay was proxied:\n%s", send)
	}
}

// A mail client on Client Frontend (587): STARTTLS, AUTH LOGIN, one
// message. Client Frontend and Client Proxy log at None by default, so
// both are set to Verbose; the Front End's proxy to 465 is its intra-org
// SmtpSend log. No credential may appear in any of the three.
func TestProtocolLogGoldenSubmission(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Prepare: func(tx state.Tx) error {
		for _, name := range []string{"Client Frontend EX01", "Client Proxy EX01"} {
			rc := mustConnector(tx, name)
			rc.ProtocolLoggingLevel = "Verbose"
			if err := tx.PutReceiveConnector(rc); err != nil {
				return err
			}
		}
		return nil
	}})
	d := enginetest.Dial(t, e.Addr(587))
	d.Expect(anonymousBanner)
	d.Do("EHLO laptop", "~^250 CHUNKING$")
	d.StartTLS()
	d.Do("EHLO laptop", "~^250 CHUNKING$")
	d.Do("AUTH LOGIN", "334 VXNlcm5hbWU6")
	d.Do(b64("administrator@contoso.com"), "334 UGFzc3dvcmQ6")
	d.Do(b64(setup.DefaultAdministratorPassword), "235 2.7.0 Authentication successful")
	d.Script(`
		C: MAIL FROM:<administrator@contoso.com>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<administrator@contoso.com>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: 354 Start mail input; end with <CRLF>.<CRLF>
		C: From: administrator@contoso.com
		C: Subject: submitted
		C:
		C: Sent from a mail client.
		C: .
		S: ~^250 2\.6\.0
		C: QUIT
		S: 221 2.0.0 Service closing transmission channel
	`)
	recv := waitSessionsLogged(t, logDir(e, "FrontEnd", "SmtpReceive"), 1)
	send := waitSessionsLogged(t, logDir(e, "FrontEnd", "SmtpSend"), 1)
	hub := waitSessionsLogged(t, logDir(e, "Hub", "SmtpReceive"), 1)
	golden(t, "submission-587-frontend-receive.log", maskedSession(recv))
	golden(t, "submission-587-frontend-send.log", maskedSession(send))
	golden(t, "submission-465-hub-receive.log", maskedSession(hub))
	for _, secret := range []string{
		setup.DefaultAdministratorPassword, b64(setup.DefaultAdministratorPassword),
		b64("administrator@contoso.com"), "Sent from a mail client.",
	} {
		if strings.Contains(recv+send+hub, secret) {
			t.Errorf("a protocol log holds %q", secret)
		}
	}
}

// The hub sending to the Internet through a send connector straight to a
// loopback smart host (FrontendProxyEnabled off): the Hub's SmtpSend log
// under the connector's name.
func TestProtocolLogGoldenSendConnector(t *testing.T) {
	s := newSink(t)
	cred, err := mail.NewServerCredential(mail.ServerAccount("CONTOSO", "EX01"))
	if err != nil {
		t.Fatal(err)
	}
	e := enginetest.Start(t, enginetest.Options{
		Credential: cred,
		FixedPorts: []int{s.port},
		Prepare: func(tx state.Tx) error {
			sc := toSmartHost("To Internet", "*", s.port)
			sc.FrontendProxyEnabled = false
			sc.ProtocolLoggingLevel = "Verbose"
			return tx.PutSendConnector(sc)
		},
		Submitter: transportWith(cred, nil),
	})
	submitAsAdministrator(t, e.Addr(587), "user@fabrikam.com", "outbound", "Hello from EX01.")
	if !enginetest.WaitFor(t, 15*time.Second, func() bool { return len(s.got()) == 1 }) {
		t.Fatalf("nothing reached the smart host")
	}
	send := waitSessionsLogged(t, logDir(e, "Hub", "SmtpSend"), 1)
	golden(t, "send-connector-hub-send.log", maskedSession(send))
	if strings.Contains(send, "Hello from EX01.") {
		t.Errorf("the message body reached the Hub SmtpSend log")
	}
}
