package mail

import (
	"testing"
)

func TestDeriveServerCredential(t *testing.T) {
	enc, err := NewServerKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseServerKey(enc)
	if err != nil {
		t.Fatal(err)
	}
	otherEnc, _ := NewServerKey()
	other, _ := ParseServerKey(otherEnc)
	ex01 := DeriveServerCredential(key, `CONTOSO\EX01$`)
	ex02 := DeriveServerCredential(key, `CONTOSO\EX02$`)
	if ex01.Secret == ex02.Secret || ex01.Secret == DeriveServerCredential(other, `CONTOSO\EX01$`).Secret {
		t.Fatal("secrets of different accounts or keys are equal")
	}
	if again := DeriveServerCredential(key, `contoso\ex01$`); again.Secret != ex01.Secret {
		t.Error("the account name's case changes the secret")
	}
	tests := []struct {
		name     string
		checker  ServerCredential
		user     string
		password string
		want     bool
	}{
		{"another server's secret", ex01, ex02.Account, ex02.Secret, true},
		{"account in other case", ex01, `contoso\ex02$`, ex02.Secret, true},
		{"own secret for another account", ex01, ex02.Account, ex01.Secret, false},
		{"wrong secret", ex01, ex02.Account, ex02.Secret + "x", false},
		{"empty secret", ex01, ex02.Account, "", false},
		{"empty account", ex01, "", ex02.Secret, false},
		{"secret under another key", DeriveServerCredential(other, `CONTOSO\EX01$`), ex02.Account, ex02.Secret, false},
		{"per-process credential checks no peer", ServerCredential{Account: `CONTOSO\EX01$`, Secret: "s"}, ex02.Account, ex02.Secret, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.checker.CheckPeer(tc.user, tc.password); got != tc.want {
				t.Errorf("CheckPeer(%q, %q) = %v, want %v", tc.user, tc.password, got, tc.want)
			}
		})
	}
	if !ex02.Check(ex02.Account, ex02.Secret) {
		t.Error("a derived credential does not check itself")
	}
}

func TestParseServerKeyRefusesDamage(t *testing.T) {
	for _, s := range []string{"", "short", "!!!not base64!!!"} {
		if _, err := ParseServerKey(s); err == nil {
			t.Errorf("ParseServerKey(%q) took it", s)
		}
	}
}

func TestParseServerAccount(t *testing.T) {
	for _, tc := range []struct {
		in, domain, server string
		ok                 bool
	}{
		{`CONTOSO\EX01$`, "CONTOSO", "EX01", true},
		{`contoso\ex02$`, "contoso", "ex02", true},
		{`CONTOSO\Administrator`, "", "", false},
		{`EX01$`, "", "", false},
		{`\EX01$`, "", "", false},
		{`CONTOSO\$`, "", "", false},
		{"", "", "", false},
	} {
		domain, server, ok := ParseServerAccount(tc.in)
		if domain != tc.domain || server != tc.server || ok != tc.ok {
			t.Errorf("ParseServerAccount(%q) = %q, %q, %v", tc.in, domain, server, ok)
		}
	}
}

// A server logs on with its own credential, or as another server of the
// organisation with the secret derived from the key, which the caller
// confirms names one of its servers.
func TestCheckServer(t *testing.T) {
	enc, _ := NewServerKey()
	key, _ := ParseServerKey(enc)
	ex01 := DeriveServerCredential(key, `CONTOSO\EX01$`)
	ex02 := DeriveServerCredential(key, `CONTOSO\EX02$`)
	ex03 := DeriveServerCredential(key, `CONTOSO\EX03$`)
	perProcess, err := NewServerCredential(`CONTOSO\EX01$`)
	if err != nil {
		t.Fatal(err)
	}
	servers := func(account string) bool { return account != ex03.Account } // EX03 was removed
	for _, tc := range []struct {
		name           string
		cred           ServerCredential
		user, password string
		want           string
	}{
		{"its own credential", ex01, ex01.Account, ex01.Secret, ex01.Account},
		{"another server", ex01, ex02.Account, ex02.Secret, ex02.Account},
		{"a server the organisation lacks", ex01, ex03.Account, ex03.Secret, ""},
		{"another server's secret for the wrong account", ex01, ex02.Account, ex01.Secret + "x", ""},
		{"another server to a per-process credential", perProcess, ex02.Account, ex02.Secret, ""},
		{"a per-process credential's own", perProcess, perProcess.Account, perProcess.Secret, perProcess.Account},
	} {
		got, ok := tc.cred.CheckServer(tc.user, tc.password, servers)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}
