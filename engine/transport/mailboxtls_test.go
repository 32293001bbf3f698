package transport

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"exsh/engine/smtpd"
	"exsh/state"
)

// hopTLS reads the TLS parameters from this server's own Received: line
// on top of the message, however it is folded, and from nothing else.
func TestHopTLS(t *testing.T) {
	own := smtpd.Received("EX01.contoso.com", netip.MustParseAddr("127.0.0.1"), "EX01.contoso.com", netip.MustParseAddr("127.0.0.1"),
		&tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}, "15.2.1118.7", "", epoch)
	plain := smtpd.Received("EX01.contoso.com", netip.MustParseAddr("127.0.0.1"), "EX01.contoso.com", netip.MustParseAddr("127.0.0.1"),
		nil, "15.2.1118.7", "", epoch)
	for _, tc := range []struct {
		name, data      string
		version, cipher string
	}{
		{"this server's hop over TLS", own + "Subject: x\r\n\r\n", "TLS1_3", "TLS_AES_128_GCM_SHA256"},
		{"lower-case field name and FQDN", strings.Replace(strings.Replace(own, "Received:", "received:", 1), "by EX01.contoso.com", "by ex01.CONTOSO.com", 1), "TLS1_3", "TLS_AES_128_GCM_SHA256"},
		{"one line", "Received: from a (192.0.2.1) by EX01.contoso.com (127.0.0.1) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) id 15.2.1118.7; " + epoch.Format(time.RFC1123Z) + "\r\n", "TLS1_2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{"in clear text", plain + "Subject: x\r\n\r\n", "", ""},
		{"another server's hop", strings.Replace(own, "by EX01.contoso.com", "by EX02.contoso.com", 1), "", ""},
		{"not the first field", "Subject: x\r\n" + own, "", ""},
		{"no Received: line", "Subject: x\r\n\r\nbody\r\n", "", ""},
		{"a name that is not a suite", "Received: from a (192.0.2.1) by EX01.contoso.com (127.0.0.1) with Microsoft SMTP Server (version=TLS1_2, cipher=<script>) id 1; x\r\n", "", ""},
		{"cut short", own[:len(own)/2], "", ""},
		{"empty", "", "", ""},
	} {
		version, cipher, ok := hopTLS([]byte(tc.data), "EX01.contoso.com")
		if version != tc.version || cipher != tc.cipher || ok != (tc.version != "") {
			t.Errorf("%s: %q %q %v, want %q %q", tc.name, version, cipher, ok, tc.version, tc.cipher)
		}
	}
}

// Mailbox Transport's Received: line names the TLS parameters of the hop
// the message arrived on; without them, those of the certificate's key,
// never an RSA suite under an ECDSA certificate.
func TestMailboxReceivedTLS(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("chris")
	deliver := func(top string) string {
		t.Helper()
		sub := testSubmission("x@fabrikam.com", []string{"chris@contoso.com"}, "tls")
		if top != "" {
			sub.Data = append([]byte(top), sub.Data...)
		}
		n := len(e.mailbox("chris@contoso.com"))
		if _, err := e.tr.Submit(sub); err != nil {
			t.Fatal(err)
		}
		e.waitFor("delivery", func() bool { return len(e.mailbox("chris@contoso.com")) == n+1 })
		data, err := e.tr.MailboxItemData(e.mailbox("chris@contoso.com")[n])
		if err != nil {
			t.Fatal(err)
		}
		line, _, _ := strings.Cut(string(data), "; ")
		return line
	}
	arrived := smtpd.Received("EX01.contoso.com", netip.MustParseAddr("127.0.0.1"), "EX01.contoso.com", netip.MustParseAddr("127.0.0.1"),
		&tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_256_GCM_SHA384}, "15.2.1118.7", "", epoch)
	head := `^Received: from EX01\.contoso\.com \(127\.0\.0\.1\) by EX01\.contoso\.com \(127\.0\.0\.1\)\r\n with Microsoft SMTP Server`
	for _, tc := range []struct {
		name, top, want string
		rsa             bool
	}{
		{"arrived over TLS", arrived, head + `\r\n \(version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384\) id 15\.2\.1118\.7\r\n via Mailbox Transport$`, false},
		{"arrived in clear text, ECDSA certificate", "", head + `\r\n \(version=TLS1_2, cipher=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\) id 15\.2\.1118\.7\r\n via Mailbox Transport$`, false},
		{"arrived in clear text, RSA certificate", "", head + `\r\n \(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\) id 15\.2\.1118\.7\r\n via Mailbox Transport$`, true},
	} {
		if tc.rsa {
			putRSACertificate(t, e.st)
		}
		if got := deliver(tc.top); !regexp.MustCompile(tc.want).MatchString(got) {
			t.Errorf("%s: %q\nwant %s", tc.name, got, tc.want)
		}
	}

	// Without a certificate there is no TLS to name.
	tr := &Transport{cfg: Config{Fqdn: "EX01.contoso.com"}, build: "15.2.1118.7"}
	if got, want := tr.mailboxReceived("127.0.0.1", nil, []byte("Subject: x\r\n\r\n"), epoch),
		"Received: from EX01.contoso.com (127.0.0.1) by EX01.contoso.com (127.0.0.1)\r\n with Microsoft SMTP Server id 15.2.1118.7\r\n via Mailbox Transport; "+exchangeDate(epoch)+"\r\n"; got != want {
		t.Errorf("without a certificate: %q, want %q", got, want)
	}
}

// putRSACertificate gives the organisation a self-signed RSA certificate.
func putRSACertificate(t *testing.T, st state.Store) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "EX01"},
		NotBefore: epoch.Add(-time.Hour), NotAfter: epoch.Add(24 * time.Hour), DNSNames: []string{"EX01.contoso.com"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(tx state.Tx) error {
		c, err := tx.Certificate()
		if err != nil {
			return err
		}
		c.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		c.KeyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
		return tx.PutCertificate(c)
	})
	if err != nil {
		t.Fatal(err)
	}
}
