package eac

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"exsh/state/setup"
)

// getRoutes are every page and data route behind the session.
var getRoutes = []string{
	"/ecp/",
	"/ecp/commandlog",
	"/ecp/mailflow/receiveconnectors",
	"/ecp/mailflow/receiveconnectors/edit?id=EX01%5CDefault%20Frontend%20EX01",
	"/ecp/mailflow/receiveconnectors/new",
	"/ecp/mailflow/sendconnectors",
	"/ecp/mailflow/sendconnectors/new",
	"/ecp/mailflow/accepteddomains",
	"/ecp/mailflow/accepteddomains/edit?id=contoso.com",
	"/ecp/mailflow/deliveryreports?search=1",
	"/ecp/recipients/mailboxes",
	"/ecp/recipients/mailboxes/edit?id=Administrator",
	"/ecp/servers/servers",
	"/ecp/servers/databases",
	"/ecp/servers/certificates",
	"/ecp/queues/queues",
	"/ecp/queues/messages",
	"/ecp/mailflowmap",
	"/ecp/mailflowmap/data",
	"/ecp/mailflowmap/events",
	"/ecp/anything/else",
}

var postRoutes = []string{
	"/ecp/logoff.aspx",
	"/ecp/mailflow/receiveconnectors/edit",
	"/ecp/mailflow/receiveconnectors/new",
	"/ecp/mailflow/receiveconnectors/delete",
	"/ecp/mailflow/sendconnectors/new",
	"/ecp/mailflow/accepteddomains/delete",
	"/ecp/recipients/mailboxes/edit",
	"/ecp/queues/queues/action",
	"/ecp/queues/messages/action",
}

func TestNoSessionNoAccess(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	for _, path := range getRoutes {
		res, err := c.Get(l.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case strings.HasSuffix(path, "/data") || strings.HasSuffix(path, "/events"):
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s without a session: %s, want 401", path, res.Status)
			}
		case res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/ecp/auth/logon.aspx?url="):
			t.Errorf("GET %s without a session: %s to %q, want 303 to the sign-in page", path, res.Status, res.Header.Get("Location"))
		}
		if strings.Contains(string(body), "Default Frontend") || strings.Contains(string(body), "contoso.com") && !strings.Contains(path, "contoso.com") {
			t.Errorf("GET %s without a session reveals the organisation:\n%s", path, body)
		}
	}
	for _, path := range postRoutes {
		res, err := c.PostForm(l.url+path, url.Values{"id": {`EX01\Default Frontend EX01`}, "Name": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %s, want 401", path, res.Status)
		}
	}
	// The style sheet and the script reveal nothing and are open: the
	// sign-in page needs them.
	for _, path := range []string{"/ecp/static/eac.css", "/ecp/static/eac.js", "/ecp/auth/logon.aspx"} {
		l.get(t, c, path)
	}
	out, _ := l.shell(t, "Get-ReceiveConnector 'Default Frontend EX01' | Select-Object -ExpandProperty Name")
	if strings.TrimSpace(out) != "Default Frontend EX01" {
		t.Errorf("a POST without a session changed the organisation: %q", out)
	}
}

