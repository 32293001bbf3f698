package setup

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"exsh/state"
)

// CertificateLifetime is how long the self-signed certificate is valid;
// Exchange setup's self-signed certificate lasts five years.
const CertificateLifetime = 5 * 365 * 24 * time.Hour

// NewCertificate makes the server's self-signed ECDSA P-256 certificate,
// Subject and Issuer CN=<server>, with DNS names <server>, <server>.<domain>
// and localhost and IP addresses 127.0.0.1 and ::1, valid from now for
// CertificateLifetime, enabled for SMTP.
func NewCertificate(server, domain string, now time.Time) (*state.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	fqdn := server + "." + domain
	name := pkix.Name{CommonName: server}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		Issuer:                name,
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              now.Add(CertificateLifetime).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{server, fqdn, "localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding certificate key: %w", err)
	}
	sum := sha1.Sum(der)
	return &state.Certificate{
		Thumbprint:         strings.ToUpper(hex.EncodeToString(sum[:])),
		Subject:            "CN=" + server,
		Issuer:             "CN=" + server,
		NotBefore:          tmpl.NotBefore,
		NotAfter:           tmpl.NotAfter,
		Services:           "SMTP",
		CertificateDomains: []string{server, fqdn, "localhost", "127.0.0.1", "::1"},
		CertPEM:            pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:             pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}
