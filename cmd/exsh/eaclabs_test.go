package main

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"exsh/labs"
	"exsh/state/setup"
)

// hostileLab is a trainer's lab whose texts are markup and script: the
// EAC must show them as text. Its one task passes once a connector named
// Fixed exists (its solution makes it).
const hostileLab = `@{
    Name  = 'hostile'
    Title = '<script>alert("title")</script> & Co'
    Story = '<img src=x onerror=alert(1)> The story.'
    Hosts = @( @{ Name = 'Evil'; Address = '127.0.0.91'; Role = '<b>Device</b>'; Port = 25; From = 'evil@contoso.com'; To = 'ana@contoso.com' } )
    Tasks = @( @{ Title = '<i>Make</i> the connector'; Hints = @('<u>hint</u>')
                  Check = { if (-not (Get-ReceiveConnector 'Fixed' -ErrorAction SilentlyContinue)) { throw '<em>Not yet</em>' } } } )
    Guards = @( @{ Title = '<svg onload=alert(2)>'; Check = { $true } } )
}`

// eacLabHost is a lab host that also serves the EAC, as exsh -Serve does.
type eacLabHost struct {
	*labHost
	url string // https://127.0.0.1:port
}

func newEACLabHost(t *testing.T) *eacLabHost {
	t.Helper()
	l := newLabHost(t, t.TempDir(), nextLabOffset())
	if err := l.h.ensureOpen(); err != nil {
		t.Fatal(err)
	}
	l.h.web = l.h.startEAC()
	if l.h.web == nil {
		t.Fatalf("the EAC did not start: %s", l.debug())
	}
	t.Cleanup(func() {
		l.h.web.Close()
		l.h.close()
	})
	return &eacLabHost{labHost: l, url: strings.TrimSuffix(l.h.web.URL(), "/ecp/")}
}

func eacClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       2 * time.Minute,
	}
}

var canaryRE = regexp.MustCompile(`name="canary" value="([^"]+)"`)

// do sends a request and returns the status, the Location and the body.
func (e *eacLabHost) do(c *http.Client, method, path string, form url.Values) (int, string, string) {
	e.t.Helper()
	var res *http.Response
	var err error
	if method == http.MethodPost {
		res, err = c.PostForm(e.url+path, form)
	} else {
		res, err = c.Get(e.url + path)
	}
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

// signIn signs c in and returns the session's anti-forgery token.
func (e *eacLabHost) signIn(c *http.Client) string {
	e.t.Helper()
	_, _, body := e.do(c, http.MethodGet, "/ecp/auth/logon.aspx", nil)
	m := canaryRE.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no canary on the sign-in page:\n%s", body)
	}
	status, _, _ := e.do(c, http.MethodPost, "/ecp/auth/logon.aspx", url.Values{"username": {`CONTOSO\Administrator`},
		"password": {setup.DefaultAdministratorPassword}, "canary": {m[1]}, "url": {"/ecp/labs"}})
	if status != http.StatusSeeOther {
		e.t.Fatalf("sign-in answered %d", status)
	}
	return e.page(c, "/ecp/labs").token
}

type labsPage struct{ body, token string }

// page fetches a page that must answer 200.
func (e *eacLabHost) page(c *http.Client, path string) labsPage {
	e.t.Helper()
	status, loc, body := e.do(c, http.MethodGet, path, nil)
	if status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s\n%s", path, status, loc, body)
	}
	p := labsPage{body: body}
	if m := canaryRE.FindStringSubmatch(body); m != nil {
		p.token = m[1]
	}
	return p
}

