package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"exsh/labs"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/remote"
	"exsh/state/boltdb"
)

// openRelay is the classic wrong fix: anonymous senders on Default
// Frontend may relay anywhere.
const openRelay = `Get-ReceiveConnector 'Default Frontend EX01' | Add-ADPermission -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights 'Ms-Exch-SMTP-Accept-Any-Recipient' | Out-Null`

// relayToAll is the other: a relay connector for every address.
const relayToAll = `New-ReceiveConnector -Name 'Relay' -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.0/8 -PermissionGroups AnonymousUsers | Out-Null
Get-ReceiveConnector 'Relay' | Add-ADPermission -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights 'Ms-Exch-SMTP-Accept-Any-Recipient' | Out-Null`

// wrongFixes are each lab's known wrong fixes; every one must fail a
// guard. Labs not listed get both of the relay mistakes.
var wrongFixes = map[string][]string{
	"find-device":       {`Set-ReceiveConnector 'Registered Devices' -RemoteIPRanges @{Add = '127.0.0.64-127.0.0.127'}`, openRelay},
	"partner-connector": {`Set-ReceiveConnector 'Internet Hygiene' -PermissionGroups AnonymousUsers`, openRelay},
}

// otherSolutions are other correct fixes a real admin might choose: each
// must pass as the lab's own solution does.
var otherSolutions = map[string][]string{
	"scanner-relay": {
		// An externally secured connector: the device is trusted like a server.
		`New-ReceiveConnector -Name 'Scanner' -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.50 -PermissionGroups ExchangeServers -AuthMechanism ExternalAuthoritative | Out-Null`,
	},
	"lock-default-frontend": {
		// René's question solved with permissions...
		`Get-ReceiveConnector 'Default Frontend EX01' | Remove-ADPermission -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Submit' -Confirm:$false`,
		// ... or with RemoteIPRanges: Default Frontend only for this server.
		`Set-ReceiveConnector 'Default Frontend EX01' -RemoteIPRanges 127.0.0.1`,
	},
	"appliance-only": {
		// A connector for the Internet's addresses without permissions.
		`New-ReceiveConnector -Name 'Internet' -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.64-127.0.0.255 -PermissionGroups None | Out-Null`,
	},
	"internet-send-connector": {
		// Outbound mail proxied through the Front End.
		"New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' -FrontendProxyEnabled $true | Out-Null\nRetry-Queue -Identity 'EX01\\Unreachable' -Resubmit $true",
		// A send connector through the Internet's relay as a smart host.
		`New-SendConnector -Name 'Via relay' -AddressSpaces '*' -SmartHosts 127.0.0.80 -DNSRoutingEnabled $false | Out-Null
Retry-Queue -Identity 'EX01\Unreachable' -Resubmit $true`,
	},
}

// fastTarpit removes Exchange's 5 s tarpit from every connector so that
// refused probes answer at once; the guards do not look at it.
const fastTarpit = `Get-ReceiveConnector | Set-ReceiveConnector -TarpitInterval 00:00:00 -WarningAction SilentlyContinue`

// nextLabOffset hands each lab test its own -PortOffset (the lab hosts
// listen at 25 + offset on their addresses too).
func nextLabOffset() int { return nextPortOffset() }

// labHost is one exsh process's host for a lab test: its own data path
// and ports.
type labHost struct {
	t    *testing.T
	h    *host
	sess *interp.Session
	out  *bytes.Buffer
	errb *bytes.Buffer
	dir  string
	warn *lockedBuffer
}

func newLabHost(t *testing.T, dir string, offset int) *labHost {
	t.Helper()
	warn := &lockedBuffer{}
	h := newHost(dir, &options{portOffset: offset, hasPortOffset: true}, warn)
	h.deps.PasswordCost = 4
	h.labs.SetAfterSetup(fastTarpit)
	var out, errb bytes.Buffer
	lh := &labHost{t: t, h: h, out: &out, errb: &errb, dir: dir, warn: warn}
	lh.sess = h.newSession(&out, &errb, 200, nil)
	return lh
}

// run runs a script and fails the test on an error it printed.
func (l *labHost) run(script string) {
	l.t.Helper()
	l.errb.Reset()
	if _, err := l.sess.Invoke(context.Background(), script); err != nil || l.errb.Len() > 0 {
		l.t.Fatalf("%s\n: %v\n%s", script, err, l.errb.String())
	}
}

// test runs Test-Lab and returns its rows.
func (l *labHost) test() []*object.PSObject {
	l.t.Helper()
	l.errb.Reset()
	out, err := l.sess.Invoke(context.Background(), "Test-Lab")
	if err != nil {
		l.t.Fatalf("Test-Lab: %v", err)
	}
	var rows []*object.PSObject
	for _, v := range out {
		if o, ok := v.(*object.PSObject); ok {
			rows = append(rows, o)
		}
	}
	if len(rows) == 0 {
		l.t.Fatalf("Test-Lab returned nothing: %s", l.errb.String())
	}
	return rows
}

