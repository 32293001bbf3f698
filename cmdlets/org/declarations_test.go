package org

import (
	"context"
	"strings"
	"testing"

	"exsh/cmdlets"
	"exsh/shell/interp"
)

// TestDeclarations checks what binding, completion and Get-Help rely on:
// every cmdlet has a synopsis, an example and help for each parameter;
// Identity is positional 0 and takes pipeline input; names are unique.
func TestDeclarations(t *testing.T) {
	cmds := Cmdlets(&cmdlets.Deps{})
	want := []string{
		"Get-ReceiveConnector", "New-ReceiveConnector", "Set-ReceiveConnector", "Remove-ReceiveConnector",
		"Get-SendConnector", "New-SendConnector", "Set-SendConnector", "Remove-SendConnector",
		"Get-AcceptedDomain", "New-AcceptedDomain", "Set-AcceptedDomain", "Remove-AcceptedDomain",
		"Get-Mailbox", "New-Mailbox", "Set-Mailbox", "Remove-Mailbox", "Enable-Mailbox",
		"Get-User", "New-User", "Set-User", "Remove-User", "Get-Recipient",
		"Add-ADPermission", "Get-ADPermission", "Remove-ADPermission",
		"Get-TransportService", "Set-TransportService", "Get-FrontendTransportService", "Set-FrontendTransportService",
		"Get-ExchangeServer", "Get-MailboxDatabase", "Get-ExchangeCertificate",
		"Get-DistributionGroup", "New-DistributionGroup", "Set-DistributionGroup", "Remove-DistributionGroup",
		"Get-DistributionGroupMember", "Add-DistributionGroupMember", "Remove-DistributionGroupMember",
		"Get-MailContact", "New-MailContact", "Set-MailContact", "Remove-MailContact",
		"Get-TransportConfig", "Set-TransportConfig", "Get-ServerComponentState", "Set-ServerComponentState",
		"Add-MailboxPermission", "Get-MailboxPermission", "Remove-MailboxPermission",
		"Get-MailboxTransportService", "Set-MailboxTransportService",
	}
	byName := map[string]*interp.CmdletInfo{}
	for _, c := range cmds {
		if byName[c.Name] != nil {
			t.Errorf("%s declared twice", c.Name)
		}
		byName[c.Name] = c
	}
	for _, n := range want {
		if byName[n] == nil {
			t.Errorf("missing %s", n)
		}
	}
	for _, c := range cmds {
		if c.Synopsis == "" || c.Description == "" || len(c.Examples) == 0 || c.Process == nil {
			t.Errorf("%s: synopsis, description, examples and Process are required", c.Name)
		}
		if c.Module != cmdlets.Module {
			t.Errorf("%s: module %q", c.Name, c.Module)
		}
		changes := !strings.HasPrefix(c.Name, "Get-")
		if changes != c.SupportsShouldProcess {
			t.Errorf("%s: SupportsShouldProcess %v", c.Name, c.SupportsShouldProcess)
		}
		seen := map[string]bool{}
		positions := map[int]string{}
		for _, p := range c.Params {
			k := strings.ToLower(p.Name)
			if seen[k] {
				t.Errorf("%s: parameter %s declared twice", c.Name, p.Name)
			}
			seen[k] = true
			if p.Help == "" {
				t.Errorf("%s -%s: no help", c.Name, p.Name)
			}
			if p.Kind == interp.KindEnum && len(p.Values) == 0 {
				t.Errorf("%s -%s: enum without values", c.Name, p.Name)
			}
			if p.Position >= 0 {
				if other, ok := positions[p.Position]; ok {
					t.Errorf("%s: -%s and -%s share position %d", c.Name, p.Name, other, p.Position)
				}
				positions[p.Position] = p.Name
			}
			if k == "whatif" || k == "confirm" {
				t.Errorf("%s declares -%s; SupportsShouldProcess adds it", c.Name, p.Name)
			}
			if p.Name == "Identity" && (p.Position != 0 || !p.FromPipeline || !p.FromPipelineByPropertyName) {
				t.Errorf("%s -Identity: position %d, pipeline %v/%v", c.Name, p.Position, p.FromPipeline, p.FromPipelineByPropertyName)
			}
		}
	}
}

func TestCompletion(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	complete := func(cmdlet, param, prefix string) []string {
		for _, p := range l.cmds[strings.ToLower(cmdlet)].Params {
			if p.Name == param {
				if p.Complete == nil {
					t.Fatalf("%s -%s has no completion", cmdlet, param)
				}
				return p.Complete(context.Background(), prefix)
			}
		}
		t.Fatalf("%s has no -%s", cmdlet, param)
		return nil
	}
	if got := strings.Join(complete("Set-ReceiveConnector", "Identity", "default"), ","); got != "Default EX01,Default Frontend EX01" {
		t.Errorf("receive connectors: %s", got)
	}
	if got := complete("Get-ReceiveConnector", "Identity", "re"); len(got) != 1 || got[0] != "Relay" {
		t.Errorf("Relay: %v", got)
	}
	if got := complete("Add-ADPermission", "User", "nt authority\\anon"); len(got) != 1 || got[0] != `NT AUTHORITY\ANONYMOUS LOGON` {
		t.Errorf("principals: %v", got)
	}
	if got := complete("Get-Mailbox", "Identity", ""); len(got) != 1 || got[0] != "Administrator" {
		t.Errorf("mailboxes: %v", got)
	}
	if got := complete("Get-AcceptedDomain", "Identity", "c"); len(got) != 1 || got[0] != "contoso.com" {
		t.Errorf("domains: %v", got)
	}
}
