package org

import (
	"testing"
)

func TestAcceptedDomains(t *testing.T) {
	l := newLab(t)
	r := l.ok("Get-AcceptedDomain")
	if len(r.objs) != 1 || propText(t, r.obj(0), "DomainName") != "contoso.com" || propText(t, r.obj(0), "Default") != "True" {
		t.Fatalf("setup domain %v", r.objs)
	}
	r = l.ok("New-AcceptedDomain", "Name", "Fabrikam", "DomainName", "Fabrikam.com")
	o := r.obj(0)
	if propText(t, o, "DomainName") != "fabrikam.com" || propText(t, o, "DomainType") != "Authoritative" || propText(t, o, "Default") != "False" || propText(t, o, "AddressBookEnabled") != "True" {
		t.Errorf("new domain %v", o)
	}
	l.ok("New-AcceptedDomain", "Name", "Sub", "DomainName", "*.tailspin.com", "DomainType", "InternalRelay")
	wantErrContains(t, l.fails("New-AcceptedDomain", "Name", "Bad", "DomainName", "domain.*.x"), "Cannot convert value \"domain.*.x\" to type \"Microsoft.Exchange.Data.SmtpDomainWithSubdomains\"")
	wantErrContains(t, l.fails("New-AcceptedDomain", "Name", "fabrikam", "DomainName", "other.com"), "already exists.")
	wantErrContains(t, l.fails("New-AcceptedDomain", "Name", "Fab2", "DomainName", "fabrikam.com"), `already uses the domain name "fabrikam.com"`)

	// MakeDefault moves the flag.
	l.ok("Set-AcceptedDomain", "Identity", "fabrikam.com", "MakeDefault", true)
	r = l.ok("Get-AcceptedDomain")
	defaults := 0
	for i := range r.objs {
		if propText(t, r.obj(i), "Default") == "True" {
			defaults++
			if propText(t, r.obj(i), "Name") != "Fabrikam" {
				t.Errorf("default is %s", propText(t, r.obj(i), "Name"))
			}
		}
	}
	if defaults != 1 {
		t.Fatalf("%d default domains", defaults)
	}
	wantErrContains(t, l.fails("Set-AcceptedDomain", "Identity", "Sub", "MakeDefault", true), "can't be the default domain because its domain name contains a wildcard.")
	wantErr(t, l.fails("Remove-AcceptedDomain", "Identity", "Fabrikam"),
		`The accepted domain "Fabrikam" is the default accepted domain and can't be removed. Make another accepted domain the default with Set-AcceptedDomain -MakeDefault $true, and then try again.`)
	r = l.ok("Set-AcceptedDomain", "Identity", "Sub", "DomainType", "InternalRelay")
	if len(r.warns) != 1 {
		t.Errorf("no-change warning %q", r.warns)
	}
	l.ok("Set-AcceptedDomain", "Identity", "Sub", "DomainType", "ExternalRelay")
	l.ok("Remove-AcceptedDomain", "Identity", "Sub", "Confirm", false)
	if n := len(l.ok("Get-AcceptedDomain").objs); n != 2 {
		t.Errorf("%d domains after remove", n)
	}
	wantErr(t, l.fails("Get-AcceptedDomain", "Identity", "Sub"), "The operation couldn't be performed because object 'Sub' couldn't be found on 'EX01.contoso.com'.")
}
