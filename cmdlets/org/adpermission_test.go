package org

import (
	"strings"
	"testing"

	"exsh/state"
	"exsh/state/statetest"
)

func explicitPerms(l *lab, name string) []*state.ADPermission {
	l.t.Helper()
	rc := l.receiveConnector("EX01", name)
	var out []*state.ADPermission
	statetest.View(l.t, l.store, func(tx state.Tx) error {
		var err error
		out, err = tx.ADPermissions(rc.Guid)
		return err
	})
	return out
}

func effective(l *lab, name string, principals ...string) state.Rights {
	l.t.Helper()
	rc := l.receiveConnector("EX01", name)
	return state.EffectiveRights(rc, explicitPerms(l, name), principals, "CONTOSO")
}

// TestAnonymousRelayRecipe runs exchange-receive.md §6.3 method A.
func TestAnonymousRelayRecipe(t *testing.T) {
	l := newLab(t)
	l.ok("New-ReceiveConnector", "Name", "Anonymous Relay", "TransportRole", "FrontendTransport", "Custom", true,
		"Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("192.168.5.10", "192.168.5.11"))
	l.ok("Set-ReceiveConnector", "Identity", "Anonymous Relay", "PermissionGroups", list("AnonymousUsers"))
	conn := l.ok("Get-ReceiveConnector", "Identity", "Anonymous Relay").obj(0)
	r := l.ok("Add-ADPermission", "Identity", conn, "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("Ms-Exch-SMTP-Accept-Any-Recipient"))
	if len(r.objs) != 1 {
		t.Fatalf("Add-ADPermission wrote %d objects", len(r.objs))
	}
	o := r.obj(0)
	if propText(t, o, "Identity") != `EX01\Anonymous Relay` || propText(t, o, "User") != `NT AUTHORITY\ANONYMOUS LOGON` ||
		propText(t, o, "ExtendedRights") != "ms-Exch-SMTP-Accept-Any-Recipient" || propText(t, o, "Deny") != "False" || propText(t, o, "IsInherited") != "False" {
		t.Errorf("ACE %v", o)
	}
	rights := effective(l, "Anonymous Relay", state.PrincipalAnonymous)
	for _, want := range []string{state.RightSubmit, state.RightAcceptAnyRecipient, state.RightAcceptAnySender, state.RightAcceptAuthoritativeDomainSender, state.RightAcceptHeadersRouting} {
		if !rights.Has(want) {
			t.Errorf("anonymous lacks %s", want)
		}
	}
	// Verify step of the recipe.
	g := l.ok("Get-ADPermission", "Identity", "Anonymous Relay", "User", `nt authority\anonymous logon`)
	var got []string
	for i := range g.objs {
		got = append(got, propText(t, g.obj(i), "ExtendedRights"))
	}
	if strings.Join(got, ",") != "ms-Exch-SMTP-Submit,ms-Exch-SMTP-Accept-Any-Sender,ms-Exch-SMTP-Accept-Authoritative-Domain-Sender,ms-Exch-Accept-Headers-Routing,ms-Exch-SMTP-Accept-Any-Recipient" {
		t.Errorf("Get-ADPermission rights: %v", got)
	}
	// Adding the same right again is Exchange's duplicate ACE error.
	wantErrContains(t, l.fails("Add-ADPermission", "Identity", "Anonymous Relay", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Accept-Any-Recipient")),
		"The appropriate access control entry is already present on the object \"CN=Anonymous Relay,CN=SMTP Receive Connectors,")
	// Piping the entry back removes it.
	entry := l.ok("Get-ADPermission", "Identity", "Anonymous Relay", "User", `NT AUTHORITY\ANONYMOUS LOGON`).obj(4)
	l.ok("Remove-ADPermission", "Identity", entry, "Confirm", false)
	if effective(l, "Anonymous Relay", state.PrincipalAnonymous).Has(state.RightAcceptAnyRecipient) {
		t.Error("relay right still granted")
	}
}

func TestADPermissionDenyStacks(t *testing.T) {
	l := newLab(t)
	l.ok("Add-ADPermission", "Identity", "Default Frontend EX01", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Submit"), "Deny", true)
	if effective(l, "Default Frontend EX01", state.PrincipalAnonymous).Has(state.RightSubmit) {
		t.Error("deny did not win over the AnonymousUsers grant")
	}
	r := l.ok("Get-ADPermission", "Identity", "Default Frontend EX01", "User", `NT AUTHORITY\ANONYMOUS LOGON`)
	last := r.obj(len(r.objs) - 1)
	if propText(t, last, "Deny") != "True" {
		t.Errorf("last entry %v", last)
	}
	l.ok("Remove-ADPermission", "Identity", "Default Frontend EX01", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Submit"), "Deny", true)
	if !effective(l, "Default Frontend EX01", state.PrincipalAnonymous).Has(state.RightSubmit) {
		t.Error("removing the deny did not restore the grant")
	}
}

// TestRemoveGroupRight runs the anti-spoofing recipe: removing a right a
// permission group grants.
func TestRemoveGroupRight(t *testing.T) {
	l := newLab(t)
	before := len(l.ok("Get-ADPermission", "Identity", "Default Frontend EX01").objs)
	l.ok("Remove-ADPermission", "Identity", "Default Frontend EX01", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Accept-Authoritative-Domain-Sender"))
	after := len(l.ok("Get-ADPermission", "Identity", "Default Frontend EX01").objs)
	if after != before-1 {
		t.Errorf("entries %d → %d, want one fewer", before, after)
	}
	rights := effective(l, "Default Frontend EX01", state.PrincipalAnonymous)
	if rights.Has(state.RightAcceptAuthoritativeDomainSender) || !rights.Has(state.RightSubmit) || !rights.Has(state.RightAcceptAnySender) {
		t.Errorf("anonymous rights %v", rights.Names())
	}
	rc := l.receiveConnector("EX01", "Default Frontend EX01")
	if rc.PermissionGroups.String() != "ExchangeServers, ExchangeLegacyServers, Custom" {
		t.Errorf("PermissionGroups %s", rc.PermissionGroups)
	}
	// The servers' rights are untouched.
	if !effective(l, "Default Frontend EX01", state.ServerPrincipals("CONTOSO")...).Has(state.RightAcceptAnyRecipient) {
		t.Error("servers lost their rights")
	}
	wantErrContains(t, l.fails("Remove-ADPermission", "Identity", "Default Frontend EX01", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Accept-Authoritative-Domain-Sender")),
		"because the ACE doesn't exist on the object.")
}

func TestADPermissionErrors(t *testing.T) {
	l := newLab(t)
	wantErr(t, l.fails("Add-ADPermission", "Identity", "Default Frontend EX01", "User", `CONTOSO\nobody`, "ExtendedRights", list("ms-Exch-SMTP-Submit")),
		`The operation couldn't be performed because object 'CONTOSO\nobody' couldn't be found on 'EX01.contoso.com'.`)
	wantErr(t, l.fails("Add-ADPermission", "Identity", "Default Frontend EX01", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Fly")),
		`The operation couldn't be performed because object 'ms-Exch-SMTP-Fly' couldn't be found on 'EX01.contoso.com'.`)
	wantErr(t, l.fails("Remove-ADPermission", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Submit")),
		"Cannot process command because of one or more missing mandatory parameters: Identity.")
	wantErr(t, l.fails("Get-ADPermission", "Identity", "Nope"),
		`The operation couldn't be performed because object 'Nope' couldn't be found on 'EX01.contoso.com'.`)
	// A well-known account resolves without its domain.
	r := l.ok("Get-ADPermission", "Identity", "Client Frontend EX01", "User", "Authenticated Users")
	if len(r.objs) == 0 || propText(t, r.obj(0), "User") != `NT AUTHORITY\Authenticated Users` {
		t.Errorf("Authenticated Users: %v", r.objs)
	}
	// A user account resolves to DOMAIN\account.
	l.ok("New-User", "Name", "Scanner", "UserPrincipalName", "scanner@contoso.com", "Password", secure("P@ssw0rd1"))
	r = l.ok("Add-ADPermission", "Identity", "Client Frontend EX01", "User", "scanner@contoso.com", "ExtendedRights", list("ms-Exch-SMTP-Accept-Any-Sender"))
	if propText(t, r.obj(0), "User") != `CONTOSO\scanner` {
		t.Errorf("user %s", propText(t, r.obj(0), "User"))
	}
}

// TestRegrantedGroupKeepsOneEntryPerRight: a group's right removed, then
// the group set again. The entries the removal made explicit are the
// group's own again, once each, and each can be removed.
func TestRegrantedGroupKeepsOneEntryPerRight(t *testing.T) {
	l := newLab(t)
	anon := `NT AUTHORITY\ANONYMOUS LOGON`
	l.ok("Remove-ADPermission", "Identity", "Default Frontend EX01", "User", anon, "ExtendedRights", list("ms-Exch-SMTP-Submit"))
	l.ok("Set-ReceiveConnector", "Identity", "Default Frontend EX01", "PermissionGroups", list("AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"))
	r := l.ok("Get-ADPermission", "Identity", "Default Frontend EX01", "User", anon)
	seen := map[string]int{}
	for i := range r.objs {
		seen[propText(t, r.obj(i), "ExtendedRights")]++
	}
	for right, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", right, n)
		}
	}
	if len(seen) != 4 {
		t.Errorf("anonymous entries %v, want the four AnonymousUsers rights", seen)
	}
	rc := l.receiveConnector("EX01", "Default Frontend EX01")
	if got := rc.PermissionGroups.String(); got != "AnonymousUsers, ExchangeServers, ExchangeLegacyServers" {
		t.Errorf("PermissionGroups %s", got)
	}
	if n := len(explicitPerms(l, "Default Frontend EX01")); n != 0 {
		t.Errorf("%d explicit entries left", n)
	}
	l.ok("Remove-ADPermission", "Identity", "Default Frontend EX01", "User", anon, "ExtendedRights", list("ms-Exch-SMTP-Accept-Any-Sender"), "Confirm", false)
	if effective(l, "Default Frontend EX01", state.PrincipalAnonymous).Has(state.RightAcceptAnySender) {
		t.Error("Accept-Any-Sender still granted")
	}

	// Granting a group's rights one by one reads back as the group.
	l.ok("New-ReceiveConnector", "Name", "Devices", "TransportRole", "FrontendTransport", "Custom", true,
		"Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("192.168.5.10"))
	l.ok("Add-ADPermission", "Identity", "Devices", "User", anon, "ExtendedRights",
		list("ms-Exch-SMTP-Submit", "ms-Exch-SMTP-Accept-Any-Sender", "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender", "ms-Exch-Accept-Headers-Routing"))
	if got := l.receiveConnector("EX01", "Devices").PermissionGroups.String(); got != "AnonymousUsers" {
		t.Errorf("Devices PermissionGroups %s", got)
	}
	if n := len(l.ok("Get-ADPermission", "Identity", "Devices", "User", anon).objs); n != 4 {
		t.Errorf("Devices has %d anonymous entries", n)
	}
}
