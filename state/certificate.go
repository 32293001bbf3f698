package state

import (
	"crypto/tls"
	"fmt"
)

// TlsCertificateName is the connector TlsCertificateName value that
// selects this certificate: "<I>issuer<S>subject".
func (c *Certificate) TlsCertificateName() string {
	return "<I>" + c.Issuer + "<S>" + c.Subject
}

// TLSCertificate parses the stored PEM certificate and key for a TLS
// server.
func (c *Certificate) TLSCertificate() (tls.Certificate, error) {
	cert, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate %q: %v: %w", c.Subject, err, ErrCorrupt)
	}
	return cert, nil
}