func TestSignInAndCookies(t *testing.T) {
	l := newLab(t)
	c := l.client(t)

	// A wrong password is refused, after the delay.
	start := time.Now()
	res, token := l.signIn(t, c, `CONTOSO\Administrator`, "wrong")
	if token != "" || res.StatusCode != http.StatusOK {
		t.Fatalf("wrong password: %s", res.Status)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("a failed sign-in answered after %v, want the delay", d)
	}
	// So is a mailbox user who is no organisation administrator.
	if out, e := l.shell(t, `New-Mailbox -Name Chris -Password (ConvertTo-SecureString 'Pa$$w0rd1' -AsPlainText -Force)`); e != "" {
		t.Fatalf("New-Mailbox: %s %s", e, out)
	}
	if _, token := l.signIn(t, c, `CONTOSO\Chris`, "Pa$$w0rd1"); token != "" {
		t.Error("a mailbox user without admin rights signed in")
	}
	// Made an organisation administrator, the user signs in.
	if _, e := l.shell(t, `Add-RoleGroupMember "Organization Management" -Member Chris`); e != "" {
		t.Fatal(e)
	}
	if _, token := l.signIn(t, l.client(t), "chris@contoso.com", "Pa$$w0rd1"); token == "" {
		t.Error("a member of Organization Management cannot sign in")
	}

	// The right one signs in, with a session cookie that scripts cannot
	// read, only HTTPS carries and no other site sends.
	for _, user := range []string{`CONTOSO\Administrator`, "administrator@contoso.com", "Administrator"} {
		c := l.client(t)
		res, token := l.signIn(t, c, user, setup.DefaultAdministratorPassword)
		if token == "" {
			t.Fatalf("%s: sign-in failed: %s", user, res.Status)
		}
		var found bool
		for _, ck := range res.Cookies() {
			if ck.Name != sessionCookie {
				continue
			}
			found = true
			if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
				t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/", ck)
			}
		}
		if !found {
			t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
		}
	}

	// Security headers on every answer.
	res, err := c.Get(l.url + "/ecp/auth/logon.aspx")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
	} {
		if !strings.Contains(res.Header.Get(h), want) {
			t.Errorf("%s: %q, want %q", h, res.Header.Get(h), want)
		}
	}

	// A sign-in form posted without its token is forged.
	res, err = l.client(t).PostForm(l.url+"/ecp/auth/logon.aspx", url.Values{"username": {"Administrator"}, "password": {setup.DefaultAdministratorPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without its token: %s, want 403", res.Status)
	}
}

func TestSignOutAndIdle(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	_, token := l.signIn(t, c, `CONTOSO\Administrator`, setup.DefaultAdministratorPassword)
	res, err := c.PostForm(l.url+"/ecp/logoff.aspx", url.Values{"canary": {token}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %s", res.Status)
	}
	res, err = c.Get(l.url + "/ecp/mailflow/receiveconnectors")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign out: %s, want the sign-in page", res.Status)
	}

	// A session left idle ends.
	_, token = l.signIn(t, c, `CONTOSO\Administrator`, setup.DefaultAdministratorPassword)
	if token == "" {
		t.Fatal("sign-in failed")
	}
	l.now.Advance(21 * time.Minute)
	res, err = c.Get(l.url + "/ecp/mailflow/receiveconnectors")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("after 21 idle minutes: %s, want the sign-in page", res.Status)
	}
}

func TestAntiForgeryToken(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	_, token := l.signIn(t, c, `CONTOSO\Administrator`, setup.DefaultAdministratorPassword)
	if token == "" {
		t.Fatal("sign-in failed")
	}
	for _, canary := range []string{"", "wrong", token + "x"} {
		for _, path := range postRoutes {
			form := url.Values{"id": {`EX01\Default Frontend EX01`}, "Name": {"Forged"}, "Enabled": {""}}
			if canary != "" {
				form.Set("canary", canary)
			}
			res, err := c.PostForm(l.url+path, form)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %s, want 403", path, canary, res.Status)
			}
		}
	}
	out, _ := l.shell(t, "(Get-ReceiveConnector 'Default Frontend EX01').Enabled")
	if strings.TrimSpace(out) != "True" {
		t.Errorf("a forged POST changed the connector: Enabled %q", out)
	}
	// With the token the same change goes through.
	res, err := c.PostForm(l.url+"/ecp/mailflow/receiveconnectors/edit", url.Values{"canary": {token}, "id": {`EX01\Default Frontend EX01`},
		"Name": {"Default Frontend EX01"}, "ProtocolLoggingLevel": {"Verbose"}, "MaxMessageSize": {"36"}, "MaxLocalHopCount": {"8"},
		"AuthMechanism.Tls": {"on"}, "AuthMechanism.ExchangeServer": {"on"}, "AuthMechanism.BasicAuth": {"on"}, "AuthMechanism.BasicAuthRequireTLS": {"on"}, "AuthMechanism.Integrated": {"on"},
		"PermissionGroups.AnonymousUsers": {"on"}, "PermissionGroups.ExchangeServers": {"on"}, "PermissionGroups.ExchangeLegacyServers": {"on"},
		"RemoteIPRanges": {"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n0.0.0.0-255.255.255.255"}, "Bindings": {"[::]:25\n0.0.0.0:25"}, "Fqdn": {"EX01.contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit with the token: %s\n%s", res.Status, body)
	}
	out, _ = l.shell(t, "$c = Get-ReceiveConnector 'Default Frontend EX01'; \"$($c.Enabled) $($c.ProtocolLoggingLevel)\"")
	if strings.TrimSpace(out) != "False Verbose" {
		t.Errorf("after the edit: %q, want %q", out, "False Verbose")
	}
}