// The labs page over plain HTTP: every route needs a session, every
// change its anti-forgery token; a trainer's lab's texts are escaped; the
// trainer's session lasts across Start-Lab and Stop-Lab, while one signed
// in with the lab organisation's Administrator ends with the lab.
func TestEACLabsHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an engine and a lab")
	}
	folder := filepath.Join(t.TempDir(), "trainer", "hostile")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"lab.psd1": hostileLab, "solution.ps1": "New-ReceiveConnector -Name Fixed -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.91 | Out-Null\n"} {
		if err := os.WriteFile(filepath.Join(folder, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("EXSH_LABS", filepath.Dir(folder))
	e := newEACLabHost(t)

	// Without a session: pages redirect to the sign-in page, the rest 401.
	anon := eacClient()
	for _, p := range []string{"/ecp/labs", "/ecp/labs?sel=hostile", "/ecp/labs/confirm?action=start&name=hostile"} {
		status, loc, _ := e.do(anon, http.MethodGet, p, nil)
		if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/ecp/auth/logon.aspx?url=") {
			t.Errorf("GET %s without a session: %d %q", p, status, loc)
		}
	}
	for _, p := range []string{"/ecp/labs/action", "/ecp/labs/test"} {
		if status, _, _ := e.do(anon, http.MethodPost, p, url.Values{"action": {"start"}, "name": {"hostile"}}); status != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %d", p, status)
		}
	}

	c := eacClient()
	token := e.signIn(c)
	p := e.page(c, "/ecp/labs?sel=hostile")
	for _, want := range []string{`href="/ecp/labs" class="active"`, `data-id="scanner-relay"`, `id="nolab"`,
		`&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; &amp; Co`, `&lt;i&gt;Make&lt;/i&gt; the connector`,
		`href="/ecp/labs/confirm?action=start&amp;name=hostile"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the labs page lacks %s", want)
		}
	}

	// Changes without the token, or with another, are refused and change
	// nothing.
	for _, tok := range []string{"", "not-the-token"} {
		for _, path := range []string{"/ecp/labs/action", "/ecp/labs/test"} {
			if status, _, _ := e.do(c, http.MethodPost, path, url.Values{"canary": {tok}, "action": {"start"}, "name": {"hostile"}}); status != http.StatusForbidden {
				t.Errorf("POST %s with canary %q: %d", path, tok, status)
			}
		}
	}
	if got := e.get(`(Get-Lab hostile).Status`); got != "NotStarted" {
		t.Fatalf("after refused requests the lab is %s", got)
	}

	// The confirmation, then Start-Lab.
	confirm := e.page(c, "/ecp/labs/confirm?action=start&name=hostile").body
	if !strings.Contains(confirm, `Start the lab &#39;hostile&#39;?`) || !strings.Contains(confirm, `name="action" value="start"`) {
		t.Errorf("the confirmation:\n%s", confirm)
	}
	status, loc, _ := e.do(c, http.MethodPost, "/ecp/labs/action", url.Values{"canary": {token}, "action": {"start"}, "name": {"hostile"}})
	if status != http.StatusSeeOther || strings.Contains(loc, "error=") {
		t.Fatalf("start: %d %s", status, loc)
	}
	if got := e.get(`(Get-Lab hostile).Status`); got != "InProgress" {
		t.Fatalf("after Start the lab is %s", got)
	}

	// The trainer is still signed in; the lab in progress is escaped
	// everywhere; its task has not been tested.
	p = e.page(c, "/ecp/labs")
	for _, want := range []string{`id="current"`, `&lt;img src=x onerror=alert(1)&gt; The story.`, `&lt;svg onload=alert(2)&gt;`,
		`&lt;b&gt;Device&lt;/b&gt;`, `<span class="pill untested">Not tested</span>`, `Test-Lab has not run since the lab started.`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the lab in progress lacks %s", want)
		}
	}
	for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload", "<b>Device", "<i>Make", "<em>Not", "<u>hint", "solution.ps1", "Fixed -TransportRole"} {
		if strings.Contains(p.body, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}

	// Test: the failing task and its message, from the stored outcome.
	status, loc, _ = e.do(c, http.MethodPost, "/ecp/labs/test", url.Values{"canary": {token}})
	if status != http.StatusSeeOther || loc != "/ecp/labs?tested=1" {
		t.Fatalf("test: %d %s", status, loc)
	}
	p = e.page(c, loc)
	if !strings.Contains(p.body, `<tr class="failed" data-task="1">`) || !strings.Contains(p.body, `&lt;em&gt;Not yet&lt;/em&gt;`) ||
		!strings.Contains(p.body, `<tr class="passed" data-task="2">`) || !strings.Contains(p.body, `id="labNotice"`) {
		t.Errorf("after Test:\n%s", p.body)
	}

	// The lab organisation's Administrator signs in during the lab...
	student := eacClient()
	e.signIn(student)
	// ... the trainer stops the lab ...
	status, loc, _ = e.do(c, http.MethodPost, "/ecp/labs/action", url.Values{"canary": {token}, "action": {"stop"}, "name": {"hostile"}})
	if status != http.StatusSeeOther || strings.Contains(loc, "error=") {
		t.Fatalf("stop: %d %s", status, loc)
	}
	// ... and stays signed in, while the lab's session has ended.
	if p := e.page(c, "/ecp/labs"); !strings.Contains(p.body, `id="nolab"`) {
		t.Errorf("after Stop the page still shows a lab in progress")
	}
	if status, loc, _ := e.do(student, http.MethodGet, "/ecp/mailflow/receiveconnectors", nil); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/ecp/auth/logon.aspx") {
		t.Errorf("the session signed in during the lab, after Stop: %d %q", status, loc)
	}

	// Show command logging lists what the page ran, ready to paste.
	log := e.page(c, "/ecp/commandlog").body
	for _, want := range []string{`Start-Lab -Name &#39;hostile&#39; -Confirm:$false`, `Test-Lab`, `Stop-Lab -Confirm:$false`} {
		if !strings.Contains(log, want) {
			t.Errorf("command log lacks %s:\n%s", want, log)
		}
	}
}

