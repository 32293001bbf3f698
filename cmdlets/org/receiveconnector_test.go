package org

import (
	"strings"
	"testing"
	"time"

	"exsh/shell/interp"
	"exsh/state"
)

func newRelay(l *lab) result {
	l.t.Helper()
	return l.ok("New-ReceiveConnector", "Name", "Relay", "Usage", "Custom", "Bindings", list("0.0.0.0:25"),
		"RemoteIPRanges", list("127.0.0.56"), "TransportRole", "FrontendTransport")
}

func TestGetReceiveConnectorAll(t *testing.T) {
	l := newLab(t)
	r := l.ok("Get-ReceiveConnector")
	if len(r.objs) != 5 {
		t.Fatalf("got %d connectors, want the 5 defaults", len(r.objs))
	}
	names := map[string]bool{}
	for i := range r.objs {
		names[propText(t, r.obj(i), "Identity")] = true
	}
	for _, n := range []string{`EX01\Default EX01`, `EX01\Client Proxy EX01`, `EX01\Default Frontend EX01`, `EX01\Outbound Proxy Frontend EX01`, `EX01\Client Frontend EX01`} {
		if !names[n] {
			t.Errorf("missing %s", n)
		}
	}
}

func TestGetReceiveConnectorIdentityForms(t *testing.T) {
	l := newLab(t)
	rc := l.receiveConnector("EX01", "Default Frontend EX01")
	for _, id := range []string{"Default Frontend EX01", `EX01\Default Frontend EX01`, `EX01.contoso.com\Default Frontend EX01`, `ex01\default frontend ex01`, rc.Guid, "{" + strings.ToUpper(rc.Guid) + "}", rc.DistinguishedName} {
		r := l.ok("Get-ReceiveConnector", "Identity", id)
		if len(r.objs) != 1 || propText(t, r.obj(0), "Guid") != rc.Guid {
			t.Errorf("%q: got %v", id, r.objs)
		}
	}
	r := l.ok("Get-ReceiveConnector", "Identity", "*Frontend*")
	if len(r.objs) != 3 {
		t.Errorf("*Frontend*: got %d, want 3", len(r.objs))
	}
	r = l.ok("Get-ReceiveConnector", "Server", "EX01")
	if len(r.objs) != 5 {
		t.Errorf("-Server EX01: got %d", len(r.objs))
	}
	// A piped object is found by its Guid.
	piped := l.ok("Get-ReceiveConnector", "Identity", "Client Proxy EX01").obj(0)
	r = l.ok("Get-ReceiveConnector", "Identity", piped)
	if propText(t, r.obj(0), "Name") != "Client Proxy EX01" {
		t.Errorf("piped: got %v", r.obj(0))
	}
}

func TestGetReceiveConnectorNotFound(t *testing.T) {
	l := newLab(t)
	r := l.run("Get-ReceiveConnector", "Identity", "Nope")
	if r.err != nil {
		t.Fatalf("not found must be a non-terminating error, got terminating %v", r.err)
	}
	wantErr(t, r, "The operation couldn't be performed because object 'Nope' couldn't be found on 'EX01.contoso.com'.")
	rec := r.record()
	if rec.Category != "NotSpecified" || rec.Reason != "ManagementObjectNotFoundException" {
		t.Errorf("category %s reason %s", rec.Category, rec.Reason)
	}
	if !strings.HasPrefix(rec.FullyQualifiedErrorId, "[Server=EX01,RequestId=") ||
		!strings.Contains(rec.FullyQualifiedErrorId, ",TimeStamp=3/4/2026 10:20:30 AM] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] ") ||
		!strings.HasSuffix(rec.FullyQualifiedErrorId, ",Microsoft.Exchange.Management.SystemConfigurationTasks.GetReceiveConnector") {
		t.Errorf("FullyQualifiedErrorId %s", rec.FullyQualifiedErrorId)
	}
	r = l.run("Get-ReceiveConnector", "Server", "EX99")
	wantErr(t, r, "The operation couldn't be performed because object 'EX99' couldn't be found on 'EX01.contoso.com'.")
}

