package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"exsh/engine"
)

// Every tip of the day works in exsh as written: its commands run without
// an error in a fresh lab that has received one message.
func TestTipsRun(t *testing.T) {
	if len(tips) < 20 {
		t.Errorf("%d tips; the banner draws from at least 20", len(tips))
	}
	var script strings.Builder
	script.WriteString("$ErrorActionPreference = 'Stop'\n")
	script.WriteString("Send-MailMessage -SmtpServer EX01 -Port 25 -From printer@fabrikam.com -To administrator@contoso.com -Subject 'Test scan' -Body scan\n")
	script.WriteString("$i = 0; while (@(Get-MailboxMessage -Identity Administrator).Count -eq 0 -and $i -lt 100) { Start-Sleep -Milliseconds 100; $i++ }\n")
	// The protocol log reaches its file shortly after the session.
	script.WriteString("$i = 0; while (-not (Get-ChildItem \"$exinstall/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive\" -ErrorAction SilentlyContinue | Select-String 'printer@') -and $i -lt 100) { Start-Sleep -Milliseconds 100; $i++ }\n")
	for i, tp := range tips {
		if tp.text == "" || len(tp.commands) == 0 {
			t.Errorf("tip %d is empty", i+1)
		}
		fmt.Fprintf(&script, "'== tip %d'\n", i+1)
		for _, c := range tp.commands {
			script.WriteString(c + "\n")
		}
	}
	dir := t.TempDir()
	cmd := exec.Command(exshPath(t), "-NoLogo", "-Command", "-")
	cmd.Dir = dir
	// A port offset of its own, away from the ones other test processes
	// on this machine start with: the tips send mail to this engine.
	cmd.Env = append(cmd.Environ(), testEnv(dir)...)
	cmd.Env = append(cmd.Env, "EXSH_PORTOFFSET="+strconv.Itoa(21000+7*rand.IntN(1000)))
	cmd.Stdin = strings.NewReader(script.String())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil || errOut.Len() > 0 {
		t.Fatalf("tips: %v\n%s\nlast output:\n%s", err, errOut.String(), tail(out.String(), 20))
	}
	if !strings.Contains(out.String(), fmt.Sprintf("== tip %d\n", len(tips))) {
		t.Fatalf("not every tip ran:\n%s", tail(out.String(), 20))
	}
	// The protocol log tip finds the device's session.
	if !regexp.MustCompile(`(?s)== tip 1\n.*MAIL FROM:<printer@fabrikam\.com>.*== tip 2\n`).MatchString(out.String()) {
		t.Errorf("the protocol log tip found nothing:\n%s", out.String()[:min(2000, out.Len())])
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func TestTipText(t *testing.T) {
	got := tipText(4)
	want := "Tip of the day #4:\n\n" + tips[3].text + "\n\n" + tips[3].commands[0] + "\n"
	if got != want {
		t.Errorf("tipText(4) = %q, want %q", got, want)
	}
	var b bytes.Buffer
	greet(&b)
	if !strings.HasPrefix(b.String(), "\n         Welcome to the Exchange Management Shell!\n\nFull list of cmdlets: Get-Command\nOnly Exchange cmdlets: Get-ExCommand\n") ||
		!regexp.MustCompile(`\n\nTip of the day #\d+:\n\n`).MatchString(b.String()) {
		t.Errorf("greeting:\n%s", b.String())
	}
}

// Each connector's endpoints are on one line, IPv4 first, names aligned;
// an endpoint that does not listen says why.
func TestFormatEndpoints(t *testing.T) {
	eps := []engine.Endpoint{
		{Connector: "Client Frontend EX01", Binding: "[::]:587", Listen: "[::1]:10587"},
		{Connector: "Client Frontend EX01", Binding: "0.0.0.0:587", Listen: "127.0.0.1:10587"},
		{Connector: "Default EX01", Binding: "0.0.0.0:2525", Listen: "127.0.0.1:12525"},
		{Connector: "Default EX01", Binding: "[::]:2525", Err: fmt.Errorf("address already in use")},
		{Connector: "Relay", Binding: "192.168.1.5:25", Listen: "127.0.0.1:10025"},
	}
	want := []string{
		"Client Frontend EX01  0.0.0.0:587 -> 127.0.0.1:10587, [::]:587 -> [::1]:10587",
		"Default EX01          0.0.0.0:2525 -> 127.0.0.1:12525, [::]:2525 -> (not listening: address already in use)",
		"Relay                 192.168.1.5:25 -> 127.0.0.1:10025",
	}
	got := formatEndpoints(eps)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
