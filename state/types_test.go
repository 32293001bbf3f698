package state

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeFlags(t *testing.T) {
	tests := []struct {
		in      []string
		members []string
		want    string
		wantErr bool
	}{
		{[]string{"BasicAuth", "tls"}, AuthMechanisms, "Tls, BasicAuth", false},
		{[]string{"ExchangeServer, BasicAuthRequireTLS, Integrated, BasicAuth, Tls"}, AuthMechanisms, "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer", false},
		{[]string{"None"}, AuthMechanisms, "None", false},
		{[]string{"partners", "AnonymousUsers", "anonymoususers"}, PermissionGroupNames, "AnonymousUsers, Partners", false},
		{[]string{"ExchangeLegacyServers", "ExchangeServers"}, PermissionGroupNames, "ExchangeServers, ExchangeLegacyServers", false},
		{[]string{"Kerberos"}, AuthMechanisms, "", true},
	}
	for _, tt := range tests {
		got, err := NormalizeFlags(tt.in, tt.members)
		if tt.wantErr {
			if err == nil {
				t.Errorf("NormalizeFlags(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("NormalizeFlags(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	f := Flags{"Tls", "BasicAuth"}
	if !f.Has("basicauth") || f.Has("Integrated") {
		t.Error("Flags.Has is wrong")
	}
}

func TestByteSizeAndLimit(t *testing.T) {
	tests := []struct {
		b    ByteSize
		want string
	}{
		{37748736, "36 MB (37,748,736 bytes)"},
		{262144, "256 KB (262,144 bytes)"},
		{262144000, "250 MB (262,144,000 bytes)"},
		{10485760, "10 MB (10,485,760 bytes)"},
		{36700160, "35 MB (36,700,160 bytes)"},
		{Unlimited, "Unlimited"},
		{512, "512 B (512 bytes)"},
	}
	for _, tt := range tests {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("ByteSize(%d) = %q, want %q", int64(tt.b), got, tt.want)
		}
	}
	if Limit(Unlimited).String() != "Unlimited" || Limit(20).String() != "20" {
		t.Error("Limit.String is wrong")
	}
}

func TestGuid(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		g := NewGuid()
		if !IsGuid(g) || g != strings.ToLower(g) || g[14] != '4' {
			t.Fatalf("NewGuid() = %q", g)
		}
		if seen[g] {
			t.Fatalf("NewGuid repeated %q", g)
		}
		seen[g] = true
	}
	if !IsGuid("{6F9619FF-8B86-D011-B42D-00C04FC964FF}") || IsGuid("6F9619FF8B86D011B42D00C04FC964FF") || IsGuid("zz9619ff-8b86-d011-b42d-00c04fc964ff") {
		t.Error("IsGuid is wrong")
	}
	if got := CanonicalGuid("{6F9619FF-8B86-D011-B42D-00C04FC964FF}"); got != "6f9619ff-8b86-d011-b42d-00c04fc964ff" {
		t.Errorf("CanonicalGuid = %q", got)
	}
}

func TestPassword(t *testing.T) {
	h, err := HashPasswordCost("P@ssw0rd", 4)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "P@ssw0rd") || !strings.HasPrefix(h, "$2") {
		t.Fatalf("hash %q is not a bcrypt hash", h)
	}
	h2, _ := HashPasswordCost("P@ssw0rd", 4)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !CheckPassword(h, "P@ssw0rd") || CheckPassword(h, "p@ssw0rd") || CheckPassword("", "") {
		t.Error("CheckPassword is wrong")
	}
	if _, err := HashPassword(""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty password: %v", err)
	}
	if _, err := HashPasswordCost(strings.Repeat("x", 73), 4); !errors.Is(err, ErrInvalid) {
		t.Errorf("73-byte password: %v", err)
	}
}

func TestDistinguishedNames(t *testing.T) {
	got := ReceiveConnectorDN("Default Frontend EX01", "EX01", "First Organization", "contoso.com")
	want := "CN=Default Frontend EX01,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=com"
	if got != want {
		t.Errorf("ReceiveConnectorDN =\n%s\nwant\n%s", got, want)
	}
}
