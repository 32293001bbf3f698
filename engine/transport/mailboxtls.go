package transport

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"exsh/state"
)

// mailboxReceived is Mailbox Transport Delivery's Received: line, on top
// of the message head + body it delivers (exchange-receive.md §8.1):
//
//	Received: from EX01.contoso.com (10.0.0.5) by EX01.contoso.com (10.0.0.5)
//	 with Microsoft SMTP Server
//	 (version=TLS1_2, cipher=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.7
//	 via Mailbox Transport; Fri, 27 Nov 2026 09:30:00 +0000
func (t *Transport) mailboxReceived(ip string, head, body []byte, now time.Time) string {
	tlsPart := " "
	if p := t.mailboxTLS(head, body); p != "" {
		tlsPart = "\r\n (" + p + ") "
	}
	return fmt.Sprintf("Received: from %s (%s) by %s (%s)\r\n with Microsoft SMTP Server%sid %s\r\n via Mailbox Transport; %s\r\n",
		t.cfg.Fqdn, ip, t.cfg.Fqdn, ip, tlsPart, t.build, exchangeDate(now))
}

// mailboxTLS is the TLS part of Mailbox Transport's Received: line
// ("version=TLS1_2, cipher=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"), ""
// for none. Exchange writes the parameters of the hop into Mailbox
// Transport Delivery, a TLS session between this server's services with
// its certificate; here that hop is within the process, and the nearest
// real session is the one the message arrived on at this Transport
// service, whose parameters its own Received: line on top of the message
// names. A message without one (a DSN made here) or that arrived in clear
// text gets what Exchange 2019 negotiates between its services, TLS 1.2
// with the suite of the certificate's key (ECDSA or RSA); without a
// certificate there is no TLS to name.
func (t *Transport) mailboxTLS(head, body []byte) string {
	// The first field, wherever head ends: a Received: line is far
	// shorter than hopTLS reads. Most messages have no head; their body
	// is read in place.
	first := head
	switch {
	case len(head) == 0:
		first = body
	case len(head) < maxHopField && len(body) > 0:
		first = append(head[:len(head):len(head)], body[:min(len(body), maxHopField-len(head))]...)
	}
	if version, cipher, ok := hopTLS(first, t.cfg.Fqdn); ok {
		return "version=" + version + ", cipher=" + cipher
	}
	switch t.certificateKey() {
	case "ECDSA", "Ed25519":
		return "version=TLS1_2, cipher=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
	case "RSA":
		return "version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
	}
	return ""
}

// maxHopField bounds the Received: line hopTLS reads.
const maxHopField = 1024

// hopTLS reads the TLS version and cipher suite from the message's first
// header field when it is the Received: line this server (fqdn) wrote on
// receiving it over TLS:
//
//	Received: from EX01.contoso.com (10.0.0.5) by EX01.contoso.com
//	 (10.0.0.5) with Microsoft SMTP Server (version=TLS1_3,
//	 cipher=TLS_AES_256_GCM_SHA384) id 15.2.1118.7; ...
func hopTLS(data []byte, fqdn string) (version, cipher string, ok bool) {
	const name = "Received:"
	if len(data) > maxHopField {
		data = data[:maxHopField]
	}
	if len(data) < len(name) || !strings.EqualFold(string(data[:len(name)]), name) {
		return "", "", false
	}
	// The field ends at a line break not followed by folding white space.
	end := 0
	for {
		i := bytes.IndexByte(data[end:], '\n')
		if i < 0 {
			return "", "", false
		}
		end += i + 1
		if end >= len(data) || data[end] != ' ' && data[end] != '\t' {
			break
		}
	}
	field := strings.Join(strings.Fields(string(data[len(name):end])), " ")
	_, after, found := strings.Cut(field, " by ")
	if !found || !strings.HasPrefix(strings.ToLower(after), strings.ToLower(fqdn)+" ") {
		return "", "", false
	}
	_, after, found = strings.Cut(after, " with Microsoft SMTP Server (version=")
	if !found {
		return "", "", false
	}
	version, after, found = strings.Cut(after, ", cipher=")
	if !found {
		return "", "", false
	}
	cipher, _, found = strings.Cut(after, ")")
	if !found || !tlsName(version) || !tlsName(cipher) {
		return "", "", false
	}
	return version, cipher, true
}

// tlsName reports whether s looks like a TLS version or cipher suite name
// as a Received: line writes it ("TLS1_2", "TLS_AES_128_GCM_SHA256").
func tlsName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// certificateKey is the key type of the organisation's certificate
// ("ECDSA", "RSA", "Ed25519"), "" without one; decoded again only when
// the organisation changed.
func (t *Transport) certificateKey() string {
	if t.st == nil {
		return ""
	}
	gen := t.st.Generation()
	if c := t.cachedCertKey.Load(); c != nil && c.gen == gen {
		return c.key
	}
	key := ""
	_ = t.st.View(func(tx state.Tx) error {
		cert, err := tx.Certificate()
		if err != nil || cert == nil || len(cert.CertPEM) == 0 {
			return nil
		}
		if pair, err := tls.X509KeyPair(cert.CertPEM, cert.KeyPEM); err == nil && pair.Leaf != nil {
			key = pair.Leaf.PublicKeyAlgorithm.String()
		}
		return nil
	})
	t.cachedCertKey.Store(&certKeyAt{gen: gen, key: key})
	return key
}

// certKeyAt is the certificate's key type as of a store generation.
type certKeyAt struct {
	gen uint64
	key string
}