func rowPassed(o *object.PSObject) bool { v, _ := o.Get("Passed"); b, _ := v.(bool); return b }

func rowText(rows []*object.PSObject) string {
	var b strings.Builder
	for _, o := range rows {
		task, _ := o.Get("Task")
		title, _ := o.Get("Title")
		msg, _ := o.Get("Message")
		fmt.Fprintf(&b, "  %v %v: %v %v\n", task, title, rowPassed(o), msg)
	}
	return b.String()
}

// TestBuiltinLabs proves every built-in lab: its checks fail at the
// start, pass after its solution, and known wrong fixes fail a guard.
func TestBuiltinLabs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an engine per lab")
	}
	cat, errs := labs.NewRunner(labs.Config{DataPath: t.TempDir()}).Catalogue()
	for _, err := range errs {
		t.Errorf("catalogue: %v", err)
	}
	if len(cat) < 12 {
		t.Errorf("the catalogue has %d labs, want at least 12", len(cat))
	}
	for _, lab := range cat {
		t.Run(lab.Name, func(t *testing.T) {
			t.Parallel()
			proveLab(t, lab, "Start-Lab "+lab.Name)
		})
	}
	// The README's example of a trainer's lab, started from its folder.
	dir, err := filepath.Abs(filepath.Join("..", "..", "labs", "testdata", "example-lab"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := labs.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("example-lab", func(t *testing.T) {
		t.Parallel()
		proveLab(t, example, "Start-Lab -Path '"+dir+"'")
	})
}

func proveLab(t *testing.T, lab *labs.Lab, start string) {
	l := newLabHost(t, t.TempDir(), nextLabOffset())
	defer l.h.close()
	l.run(start)
	rows := l.test()
	if len(rows) != len(lab.Tasks)+len(lab.Guards) {
		t.Fatalf("Test-Lab returned %d rows, want %d tasks and %d guards", len(rows), len(lab.Tasks), len(lab.Guards))
	}
	failed := false
	for i, o := range rows {
		if i < len(lab.Tasks) {
			failed = failed || !rowPassed(o)
		} else if !rowPassed(o) {
			t.Errorf("at the start a guard fails:\n%s\n%s", rowText(rows), l.debug())
		}
	}
	if !failed {
		t.Errorf("at the start every task passes:\n%s", rowText(rows))
	}

	l.run(lab.Solution + "\n" + fastTarpit)
	rows = l.test()
	for _, o := range rows {
		if !rowPassed(o) {
			t.Fatalf("after the solution:\n%s\n%s", rowText(rows), l.debug())
		}
	}
	st := l.get("(Get-Lab " + lab.Name + ").Status")
	if st != "Passed" {
		t.Errorf("Get-Lab status after passing: %q", st)
	}

	for _, other := range otherSolutions[lab.Name] {
		l.run("Reset-Lab")
		l.run(other + "\n" + fastTarpit)
		rows = l.test()
		for _, o := range rows {
			if !rowPassed(o) {
				t.Errorf("the other solution\n%s\nfails:\n%s", other, rowText(rows))
				break
			}
		}
	}

	fixes := wrongFixes[lab.Name]
	if fixes == nil {
		fixes = []string{openRelay, relayToAll}
	}
	for _, fix := range fixes {
		l.run("Reset-Lab")
		l.run(fix + "\n" + fastTarpit)
		rows = l.test()
		guardFailed := false
		for i, o := range rows {
			if i >= len(lab.Tasks) && !rowPassed(o) {
				guardFailed = true
			}
		}
		if !guardFailed {
			t.Errorf("the wrong fix\n%s\nfails no guard:\n%s", fix, rowText(rows))
		}
	}
	l.run("Stop-Lab")
}

// debug shows the queues, the lab's mail and the tracking log.
func (l *labHost) debug() string {
	l.out.Reset()
	l.sess.Run(context.Background(), `Get-Queue | Format-Table Identity,Status,MessageCount,LastError -AutoSize; Get-LabMail | Format-Table -AutoSize; Get-MessageTrackingLog | Format-Table EventId,Source,MessageSubject,Recipients,RecipientStatus -AutoSize`, "")
	return l.out.String() + l.warn.String()
}

// get runs an expression and returns its one value as text.
func (l *labHost) get(expr string) string {
	l.t.Helper()
	out, err := l.sess.Invoke(context.Background(), expr)
	if err != nil || len(out) != 1 {
		l.t.Fatalf("%s: %v %v %s", expr, out, err, l.errb.String())
	}
	return fmt.Sprint(out[0])
}

// dumpStore lists every record of a store: bucket path, key and value.
func dumpStore(t *testing.T, path string) map[string]string {
	t.Helper()
	st, err := boltdb.OpenDataPath(path, boltdb.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := st.Dump()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Stop-Lab gives the user's organisation back exactly: every record of
// the store, with the user's own extra objects, mail in a mailbox and a
// queue, is the same before Start-Lab and after Stop-Lab; so are the
// log files.
func TestStopLabRestoresExactly(t *testing.T) {
	dir := t.TempDir()
	l := newLabHost(t, dir, nextLabOffset())
	l.run(`New-Mailbox -Name 'Kim Akers' -Alias kim -Password (ConvertTo-SecureString 'Kim-P4ssword!' -AsPlainText -Force) | Out-Null
New-ReceiveConnector -Name 'Printers' -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 10.1.2.0/24 -PermissionGroups AnonymousUsers | Out-Null
New-AcceptedDomain -Name 'Fabrikam' -DomainName fabrikam.com -DomainType InternalRelay | Out-Null
New-SendConnector -Name 'Out' -AddressSpaces 'example.org' -SmartHosts 127.0.0.9 -DNSRoutingEnabled $false | Out-Null
Send-MailMessage -SmtpServer EX01 -Port 25 -From a@example.org -To kim@contoso.com -Subject 'Keep me'
Send-MailMessage -SmtpServer EX01 -Port 25 -From kim@contoso.com -To b@fabrikam.com -Subject 'Queued'`)
	// Wait until the engine has settled both messages.
	deadline := time.Now().Add(20 * time.Second)
	for l.get(`@(Get-MessageTrackingLog -EventId DELIVER).Count`) == "0" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	l.h.close()
	before := dumpStore(t, dir)
	logsBefore := treeOf(t, filepath.Join(dir, "TransportRoles"))

	l = newLabHost(t, dir, nextLabOffset())
	l.run("Start-Lab scanner-relay")
	if got := l.get(`@(Get-Mailbox kim -ErrorAction SilentlyContinue).Count`); got != "0" {
		t.Errorf("the lab sees the user's mailbox kim")
	}
	l.run(`New-ReceiveConnector -Name 'Scanner Relay' -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.50 -PermissionGroups AnonymousUsers | Out-Null`)
	l.run("Stop-Lab")
	l.h.close()
	after := dumpStore(t, dir)
	found := 0
	for _, v := range before {
		if strings.Contains(v, "Subject: Keep me") || strings.Contains(v, "Subject: Queued") || strings.Contains(v, "Printers") {
			found++
		}
	}
	if found < 3 {
		t.Fatalf("the user's organisation lacks its mail and connector (%d records of them)", found)
	}
	if len(before) == 0 || len(after) != len(before) {
		t.Fatalf("records: %d before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("record %s changed", k)
		}
	}
	if logsAfter := treeOf(t, filepath.Join(dir, "TransportRoles")); logsAfter != logsBefore {
		t.Errorf("the logs changed:\n%s\n---\n%s", logsBefore, logsAfter)
	}
	if _, err := os.Stat(filepath.Join(dir, "Labs", "Current")); !os.IsNotExist(err) {
		t.Errorf("the lab's organisation is still there: %v", err)
	}
}

// treeOf lists the files under dir with their sizes and times.
func treeOf(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, _ := d.Info()
		fmt.Fprintf(&b, "%s %d %s\n", p, info.Size(), info.ModTime())
		return nil
	})
	return b.String()
}

// A student plays scanner-relay in the interactive shell: the prompt
// shows the lab, Tab completes lab and host names, hints come one by
// one, and Stop-Lab takes the lab off the prompt.
func TestREPLLab(t *testing.T) {
	t.Parallel()
	p := newPane(t)
	p.line(fmt.Sprintf("EXSH_PORTOFFSET=%d exsh -NoLogo", nextLabOffset()))
	p.waitFor(promptRE+`$`, 20*time.Second)

	p.typeText("Start-Lab scanner-r")
	p.waitFor(`scanner-relay`, 5*time.Second)
	p.key("Tab")
	p.waitFor(promptRE+`Start-Lab scanner-relay\s*$`, 5*time.Second)
	p.key("Enter")
	p.waitFor(`^\[PS\] \[lab: scanner-relay\] [^\n]*> ?$`, 30*time.Second)

	p.line("Get-LabHint")
	p.waitFor(`Hint 1 of 3 for task 1`, 10*time.Second)
	p.line("Get-LabHint")
	p.waitFor(`Hint 2 of 3 for task 1`, 10*time.Second)

	// A failing check: its table comes before the error.
	p.line(fastTarpit)
	p.line("Test-Lab -Task 1")
	p.waitFor(`(?s)Task +Title +Passed.*The scanner still gets 550 5\.7\.54.*1 of 1 checks failed \(1\)\.`, 30*time.Second)
	p.waitFor(`^\[PS\] \[lab: scanner-relay\] [^\n]*> ?$`, 10*time.Second)

	p.line(`New-ReceiveConnector -Name "Scanner Relay" -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.50 -PermissionGroups AnonymousUsers -TarpitInterval 0 | Out-Null`)
	p.line(`Get-ReceiveConnector "Scanner Relay" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-SMTP-Accept-Any-Recipient | Out-Null`)
	p.waitFor(`^\[PS\] \[lab: scanner-relay\] [^\n]*> ?$`, 10*time.Second)
	time.Sleep(500 * time.Millisecond) // the engine takes the new connector up
	p.typeText("Invoke-LabHost Sca")
	p.key("Tab")
	p.waitFor(`Invoke-LabHost Scanner\s*$`, 5*time.Second)
	p.key("Enter")
	p.waitFor(`Scanner Done +250`, 20*time.Second)

	p.line("Test-Lab | Format-Table Task,Passed -AutoSize")
	screen := p.waitFor(`(?s)Task Passed.*\n +6 True`, 60*time.Second)
	// The failed check above may still be on the screen.
	_, screen, _ = strings.Cut(screen, "Test-Lab | Format-Table")
	if strings.Contains(screen, "False") {
		t.Errorf("a task failed:\n%s", screen)
	}
	p.line("(Get-Lab scanner-relay).Status")
	p.waitFor(`^Passed$`, 10*time.Second)

	p.line("Stop-Lab")
	p.waitFor(`Your own organisation is back`, 20*time.Second)
	p.waitFor(`^\[PS\] /[^\n]*> ?$`, 10*time.Second)
	p.line("exit")
	p.waitFor(shellRE, 10*time.Second)
}

// Shells attached to a serving process see its lab: one starts it, the
// other sees its hosts and its prompt.
func TestAttachedShellsShareTheLab(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := newHost(dir, &options{portOffset: nextLabOffset(), hasPortOffset: true}, io.Discard)
	h.deps.PasswordCost = 4
	h.labs.SetAfterSetup(fastTarpit)
	t.Cleanup(h.close)
	serveHost(t, h, dir)
	ctx := context.Background()
	run := func(script string) string {
		t.Helper()
		c, err := remote.Dial(ctx, remote.SocketPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var out, errOut bytes.Buffer
		res, err := c.Run(ctx, &remote.RunRequest{Script: script}, &out, &errOut)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%s: %v %+v %s", script, err, res, errOut.String())
		}
		return out.String()
	}
	if got := labPrompt(dir); got != "" {
		t.Errorf("prompt before the lab: %q", got)
	}
	run("Start-Lab scanner-relay | Out-Null")
	if got := run("(Get-LabHost Scanner).LastResult; (Get-Lab scanner-relay).Status; $exinstall"); !strings.Contains(got, "550 5.7.54") ||
		!strings.Contains(got, "InProgress") || !strings.Contains(got, filepath.Join("Labs", "Current")) {
		t.Errorf("the other shell sees:\n%s", got)
	}
	if got := promptFor(dir, "/home/ana"); got != "[PS] [lab: scanner-relay] /home/ana> " {
		t.Errorf("prompt in the lab: %q", got)
	}
	run("Stop-Lab | Out-Null")
	if got := promptFor(dir, "/home/ana"); got != "[PS] /home/ana> " {
		t.Errorf("prompt after the lab: %q", got)
	}
}

// Outside a lab exsh makes no DNS lookup: mail for a DNS-routed send
// connector waits in Retry, and the queue says to use smart hosts.
func TestNoDNSOutsideALab(t *testing.T) {
	t.Parallel()
	l := newLabHost(t, t.TempDir(), nextLabOffset())
	defer l.h.close()
	l.run(`New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
New-AcceptedDomain -Name 'Fabrikam' -DomainName fabrikam.com -DomainType InternalRelay | Out-Null
Send-MailMessage -SmtpServer EX01 -Port 25 -From a@contoso.com -To b@fabrikam.com -Subject 'Nowhere to go'`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := l.get(`"$(Get-Queue | Where-Object { $_.NextHopDomain -eq 'fabrikam.com' } | ForEach-Object { $_.Status + ' ' + $_.LastError })"`)
		if strings.HasPrefix(got, "Retry 451 4.4.0 DNS query failed. exsh makes no DNS lookups: give the send connector smart hosts") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue: %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
