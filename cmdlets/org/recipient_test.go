package org

import (
	"strings"
	"testing"

	"exsh/state"
	"exsh/state/statetest"
)

func recipientByName(l *lab, name string) *state.Recipient {
	l.t.Helper()
	var rc *state.Recipient
	statetest.View(l.t, l.store, func(tx state.Tx) error {
		var err error
		rc, err = tx.RecipientByName(name)
		return err
	})
	return rc
}

func TestNewMailbox(t *testing.T) {
	l := newLab(t)
	r := l.ok("New-Mailbox", "Name", "Bob Smith", "Alias", "bob", "UserPrincipalName", "bob@contoso.com", "Password", secure("P@ssw0rd1"))
	o := r.obj(0)
	for name, want := range map[string]string{
		"Name": "Bob Smith", "Alias": "bob", "PrimarySmtpAddress": "bob@contoso.com", "EmailAddresses": "SMTP:bob@contoso.com",
		"RecipientType": "UserMailbox", "ServerName": "ex01", "ProhibitSendQuota": "Unlimited", "Identity": "contoso.com/Users/Bob Smith",
	} {
		if got := propText(t, o, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, ok := o.Get("PasswordHash"); ok {
		t.Error("the password hash is shown")
	}
	rc := recipientByName(l, "Bob Smith")
	if !state.CheckPassword(rc.PasswordHash, "P@ssw0rd1") || strings.Contains(rc.PasswordHash, "P@ssw0rd1") {
		t.Error("password not stored as a hash")
	}
	// Alias defaults from the UPN, else from the name.
	r = l.ok("New-Mailbox", "Name", "Carol Jones", "UserPrincipalName", "cjones@contoso.com")
	if propText(t, r.obj(0), "Alias") != "cjones" {
		t.Errorf("alias %s", propText(t, r.obj(0), "Alias"))
	}
	r = l.ok("New-Mailbox", "Name", "Dave Lee")
	if propText(t, r.obj(0), "Alias") != "DaveLee" || propText(t, r.obj(0), "UserPrincipalName") != "DaveLee@contoso.com" {
		t.Errorf("defaults %v", r.obj(0))
	}
	wantErrContains(t, l.fails("New-Mailbox", "Name", "Bob Smith"), "Active Directory operation failed on EX01.contoso.com. The object 'CN=Bob Smith,CN=Users,DC=contoso,DC=com' already exists.")
	wantErr(t, l.fails("New-Mailbox", "Name", "Robert", "Alias", "rob", "PrimarySmtpAddress", "bob@contoso.com"),
		`The proxy address "SMTP:bob@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN of "Bob Smith". Please choose another proxy address.`)
	wantErrContains(t, l.fails("New-Mailbox", "Name", "Eve", "PrimarySmtpAddress", "eve@elsewhere.example"), `The domain "elsewhere.example" isn't an accepted domain`)
	wantErrContains(t, l.fails("New-Mailbox", "Name", "Bad", "Alias", "a b"), `Property expression "a b" isn't valid.`)
}

func TestSetMailboxAddresses(t *testing.T) {
	l := newLab(t)
	l.ok("New-AcceptedDomain", "Name", "Fabrikam", "DomainName", "fabrikam.com")
	l.ok("New-Mailbox", "Name", "Bob", "Alias", "bob")
	l.ok("Set-Mailbox", "Identity", "bob@contoso.com", "EmailAddresses", multi(list("smtp:robert@contoso.com", "bob@fabrikam.com"), nil))
	rc := recipientByName(l, "Bob")
	if strings.Join(rc.EmailAddresses, ",") != "SMTP:bob@contoso.com,smtp:robert@contoso.com,smtp:bob@fabrikam.com" {
		t.Fatalf("addresses %v", rc.EmailAddresses)
	}
	l.ok("Set-Mailbox", "Identity", "bob", "PrimarySmtpAddress", "robert@contoso.com")
	rc = recipientByName(l, "Bob")
	if rc.PrimarySmtpAddress != "robert@contoso.com" || strings.Join(rc.EmailAddresses, ",") != "smtp:bob@contoso.com,SMTP:robert@contoso.com,smtp:bob@fabrikam.com" {
		t.Fatalf("after PrimarySmtpAddress %v %v", rc.PrimarySmtpAddress, rc.EmailAddresses)
	}
	// Adding a new SMTP: address makes it primary.
	l.ok("Set-Mailbox", "Identity", "bob", "EmailAddresses", multi(list("SMTP:b@fabrikam.com"), list("smtp:bob@contoso.com")))
	rc = recipientByName(l, "Bob")
	if rc.PrimarySmtpAddress != "b@fabrikam.com" || strings.Join(rc.EmailAddresses, ",") != "smtp:robert@contoso.com,smtp:bob@fabrikam.com,SMTP:b@fabrikam.com" {
		t.Fatalf("after Add SMTP: %v %v", rc.PrimarySmtpAddress, rc.EmailAddresses)
	}
	wantErrContains(t, l.fails("Set-Mailbox", "Identity", "bob", "EmailAddresses", multi(nil, list("SMTP:b@fabrikam.com"))), "exactly one primary SMTP address")
	wantErrContains(t, l.fails("Set-Mailbox", "Identity", "bob", "EmailAddresses", multi(list("smtp:administrator@contoso.com"), nil)), "is already being used by the proxy addresses")
	wantErrContains(t, l.fails("Set-Mailbox", "Identity", "bob", "EmailAddresses", multi(list("smtp:not-an-address"), nil)), `The email address "not-an-address" isn't correct.`)
	r := l.ok("Set-Mailbox", "Identity", "bob", "Alias", "bob")
	if len(r.warns) != 1 || !strings.Contains(r.warns[0], "no settings of 'contoso.com/Users/Bob' have been modified") {
		t.Errorf("warning %q", r.warns)
	}
	l.ok("Set-Mailbox", "Identity", "bob", "Password", secure("N3w-pass"), "ProhibitSendQuota", "2GB")
	rc = recipientByName(l, "Bob")
	if !state.CheckPassword(rc.PasswordHash, "N3w-pass") || rc.ProhibitSendQuota != "2 GB (2,147,483,648 bytes)" {
		t.Errorf("%+v", rc)
	}
}

func TestGetMailboxAndRecipients(t *testing.T) {
	l := newLab(t)
	l.ok("New-Mailbox", "Name", "Bob", "Alias", "bob")
	l.ok("New-Mailbox", "Name", "Test1", "Alias", "test1")
	l.ok("New-User", "Name", "Scanner", "UserPrincipalName", "scanner@contoso.com", "Password", secure("P@ssw0rd1"))
	if n := len(l.ok("Get-Mailbox").objs); n != 3 {
		t.Errorf("Get-Mailbox: %d (Administrator, Bob, Test1)", n)
	}
	if n := len(l.ok("Get-User").objs); n != 4 {
		t.Errorf("Get-User: %d", n)
	}
	// Get-Recipient lists mail-enabled recipients only; the account
	// without a mailbox shows when its type is asked for.
	r := l.ok("Get-Recipient")
	if len(r.objs) != 3 {
		t.Errorf("Get-Recipient: %d objects, want the 3 mailboxes", len(r.objs))
	}
	for i := range r.objs {
		if propText(t, r.obj(i), "RecipientType") != "UserMailbox" {
			t.Errorf("Get-Recipient lists %s", propText(t, r.obj(i), "Name"))
		}
	}
	wantErrContains(t, l.fails("Get-Recipient", "Identity", "Scanner"), "couldn't be found")
	r = l.ok("Get-Recipient", "RecipientType", list("User"))
	if len(r.objs) != 1 || propText(t, r.obj(0), "Name") != "Scanner" {
		t.Errorf("Get-Recipient -RecipientType User: %v", r.objs)
	}
	r = l.ok("Get-Mailbox", "Filter", "Alias -like 'test*'")
	if len(r.objs) != 1 || propText(t, r.obj(0), "Alias") != "test1" {
		t.Errorf("filter: %v", r.objs)
	}
	r = l.ok("Get-Mailbox", "Filter", "{Alias -eq 'bob' -or Name -eq 'Test1'}")
	if len(r.objs) != 2 {
		t.Errorf("or filter: %d", len(r.objs))
	}
	wantErrContains(t, l.fails("Get-Mailbox", "Filter", "Alias equals bob"), "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"Invalid filter syntax.")
	wantErrContains(t, l.fails("Get-Mailbox", "Filter", "Colour -eq 'red'"), `"Colour" is not a recognized filterable property.`)
	r = l.ok("Get-Mailbox", "ResultSize", "1")
	if len(r.objs) != 1 || len(r.warns) != 0 {
		t.Errorf("ResultSize 1: %d objects, warnings %q", len(r.objs), r.warns)
	}
	r = l.ok("Get-Mailbox", "ResultSize", "Unlimited")
	if len(r.objs) != 3 {
		t.Errorf("ResultSize Unlimited: %d", len(r.objs))
	}
	// Get-Mailbox doesn't find users without a mailbox.
	wantErr(t, l.fails("Get-Mailbox", "Identity", "Scanner"), "The operation couldn't be performed because object 'Scanner' couldn't be found on 'EX01.contoso.com'.")
	for _, id := range []string{"bob", "Bob", "bob@contoso.com", `CONTOSO\bob`, "contoso.com/Users/Bob", "CN=Bob,CN=Users,DC=contoso,DC=com", "b*"} {
		r := l.ok("Get-Mailbox", "Identity", id)
		if len(r.objs) != 1 || propText(t, r.obj(0), "Name") != "Bob" {
			t.Errorf("identity %q: %v", id, r.objs)
		}
	}
}

func TestUsers(t *testing.T) {
	l := newLab(t)
	r := l.ok("New-User", "Name", "Scanner", "UserPrincipalName", "scanner@contoso.com", "Password", secure("P@ssw0rd1"))
	o := r.obj(0)
	if propText(t, o, "RecipientType") != "User" || propText(t, o, "PrimarySmtpAddress") != "" || propText(t, o, "SamAccountName") != "scanner" {
		t.Errorf("user %v", o)
	}
	if rc := recipientByName(l, "Scanner"); !state.CheckPassword(rc.PasswordHash, "P@ssw0rd1") {
		t.Error("password")
	}
	l.ok("Set-User", "Identity", "scanner@contoso.com", "DisplayName", "Floor 2 scanner", "FirstName", "Floor")
	if rc := recipientByName(l, "Scanner"); rc.DisplayName != "Floor 2 scanner" || rc.FirstName != "Floor" {
		t.Errorf("%+v", rc)
	}
	wantErrContains(t, l.fails("New-User", "Name", "Scanner2", "UserPrincipalName", "scanner@contoso.com", "Password", secure("x")), "The user principal name scanner@contoso.com isn't unique.")
	// Enable-Mailbox turns the user into a mailbox.
	r = l.ok("Enable-Mailbox", "Identity", "Scanner")
	if propText(t, r.obj(0), "RecipientType") != "UserMailbox" || propText(t, r.obj(0), "PrimarySmtpAddress") != "scanner@contoso.com" {
		t.Errorf("enabled %v", r.obj(0))
	}
	wantErrContains(t, l.fails("Enable-Mailbox", "Identity", "Scanner"), "already has a mailbox")
	l.ok("Remove-Mailbox", "Identity", "Scanner", "Confirm", false)
	l.ok("New-User", "Name", "Svc", "UserPrincipalName", "svc@contoso.com", "Password", secure("P@ssw0rd1"))
	wantErr(t, l.fails("Remove-Mailbox", "Identity", "Svc"), "The operation couldn't be performed because object 'Svc' couldn't be found on 'EX01.contoso.com'.")
	l.ok("Remove-User", "Identity", "Svc", "Confirm", false)
	if n := len(l.ok("Get-User").objs); n != 1 {
		t.Errorf("%d users left", n)
	}
}

func TestSetMailContact(t *testing.T) {
	l := newLab(t)
	l.ok("New-MailContact", "Name", "Chris Ashton", "Alias", "chris", "ExternalEmailAddress", "chris@fabrikam.net")
	l.ok("Set-MailContact", "Identity", "chris", "DisplayName", "Chris A.", "ExternalEmailAddress", "SMTP:ashton@fabrikam.net", "PrimarySmtpAddress", "chris@contoso.com")
	rc := recipientByName(l, "Chris Ashton")
	if rc.ExternalEmailAddress != "SMTP:ashton@fabrikam.net" || rc.DisplayName != "Chris A." || rc.PrimarySmtpAddress != "chris@contoso.com" {
		t.Errorf("contact after Set-MailContact: external %q, display %q, primary %q", rc.ExternalEmailAddress, rc.DisplayName, rc.PrimarySmtpAddress)
	}
	want := []string{"SMTP:chris@contoso.com", "smtp:chris@fabrikam.net", "smtp:ashton@fabrikam.net"}
	if strings.Join(rc.EmailAddresses, ",") != strings.Join(want, ",") {
		t.Errorf("EmailAddresses = %v, want %v", rc.EmailAddresses, want)
	}
	wantErrContains(t, l.fails("Set-MailContact", "Identity", "chris", "ExternalEmailAddress", "x500:/o=a"), "isn't an SMTP address")
	wantErrContains(t, l.fails("Set-MailContact", "Identity", "Administrator", "DisplayName", "x"), "Administrator")
	r := l.ok("Set-MailContact", "Identity", "chris", "DisplayName", "Chris A.")
	if len(r.warns) != 1 {
		t.Errorf("no-change warnings = %v", r.warns)
	}
}