// TestEACLabsBrowser drives the labs page in headless Chromium as a
// trainer in class: start scanner-relay from the page, Test (its tasks
// fail), the lab's solution typed in the shell, Test again (they pass).
// It saves its screenshots in $EXSH_SCREENSHOTS when set.
func TestEACLabsBrowser(t *testing.T) {
	chrome := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			chrome = p
			break
		}
	}
	if chrome == "" {
		t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	shots := os.Getenv("EXSH_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	var lab *labs.Lab
	cat, _ := labs.NewRunner(labs.Config{DataPath: t.TempDir(), Getenv: func(string) string { return "" }}).Catalogue()
	for _, l := range cat {
		if l.Name == "scanner-relay" {
			lab = l
		}
	}
	if lab == nil {
		t.Fatal("no scanner-relay in the catalogue")
	}
	e := newEACLabHost(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(1440, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.ProxyServer("127.0.0.1:9"), // nothing leaves this machine
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
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
	states := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#tasks tbody tr, #guards tbody tr")).map(r => r.dataset.task + ":" + r.className)`))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(v, " ")
	}
	t.Logf("screenshots in %s", shots)

	run("sign in", chromedp.Navigate(e.url+"/ecp/labs?sel=scanner-relay"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), `CONTOSO\Administrator`),
		chromedp.SendKeys(chromedp.ID("password"), setup.DefaultAdministratorPassword),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("nolab")),
		chromedp.WaitVisible(chromedp.CSS(`tr.selected[data-id="scanner-relay"]`)))
	shot("labs-01-catalogue")

	run("start", chromedp.Click(chromedp.ID("lab-start")), chromedp.WaitVisible(chromedp.ID("confirmText")))
	shot("labs-02-confirm-start")
	run("confirm", chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("current")))
	if got := e.get(`(Get-Lab | Where-Object Active).Name`); got != "scanner-relay" {
		t.Fatalf("the lab in progress is %q", got)
	}

	run("test", chromedp.Click(chromedp.ID("lab-test")), chromedp.WaitVisible(chromedp.ID("labNotice")))
	got := states()
	if !strings.HasPrefix(got, "1:failed 2:failed 3:passed") || strings.Contains(got, "untested") {
		t.Errorf("after Start and Test: %s", got)
	}
	shot("labs-03-failing")

	e.run(lab.Solution + "\n" + fastTarpit)
	// (From the page without the notice, so that the wait sees the new one.)
	run("test again", chromedp.Navigate(e.url+"/ecp/labs"), chromedp.WaitVisible(chromedp.ID("lab-test")),
		chromedp.Click(chromedp.ID("lab-test")), chromedp.WaitVisible(chromedp.ID("labNotice")))
	if got := states(); strings.Contains(got, "failed") || strings.Contains(got, "untested") {
		t.Errorf("after the solution and Test: %s", got)
	}
	if done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#labScore .big"))); err != nil || done != "2" {
		t.Errorf("score %q %v", done, err)
	}
	shot("labs-04-passed")
}
