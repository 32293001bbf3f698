package org

import (
	"context"
	"strings"
	"testing"

	"exsh/state"
	"exsh/state/statetest"
)

func TestGroupsContactsAndPermissions(t *testing.T) {
	l := newLab(t)
	l.ok("New-Mailbox", "Name", "Bob Smith", "Alias", "bob", "Password", secure("P@ssw0rd1"))
	l.ok("New-User", "Name", "svc-app", "UserPrincipalName", "svc-app@contoso.com", "Password", secure("P@ssw0rd1"))
	l.ok("New-DistributionGroup", "Name", "Sales", "Members", list("bob"))
	l.ok("New-MailContact", "Name", "Chris", "ExternalEmailAddress", "chris@fabrikam.net")

	for _, tc := range []struct {
		cmdlet string
		kv     []any
		want   string
	}{
		{"New-MailContact", []any{"Name", "Chris2", "ExternalEmailAddress", "chris@fabrikam.net"}, `The proxy address "SMTP:chris@fabrikam.net" is already being used`},
		{"New-DistributionGroup", []any{"Name", "Team", "Members", list("svc-app")}, "isn't mail-enabled"},
		{"New-DistributionGroup", []any{"Name", "Team", "PrimarySmtpAddress", "team@fabrikam.org"}, `The domain "fabrikam.org" isn't an accepted domain`},
		{"Add-DistributionGroupMember", []any{"Identity", "bob", "Member", "Chris"}, "couldn't be found"},
		{"Remove-MailContact", []any{"Identity", "Sales", "Confirm", false}, "couldn't be found"},
		{"Add-MailboxPermission", []any{"Identity", "bob", "User", "nobody", "AccessRights", list("FullAccess")}, "'nobody' couldn't be found"},
		{"Add-ADPermission", []any{"Identity", "bob", "User", "svc-app", "ExtendedRights", list("Receive As")}, "only Send As"},
	} {
		r := l.fails(tc.cmdlet, tc.kv...)
		if !strings.Contains(r.errText(), tc.want) {
			t.Errorf("%s %v: %s, want it to contain %q", tc.cmdlet, tc.kv, r.errText(), tc.want)
		}
	}

	// -WhatIf changes nothing.
	before := l.snapshot()
	rt := &fakeRuntime{vars: map[string]any{"WhatIfPreference": true}}
	l.runWith(rt, "Add-DistributionGroupMember", "Identity", "Sales", "Member", "Chris")
	l.runWith(rt, "Add-ADPermission", "Identity", "bob", "User", "svc-app", "ExtendedRights", list("Send As"))
	l.runWith(rt, "Set-TransportConfig", "MaxSendSize", "1MB")
	l.runWith(rt, "Set-ServerComponentState", "Identity", "EX01", "Component", "HubTransport", "State", "Inactive", "Requester", "Maintenance")
	if after := l.snapshot(); after != before {
		t.Errorf("-WhatIf changed the store")
	}
	if len(rt.host) != 4 || !strings.HasPrefix(rt.host[0], "What if: ") {
		t.Errorf("What if lines %q", rt.host)
	}

	// Removing a mailbox takes it out of groups and permission lists.
	l.ok("Add-ADPermission", "Identity", "bob", "User", "svc-app", "ExtendedRights", list("Send-As"))
	l.ok("Remove-User", "Identity", "svc-app", "Confirm", false)
	l.ok("Remove-Mailbox", "Identity", "bob", "Confirm", false)
	statetest.View(t, l.store, func(tx state.Tx) error {
		g, err := tx.RecipientByName("Sales")
		if err != nil {
			return err
		}
		if len(g.Members) != 0 {
			t.Errorf("Sales still lists %v", g.Members)
		}
		return nil
	})

	// Completion offers mail-enabled recipients as members.
	var complete func(context.Context, string) []string
	for _, p := range l.cmds["add-distributiongroupmember"].Params {
		if p.Name == "Member" {
			complete = p.Complete
		}
	}
	if got := strings.Join(complete(context.Background(), ""), ","); got != "Administrator,Chris,Sales" {
		t.Errorf("member completion %q", got)
	}
}
