package org_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/cmdlets/cmdlettest"
	"exsh/cmdlets/org"
	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/state/statetest"
)

// newShell is a session with the utility and organisation cmdlets over a
// set-up store, as cmd/exsh wires it.
func newShell(t *testing.T) *cmdlettest.Shell {
	t.Helper()
	st := statetest.MustOpenSetUp(t)
	d := &cmdlets.Deps{Store: st, DataPath: t.TempDir(), Now: func() time.Time { return statetest.Epoch }, PasswordCost: bcrypt.MinCost}
	sh := cmdlettest.NewShell(t, 120, append(utility.Cmdlets(), org.Cmdlets(d)...))
	sh.Source = "test.ps1"
	return sh
}

func TestScriptRelayLab(t *testing.T) {
	sh := newShell(t)
	out := sh.OK(`New-ReceiveConnector -Name Relay -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.56 -TransportRole FrontendTransport`)
	cmdlettest.Contains(t, "New-ReceiveConnector output", out, "Identity", `EX01\Relay`, "{0.0.0.0:25}")

	out = sh.OK(`Get-ReceiveConnector | Format-Table`)
	cmdlettest.Contains(t, "Get-ReceiveConnector | Format-Table", out,
		"Identity                          Bindings                  Enabled",
		`EX01\Default Frontend EX01        {[::]:25, 0.0.0.0:25}     True`,
		`EX01\Relay                        {0.0.0.0:25}              True`)

	sh.OK(`Set-ReceiveConnector Relay -RemoteIPRanges @{Add='10.0.0.0/24'}`)
	out = sh.OK(`(Get-ReceiveConnector Relay).RemoteIPRanges -join ','`)
	cmdlettest.Contains(t, "RemoteIPRanges", out, "127.0.0.56,10.0.0.0/24")

	sh.OK(`Set-ReceiveConnector "Relay" -PermissionGroups AnonymousUsers`)
	sh.OK(`Get-ReceiveConnector "Relay" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"`)
	out = sh.OK(`Get-ADPermission "Relay" -User "NT AUTHORITY\ANONYMOUS LOGON" | where {($_.Deny -eq $false) -and ($_.IsInherited -eq $false)} | Format-Table User,ExtendedRights`)
	cmdlettest.Contains(t, "Get-ADPermission", out, "{ms-Exch-SMTP-Accept-Any-Recipient}", "{ms-Exch-SMTP-Submit}")

	out = sh.OK(`Get-ReceiveConnector Relay | Format-List Name,AuthMechanism,PermissionGroups,MaxMessageSize`)
	cmdlettest.Contains(t, "Format-List", out, "AuthMechanism    : Tls", "PermissionGroups : AnonymousUsers", "MaxMessageSize   : 36 MB (37,748,736 bytes)")
}

func TestScriptErrors(t *testing.T) {
	sh := newShell(t)
	_, errs := sh.Run(`Get-ReceiveConnector Nope`)
	cmdlettest.Contains(t, "not found", errs,
		"The operation couldn't be performed because object 'Nope' couldn't be found on 'EX01.contoso.com'.",
		"ManagementObjectNotFoundException")
	if sh.Session.LastSucceeded() {
		t.Error("$? is $true after a failed Get-ReceiveConnector")
	}
	_, errs = sh.Run(`New-ReceiveConnector -Name Relay -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.56`)
	cmdlettest.Contains(t, "role conflict", errs, `conflict with the settings on Receive connector "EX01\Default Frontend EX01"`)
	out := sh.OK(`try { Get-Mailbox nobody -ErrorAction Stop } catch { "caught: " + $_.Exception.Message }`)
	cmdlettest.Contains(t, "try/catch", out, "caught: The operation couldn't be performed because object 'nobody'")
}

func TestScriptMailboxes(t *testing.T) {
	sh := newShell(t)
	sh.OK(`$pw = ConvertTo-SecureString 'P@ssw0rd1' -AsPlainText -Force
New-Mailbox -Name "Bob Smith" -Alias bob -UserPrincipalName bob@contoso.com -Password $pw | Out-Null
New-User -Name Scanner -UserPrincipalName scanner@contoso.com -Password $pw | Out-Null
Set-Mailbox bob -EmailAddresses @{Add='smtp:robert@contoso.com'}`)
	out := sh.OK(`Get-Mailbox`)
	cmdlettest.Contains(t, "Get-Mailbox", out, "Name          Alias         ServerName ProhibitSendQuota", "Bob Smith     bob           ex01       Unlimited")
	out = sh.OK(`(Get-Mailbox bob).EmailAddresses -join ';'`)
	cmdlettest.Contains(t, "EmailAddresses", out, "SMTP:bob@contoso.com;smtp:robert@contoso.com")
	// Secrets stay in the store.
	out = sh.OK(`"[" + (Get-Mailbox bob).PasswordHash + "]"`)
	cmdlettest.Contains(t, "PasswordHash", out, "[]")
	out = sh.OK(`$c = New-Object System.Management.Automation.PSCredential('relay', $pw)
New-SendConnector -Name Smart -AddressSpaces * -SmartHosts 127.0.0.1 -DNSRoutingEnabled $false -SmartHostAuthMechanism BasicAuth -AuthenticationCredential $c | Out-Null
"[" + (Get-SendConnector Smart).AuthPassword + "]"`)
	cmdlettest.Contains(t, "AuthPassword", out, "[]")
	out = sh.OK(`Get-Recipient -RecipientType User | Format-Table Name,RecipientType`)
	cmdlettest.Contains(t, "Get-Recipient", out, "Scanner User")
}

