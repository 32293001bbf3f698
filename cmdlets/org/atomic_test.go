package org

import (
	"testing"
)

// TestFailedCommandLeavesStoreUnchanged checks that a command failing
// after it has already written inside its transaction leaves every record
// as it was: the store rolls the whole transaction back.
func TestFailedCommandLeavesStoreUnchanged(t *testing.T) {
	l := newLab(t)
	// The first right comes from the AnonymousUsers group: removing it
	// rewrites the connector and its entries. The second isn't granted, so
	// the command fails after those writes.
	r := l.fails("Remove-ADPermission", "Identity", "Default Frontend EX01", "User", `NT AUTHORITY\ANONYMOUS LOGON`,
		"ExtendedRights", list("ms-Exch-SMTP-Accept-Authoritative-Domain-Sender", "ms-Exch-SMTP-Accept-Exch50"))
	wantErrContains(t, r, "because the ACE doesn't exist on the object.")
	if rc := l.receiveConnector("EX01", "Default Frontend EX01"); rc.PermissionGroups.Has("Custom") {
		t.Fatal("the connector kept a change of the failed command")
	}
}

func TestRenameKeepsPermissions(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	l.ok("Add-ADPermission", "Identity", "Relay", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Accept-Any-Recipient"))
	l.ok("Set-ReceiveConnector", "Identity", "Relay", "Name", "Device Relay")
	perms := explicitPerms(l, "Device Relay")
	if len(perms) != 1 || perms[0].Identity != `EX01\Device Relay` {
		t.Fatalf("permissions after rename: %+v", perms)
	}
}
