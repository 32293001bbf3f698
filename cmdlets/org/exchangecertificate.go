package org

import (
	"strings"

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
			out = cmdlets.ToObject(typeNames, cert)
			return nil
		})
		if err != nil || out == nil {
			return report(c, err)
		}
		return c.WriteObject(out)
	}
	return []*interp.CmdletInfo{get}
}
