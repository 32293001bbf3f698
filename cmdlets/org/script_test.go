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
	"exsh/cmdlets/org"
	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/state/statetest"
)

// shell is a session with the utility and organisation cmdlets over a
// set-up store, as cmd/exsh wires it.
type shell struct {
	t              *testing.T
	s              *interp.Session
	stdout, stderr bytes.Buffer
}

func newShell(t *testing.T) *shell {
	t.Helper()
	st := statetest.MustOpenSetUp(t)
	d := &cmdlets.Deps{Store: st, DataPath: t.TempDir(), Now: func() time.Time { return statetest.Epoch }, PasswordCost: bcrypt.MinCost}
	sh := &shell{t: t}
	cmds := append(utility.Cmdlets(), org.Cmdlets(d)...)
	sh.s = interp.NewSession(interp.Config{
		Stdout: &sh.stdout, Stderr: &sh.stderr, Width: 120, Commands: cmds,
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
	})
	return sh
}

// run runs a script and returns its output and error text.
func (sh *shell) run(script string) (out, errs string) {
	sh.t.Helper()
	sh.stdout.Reset()
	sh.stderr.Reset()
	_ = sh.s.Run(context.Background(), script, "test.ps1")
	return sh.stdout.String(), sh.stderr.String()
}

// ok runs a script that must not write errors.
func (sh *shell) ok(script string) string {
	sh.t.Helper()
	out, errs := sh.run(script)
	if errs != "" {
		sh.t.Fatalf("%s\nunexpected errors:\n%s\noutput:\n%s", script, errs, out)
	}
	return out
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestScriptRelayLab(t *testing.T) {
	sh := newShell(t)
	out := sh.ok(`New-ReceiveConnector -Name Relay -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.56 -TransportRole FrontendTransport`)
	contains(t, "New-ReceiveConnector output", out, "Identity", `EX01\Relay`, "{0.0.0.0:25}")

	out = sh.ok(`Get-ReceiveConnector | Format-Table`)
	contains(t, "Get-ReceiveConnector | Format-Table", out,
		"Identity                          Bindings                  Enabled",
		`EX01\Default Frontend EX01        {[::]:25, 0.0.0.0:25}     True`,
		`EX01\Relay                        {0.0.0.0:25}              True`)

	sh.ok(`Set-ReceiveConnector Relay -RemoteIPRanges @{Add='10.0.0.0/24'}`)
	out = sh.ok(`(Get-ReceiveConnector Relay).RemoteIPRanges -join ','`)
	contains(t, "RemoteIPRanges", out, "127.0.0.56,10.0.0.0/24")

	sh.ok(`Set-ReceiveConnector "Relay" -PermissionGroups AnonymousUsers`)
	sh.ok(`Get-ReceiveConnector "Relay" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"`)
	out = sh.ok(`Get-ADPermission "Relay" -User "NT AUTHORITY\ANONYMOUS LOGON" | where {($_.Deny -eq $false) -and ($_.IsInherited -eq $false)} | Format-Table User,ExtendedRights`)
	contains(t, "Get-ADPermission", out, "{ms-Exch-SMTP-Accept-Any-Recipient}", "{ms-Exch-SMTP-Submit}")

	out = sh.ok(`Get-ReceiveConnector Relay | Format-List Name,AuthMechanism,PermissionGroups,MaxMessageSize`)
	contains(t, "Format-List", out, "AuthMechanism    : Tls", "PermissionGroups : AnonymousUsers", "MaxMessageSize   : 36 MB (37,748,736 bytes)")
}

func TestScriptErrors(t *testing.T) {
	sh := newShell(t)
	_, errs := sh.run(`Get-ReceiveConnector Nope`)
	contains(t, "not found", errs,
		"The operation couldn't be performed because object 'Nope' couldn't be found on 'EX01.contoso.com'.",
		"ManagementObjectNotFoundException")
	if sh.s.LastSucceeded() {
		t.Error("$? is $true after a failed Get-ReceiveConnector")
	}
	_, errs = sh.run(`New-ReceiveConnector -Name Relay -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.56`)
	contains(t, "role conflict", errs, `conflict with the settings on Receive connector "EX01\Default Frontend EX01"`)
	out := sh.ok(`try { Get-Mailbox nobody -ErrorAction Stop } catch { "caught: " + $_.Exception.Message }`)
	contains(t, "try/catch", out, "caught: The operation couldn't be performed because object 'nobody'")
}

func TestScriptMailboxes(t *testing.T) {
	sh := newShell(t)
	sh.ok(`$pw = ConvertTo-SecureString 'P@ssw0rd1' -AsPlainText -Force
New-Mailbox -Name "Bob Smith" -Alias bob -UserPrincipalName bob@contoso.com -Password $pw | Out-Null
New-User -Name Scanner -UserPrincipalName scanner@contoso.com -Password $pw | Out-Null
Set-Mailbox bob -EmailAddresses @{Add='smtp:robert@contoso.com'}`)
	out := sh.ok(`Get-Mailbox`)
	contains(t, "Get-Mailbox", out, "Name          Alias         ServerName ProhibitSendQuota", "Bob Smith     bob           ex01       Unlimited")
	out = sh.ok(`(Get-Mailbox bob).EmailAddresses -join ';'`)
	contains(t, "EmailAddresses", out, "SMTP:bob@contoso.com;smtp:robert@contoso.com")
	// Secrets stay in the store.
	out = sh.ok(`"[" + (Get-Mailbox bob).PasswordHash + "]"`)
	contains(t, "PasswordHash", out, "[]")
	out = sh.ok(`$c = New-Object System.Management.Automation.PSCredential('relay', $pw)
New-SendConnector -Name Smart -AddressSpaces * -SmartHosts 127.0.0.1 -DNSRoutingEnabled $false -SmartHostAuthMechanism BasicAuth -AuthenticationCredential $c | Out-Null
"[" + (Get-SendConnector Smart).AuthPassword + "]"`)
	contains(t, "AuthPassword", out, "[]")
	out = sh.ok(`Get-Recipient -RecipientType User | Format-Table Name,RecipientType`)
	contains(t, "Get-Recipient", out, "Scanner User")
}

func TestScriptWhatIf(t *testing.T) {
	sh := newShell(t)
	out := sh.ok(`Remove-ReceiveConnector "Default Frontend EX01" -WhatIf; (Get-ReceiveConnector).Count`)
	contains(t, "WhatIf", out, "What if:", "Removing Receive connector", "5")
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
	out := sh.ok(`"$(Get-ReceiveConnector 'Default Frontend EX01')"
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
	out := strings.Join(strings.Fields(sh.ok(`Get-Help Set-ReceiveConnector -Full`)), " ")
	contains(t, "Set-ReceiveConnector help", out,
		"[-Identity] <ReceiveConnectorIdParameter>", "[-Bindings <MultiValuedProperty>]", "[-RemoteIPRanges <MultiValuedProperty>]",
		"[-PermissionGroups <PermissionGroups>]", "[-AuthMechanism <AuthMechanisms>]", "[-MaxMessageSize <ByteQuantifiedSize>]",
		"-MaxInboundConnection <Unlimited>")
	out = strings.Join(strings.Fields(sh.ok(`Get-Help Remove-ReceiveConnector -Detailed`)), " ")
	contains(t, "Remove-ReceiveConnector help", out, "[-Identity] <ReceiveConnectorIdParameter>", "use -Confirm:$false to skip the prompt")
	out = strings.Join(strings.Fields(sh.ok(`Get-Help Get-Date -Full`)), " ")
	contains(t, "Get-Date help", out, "[-DisplayHint {Date | Time | DateTime}]", "-DisplayHint <DisplayHintType>")
}
