package org

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"exsh/shell/format"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

var masks = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<guid>"},
	{regexp.MustCompile(`Mailbox Database \d{10}`), "Mailbox Database <n>"},
	{regexp.MustCompile(`\b[0-9A-F]{40}\b`), "<thumbprint>"},
	{regexp.MustCompile(`(?m)^(WhenCreated|WhenChanged|WhenCreatedUTC|WhenChangedUTC|NotBefore|NotAfter)(\s*): .*$`), "$1$2: <date>"},
}

// golden compares text with testdata/<name>.golden (after masking GUIDs,
// random names, dates and temporary paths); -update rewrites the file.
func golden(t *testing.T, name, text string) {
	t.Helper()
	for _, m := range masks {
		text = m.re.ReplaceAllString(text, m.repl)
	}
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != text {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, text, want)
	}
}

// formatList renders objects as Format-List does.
func formatList(objs []any) string {
	f := format.NewFormatter(format.Options{Kind: format.List})
	var recs []any
	for _, o := range objs {
		for _, r := range f.Format(o) {
			recs = append(recs, r)
		}
	}
	for _, r := range f.Close() {
		recs = append(recs, r)
	}
	return format.Render(120, recs...)
}

func TestGoldenViews(t *testing.T) {
	l := newLab(t)
	newRelay(l)
	l.ok("New-SendConnector", "Name", "To Internet", "AddressSpaces", list("*", "fabrikam.com;2"))
	l.ok("New-AcceptedDomain", "Name", "Fabrikam", "DomainName", "fabrikam.com", "DomainType", "InternalRelay")
	l.ok("New-Mailbox", "Name", "Bob Smith", "Alias", "bob")
	l.ok("New-User", "Name", "Scanner", "UserPrincipalName", "scanner@contoso.com", "Password", secure("P@ssw0rd1"))
	l.ok("Add-ADPermission", "Identity", "Relay", "User", `NT AUTHORITY\ANONYMOUS LOGON`, "ExtendedRights", list("ms-Exch-SMTP-Accept-Any-Recipient"))

	for _, tc := range []struct {
		name   string
		cmdlet string
		kv     []any
	}{
		{"get-receiveconnector", "Get-ReceiveConnector", nil},
		{"get-sendconnector", "Get-SendConnector", nil},
		{"get-accepteddomain", "Get-AcceptedDomain", nil},
		{"get-mailbox", "Get-Mailbox", nil},
		{"get-user", "Get-User", nil},
		{"get-recipient", "Get-Recipient", nil},
		{"get-adpermission", "Get-ADPermission", []any{"Identity", "Relay", "User", `NT AUTHORITY\ANONYMOUS LOGON`}},
		{"get-exchangeserver", "Get-ExchangeServer", nil},
		{"get-mailboxdatabase", "Get-MailboxDatabase", nil},
		{"get-exchangecertificate", "Get-ExchangeCertificate", nil},
		{"get-transportservice", "Get-TransportService", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := l.ok(tc.cmdlet, tc.kv...)
			golden(t, tc.name, format.Render(120, r.objs...))
		})
	}
	for _, tc := range []struct {
		name   string
		cmdlet string
		kv     []any
	}{
		{"fl-receiveconnector-default-frontend", "Get-ReceiveConnector", []any{"Identity", "Default Frontend EX01"}},
		{"fl-receiveconnector-relay", "Get-ReceiveConnector", []any{"Identity", "Relay"}},
		{"fl-sendconnector", "Get-SendConnector", nil},
		{"fl-accepteddomain", "Get-AcceptedDomain", []any{"Identity", "Fabrikam"}},
		{"fl-mailbox", "Get-Mailbox", []any{"Identity", "bob"}},
		{"fl-adpermission", "Get-ADPermission", []any{"Identity", "Relay", "User", `NT AUTHORITY\ANONYMOUS LOGON`}},
		{"fl-transportservice", "Get-TransportService", nil},
		{"fl-frontendtransportservice", "Get-FrontendTransportService", nil},
		{"fl-mailboxtransportservice", "Get-MailboxTransportService", nil},
		{"fl-transportconfig", "Get-TransportConfig", nil},
		{"fl-exchangeserver", "Get-ExchangeServer", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := l.ok(tc.cmdlet, tc.kv...)
			for i := range r.objs {
				// Paths under the temporary data path vary in length.
				for _, p := range r.obj(i).Properties() {
					if strings.HasSuffix(p.Name, "Path") {
						p.Value = "<path>"
					}
				}
			}
			golden(t, tc.name, formatList(r.objs))
		})
	}
}
