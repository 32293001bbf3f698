package org

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/state/boltdb"
	"exsh/state/statetest"
)

// examplePrep creates the objects the help examples name, so each
// example of a Get-, Set-, Add-, Remove- or Enable- cmdlet runs as written.
const examplePrep = `$pw = ConvertTo-SecureString 'P@ssw0rd1' -AsPlainText -Force
New-ReceiveConnector -Name Relay -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.56 -TransportRole FrontendTransport
New-ReceiveConnector -Name "Anonymous Relay" -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 192.168.5.10 -TransportRole FrontendTransport
New-ReceiveConnector -Name "Internet Receive Connector" -Internet -Bindings 10.0.0.5:25 -TransportRole FrontendTransport
New-ReceiveConnector -Name "IP Secured Inbound" -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 10.1.1.1 -TransportRole FrontendTransport
New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com
New-SendConnector -Name "To Internet" -AddressSpaces *
New-Mailbox -Name bob -Alias bob -Password $pw
Add-RoleGroupMember "View-Only Organization Management" -Member bob
New-User -Name svc-scanner -UserPrincipalName svc-scanner@contoso.com -Password $pw
New-User -Name scanner -UserPrincipalName scanner@contoso.com -Password $pw
New-Mailbox -Name alice -Alias alice -Password $pw
New-DistributionGroup -Name Sales -Members bob
New-MailContact -Name "Chris Ashton" -ExternalEmailAddress chris@fabrikam.net
Add-MailboxPermission bob -User svc-scanner -AccessRights FullAccess
`

// TestHelpExamples runs every Get-Help example; none may write an error.
func TestHelpExamples(t *testing.T) {
	// Setup (with its certificate) runs once; each example gets a copy.
	template, err := os.ReadFile(statetest.MustOpenSetUp(t).Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range Cmdlets(&cmdlets.Deps{}) {
		for i, ex := range info.Examples {
			t.Run(info.Name, func(t *testing.T) {
				t.Parallel()
				path := filepath.Join(t.TempDir(), boltdb.FileName)
				if err := os.WriteFile(path, template, 0o600); err != nil {
					t.Fatal(err)
				}
				st := statetest.MustOpenPath(t, path, boltdb.Options{NoSync: true})
				d := &cmdlets.Deps{Store: st, DataPath: t.TempDir(), Now: func() time.Time { return statetest.Epoch }, PasswordCost: bcrypt.MinCost}
				var stdout, stderr bytes.Buffer
				s := interp.NewSession(interp.Config{
					Stdout: &stdout, Stderr: &stderr, Width: 120,
					Commands:  append(utility.Cmdlets(), Cmdlets(d)...),
					NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
				})
				if !strings.HasPrefix(info.Name, "New-") {
					_ = s.Run(context.Background(), examplePrep, "prep.ps1")
					if stderr.Len() > 0 {
						t.Fatalf("preparing: %s", stderr.String())
					}
				}
				stdout.Reset()
				_ = s.Run(context.Background(), ex.Code, "example.ps1")
				if stderr.Len() > 0 {
					t.Errorf("example %d of %s:\n%s\nwrote errors:\n%s", i+1, info.Name, ex.Code, stderr.String())
				}
			})
		}
	}
}