// TestHostileName creates a connector whose name is markup and shell code
// through the New wizard: the name is stored as typed, never runs, and
// every page shows it as text.
func TestHostileName(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	_, token := l.signIn(t, c, `CONTOSO\Administrator`, setup.DefaultAdministratorPassword)
	name := `<script>alert(1)</script>';New-Mailbox pwned;'`
	res, err := c.PostForm(l.url+"/ecp/mailflow/receiveconnectors/new", url.Values{"canary": {token}, "server": {"EX01"}, "step": {"3"},
		"Name": {name}, "TransportRole": {"FrontendTransport"}, "Usage": {"Custom"}, "Bindings": {"0.0.0.0:2526"}, "RemoteIPRanges": {"127.0.0.77"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("new connector: %s\n%s", res.Status, body)
	}
	out, e := l.shell(t, "Get-ReceiveConnector | ForEach-Object { $_.Name }")
	if e != "" {
		t.Fatal(e)
	}
	if mb, _ := l.shell(t, "Get-Mailbox | ForEach-Object { $_.Name }"); strings.Contains(mb, "pwned") {
		t.Errorf("the name ran as code: a mailbox was created:\n%s", mb)
	}
	if !strings.Contains(out, name+"\n") {
		t.Errorf("the connector's name was not stored as typed:\n%s", out)
	}
	for _, path := range []string{"/ecp/mailflow/receiveconnectors?sel=" + url.QueryEscape(`EX01\`+name), "/ecp/mailflowmap", "/ecp/commandlog",
		"/ecp/mailflow/receiveconnectors/edit?id=" + url.QueryEscape(`EX01\`+name)} {
		page := l.get(t, c, path)
		if strings.Contains(page, "<script>alert") {
			t.Errorf("%s renders the name as markup", path)
		}
		if !strings.Contains(page, html.EscapeString("<script>alert(1)</script>")) && !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the name", path)
		}
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		build func() *command
		want  string
	}{
		{func() *command { return cmd("Get-ReceiveConnector") }, "Get-ReceiveConnector"},
		{func() *command { return cmd("Set-ReceiveConnector").Str("Identity", `EX01\It's`) }, `Set-ReceiveConnector -Identity 'EX01\It''s'`},
		{func() *command { return cmd("X").Str("Name", "$(Remove-Item x)`n\"") }, "X -Name '$(Remove-Item x)`n\"'"},
		{func() *command { return cmd("X").List("RemoteIPRanges", []string{"10.0.0.1", "a'b"}) }, "X -RemoteIPRanges '10.0.0.1','a''b'"},
		{func() *command { return cmd("X").List("Bindings", nil) }, "X -Bindings $null"},
		{func() *command { return cmd("X").Bool("Enabled", false).Int("MaxLocalHopCount", 8) }, "X -Enabled $false -MaxLocalHopCount 8"},
	} {
		if got := tc.build().String(); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
	c := cmd("Set-Mailbox").Str("Identity", "Chris").Secret("Password", "S3cret'")
	if got := c.Shown(); strings.Contains(got, "S3cret") {
		t.Errorf("the logged command shows the password: %s", got)
	}
	if got := c.String(); !strings.Contains(got, "-Password (ConvertTo-SecureString -String 'S3cret''' -AsPlainText -Force)") {
		t.Errorf("command: %s", got)
	}
}
