package org

import (
	"strings"
	"testing"

	"exsh/shell/interp"
	"exsh/state"
	"exsh/state/statetest"
)

func sendConnector(l *lab, name string) *state.SendConnector {
	l.t.Helper()
	var sc *state.SendConnector
	statetest.View(l.t, l.store, func(tx state.Tx) error {
		var err error
		sc, err = tx.SendConnectorByName(name)
		return err
	})
	return sc
}

func TestSendConnector(t *testing.T) {
	l := newLab(t)
	if n := len(l.ok("Get-SendConnector").objs); n != 0 {
		t.Fatalf("a fresh organisation has %d send connectors", n)
	}
	r := l.ok("New-SendConnector", "Name", "To Internet", "Internet", true, "AddressSpaces", list("*"))
	o := r.obj(0)
	for name, want := range map[string]string{
		"Identity": "To Internet", "AddressSpaces": "SMTP:*;1", "Enabled": "True", "DNSRoutingEnabled": "True",
		"Port": "25", "SourceTransportServers": "EX01", "MaxMessageSize": "35 MB (36,700,160 bytes)",
	} {
		if got := propText(t, o, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, ok := o.Get("AuthPassword"); ok {
		t.Error("AuthPassword is shown")
	}
	l.ok("New-SendConnector", "Name", "Internal", "Usage", "Internal", "AddressSpaces", list("fabrikam.com;2", "X400:c=US;a= ;p=Fab;5"),
		"SmartHosts", list("127.0.0.1", "relay.fabrikam.com"), "DNSRoutingEnabled", false, "Port", 2526,
		"SmartHostAuthMechanism", "BasicAuth", "AuthenticationCredential", &interp.Credential{UserName: "relay", Password: secure("s3cret")})
	sc := sendConnector(l, "Internal")
	if sc.MaxMessageSize != state.Unlimited || sc.SmartHostsString != "127.0.0.1,relay.fabrikam.com" || sc.AuthUser != "relay" || sc.AuthPassword != "s3cret" ||
		strings.Join(sc.AddressSpaces, ",") != "SMTP:fabrikam.com;2,X400:c=US;a= ;p=Fab;5" {
		t.Fatalf("stored %+v", sc)
	}
	l.ok("Set-SendConnector", "Identity", "To Internet", "AddressSpaces", multi(list("*.contoso.net;3"), nil), "ProtocolLoggingLevel", "Verbose")
	sc = sendConnector(l, "To Internet")
	if strings.Join(sc.AddressSpaces, ",") != "SMTP:*;1,SMTP:*.contoso.net;3" || sc.ProtocolLoggingLevel != "Verbose" {
		t.Fatalf("after Set %+v", sc)
	}
	l.ok("Remove-SendConnector", "Identity", "To Internet", "Confirm", false)
	if sendConnector(l, "Internal") == nil || len(l.ok("Get-SendConnector").objs) != 1 {
		t.Fatal("remove")
	}
}

func TestSendConnectorValidation(t *testing.T) {
	l := newLab(t)
	l.ok("New-SendConnector", "Name", "Out", "AddressSpaces", list("*"))
	cases := []struct {
		kv   []any
		want string
	}{
		{[]any{"Name", "X", "AddressSpaces", list("*"), "SmartHosts", list("10.0.0.1")}, "DNSRoutingEnabled must be set to $false when smart hosts are specified in the SmartHosts parameter."},
		{[]any{"Name", "X", "AddressSpaces", list("*"), "DNSRoutingEnabled", false}, "You must specify at least one smart host in the SmartHosts parameter when DNSRoutingEnabled is set to $false."},
		{[]any{"Name", "X", "AddressSpaces", list("*"), "SmartHostAuthMechanism", "BasicAuth"}, "SmartHostAuthMechanism can be set only when the connector routes mail through smart hosts."},
		{[]any{"Name", "X", "AddressSpaces", list("*"), "SmartHosts", list("h.example.com"), "DNSRoutingEnabled", false, "SmartHostAuthMechanism", "BasicAuth"}, "The AuthenticationCredential parameter is required when SmartHostAuthMechanism is BasicAuth."},
		{[]any{"Name", "X", "AddressSpaces", list("*contoso.com")}, "Cannot process argument transformation on parameter 'AddressSpaces'. Cannot convert value \"*contoso.com\" to type \"Microsoft.Exchange.Data.AddressSpace\". Error: \""},
		{[]any{"Name", "X", "AddressSpaces", list("contoso.com;0")}, "Cannot process argument transformation on parameter 'AddressSpaces'."},
		{[]any{"Name", "X", "AddressSpaces", list("*"), "Port", 70000}, "Cannot validate argument on parameter 'Port'. The 70000 argument is greater than the maximum allowed range of 65535."},
		{[]any{"Name", "X", "AddressSpaces", list("*"), "TlsAuthLevel", "DomainValidation"}, "TlsAuthLevel can be set only when RequireTLS is $true and IgnoreSTARTTLS is $false."},
		{[]any{"Name", "X", "AddressSpaces", list("*"), "SourceTransportServers", list("EX99")}, "The operation couldn't be performed because object 'EX99' couldn't be found on 'EX01.contoso.com'."},
		{[]any{"Name", "out", "AddressSpaces", list("*")}, "Active Directory operation failed on EX01.contoso.com. The object 'CN=out,CN=Connections,CN=Exchange Routing Group (DWBGZMFD01QNBJR),CN=Routing Groups,"},
		{[]any{"Name", "X"}, "Cannot process command because of one or more missing mandatory parameters: AddressSpaces."},
		{[]any{"Name", "X", "AddressSpaces", list("X400:c=US;1")}, "A Send connector with a non-SMTP address space must route mail through smart hosts."},
	}
	for _, tc := range cases {
		wantErrContains(t, l.fails("New-SendConnector", tc.kv...), tc.want)
	}
	wantErr(t, l.fails("Set-SendConnector", "Identity", "Out", "SmartHosts", list("10.0.0.1")), "DNSRoutingEnabled must be set to $false when smart hosts are specified in the SmartHosts parameter.")
	l.ok("Set-SendConnector", "Identity", "Out", "SmartHosts", list("[10.0.0.1]"), "DNSRoutingEnabled", false)
	if sc := sendConnector(l, "Out"); sc.SmartHosts[0] != "[10.0.0.1]" || sc.SmartHostsString != "[10.0.0.1]" || sc.DNSRoutingEnabled {
		t.Errorf("%+v", sc)
	}
	wantErr(t, l.fails("Get-SendConnector", "Identity", "Nope"), "The operation couldn't be performed because object 'Nope' couldn't be found on 'EX01.contoso.com'.")
}
