package smtpd

import (
	"crypto/tls"
	"strings"
	"testing"
)

func TestCipherSuiteName(t *testing.T) {
	for id := 0; id <= 0xffff; id++ {
		if got, want := CipherSuiteName(uint16(id)), tls.CipherSuiteName(uint16(id)); got != want {
			t.Fatalf("suite %#04x: got %q, want %q", id, got, want)
		}
	}
}

func TestTLSNegotiationText(t *testing.T) {
	for _, tc := range []struct {
		version, suite uint16
		want           string
	}{
		{tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits"},
		{tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits"},
		{tls.VersionTLS13, tls.TLS_CHACHA20_POLY1305_SHA256, "TLS protocol SP_PROT_TLS1_3_SERVER negotiation succeeded using bulk encryption algorithm CALG_CHACHA20 with strength 256 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits"},
		{tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_RSA_KEYX with strength 256 bits"},
	} {
		// The second call comes from the cache.
		for range 2 {
			if got := TLSNegotiationText(tls.ConnectionState{Version: tc.version, CipherSuite: tc.suite}); got != tc.want {
				t.Errorf("%s:\n got %q\nwant %q", tls.CipherSuiteName(tc.suite), got, tc.want)
			}
		}
	}
	if s := TLSNegotiationText(tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}); !strings.Contains(s, "TLS1_2") {
		t.Errorf("the cache mixed up versions: %q", s)
	}
}
