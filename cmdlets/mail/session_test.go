package mail

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"exsh/cmdlets"
	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
)

// TestSession sends through the shell: positional parameters (To,
// Subject, Body, SmtpServer), $PSEmailServer, and the error view.
func TestSession(t *testing.T) {
	s := startSink(t, nil)
	var out, errb bytes.Buffer
	sess := interp.NewSession(interp.Config{Stdout: &out, Stderr: &errb, Width: 120,
		Commands:  append(utility.Cmdlets(), CmdletsWith(&cmdlets.Deps{Store: &fakeStore{}}, s.options())...),
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) }})
	run := func(src string) string {
		t.Helper()
		out.Reset()
		errb.Reset()
		sess.Run(context.Background(), src, "test.ps1")
		return errb.String()
	}
	if e := run(`Send-MailMessage michelle@contoso.com 'Positional' 'The body' 127.0.0.1 -From chris@contoso.com`); e != "" {
		t.Fatalf("positional: %s", e)
	}
	if e := run(`$PSEmailServer = '127.0.0.1'; Send-MailMessage -To ann@contoso.com,bob@contoso.com -From chris@contoso.com -Subject Second -Cc cc@contoso.com`); e != "" {
		t.Fatalf("PSEmailServer: %s", e)
	}
	got := s.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d messages", len(got))
	}
	if text, _ := readBody(got[0].data); text != "The body" || got[0].to[0] != "michelle@contoso.com" {
		t.Errorf("positional message: %q to %v", text, got[0].to)
	}
	if strings.Join(got[1].to, ",") != "ann@contoso.com,bob@contoso.com,cc@contoso.com" {
		t.Errorf("second message to %v", got[1].to)
	}

	s.rcptErr = func(string) error { return errRelay }
	e := run(`Send-MailMessage -To chris@fabrikam.com -From printer@contoso.com -Subject Relay -SmtpServer 127.0.0.1; "after"`)
	if !strings.HasPrefix(e, "Send-MailMessage : Mailbox unavailable. The server response was: 5.7.54 SMTP; Unable to relay recipient in non-accepted domain") {
		t.Errorf("error view:\n%s", e)
	}
	if !strings.Contains(e, "+ CategoryInfo          : InvalidOperation: (System.Net.Mail.SmtpClient:SmtpClient) [Send-MailMessage], SmtpFailedRecipientException\n") ||
		!strings.Contains(e, "+ FullyQualifiedErrorId : SmtpException,Microsoft.PowerShell.Commands.SendMailMessage\n") {
		t.Errorf("error view:\n%s", e)
	}
	if !strings.Contains(out.String(), "after") {
		t.Errorf("a refused message is a non-terminating error; the script goes on: %q", out.String())
	}
}
