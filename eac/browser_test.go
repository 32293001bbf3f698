package eac

import (
	"context"
	"fmt"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"exsh/state/setup"
)

// chromiumPath finds Debian's chromium (or another Chromium or Chrome on
// PATH).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshots is where the browser test saves its pictures:
// $EXSH_SCREENSHOTS, or a temporary directory.
func screenshots(t *testing.T) string {
	if d := os.Getenv("EXSH_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestBrowser drives the EAC in headless Chromium, as an admin would:
// sign in (wrong, then right password), the receive connector list, the
// security tab against Get-ReceiveConnector, an edit the shell then shows,
// a cmdlet's validation error in the dialog, Show command logging, a
// shell change shown after Refresh, and the mail flow map's counts rising
// as mail arrives over SMTP.
func TestBrowser(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	shots := screenshots(t)
	l := newLab(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(1440, 900),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium calls Google hosts at start even so: a proxy that goes
		// nowhere keeps it on this machine (loopback bypasses it).
		chromedp.ProxyServer("127.0.0.1:9"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: %v (at %s)", what, err, loc)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", shots)

	// Sign-in: a wrong password, then the right one.
	run("open the EAC", chromedp.Navigate(l.url+"/ecp/"), chromedp.WaitVisible(chromedp.ID("username")))
	run("wrong password",
		chromedp.SendKeys(chromedp.ID("username"), `CONTOSO\Administrator`),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("signinErr")))
	msg := text("#signinErr")
	if msg != errBadLogon {
		t.Errorf("sign-in error %q", msg)
	}
	shot("01-signin-failed")
	run("right password",
		chromedp.SendKeys(chromedp.ID("password"), setup.DefaultAdministratorPassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("list")))

	// The receive connector list: the five default connectors.
	rows := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll("#list tbody tr")).map(r => Array.from(r.cells).map(c => c.textContent.trim()).join("|"))`)
	want := []string{
		"Client Frontend EX01|Enabled|Frontend Transport",
		"Client Proxy EX01|Enabled|Hub Transport",
		"Default EX01|Enabled|Hub Transport",
		"Default Frontend EX01|Enabled|Frontend Transport",
		"Outbound Proxy Frontend EX01|Enabled|Frontend Transport",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("receive connectors:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	headers := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll("#list th")).map(c => c.textContent)`)
	if strings.Join(headers, ",") != "NAME,STATUS,ROLE" {
		t.Errorf("columns %v", headers)
	}

	// Select Default Frontend EX01 and open its security tab: Figure 3.
	run("select Default Frontend", chromedp.Click(chromedp.CSS(`tr[data-id="EX01\\Default Frontend EX01"]`)), chromedp.WaitVisible(chromedp.CSS(`tr.selected[data-id="EX01\\Default Frontend EX01"]`)))
	shot("02-receive-connectors")
	run("edit", chromedp.Click(chromedp.ID("tool-edit")), chromedp.WaitVisible(chromedp.ID("dialogform")),
		chromedp.Click(chromedp.ID("tab-security")), chromedp.WaitVisible(chromedp.ID("pane-security")))
	checked := evalJS[map[string]bool](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll("#pane-security input[type=checkbox]")).map(i => [i.name, i.checked]))`)
	out, _ := l.shell(t, `$c = Get-ReceiveConnector 'Default Frontend EX01'; "$($c.AuthMechanism)|$($c.PermissionGroups)|$($c.DomainSecureEnabled)"`)
	parts := strings.Split(strings.TrimSpace(out), "|")
	if len(parts) != 3 {
		t.Fatalf("Get-ReceiveConnector: %q", out)
	}
	for _, m := range []string{"Tls", "BasicAuth", "BasicAuthRequireTLS", "Integrated", "ExchangeServer", "ExternalAuthoritative"} {
		if got, want := checked["AuthMechanism."+m], strings.Contains(", "+parts[0]+",", ", "+m+","); got != want {
			t.Errorf("security tab %s = %v, Get-ReceiveConnector AuthMechanism %q", m, got, parts[0])
		}
	}
	for _, g := range []string{"ExchangeServers", "ExchangeLegacyServers", "Partners", "ExchangeUsers", "AnonymousUsers"} {
		if got, want := checked["PermissionGroups."+g], strings.Contains(", "+parts[1]+",", ", "+g+","); got != want {
			t.Errorf("security tab %s = %v, Get-ReceiveConnector PermissionGroups %q", g, got, parts[1])
		}
	}
	if got := checked["DomainSecureEnabled"]; strconv.FormatBool(got) != strings.ToLower(parts[2]) {
		t.Errorf("Enable domain security = %v, DomainSecureEnabled %s", got, parts[2])
	}
	if !checked["PermissionGroups.AnonymousUsers"] {
		t.Error("Anonymous users is not checked on Default Frontend (the seed's Figure 3)")
	}
	shot("03-security-tab")

	// An edit on the general tab, which the shell then shows.
	run("edit general", chromedp.Click(chromedp.ID("tab-general")), chromedp.WaitVisible(chromedp.ID("pane-general")),
		chromedp.SetValue(chromedp.CSS(`#pane-general input[name="MaxLocalHopCount"]`), "6"),
		chromedp.SetValue(chromedp.CSS(`#pane-general input[name="MaxMessageSize"]`), "20"),
		chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("list")))
	out, e := l.shell(t, `$c = Get-ReceiveConnector 'Default Frontend EX01'; "$($c.MaxLocalHopCount) $($c.MaxMessageSize)"`)
	if e != "" || !strings.HasPrefix(strings.TrimSpace(out), "6 20 MB") {
		t.Errorf("after the edit the shell shows %q %s", out, e)
	}

	// A value the cmdlet refuses: its error, word for word, in the dialog.
	run("edit scoping", chromedp.Click(chromedp.ID("tool-edit")), chromedp.WaitVisible(chromedp.ID("dialogform")),
		chromedp.Click(chromedp.ID("tab-scoping")), chromedp.WaitVisible(chromedp.ID("pane-scoping")),
		chromedp.SetValue(chromedp.CSS(`#pane-scoping textarea[name="RemoteIPRanges"]`), "10.0.0.300"),
		chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("dialogError")), chromedp.WaitVisible(chromedp.ID("pane-scoping")))
	dialogErr := text("#dialogError .errtext")
	_, shellErr := l.shell(t, `Set-ReceiveConnector -Identity 'EX01\Default Frontend EX01' -RemoteIPRanges '10.0.0.300'`)
	if shellErr == "" || dialogErr != shellErr {
		t.Errorf("dialog error %q, shell error %q", dialogErr, shellErr)
	}
	shot("04-validation-error")
	run("cancel", chromedp.Click(chromedp.ID("cancel")), chromedp.WaitVisible(chromedp.ID("list")))

	// Show command logging lists the command lines, ready to paste.
	run("command log", chromedp.Click(chromedp.ID("cmdlog")), chromedp.WaitVisible(chromedp.ID("cmdtext")))
	logged, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("cmdtext")))
	if err != nil {
		t.Fatal(err)
	}
	wantCmd := `Set-ReceiveConnector -Identity 'EX01\Default Frontend EX01' -MaxMessageSize 20MB -MaxLocalHopCount 6`
	if !strings.Contains(logged, wantCmd+"\n") || !strings.Contains(logged, `-RemoteIPRanges '10.0.0.300'`) {
		t.Errorf("command log:\n%s\nwant a line %s", logged, wantCmd)
	}
	shot("05-command-logging")
	// Pasted into the shell, it runs.
	if _, e := l.shell(t, strings.Replace(wantCmd, "20MB", "25MB", 1)); e != "" {
		t.Errorf("the logged command does not run in the shell: %s", e)
	}

	// A change made in the shell shows after Refresh.
	if _, e := l.shell(t, `Set-ReceiveConnector 'Client Frontend EX01' -Enabled $false`); e != "" {
		t.Fatal(e)
	}
	run("back to the list", chromedp.Navigate(l.url+"/ecp/mailflow/receiveconnectors"), chromedp.WaitVisible(chromedp.ID("tool-refresh")),
		chromedp.Click(chromedp.ID("tool-refresh")), chromedp.WaitVisible(chromedp.ID("list")))
	status := text(`tr[data-id="EX01\\Client Frontend EX01"] td:nth-child(2)`)
	if status != "Disabled" {
		t.Errorf("Client Frontend EX01 after the shell disabled it: %q", status)
	}

	// The mail flow map counts mail as it arrives, without a reload.
	run("map", chromedp.Navigate(l.url+"/ecp/mailflowmap"), chromedp.WaitVisible(chromedp.ID("flowmap")), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	count := func() int {
		n, _ := strconv.Atoi(evalJS[string](t, ctx, `document.querySelector('g.conn[data-key="EX01\\\\Default Frontend EX01"] [data-count="messages"]').textContent`))
		return n
	}
	evalJS[string](t, ctx, `window.notReloaded = "yes"`)
	before := count()
	addr := fmt.Sprintf("127.0.0.1:%d", l.ports.Map(25))
	for i := 0; i < 2; i++ {
		if err := sendMail(addr, "scanner@contoso.com", "administrator@contoso.com", "scan"); err != nil {
			t.Fatal(err)
		}
	}
	sent := time.Now()
	if err := sendMail(addr, "nas@contoso.com", "someone@gmail.example", "relay"); err == nil {
		t.Fatal("relay to a non-accepted domain was accepted")
	}
	for count() < before+2 {
		if time.Since(sent) > 2*time.Second {
			t.Fatalf("map count %d two seconds after the sessions ended, want %d", count(), before+2)
		}
		time.Sleep(50 * time.Millisecond)
	}
	run("read the refusals", chromedp.WaitVisible(chromedp.CSS(`#refusals td.reply`)))
	refusal := text(`#refusals tbody tr:first-child`)
	if !regexp.MustCompile(`127\.0\.0\.1\s+Default Frontend EX01\s+550 5\.7\.54 SMTP; Unable to relay recipient in non-accepted domain`).MatchString(refusal) {
		t.Errorf("latest refusal %q", refusal)
	}
	marker := evalJS[string](t, ctx, `window.notReloaded || "reloaded"`)
	if marker != "yes" {
		t.Error("the map reloaded the page to update")
	}
	time.Sleep(300 * time.Millisecond)
	shot("06-mail-flow-map")

	// The queues tab and delivery reports show the same mail.
	run("queues", chromedp.Navigate(l.url+"/ecp/queues/queues"), chromedp.WaitVisible(chromedp.ID("list")))
	shot("07-queues")
	run("delivery reports", chromedp.Navigate(l.url+"/ecp/mailflow/deliveryreports"), chromedp.WaitVisible(chromedp.ID("reportform")),
		chromedp.SendKeys(chromedp.CSS(`input[name="sender"]`), "scanner@contoso.com"),
		chromedp.Click(chromedp.ID("searchbtn")), chromedp.WaitVisible(chromedp.ID("results")))
	reports := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll("#results tbody tr")).map(r => r.textContent)`)
	if len(reports) == 0 || !strings.Contains(strings.Join(reports, "\n"), "scanner@contoso.com") {
		t.Errorf("delivery report rows: %q", reports)
	}
	shot("08-delivery-reports")

	// A send connector made with the New dialog; the shell sees it.
	run("new send connector", chromedp.Navigate(l.url+"/ecp/mailflow/sendconnectors"), chromedp.WaitVisible(chromedp.ID("tool-new")),
		chromedp.Click(chromedp.ID("tool-new")), chromedp.WaitVisible(chromedp.ID("dialogform")),
		chromedp.SendKeys(chromedp.CSS(`input[name="Name"]`), "To Internet"),
		chromedp.Click(chromedp.CSS(`input[name="Usage"][value="Internet"]`)))
	shot("09-new-send-connector")
	run("save send connector", chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("list")))
	if out, e := l.shell(t, `"$((Get-SendConnector 'To Internet').AddressSpaces)"`); e != "" || !strings.Contains(out, "SMTP:*;1") {
		t.Errorf("the send connector made in the EAC: %q %s", out, e)
	}
	shot("10-send-connectors")

	// The other lists and the New receive connector wizard.
	for _, p := range []string{"recipients/mailboxes", "mailflow/accepteddomains", "servers/servers", "servers/certificates", "queues/messages"} {
		run(p, chromedp.Navigate(l.url+"/ecp/"+p), chromedp.WaitVisible(chromedp.ID("list")))
		shot("11-" + strings.ReplaceAll(p, "/", "-"))
	}
	run("new receive connector", chromedp.Navigate(l.url+"/ecp/mailflow/receiveconnectors/new?server=EX01"), chromedp.WaitVisible(chromedp.ID("dialogform")))
	shot("12-new-receive-connector")
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// sendMail sends one message over plain SMTP, as a device would.
func sendMail(addr, from, to, subject string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("device.contoso.com"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\n%s\r\n", from, to, subject, subject)
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
