package frontend

import (
	"net/netip"
	"strings"
	"testing"

	"exsh/state"
)

func connector(name, role string, bindings, ranges []string) *Connector {
	c := &Connector{Rec: &state.ReceiveConnector{Name: name, Enabled: true, TransportRole: role, Bindings: bindings, RemoteIPRanges: ranges}}
	for _, b := range bindings {
		c.Bindings = append(c.Bindings, netip.MustParseAddrPort(b))
	}
	for _, r := range ranges {
		c.Ranges = append(c.Ranges, state.MustParseIPRange(r))
	}
	return c
}

// The example of exchange-receive.md §5.1: three connectors on one
// binding, the most specific remote range wins.
func TestSelect(t *testing.T) {
	org := &Org{Connectors: []*Connector{
		connector("Default Frontend EX01", RoleFrontend, []string{"0.0.0.0:25", "[::]:25"}, []string{"0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}),
		connector("LAN", RoleFrontend, []string{"0.0.0.0:25"}, []string{"192.168.1.0-192.168.1.255"}),
		connector("Printer", RoleFrontend, []string{"0.0.0.0:25"}, []string{"192.168.1.75"}),
		connector("Specific", RoleFrontend, []string{"10.0.0.5:25"}, []string{"0.0.0.0-255.255.255.255"}),
		connector("Default EX01", RoleHub, []string{"0.0.0.0:2525"}, []string{"0.0.0.0-255.255.255.255"}),
	}}
	disabled := connector("Disabled", RoleFrontend, []string{"0.0.0.0:25"}, []string{"192.168.1.76"})
	disabled.Rec.Enabled = false
	org.Connectors = append(org.Connectors, disabled)
	for _, tc := range []struct {
		role, local, remote, want string
	}{
		{RoleFrontend, "127.0.0.1:25", "192.168.1.75:1000", "Printer"},
		{RoleFrontend, "127.0.0.1:25", "192.168.1.100:1000", "LAN"},
		{RoleFrontend, "127.0.0.1:25", "192.168.1.76:1000", "LAN"},
		{RoleFrontend, "127.0.0.1:25", "203.0.113.9:1000", "Default Frontend EX01"},
		{RoleFrontend, "[::1]:25", "[::1]:1000", "Default Frontend EX01"},
		{RoleFrontend, "10.0.0.5:25", "203.0.113.9:1000", "Specific"},
		{RoleFrontend, "127.0.0.1:587", "203.0.113.9:1000", ""},
		{RoleHub, "127.0.0.1:2525", "127.0.0.1:1000", "Default EX01"},
		{RoleHub, "127.0.0.1:25", "127.0.0.1:1000", ""},
	} {
		c := org.Select(tc.role, netip.MustParseAddrPort(tc.local), netip.MustParseAddrPort(tc.remote))
		got := ""
		if c != nil {
			got = c.Rec.Name
		}
		if got != tc.want {
			t.Errorf("%s %s from %s: %q, want %q", tc.role, tc.local, tc.remote, got, tc.want)
		}
	}
}

func TestFilterHeader(t *testing.T) {
	msg := []byte("Received: from a\r\n by b\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\nX-MS-Exchange-Forest-X: y\r\nResent-From: z\r\nSubject: s\r\n\r\nReceived: in body\r\n")
	got := string(FilterHeader(msg, state.Rights{}))
	if want := "Subject: s\r\n\r\nReceived: in body\r\n"; got != want {
		t.Errorf("no rights: %q", got)
	}
	got = string(FilterHeader(msg, state.Rights{state.RightAcceptHeadersRouting: true}))
	if want := "Received: from a\r\n by b\r\nResent-From: z\r\nSubject: s\r\n\r\nReceived: in body\r\n"; got != want {
		t.Errorf("routing: %q", got)
	}
	all := state.Rights{state.RightAcceptHeadersRouting: true, state.RightAcceptHeadersOrganization: true, state.RightAcceptHeadersForest: true}
	if got := FilterHeader(msg, all); string(got) != string(msg) {
		t.Errorf("all rights changed the message: %q", got)
	}
	if v := FieldValue(msg, "received"); v != "from a by b" {
		t.Errorf("FieldValue %q", v)
	}
}

func TestPermissionText(t *testing.T) {
	anon := state.EffectiveRights(&state.ReceiveConnector{PermissionGroups: state.Flags{"AnonymousUsers"}}, nil, state.AnonymousPrincipals(), "CONTOSO")
	if got, want := PermissionText(anon), "SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders"; got != want {
		t.Errorf("anonymous: %q, want %q", got, want)
	}
	if got := PermissionText(state.Rights{}); got != "None" {
		t.Errorf("none: %q", got)
	}
}

func TestServerCredential(t *testing.T) {
	c := ServerCredential{Account: `CONTOSO\EX01$`, Secret: "s3cret"}
	if !c.Check(`contoso\ex01$`, "s3cret") || c.Check(`CONTOSO\EX01$`, "S3cret") || c.Check("administrator", "s3cret") {
		t.Error("Check")
	}
	if (ServerCredential{}).Check("", "") {
		t.Error("empty credential accepted")
	}
	if !strings.HasSuffix(c.Account, "$") {
		t.Error("account")
	}
}
