package state

import "testing"

func TestDomainMatches(t *testing.T) {
	tests := []struct {
		pattern, domain string
		want            bool
	}{
		{"contoso.com", "contoso.com", true},
		{"contoso.com", "CONTOSO.COM", true},
		{"contoso.com", "contoso.com.", true},
		{"contoso.com", "mail.contoso.com", false},
		{"*.contoso.com", "contoso.com", true},
		{"*.contoso.com", "mail.contoso.com", true},
		{"*.contoso.com", "a.b.contoso.com", true},
		{"*.contoso.com", "notcontoso.com", false},
		{"*.contoso.com", "contoso.com.evil", false},
		{"*", "anything.example", true},
		{"*", "", false},
		{"*.com", "contoso.com", true},
		{"*.com", "contoso.net", false},
	}
	for _, tt := range tests {
		if got := DomainMatches(tt.pattern, tt.domain); got != tt.want {
			t.Errorf("DomainMatches(%q, %q) = %v, want %v", tt.pattern, tt.domain, got, tt.want)
		}
	}
}

func TestValidateDomainName(t *testing.T) {
	good := map[string]string{
		"contoso.com":      "contoso.com",
		"Contoso.COM":      "contoso.com",
		"*.contoso.com":    "*.contoso.com",
		"sub-1.contoso.eu": "sub-1.contoso.eu",
	}
	for in, want := range good {
		got, err := ValidateDomainName(in)
		if err != nil || got != want {
			t.Errorf("ValidateDomainName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "domain.*.contoso.com", "*contoso.com", "contoso..com", "-bad.com", "spa ce.com", "*"} {
		if got, err := ValidateDomainName(in); err == nil {
			t.Errorf("ValidateDomainName(%q) = %q, want an error", in, got)
		}
	}
}

func TestMatchAcceptedDomain(t *testing.T) {
	domains := []*AcceptedDomain{
		{Name: "wild", DomainName: "*.contoso.com", DomainType: "InternalRelay"},
		{Name: "contoso.com", DomainName: "contoso.com", DomainType: "Authoritative", Default: true},
		{Name: "fabrikam", DomainName: "fabrikam.com", DomainType: "Authoritative"},
		{Name: "sub", DomainName: "sales.contoso.com", DomainType: "ExternalRelay"},
	}
	tests := []struct{ domain, want string }{
		{"contoso.com", "contoso.com"},
		{"CONTOSO.com", "contoso.com"},
		{"mail.contoso.com", "wild"},
		{"sales.contoso.com", "sub"},
		{"x.sales.contoso.com", "wild"},
		{"fabrikam.com", "fabrikam"},
		{"tailspintoys.com", ""},
	}
	for _, tt := range tests {
		got := MatchAcceptedDomain(domains, tt.domain)
		name := ""
		if got != nil {
			name = got.Name
		}
		if name != tt.want {
			t.Errorf("MatchAcceptedDomain(%q) = %q, want %q", tt.domain, name, tt.want)
		}
	}
	if d := DefaultAcceptedDomain(domains); d == nil || d.Name != "contoso.com" {
		t.Errorf("DefaultAcceptedDomain = %v", d)
	}
	if got := AddressDomain("Chris@Contoso.COM"); got != "contoso.com" {
		t.Errorf("AddressDomain = %q", got)
	}
	if got := AddressDomain("postmaster"); got != "" {
		t.Errorf("AddressDomain without @ = %q", got)
	}
}

func TestParseAddressSpace(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"SMTP:contoso.com;1", "SMTP:contoso.com;1"},
		{"contoso.com;1", "SMTP:contoso.com;1"},
		{"SMTP:contoso.com", "SMTP:contoso.com;1"},
		{"contoso.com", "SMTP:contoso.com;1"},
		{"smtp:*.Contoso.com;5", "SMTP:*.contoso.com;5"},
		{"*", "SMTP:*;1"},
		{"SMTP:*;100", "SMTP:*;100"},
		{"*.com;2", "SMTP:*.com;2"},
		{"X400:c=US;a=;p=Contoso;1", "X400:c=US;a=;p=Contoso;1"}, // the cost follows the last ';'
		{"X400:c=US;a=;p=Contoso", ""},
		{"X400:c=US,a= ,p=Contoso;10", "X400:c=US,a= ,p=Contoso;10"},
		{"*contoso.com", ""},
		{"domain.*.contoso.com", ""},
		{"contoso.com;0", ""},
		{"contoso.com;101", ""},
		{"contoso.com;x", ""},
		{"--", ""},
		{"", ""},
		{"SMTP:", ""},
	}
	for _, tt := range tests {
		as, err := ParseAddressSpace(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseAddressSpace(%q) = %v, want an error", tt.in, as)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAddressSpace(%q): %v", tt.in, err)
			continue
		}
		if got := as.String(); got != tt.want {
			t.Errorf("ParseAddressSpace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSelectSendConnector(t *testing.T) {
	conns := []*SendConnector{
		{Name: "To Internet", Enabled: true, AddressSpaces: []string{"SMTP:*;1"}, MaxMessageSize: 35 << 20},
		{Name: "Contoso wide", Enabled: true, AddressSpaces: []string{"SMTP:*.contoso.com;1"}, MaxMessageSize: Unlimited},
		{Name: "Marketing B", Enabled: true, AddressSpaces: []string{"marketing.contoso.com;2"}, MaxMessageSize: Unlimited},
		{Name: "Marketing A", Enabled: true, AddressSpaces: []string{"marketing.contoso.com;2"}, MaxMessageSize: Unlimited},
		{Name: "Marketing cheap", Enabled: false, AddressSpaces: []string{"marketing.contoso.com;1"}, MaxMessageSize: Unlimited},
		{Name: "Small", Enabled: true, AddressSpaces: []string{"fabrikam.com;1"}, MaxMessageSize: 1 << 20},
	}
	tests := []struct {
		domain string
		size   int64
		want   string
	}{
		{"marketing.contoso.com", 100, "Marketing A"}, // most specific, then name
		{"sales.contoso.com", 100, "Contoso wide"},
		{"contoso.com", 100, "Contoso wide"},
		{"example.org", 100, "To Internet"},
		{"example.org", 40 << 20, ""}, // too big for To Internet
		{"fabrikam.com", 100, "Small"},
		{"fabrikam.com", 2 << 20, "To Internet"},
	}
	for _, tt := range tests {
		got, ok := SelectSendConnector(conns, tt.domain, tt.size)
		name := ""
		if ok {
			name = got.Connector.Name
		}
		if name != tt.want {
			t.Errorf("SelectSendConnector(%q, %d) = %q, want %q", tt.domain, tt.size, name, tt.want)
		}
	}
}
