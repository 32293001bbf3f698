package org

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// ExchangeCertificateType is the type name of Get-ExchangeCertificate's
// objects.
const ExchangeCertificateType = "Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate"

func exchangeCertificateCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	typeNames := []string{ExchangeCertificateType, "System.Security.Cryptography.X509Certificates.X509Certificate2", "System.Object"}
	get := &interp.CmdletInfo{
		Name:        "Get-ExchangeCertificate",
		Synopsis:    "Gets the certificates of an Exchange server.",
		Description: "Get-ExchangeCertificate returns the server's certificates; the lab has the self-signed certificate setup made for STARTTLS.",
		OutputType:  ExchangeCertificateType,
		Params: []*interp.ParamInfo{
			{Name: "Thumbprint", Kind: interp.KindString, Position: 0, FromPipelineByPropertyName: true, Help: "Returns the certificate with this thumbprint."},
			named("Server", interp.KindString, "Specifies the server; the default is the local server."),
			domainControllerParam(),
		},
		Examples: []interp.Example{{Code: "Get-ExchangeCertificate | Format-List Subject,Services,NotAfter", Remarks: "Shows the certificate used for STARTTLS."}},
	}
	get.Process = func(c *interp.Call) error {
		var out *object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			if c.Has("Server") {
				if _, err := r.server(tx, c.String("Server")); err != nil {
					return err
				}
			}
			cert, err := tx.Certificate()
			if err != nil {
				if c.Has("Thumbprint") {
					return r.task.NotFound(c.String("Thumbprint"))
				}
				return nil
			}
			if c.Has("Thumbprint") && !strings.EqualFold(strings.TrimSpace(c.String("Thumbprint")), cert.Thumbprint) {
				return r.task.NotFound(c.String("Thumbprint"))
			}
			out = certificateObject(typeNames, cert, d.Clock())
			return nil
		})
		if err != nil || out == nil {
			return report(c, err)
		}
		return c.WriteObject(out)
	}
	return []*interp.CmdletInfo{get}
}

// certificateList is what Format-List shows of a certificate by default,
// in the Exchange Management Shell's order.
var certificateList = []string{
	"AccessRules", "CertificateDomains", "HasPrivateKey", "IsSelfSigned", "Issuer", "NotAfter", "NotBefore",
	"PublicKeySize", "RootCAType", "SerialNumber", "Services", "Status", "Subject", "Thumbprint",
}

// certificateObject is the ExchangeCertificate Get-ExchangeCertificate
// writes: Exchange's properties first, then those of the X509Certificate2
// it extends (Format-List * shows them). The certificate's own fields
// (serial number, key size, extensions) come from its PEM.
func certificateObject(typeNames []string, cert *state.Certificate, now time.Time) *object.PSObject {
	var parsed *x509.Certificate
	if b, _ := pem.Decode(cert.CertPEM); b != nil {
		parsed, _ = x509.ParseCertificate(b.Bytes)
	}
	domains := make([]any, len(cert.CertificateDomains))
	for i, d := range cert.CertificateDomains {
		domains[i] = d
	}
	status := "Valid"
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		status = "DateInvalid"
	}
	rootCA := "ThirdParty"
	selfSigned := strings.EqualFold(cert.Subject, cert.Issuer)
	if selfSigned {
		// A self-signed certificate is its own root, trusted through the
		// machine's certificate store.
		rootCA = "Registry"
	}
	var keySize any
	var serial string
	var extensions []any
	version := 3
	if parsed != nil {
		switch k := parsed.PublicKey.(type) {
		case *rsa.PublicKey:
			keySize = k.N.BitLen()
		case *ecdsa.PublicKey:
			keySize = k.Curve.Params().BitSize
		}
		serial = strings.ToUpper(fmt.Sprintf("%x", parsed.SerialNumber))
		version = parsed.Version
		for _, e := range parsed.Extensions {
			extensions = append(extensions, x509ExtensionType(e.Id.String()))
		}
	}
	o := object.New(typeNames...)
	// The private key's file is readable by its owner only: one rule.
	o.Add("AccessRules", []any{"System.Security.AccessControl.CryptoKeyAccessRule"}).
		Add("CertificateDomains", domains).
		Add("HasPrivateKey", len(cert.KeyPEM) > 0).
		Add("IsSelfSigned", selfSigned).
		Add("Issuer", cert.Issuer).
		Add("NotAfter", cert.NotAfter.Local()).
		Add("NotBefore", cert.NotBefore.Local()).
		Add("PublicKeySize", keySize).
		Add("RootCAType", rootCA).
		Add("SerialNumber", serial).
		Add("Services", cert.Services).
		Add("Status", status).
		Add("Subject", cert.Subject).
		Add("Thumbprint", cert.Thumbprint).
		Add("Archived", false).
		Add("Extensions", extensions).
		Add("FriendlyName", "Microsoft Exchange").
		Add("IssuerName", "System.Security.Cryptography.X509Certificates.X500DistinguishedName").
		Add("SignatureAlgorithm", "System.Security.Cryptography.Oid").
		Add("SubjectName", "System.Security.Cryptography.X509Certificates.X500DistinguishedName").
		Add("Version", version)
	return o
}

// x509ExtensionType is the .NET class an extension shows as.
func x509ExtensionType(oid string) string {
	switch oid {
	case "2.5.29.15":
		return "System.Security.Cryptography.X509Certificates.X509KeyUsageExtension"
	case "2.5.29.37":
		return "System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension"
	case "2.5.29.19":
		return "System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension"
	case "2.5.29.14":
		return "System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension"
	}
	return "System.Security.Cryptography.X509Certificates.X509Extension"
}

// serviceFlags is how Get-ExchangeCertificate's table shows the services
// a certificate is enabled for: one position each for IMAP, POP, UM, IIS,
// SMTP, Federation and UMCallRouter, a dot when not enabled.
func serviceFlags(services string) string {
	flags := []byte(".......")
	for _, s := range strings.Split(services, ",") {
		switch strings.ToUpper(strings.TrimSpace(s)) {
		case "IMAP":
			flags[0] = 'I'
		case "POP":
			flags[1] = 'P'
		case "UM":
			flags[2] = 'U'
		case "IIS":
			flags[3] = 'W'
		case "SMTP":
			flags[4] = 'S'
		case "FEDERATION":
			flags[5] = 'F'
		case "UMCALLROUTER":
			flags[6] = 'C'
		}
	}
	return string(flags)
}
