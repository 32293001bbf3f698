package eac

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestApply checks that a dialog sends exactly what changed, quoted.
func TestApply(t *testing.T) {
	fields := []field{
		{Label: "Name", Param: "Name", Kind: "text", Value: "Relay"},
		{Label: "Enable", Param: "Enabled", Kind: "check", Checked: true},
		{Label: "Size", Param: "MaxMessageSize", Kind: "mb", Value: "36"},
		{Label: "Hops", Param: "MaxLocalHopCount", Kind: "number", Value: "8"},
		{Param: "AuthMechanism", Kind: "flag", Flag: "Tls", Checked: true},
		{Param: "AuthMechanism", Kind: "flag", Flag: "BasicAuth"},
		{Param: "PermissionGroups", Kind: "flag", Flag: "AnonymousUsers", Checked: true},
		{Label: "Ranges", Param: "RemoteIPRanges", Kind: "lines", Value: "10.0.0.1\n10.0.0.2"},
		{Label: "Domain", Kind: "static", Value: "contoso.com"},
		{Label: "Password", Param: "Password", Kind: "password"},
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		// Nothing changed: nothing sent.
		{url.Values{"Name": {"Relay"}, "Enabled": {"on"}, "MaxMessageSize": {"36"}, "MaxLocalHopCount": {"8"}, "AuthMechanism.Tls": {"on"},
			"PermissionGroups.AnonymousUsers": {"on"}, "RemoteIPRanges": {"10.0.0.1\r\n10.0.0.2\r\n"}}, "X"},
		{url.Values{"Name": {"It's"}, "MaxMessageSize": {"unlimited"}, "MaxLocalHopCount": {"x"}, "AuthMechanism.Tls": {"on"}, "AuthMechanism.BasicAuth": {"on"},
			"RemoteIPRanges": {"10.0.0.1"}, "Password": {"p'w"}},
			"X -Name 'It''s' -Enabled $false -MaxMessageSize 'unlimited' -MaxLocalHopCount 'x' -RemoteIPRanges '10.0.0.1' -Password (ConvertTo-SecureString -String 'p''w' -AsPlainText -Force) -AuthMechanism 'Tls','BasicAuth' -PermissionGroups 'None'"},
		{url.Values{"Name": {"Relay"}, "Enabled": {"on"}, "MaxMessageSize": {"20"}, "MaxLocalHopCount": {"8"}, "AuthMechanism.Tls": {"on"},
			"PermissionGroups.AnonymousUsers": {"on"}, "RemoteIPRanges": {""}},
			"X -MaxMessageSize 20MB -RemoteIPRanges $null"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		c := cmd("X")
		apply(c, fields, r, false)
		if got := c.String(); got != tc.want {
			t.Errorf("form %v:\n got %s\nwant %s", tc.form, got, tc.want)
		}
	}
}
