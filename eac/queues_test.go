package eac

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"exsh/state/setup"
)

// TestQueueViewer acts on a message waiting in Unreachable from the
// queues pages, each action through its cmdlet: Suspend, Resume, Retry
// and Remove without NDR.
func TestQueueViewer(t *testing.T) {
	l := newLab(t)
	if _, e := l.shell(t, `New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com -DomainType InternalRelay`); e != "" {
		t.Fatal(e)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", l.ports.Map(25))
	if err := sendMail(addr, "app@contoso.com", "ops@fabrikam.com", "stuck"); err != nil {
		t.Fatal(err)
	}
	var id string
	deadline := time.Now().Add(5 * time.Second)
	for id == "" {
		out, _ := l.shell(t, `Get-Message -Queue 'EX01\Unreachable' | ForEach-Object { $_.Identity }`)
		id = strings.TrimSpace(out)
		if id == "" {
			if time.Now().After(deadline) {
				t.Fatal("the message never reached Unreachable")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	c := l.client(t)
	_, token := l.signIn(t, c, `CONTOSO\Administrator`, setup.DefaultAdministratorPassword)
	page := l.get(t, c, "/ecp/queues/messages")
	if !strings.Contains(page, "stuck") || !strings.Contains(page, "app@contoso.com") {
		t.Fatalf("the messages page does not list the message:\n%s", page)
	}
	page = l.get(t, c, "/ecp/queues/queues?sel="+url.QueryEscape(`EX01\Unreachable`))
	if !regexp.MustCompile(`(?s)Unreachable Domain</a></td><td>Unreachable</td><td>Ready</td><td>1</td>`).MatchString(page) {
		t.Errorf("the queues page does not show Unreachable with one message:\n%s", page)
	}
	post := func(path string, form url.Values) {
		t.Helper()
		form.Set("canary", token)
		res, err := c.PostForm(l.url+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != 303 || strings.Contains(loc, "error=") {
			t.Fatalf("POST %s %v: %s %s", path, form, res.Status, loc)
		}
	}
	status := func() string {
		out, _ := l.shell(t, `(Get-Message -Identity '`+id+`').Status`)
		return strings.TrimSpace(out)
	}
	post("/ecp/queues/messages/action", url.Values{"id": {id}, "action": {"suspend"}})
	if s := status(); s != "Suspended" {
		t.Errorf("after Suspend: %q", s)
	}
	post("/ecp/queues/messages/action", url.Values{"id": {id}, "action": {"resume"}})
	if s := status(); s == "Suspended" {
		t.Errorf("after Resume: %q", s)
	}
	post("/ecp/queues/queues/action", url.Values{"id": {`EX01\Unreachable`}, "action": {"suspend"}})
	if out, _ := l.shell(t, `(Get-Queue 'EX01\Unreachable').Status`); strings.TrimSpace(out) != "Suspended" {
		t.Errorf("Unreachable after Suspend: %q", out)
	}
	post("/ecp/queues/queues/action", url.Values{"id": {`EX01\Unreachable`}, "action": {"resume"}})
	post("/ecp/queues/queues/action", url.Values{"id": {`EX01\Unreachable`}, "action": {"retry"}})
	deadline = time.Now().Add(5 * time.Second)
	for {
		out, _ := l.shell(t, `Get-Message -Queue 'EX01\Unreachable' | ForEach-Object { $_.Identity }`)
		if id = strings.TrimSpace(out); id != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the resubmitted message did not come back to Unreachable")
		}
		time.Sleep(50 * time.Millisecond)
	}
	post("/ecp/queues/messages/action", url.Values{"id": {id}, "action": {"remove"}})
	if out, _ := l.shell(t, `@(Get-Message -Queue 'EX01\Unreachable').Count`); strings.TrimSpace(out) != "0" {
		t.Errorf("after Remove: %q messages in Unreachable", out)
	}
	log := l.get(t, c, "/ecp/commandlog")
	for _, want := range []string{
		"Suspend-Message -Identity &#39;" + strings.ReplaceAll(id[:strings.LastIndex(id, `\`)], `\`, `\`),
		"Resume-Queue -Identity &#39;EX01\\Unreachable&#39;",
		"Retry-Queue -Identity &#39;EX01\\Unreachable&#39; -Resubmit $true",
		"Remove-Message -Identity &#39;" + id + "&#39; -WithNDR $false -Confirm:$false",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("command log lacks %s:\n%s", want, log)
		}
	}
}

// TestNewMailboxPassword makes a mailbox with the New dialog: the
// password reaches New-Mailbox intact (the new admin signs in with it) and
// Show command logging never shows it.
func TestNewMailboxPassword(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	_, token := l.signIn(t, c, `CONTOSO\Administrator`, setup.DefaultAdministratorPassword)
	password := `Pa'ss"w0rd$(x)`
	res, err := c.PostForm(l.url+"/ecp/recipients/mailboxes/new", url.Values{"canary": {token},
		"Alias": {"dana"}, "DisplayName": {"Dana Scully"}, "Name": {"Dana"}, "UserPrincipalName": {"dana@contoso.com"}, "Password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 303 {
		t.Fatalf("new mailbox: %s", res.Status)
	}
	if _, e := l.shell(t, `Add-RoleGroupMember "Organization Management" -Member dana`); e != "" {
		t.Fatal(e)
	}
	if _, tok := l.signIn(t, l.client(t), `CONTOSO\dana`, password); tok == "" {
		t.Error("the new mailbox's password does not work")
	}
	log := l.get(t, c, "/ecp/commandlog")
	if strings.Contains(log, "w0rd") || !strings.Contains(log, "New-Mailbox -Alias &#39;dana&#39; -DisplayName &#39;Dana Scully&#39; -Name &#39;Dana&#39;") {
		t.Errorf("command log:\n%s", log)
	}
}
