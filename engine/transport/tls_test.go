package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"exsh/state"
)

func testTLSConfig(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.fabrikam.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"sink.fabrikam.com"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestRequireTLSWithoutSTARTTLSRetries(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	e.addSendConnector("TLS Only", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, func(c *state.SendConnector) { c.RequireTLS = true })
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "tls")
	e.waitFor("retry", func() bool {
		q, ok := e.tr.findQueue(state.DeliverySmartHostConnector)
		return ok && q.Status == "Retry" && strings.Contains(q.LastError, "451 5.7.3 STARTTLS is required to send mail")
	})
	if len(s.got()) != 0 {
		t.Errorf("message sent without TLS")
	}
}

func TestSTARTTLSAndBasicAuthRequireTLS(t *testing.T) {
	e := newEnv(t)
	s := &sink{rcptErr: map[string]*smtp.SMTPError{}}
	s.authUser, s.authPass = "relay@fabrikam.com", "secret"
	s.start(t, "")
	s.srv.TLSConfig = testTLSConfig(t)
	s.srv.AllowInsecureAuth = false
	t.Cleanup(s.close)
	e.addSendConnector("Secure", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, func(c *state.SendConnector) {
		c.RequireTLS = true
		c.SmartHostAuthMechanism = "BasicAuthRequireTLS"
		c.AuthUser, c.AuthPassword = "relay@fabrikam.com", "secret"
		c.ProtocolLoggingLevel = "Verbose"
	})
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "secure")
	e.waitFor("sink", func() bool { return len(s.got()) == 1 })
	if got := s.got()[0]; got.Auth != "relay@fabrikam.com" {
		t.Errorf("authenticated as %q", got.Auth)
	}
	// The session's lines reach the file when it ends.
	var log string
	e.waitFor("the session's end in the SmtpSend log", func() bool {
		logs, _ := filepath.Glob(filepath.Join(e.dir, "TransportRoles", "Logs", "Hub", "ProtocolLog", "SmtpSend", "SEND*.LOG"))
		if len(logs) == 0 {
			return false
		}
		b, _ := os.ReadFile(logs[0])
		log = string(b)
		return strings.Contains(log, ",-,,")
	})
	for _, want := range []string{",>,STARTTLS,", ",<,220 2.0.0 Ready to start TLS,", "TLS protocol SP_PROT_TLS1_3_CLIENT negotiation succeeded", ",>,AUTH PLAIN", ",>,MAIL FROM:<chris@contoso.com>"} {
		if !strings.Contains(log, want) {
			t.Errorf("SmtpSend log lacks %q:\n%s", want, log)
		}
	}
	blob := base64.StdEncoding.EncodeToString([]byte("\x00relay@fabrikam.com\x00secret"))
	if strings.Contains(log, "secret") || strings.Contains(log, blob) {
		t.Errorf("credentials were logged:\n%s", log)
	}
	if n := strings.Count(log, ",>,EHLO EX01.contoso.com,"); n != 2 {
		t.Errorf("%d EHLO lines, want 2 (before and after STARTTLS):\n%s", n, log)
	}
}

// A send connector with FrontendProxyEnabled delivers through Outbound
// Proxy Frontend (717 after PortMap), logging on as the server. A peer
// there that does not take the logon (here: no credential, no TLS) leaves
// the message waiting with Exchange's authentication error, not bounced.
func TestFrontendProxyEnabledUsesOutboundProxyPort(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	e.stopTransport()
	tr := e.newTransport()
	tr.cfg.PortMap = func(p int) int {
		if p == 717 {
			return s.port
		}
		return p
	}
	e.tr = tr
	if err := tr.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.addSendConnector("Via FET", []string{"SMTP:*;1"}, []string{"[192.0.2.1]"}, 25, func(c *state.SendConnector) {
		c.FrontendProxyEnabled = true
		c.ProtocolLoggingLevel = "Verbose"
	})
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "proxied")
	var q QueueInfo
	e.waitFor("retry", func() bool {
		var ok bool
		q, ok = e.tr.findQueue(state.DeliverySmartHostConnector)
		return ok && q.Status == "Retry"
	})
	if q.LastError != cannotAuthenticate {
		t.Errorf("LastError %q\nwant      %q", q.LastError, cannotAuthenticate)
	}
	if len(s.got()) != 0 {
		t.Errorf("delivered without logging on: %+v", s.got())
	}
	logs, _ := filepath.Glob(filepath.Join(e.dir, "TransportRoles", "Logs", "Hub", "ProtocolLog", "SmtpSend", "SEND*.LOG"))
	if len(logs) == 0 {
		t.Fatal("no SmtpSend log")
	}
	b, _ := os.ReadFile(logs[0])
	if !strings.Contains(string(b), ",Via FET,") || !strings.Contains(string(b), ":"+strconv.Itoa(s.port)+",+,,") {
		t.Errorf("Hub SmtpSend log:\n%s", b)
	}
}
