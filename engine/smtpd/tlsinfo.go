package smtpd

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// TLSNegotiationText is the protocol-log context Exchange writes after a
// handshake, in Schannel's words:
// "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk
// encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash
// algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm
// CALG_ECDH_EPHEM with strength 256 bits".
func TLSNegotiationText(cs tls.ConnectionState) string {
	key := uint32(cs.Version)<<16 | uint32(cs.CipherSuite)
	if s, ok := negotiationTexts.Load(key); ok {
		return s.(string)
	}
	s := negotiationText(cs.Version, cs.CipherSuite)
	negotiationTexts.Store(key, s)
	return s
}

// negotiationTexts caches TLSNegotiationText by version and cipher suite:
// a handful of pairs are ever negotiated.
var negotiationTexts sync.Map

func negotiationText(version, suite uint16) string {
	proto := "SP_PROT_" + TLSVersionName(version) + "_SERVER"
	name := CipherSuiteName(suite)
	bulk, bulkBits := "CALG_AES_128", 128
	switch {
	case strings.Contains(name, "AES_256"):
		bulk, bulkBits = "CALG_AES_256", 256
	case strings.Contains(name, "CHACHA20"):
		bulk, bulkBits = "CALG_CHACHA20", 256
	}
	mac := "CALG_SHA_256"
	if strings.HasSuffix(name, "SHA384") {
		mac = "CALG_SHA_384"
	}
	kx := "CALG_ECDH_EPHEM"
	if strings.HasPrefix(name, "TLS_RSA_") {
		kx = "CALG_RSA_KEYX"
	}
	return fmt.Sprintf("TLS protocol %s negotiation succeeded using bulk encryption algorithm %s with strength %d bits, MAC hash algorithm %s with strength 0 bits and key exchange algorithm %s with strength 256 bits",
		proto, bulk, bulkBits, mac, kx)
}

// CertificateText is the data of Exchange's "Sending certificate" line:
// subject, issuer, serial, thumbprint, validity and alternate names.
func CertificateText(c *x509.Certificate) string {
	thumb := sha1.Sum(c.Raw)
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	const layout = "2006-01-02T15:04:05.000Z"
	return fmt.Sprintf(" %s %s %X %X %s %s %s",
		c.Subject.String(), c.Issuer.String(), c.SerialNumber, thumb[:],
		c.NotBefore.UTC().Format(layout), c.NotAfter.UTC().Format(layout), strings.Join(names, ";"))
}

// CipherSuiteName is tls.CipherSuiteName, which builds the list of every
// suite on each call, from a table built once.
func CipherSuiteName(id uint16) string {
	if name, ok := cipherSuiteNames()[id]; ok {
		return name
	}
	return tls.CipherSuiteName(id)
}

var cipherSuiteNames = sync.OnceValue(func() map[uint16]string {
	m := map[uint16]string{}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		m[c.ID] = c.Name
	}
	return m
})

// TLSVersionName is the "version=" of a Received: header ("TLS1_2").
func TLSVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLS1_3"
	case tls.VersionTLS12:
		return "TLS1_2"
	case tls.VersionTLS11:
		return "TLS1_1"
	case tls.VersionTLS10:
		return "TLS1_0"
	}
	return "TLS"
}

// Received builds an Exchange Received: header field, folded as Exchange
// folds it, with its CRLF (exchange-receive.md §8.1):
//
//	Received: from client.fabrikam.com (192.0.2.1) by EX01.contoso.com
//	 (10.0.0.5) with Microsoft SMTP Server (version=TLS1_2,
//	 cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.7 via
//	 Frontend Transport; Fri, 27 Nov 2026 09:30:00 +0000
//
// via is "", "Frontend Transport" or "Mailbox Transport". fromName falls
// back to the bracketed client address when the client sent no HELO name.
func Received(fromName string, fromIP netip.Addr, byFqdn string, byIP netip.Addr, cs *tls.ConnectionState, build, via string, t time.Time) string {
	ip := func(a netip.Addr) string { return a.Unmap().WithZone("").String() }
	if fromName == "" {
		fromName = "[" + ip(fromIP) + "]"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s (%s) by %s (%s)\r\n with Microsoft SMTP Server", fromName, ip(fromIP), byFqdn, ip(byIP))
	if cs != nil {
		fmt.Fprintf(&b, " (version=%s,\r\n cipher=%s)", TLSVersionName(cs.Version), CipherSuiteName(cs.CipherSuite))
	}
	fmt.Fprintf(&b, " id %s", build)
	if via != "" {
		b.WriteString(" via " + via)
	}
	b.WriteString("; " + t.Format("Mon, 2 Jan 2006 15:04:05 -0700") + "\r\n")
	return b.String()
}

// BuildFromVersion turns an AdminDisplayVersion ("Version 15.2 (Build
// 1118.7)") into the id of a Received: header ("15.2.1118.7").
func BuildFromVersion(v string) string {
	var major, minor, build, rev int
	if n, _ := fmt.Sscanf(v, "Version %d.%d (Build %d.%d)", &major, &minor, &build, &rev); n == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", major, minor, build, rev)
	}
	return "15.2.1118.7"
}

// CloseAfterQuit closes a connection whose SMTP session has ended with
// QUIT and its 221 reply. SMTP itself marks that end, so a TLS
// connection is closed at the TCP level without a close_notify alert:
// the alert would be one more write (under a 5 second deadline) that
// the peer, closing too, usually never reads. A session that ends any
// other way is closed with conn.Close, alert included.
func CloseAfterQuit(conn net.Conn) error {
	if tc, ok := conn.(*tls.Conn); ok {
		return tc.NetConn().Close()
	}
	return conn.Close()
}