func TestNewReceiveConnectorRelay(t *testing.T) {
	l := newLab(t)
	r := newRelay(l)
	o := r.obj(0)
	if o.TypeNames[0] != ReceiveConnectorType {
		t.Errorf("type %s", o.TypeNames[0])
	}
	for name, want := range map[string]string{
		"Identity":         `EX01\Relay`,
		"Bindings":         "0.0.0.0:25",
		"RemoteIPRanges":   "127.0.0.56",
		"TransportRole":    "FrontendTransport",
		"PermissionGroups": "None",
		"AuthMechanism":    "Tls",
		"Enabled":          "True",
		"Fqdn":             "EX01.contoso.com",
		"MaxMessageSize":   "36 MB (37,748,736 bytes)",
		"Server":           "EX01",
	} {
		if got := propText(t, o, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	rc := l.receiveConnector("EX01", "Relay")
	if rc == nil || rc.DistinguishedName != "CN=Relay,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=com" {
		t.Fatalf("stored connector: %+v", rc)
	}
}

func TestNewReceiveConnectorUsages(t *testing.T) {
	l := newLab(t)
	r := l.ok("New-ReceiveConnector", "Name", "Clients", "Client", true, "RemoteIPRanges", list("10.0.0.0/8"), "TransportRole", "FrontendTransport")
	o := r.obj(0)
	if propText(t, o, "Bindings") != "0.0.0.0:587" || propText(t, o, "PermissionGroups") != "ExchangeUsers" || propText(t, o, "AuthMechanism") != "Tls, Integrated, BasicAuth, BasicAuthRequireTLS" {
		t.Errorf("client template: %v", o)
	}
	// 0.0.0.0:587 with 10/8 sits inside Client Frontend's 0.0.0.0-255.255.255.255 on the same role.
	r = l.ok("New-ReceiveConnector", "Name", "Web", "Usage", "Internet", "Bindings", list("10.1.1.1:25"), "TransportRole", "FrontendTransport")
	if got := propText(t, r.obj(0), "RemoteIPRanges"); got != "0.0.0.0-255.255.255.255" {
		t.Errorf("internet RemoteIPRanges %q", got)
	}
	if got := propText(t, r.obj(0), "PermissionGroups"); got != "AnonymousUsers" {
		t.Errorf("internet PermissionGroups %q", got)
	}
	r = l.ok("New-ReceiveConnector", "Name", "Partners", "Partner", true, "Bindings", list("10.1.1.2:25"), "RemoteIPRanges", list("192.0.2.0/24"), "TransportRole", "FrontendTransport")
	if got := propText(t, r.obj(0), "PermissionGroups"); got != "Partners" {
		t.Errorf("partner PermissionGroups %q", got)
	}
	r = l.ok("New-ReceiveConnector", "Name", "Org", "Internal", true, "RemoteIPRanges", list("10.9.0.0/16"), "TransportRole", "FrontendTransport")
	if got := propText(t, r.obj(0), "PermissionGroups"); got != "ExchangeServers, ExchangeLegacyServers" {
		t.Errorf("internal PermissionGroups %q", got)
	}
	if got := propText(t, r.obj(0), "AuthMechanism"); got != "Tls, ExchangeServer" {
		t.Errorf("internal AuthMechanism %q", got)
	}
}

func TestNewReceiveConnectorUsageRules(t *testing.T) {
	l := newLab(t)
	wantErr(t, l.fails("New-ReceiveConnector", "Name", "X", "Usage", "Custom", "RemoteIPRanges", list("10.0.0.1")),
		"Cannot process command because of one or more missing mandatory parameters: Bindings.")
	wantErr(t, l.fails("New-ReceiveConnector", "Name", "X", "Custom", true, "Bindings", list("0.0.0.0:2526")),
		"Cannot process command because of one or more missing mandatory parameters: RemoteIPRanges.")
	wantErrContains(t, l.fails("New-ReceiveConnector", "Name", "X", "Usage", "Client", "Bindings", list("0.0.0.0:2526"), "RemoteIPRanges", list("10.0.0.1")),
		"The Bindings parameter can't be used with the Client usage type.")
	wantErrContains(t, l.fails("New-ReceiveConnector", "Name", "X", "Usage", "Internet", "Bindings", list("0.0.0.0:2526"), "RemoteIPRanges", list("10.0.0.1")),
		"The RemoteIPRanges parameter can't be used with the Internet usage type.")
	wantErrContains(t, l.fails("New-ReceiveConnector", "Name", "X", "Usage", "Custom", "Custom", true, "Bindings", list("0.0.0.0:2526"), "RemoteIPRanges", list("10.0.0.1")),
		"Parameter set cannot be resolved")
	wantErrContains(t, l.fails("New-ReceiveConnector", "Name", "X", "Bindings", list("0.0.0.0:2526"), "RemoteIPRanges", list("10.0.0.1")),
		"Parameter set cannot be resolved")
}

func TestNewReceiveConnectorRoleConflict(t *testing.T) {
	l := newLab(t)
	// Without -TransportRole the connector is a Transport (Hub) connector
	// and collides with Default Frontend on port 25.
	r := l.fails("New-ReceiveConnector", "Name", "Relay", "Custom", true, "Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("127.0.0.56"))
	wantErr(t, r, `The values that you specified for the Bindings and RemoteIPRanges parameters conflict with the settings on Receive connector "EX01\Default Frontend EX01". Receive connectors assigned to different Transport roles on a single server must listen on unique local IP address & port bindings.`)
	if rec := r.record(); rec.Reason != "ReceiveConnectorRoleConflictException" || rec.Category != "InvalidOperation" {
		t.Errorf("reason %s category %s", rec.Reason, rec.Category)
	}
	// A specific address on the same port of the other role collides too.
	l.fails("New-ReceiveConnector", "Name", "Relay", "Custom", true, "Bindings", list("10.0.0.1:25"), "RemoteIPRanges", list("127.0.0.56"))
}

func TestNewReceiveConnectorSameRoleConflicts(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	// Same binding and role, same remote range as Relay.
	r := l.fails("New-ReceiveConnector", "Name", "Relay2", "Custom", true, "Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("127.0.0.56"), "TransportRole", "FrontendTransport")
	wantErrContains(t, r, `conflict with the settings on Receive connector "EX01\Relay". Receive connectors on the same server that listen on the same local IP address & port bindings must have unique remote IP address ranges`)
	// Identical to Default Frontend's whole IPv4 range.
	l.fails("New-ReceiveConnector", "Name", "All", "Custom", true, "Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("0.0.0.0-255.255.255.255"), "TransportRole", "FrontendTransport")
	// A partial overlap with Relay2's range.
	l.ok("New-ReceiveConnector", "Name", "Range", "Custom", true, "Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("10.0.0.0-10.0.0.100"), "TransportRole", "FrontendTransport")
	l.fails("New-ReceiveConnector", "Name", "Range2", "Custom", true, "Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("10.0.0.50-10.0.0.200"), "TransportRole", "FrontendTransport")
	// Containment is fine (most specific wins at connect time).
	l.ok("New-ReceiveConnector", "Name", "Inner", "Custom", true, "Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("10.0.0.10/31"), "TransportRole", "FrontendTransport")
	// IPv6 single address, range and CIDR.
	l.ok("New-ReceiveConnector", "Name", "Six", "Custom", true, "Bindings", list("[::]:25"), "RemoteIPRanges", list("2001:db8::1", "2001:db8:1::-2001:db8:1::ff", "2001:0DB8:2::CD3/60"), "TransportRole", "FrontendTransport")
}

func TestNewReceiveConnectorDuplicateName(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	r := l.fails("New-ReceiveConnector", "Name", "relay", "Custom", true, "Bindings", list("0.0.0.0:2526"), "RemoteIPRanges", list("10.0.0.1"))
	wantErr(t, r, "Active Directory operation failed on EX01.contoso.com. The object 'CN=relay,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=com' already exists.")
	if r.record().Reason != "ADObjectAlreadyExistsException" {
		t.Errorf("reason %s", r.record().Reason)
	}
}

func TestNewReceiveConnectorValidation(t *testing.T) {
	l := newLab(t)
	base := func(kv ...any) []any {
		return append([]any{"Name", "V", "Custom", true, "Bindings", list("0.0.0.0:2526"), "RemoteIPRanges", list("10.0.0.1"), "TransportRole", "FrontendTransport"}, kv...)
	}
	cases := []struct {
		kv   []any
		want string
	}{
		{[]any{"Name", strings.Repeat("n", 65)}, "Cannot validate argument on parameter 'Name'. The length of the property is too long. The maximum length is 64 and the length of the value provided is 65."},
		{[]any{"AuthMechanism", list("None", "Tls")}, "The authentication mechanism None can't be combined with other authentication mechanisms."},
		{[]any{"AuthMechanism", list("Tls", "BasicAuthRequireTLS")}, "The authentication mechanism BasicAuthRequireTLS requires both BasicAuth and Tls."},
		{[]any{"AuthMechanism", list("BasicAuth", "BasicAuthRequireTLS")}, "The authentication mechanism BasicAuthRequireTLS requires both BasicAuth and Tls."},
		{[]any{"AuthMechanism", list("ExternalAuthoritative", "BasicAuth"), "PermissionGroups", list("ExchangeServers")}, "The authentication mechanism ExternalAuthoritative can be combined only with Tls."},
		{[]any{"AuthMechanism", list("ExternalAuthoritative")}, "The authentication mechanism ExternalAuthoritative requires the permission group ExchangeServers."},
		{[]any{"AuthMechanism", list("None"), "RequireTLS", true}, "RequireTLS can be $true only when AuthMechanism includes Tls."},
		{[]any{"AuthMechanism", list("None"), "DomainSecureEnabled", true}, "DomainSecureEnabled can be $true only when AuthMechanism includes Tls and doesn't include ExternalAuthoritative."},
		{[]any{"ChunkingEnabled", false}, "BinaryMimeEnabled can be $true only when ChunkingEnabled is $true."},
		{[]any{"ConnectionInactivityTimeout", 15 * time.Minute}, "The value of ConnectionInactivityTimeout (00:15:00) must be less than the value of ConnectionTimeout (00:10:00)."},
		{[]any{"Banner", "Hello"}, `The banner "Hello" isn't valid. A custom banner must start with 220.`},
		{[]any{"PermissionGroups", list("Custom")}, "The permission group Custom can't be set. It is shown when permissions were changed with Add-ADPermission or Remove-ADPermission."},
		{[]any{"MaxHopCount", 501}, "Cannot validate argument on parameter 'MaxHopCount'. The 501 argument is greater than the maximum allowed range of 500. Supply an argument that is less than or equal to 500 and then try the command again."},
		{[]any{"MaxMessageSize", interp.ByteSize(1000)}, "Cannot validate argument on parameter 'MaxMessageSize'. The 1000 argument is less than the minimum allowed range of 65536. Supply an argument that is greater than or equal to 65536 and then try the command again."},
		{[]any{"AuthMechanism", list("Kerberos")}, "Cannot process argument transformation on parameter 'AuthMechanism'. Cannot convert value \"Kerberos\" to type \"Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms\". Error: \"Unable to match the identifier name Kerberos to a valid enumerator name. Specify one of the following enumerator names and try again: None, Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative\""},
		{[]any{"RemoteIPRanges", list("10.0.0.300")}, "Cannot process argument transformation on parameter 'RemoteIPRanges'. Cannot convert value \"10.0.0.300\" to type \"Microsoft.Exchange.Data.IPRange\". Error: \"'10.0.0.300' isn't a valid IP address, IP range or CIDR block.\""},
		{[]any{"Bindings", list("0.0.0.0")}, "Cannot process argument transformation on parameter 'Bindings'. Cannot convert value \"0.0.0.0\" to type \"Microsoft.Exchange.Data.IPBinding\". Error: \"0.0.0.0 is not a valid IP address and port. Use the form 0.0.0.0:25 or [::]:25.\""},
		{[]any{"RemoteIPRanges", list("10.0.0.1", "10.0.0.1")}, `The value "10.0.0.1" is already present in the collection.`},
		{[]any{"RemoteIPRanges", list("10.0.0.0-10.0.0.9", "10.0.0.5-10.0.0.20")}, "The remote IP ranges 10.0.0.0-10.0.0.9 and 10.0.0.5-10.0.0.20 of the connector overlap. Overlapping ranges are allowed only when one contains the other."},
		{[]any{"MaxInboundConnectionPerSource", "lots"}, "Cannot process argument transformation on parameter 'MaxInboundConnectionPerSource'. Cannot convert value \"lots\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.Int32]\". Error: \"The value must be a number or Unlimited.\""},
		{[]any{"TlsCertificateName", "CN=EX01"}, `The value "CN=EX01" of property TlsCertificateName isn't valid. Use the form "<I>issuer<S>subject", for example "<I>CN=EX01<S>CN=EX01".`},
		{[]any{"DefaultDomain", "nowhere.example"}, "The operation couldn't be performed because object 'nowhere.example' couldn't be found on 'EX01.contoso.com'."},
	}
	for _, tc := range cases {
		r := l.fails("New-ReceiveConnector", base(tc.kv...)...)
		wantErr(t, r, tc.want)
	}
	// The successful form of the same connector.
	r := l.ok("New-ReceiveConnector", base("MaxInboundConnectionPerSource", "unlimited", "MaxMessageSize", interp.ByteSize(10<<20), "AuthMechanism", list("Tls, BasicAuth, BasicAuthRequireTLS"))...)
	o := r.obj(0)
	if propText(t, o, "MaxInboundConnectionPerSource") != "Unlimited" || propText(t, o, "MaxMessageSize") != "10 MB (10,485,760 bytes)" || propText(t, o, "AuthMechanism") != "Tls, BasicAuth, BasicAuthRequireTLS" {
		t.Errorf("got %v", o)
	}
}

func TestSetReceiveConnectorMultiValued(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	l.ok("Set-ReceiveConnector", "Identity", "Relay", "RemoteIPRanges", multi(list("10.0.0.0/24"), nil))
	rc := l.receiveConnector("EX01", "Relay")
	if strings.Join(rc.RemoteIPRanges, ",") != "127.0.0.56,10.0.0.0/24" {
		t.Fatalf("after Add: %v", rc.RemoteIPRanges)
	}
	l.ok("Set-ReceiveConnector", "Identity", `EX01\Relay`, "RemoteIPRanges", multi(list("192.168.1.1-192.168.1.254"), list("127.0.0.56")))
	rc = l.receiveConnector("EX01", "Relay")
	if strings.Join(rc.RemoteIPRanges, ",") != "10.0.0.0/24,192.168.1.1-192.168.1.254" {
		t.Fatalf("after Add/Remove: %v", rc.RemoteIPRanges)
	}
	// The same range in another notation counts as present.
	wantErr(t, l.fails("Set-ReceiveConnector", "Identity", "Relay", "RemoteIPRanges", multi(list("10.0.0.0-10.0.0.255"), nil)),
		`The value "10.0.0.0-10.0.0.255" is already present in the collection.`)
	l.ok("Set-ReceiveConnector", "Identity", "Relay", "Bindings", list("0.0.0.0:25", "[::]:25"))
	rc = l.receiveConnector("EX01", "Relay")
	if strings.Join(rc.Bindings, ",") != "0.0.0.0:25,[::]:25" {
		t.Fatalf("bindings %v", rc.Bindings)
	}
	// Removing every remote range is refused.
	wantErrContains(t, l.fails("Set-ReceiveConnector", "Identity", "Relay", "RemoteIPRanges", multi(nil, list("10.0.0.0/24", "192.168.1.1-192.168.1.254"))),
		"The RemoteIPRanges property can't be empty.")
}

func TestSetReceiveConnector(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	r := l.ok("Set-ReceiveConnector", "Identity", "Relay", "PermissionGroups", list("AnonymousUsers"), "Banner", "220 SMTP OK",
		"ConnectionTimeout", 15*time.Minute, "MaxRecipientsPerMessage", 1000, "ProtocolLoggingLevel", "Verbose", "Enabled", false,
		"MessageRateLimit", "100", "Comment", "device relay", "SizeEnabled", "EnabledWithoutValue")
	if len(r.objs) != 0 {
		t.Errorf("Set- writes no object, got %v", r.objs)
	}
	rc := l.receiveConnector("EX01", "Relay")
	if rc.PermissionGroups.String() != "AnonymousUsers" || rc.Banner != "220 SMTP OK" || rc.ConnectionTimeout != 15*time.Minute ||
		rc.MaxRecipientsPerMessage != 1000 || rc.ProtocolLoggingLevel != "Verbose" || rc.Enabled || rc.MessageRateLimit != 100 ||
		rc.Comment != "device relay" || rc.SizeEnabled != "EnabledWithoutValue" {
		t.Fatalf("got %+v", rc)
	}
	// Nothing changes: Exchange's warning, no write.
	r = l.ok("Set-ReceiveConnector", "Identity", "Relay", "Banner", "220 SMTP OK")
	if len(r.warns) != 1 || r.warns[0] != `The command completed successfully but no settings of 'EX01\Relay' have been modified.` {
		t.Errorf("warnings %q", r.warns)
	}
	// Rename.
	l.ok("Set-ReceiveConnector", "Identity", "Relay", "Name", "Device Relay")
	rc = l.receiveConnector("EX01", "Device Relay")
	if rc.Identity != `EX01\Device Relay` || !strings.HasPrefix(rc.DistinguishedName, "CN=Device Relay,") {
		t.Fatalf("renamed: %+v", rc)
	}
	wantErrContains(t, l.fails("Set-ReceiveConnector", "Identity", "Device Relay", "Name", "Default Frontend EX01"), "already exists.")
	wantErr(t, l.fails("Set-ReceiveConnector", "Identity", "Relay", "Enabled", true),
		"The operation couldn't be performed because object 'Relay' couldn't be found on 'EX01.contoso.com'.")
	// Moving to Hub on port 25 collides with Default Frontend.
	wantErrContains(t, l.fails("Set-ReceiveConnector", "Identity", "Device Relay", "TransportRole", "HubTransport"), "Receive connectors assigned to different Transport roles")
	// A wildcard matching several connectors is ambiguous.
	wantErrContains(t, l.fails("Set-ReceiveConnector", "Identity", "*Frontend*", "Enabled", false), "matches multiple entries")
}

func TestReceiveConnectorWhatIf(t *testing.T) {
	l := newLab(t)
	before := l.snapshot()
	r := l.run("New-ReceiveConnector", "Name", "Relay", "Custom", true, "Bindings", list("0.0.0.0:25"), "RemoteIPRanges", list("127.0.0.56"), "TransportRole", "FrontendTransport", "WhatIf", true)
	if r.errText() != "" || len(r.objs) != 0 {
		t.Fatalf("WhatIf: %v %v", r.errText(), r.objs)
	}
	if len(r.host) != 1 || r.host[0] != `What if: Creating Receive connector "Relay" on server "EX01".` {
		t.Errorf("host %q", r.host)
	}
	if l.snapshot() != before {
		t.Fatal("WhatIf changed the store")
	}
	r = l.run("Set-ReceiveConnector", "Identity", "Default Frontend EX01", "Enabled", false, "WhatIf", true)
	if len(r.host) != 1 || r.host[0] != `What if: Configuring Receive connector "EX01\Default Frontend EX01".` {
		t.Errorf("host %q", r.host)
	}
	r = l.run("Remove-ReceiveConnector", "Identity", "Default Frontend EX01", "WhatIf", true)
	if len(r.host) != 1 || r.host[0] != `What if: Removing Receive connector "EX01\Default Frontend EX01".` {
		t.Errorf("host %q", r.host)
	}
	// $WhatIfPreference works like -WhatIf.
	rt := &fakeRuntime{vars: map[string]any{"WhatIfPreference": true}}
	r = l.runWith(rt, "Remove-ReceiveConnector", "Identity", "Default Frontend EX01")
	if len(r.host) != 1 || r.host[0] != `What if: Performing the operation "Removing Receive connector" on target "EX01\Default Frontend EX01".` {
		t.Errorf("host %q", r.host)
	}
	// A declined confirmation writes nothing.
	l.runWith(&fakeRuntime{decline: true, vars: map[string]any{}}, "Remove-ReceiveConnector", "Identity", "Default Frontend EX01")
	if l.snapshot() != before {
		t.Fatal("WhatIf or a declined confirmation changed the store")
	}
}

func TestRemoveReceiveConnector(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	l.ok("Add-ADPermission", "Identity", "Relay", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Accept-Any-Recipient"))
	l.ok("Remove-ReceiveConnector", "Identity", "Relay", "Confirm", false)
	if len(l.ok("Get-ReceiveConnector").objs) != 5 {
		t.Fatal("Relay still listed")
	}
	wantErr(t, l.fails("Remove-ReceiveConnector", "Identity", "Relay"),
		"The operation couldn't be performed because object 'Relay' couldn't be found on 'EX01.contoso.com'.")
}

func TestReceiveConnectorAllowsStoredCustomGroup(t *testing.T) {
	// After Remove-ADPermission marks a connector Custom, other changes
	// still validate.
	l := newLab(t)
	l.ok("Remove-ADPermission", "Identity", "Default Frontend EX01", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Accept-Authoritative-Domain-Sender"))
	l.ok("Set-ReceiveConnector", "Identity", "Default Frontend EX01", "Banner", "220 mail.contoso.com")
	rc := l.receiveConnector("EX01", "Default Frontend EX01")
	if !rc.PermissionGroups.Has("Custom") {
		t.Errorf("PermissionGroups %v", rc.PermissionGroups)
	}
	_ = state.Flags{}
}
