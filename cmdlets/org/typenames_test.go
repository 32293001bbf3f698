package org

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/state/statetest"
)

// goTypeName matches a Go type name (package.Type) as it would leak from
// reflection or %T.
var goTypeName = regexp.MustCompile(`\b(state|transport|interp|object|exdata|org|queue|cmdlets|smtpd|format|netip|time|big|utility)\.[A-Z]\w*`)

// TestNoGoTypeNames: every object the organisation's Get- cmdlets write,
// and every value in its properties, names a .NET type in GetType() and
// Get-Member, never a Go type.
func TestNoGoTypeNames(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	d := &cmdlets.Deps{Store: st, DataPath: t.TempDir(), Now: func() time.Time { return statetest.Epoch }, PasswordCost: bcrypt.MinCost}
	var out bytes.Buffer
	s := interp.NewSession(interp.Config{
		Stdout: &out, Stderr: &out, Width: 400,
		Commands:  append(utility.Cmdlets(), Cmdlets(d)...),
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
	})
	script := `
New-SendConnector -Name Inet -Internet -AddressSpaces * | Out-Null
New-User -Name Scanner -UserPrincipalName scanner@contoso.com -Password (ConvertTo-SecureString 'P@ssw0rd1' -AsPlainText -Force) | Out-Null
Add-ADPermission "Default Frontend EX01" -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient | Out-Null
$objects = @(Get-ReceiveConnector) + @(Get-SendConnector) + @(Get-AcceptedDomain) + @(Get-Mailbox) + @(Get-User) +
	@(Get-Recipient) + @(Get-ADPermission "Default Frontend EX01") + @(Get-ExchangeServer) + @(Get-MailboxDatabase) +
	@(Get-TransportService) + @(Get-FrontendTransportService) + @(Get-ExchangeCertificate)
foreach ($o in $objects) {
	"TYPE " + $o.GetType().FullName
	($o | Get-Member).Definition
	foreach ($p in $o.psobject.Properties) {
		foreach ($v in @($p.Value)) {
			if ($null -ne $v) {
				"VALUE $($o.GetType().Name).$($p.Name) " + $v.GetType().FullName
				($v | Get-Member).Definition
			}
		}
	}
}`
	if err := s.Run(context.Background(), script, "typenames.ps1"); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "VALUE ReceiveConnector.Bindings Microsoft.Exchange.Data.IPBinding") {
		t.Fatalf("no binding seen:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if m := goTypeName.FindString(line); m != "" {
			t.Errorf("Go type name %s: %s", m, line)
		}
		if strings.HasPrefix(line, "VALUE ") && strings.HasSuffix(line, " System.Object") {
			t.Errorf("value without a .NET type: %s", line)
		}
	}
}