func TestScriptWhatIf(t *testing.T) {
	sh := newShell(t)
	out := sh.OK(`Remove-ReceiveConnector "Default Frontend EX01" -WhatIf; (Get-ReceiveConnector).Count`)
	cmdlettest.Contains(t, "WhatIf", out, "What if:", "Removing Receive connector", "5")
}

// TestScriptConfirm checks Exchange's texts for -WhatIf and the
// confirmation the Remove-* cmdlets ask for (ConfirmImpact High).
func TestScriptConfirm(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	d := &cmdlets.Deps{Store: st, DataPath: t.TempDir(), Now: func() time.Time { return statetest.Epoch }, PasswordCost: bcrypt.MinCost}
	var out, errs bytes.Buffer
	var asked []string
	s := interp.NewSession(interp.Config{
		Stdout: &out, Stderr: &errs, Width: 120, Commands: append(utility.Cmdlets(), org.Cmdlets(d)...),
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
		Confirm:   func(p string) bool { asked = append(asked, p); return false },
	})
	_ = s.Run(context.Background(), `Remove-ReceiveConnector 'Default Frontend EX01' -WhatIf
Remove-ReceiveConnector 'Default Frontend EX01'
New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com -DomainType Authoritative | Out-Null
Remove-AcceptedDomain Fabrikam
Set-ReceiveConnector 'Default Frontend EX01' -Banner '220 hi'
(Get-ReceiveConnector).Count
Remove-ReceiveConnector 'Default Frontend EX01' -Confirm:$false
(Get-ReceiveConnector).Count`, "")
	if errs.Len() > 0 {
		t.Fatalf("errors: %s", errs.String())
	}
	if got, want := out.String(), "What if: Removing Receive connector \"EX01\\Default Frontend EX01\".\n5\n4\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	want := []string{`Removing Receive connector "EX01\Default Frontend EX01".`, `Removing accepted domain "Fabrikam".`}
	if strings.Join(asked, "|") != strings.Join(want, "|") {
		t.Errorf("asked %q", asked)
	}
}

// TestScriptObjectsInStrings checks that Exchange objects expand to their
// identity in strings, as their ToString() does in the Exchange Management
// Shell, rather than "@{...}".
func TestScriptObjectsInStrings(t *testing.T) {
	sh := newShell(t)
	out := sh.OK(`"$(Get-ReceiveConnector 'Default Frontend EX01')"
[string](Get-AcceptedDomain)[0]
(Get-Mailbox)[0].ToString()
"x" + (Get-User | Select-Object -First 1)
Get-ReceiveConnector | ForEach-Object { "$_" } | Select-Object -First 1
"$(Get-ReceiveConnector 'Default Frontend EX01' | Select-Object Name)"`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 4 || lines[0] != `EX01\Default Frontend EX01` || lines[1] != "contoso.com" || lines[2] != "Administrator" || lines[3] != "xAdministrator" || strings.Contains(out, "@{Identity") {
		t.Fatalf("objects in strings:\n%s", out)
	}
	if lines[len(lines)-1] != "@{Name=Default Frontend EX01}" {
		t.Errorf("Select-Object's object keeps the @{...} form: %q", lines[len(lines)-1])
	}
}

// TestScriptHelpTypeNames checks that Get-Help names Exchange's parameter
// types as Exchange's help does.
func TestScriptHelpTypeNames(t *testing.T) {
	sh := newShell(t)
	out := strings.Join(strings.Fields(sh.OK(`Get-Help Set-ReceiveConnector -Full`)), " ")
	cmdlettest.Contains(t, "Set-ReceiveConnector help", out,
		"[-Identity] <ReceiveConnectorIdParameter>", "[-Bindings <MultiValuedProperty>]", "[-RemoteIPRanges <MultiValuedProperty>]",
		"[-PermissionGroups <PermissionGroups>]", "[-AuthMechanism <AuthMechanisms>]", "[-MaxMessageSize <ByteQuantifiedSize>]",
		"-MaxInboundConnection <Unlimited>")
	out = strings.Join(strings.Fields(sh.OK(`Get-Help Remove-ReceiveConnector -Detailed`)), " ")
	cmdlettest.Contains(t, "Remove-ReceiveConnector help", out, "[-Identity] <ReceiveConnectorIdParameter>", "use -Confirm:$false to skip the prompt")
	out = strings.Join(strings.Fields(sh.OK(`Get-Help Get-Date -Full`)), " ")
	cmdlettest.Contains(t, "Get-Date help", out, "[-DisplayHint {Date | Time | DateTime}]", "-DisplayHint <DisplayHintType>")
}
