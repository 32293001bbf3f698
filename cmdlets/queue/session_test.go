package queue

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
)

// TestSession runs the queue cmdlets through the shell: parameter binding
// (positional identities, pipelines, switches) and the default views.
func TestSession(t *testing.T) {
	l := newLab(t)
	l.submit("chris@contoso.com", "bob@tailspintoys.com", "Lunch")
	l.waitFor("the message in Unreachable", func() bool {
		return len(l.run("Get-Message", map[string]any{"Queue": `EX01\Unreachable`})) == 1
	})
	var out, errb bytes.Buffer
	s := interp.NewSession(interp.Config{Stdout: &out, Stderr: &errb, Width: 120,
		Commands:  append(utility.Cmdlets(), l.list...),
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) }})
	run := func(src string) (string, string) {
		t.Helper()
		out.Reset()
		errb.Reset()
		s.Run(context.Background(), src, "test.ps1")
		return out.String(), errb.String()
	}
	eml := filepath.Join(t.TempDir(), "lunch.eml")
	tests := []struct {
		src string
		out []string // regular expressions the output must match
		err string   // text the error output must contain
	}{
		{src: "Get-Queue", out: []string{
			`(?m)^Identity\s+DeliveryType\s+Status\s+MessageCount\s+Velocity\s+RiskLevel\s+OutboundIPPool\s+NextHopDomain *$`,
			// Exchange's fixed widths, the counts aligned left.
			`(?m)^-{8} {23}-{12} -{6} -{12} -{8} -{9} -{14} -{13} *$`,
			`(?m)^EX01\\Submission {16}Undefined    \w+ +0            [-0-9.]+ +Normal    0              Submission *$`,
			`(?m)^EX01\\Unreachable {15}Unreachable  Ready  1            [-0-9.]+ +Normal    0              Unreachable Domain *$`}},
		{src: `Get-Queue EX01\Unreachable | Format-List Identity,MessageCount,NextHopCategory`, out: []string{
			`Identity\s+: EX01\\Unreachable\n`, `MessageCount\s+: 1\n`, `NextHopCategory\s+: Internal\n`}},
		{src: `Get-Queue -Filter "MessageCount -gt 0" | Get-Message`, out: []string{
			`(?m)^Identity\s+FromAddress\s+Status\s+Queue\s+Subject *$`,
			`(?m)^EX01\\Unreachable\\\d+\s+chris@contoso.com\s+Ready\s+EX01\\Unreachable\s+Lunch *$`}},
		{src: `(Get-Message -Queue EX01\Unreachable -IncludeRecipientInfo).Recipients`, out: []string{
			`(?m)^Address +: bob@tailspintoys.com\nType +: External\nFinalDestination +: \nStatus +: Ready\nLastError +: A matching connector cannot be found to route the external recipient\n`}},
		{src: `$r = (Get-Message -Queue EX01\Unreachable -IncludeRecipientInfo).Recipients; $r[0].GetType().FullName; ($r | Get-Member -MemberType Property).Name -join ','`, out: []string{
			`(?m)^Microsoft.Exchange.Data.QueueViewer.RecipientInfo\nAddress,FinalDestination,LastError,OutboundIPPool,Status,Type$`}},
		{src: `Get-Message -Queue EX01\Unreachable -IncludeRecipientInfo | Format-List Recipients`, out: []string{
			`Recipients : {bob@tailspintoys.com;Ready;A matching connector cannot be found to route the external recipient}`}},
		{src: `(Get-Message -Queue EX01\Unreachable).Size -lt 1KB; (Get-Message -Queue EX01\Unreachable).Size.GetType().FullName`, out: []string{
			`(?m)^True\nMicrosoft.Exchange.Data.ByteQuantifiedSize$`}},
		{src: `Get-Queue Nope`, err: `The operation couldn't be performed because object 'EX01\Nope' couldn't be found on 'EX01.contoso.com'.`},
		{src: `Get-Queue -Filter "Colour -eq 'red'"`, err: `"Colour" is not a recognized filterable property.`},
		{src: `$m = Get-Message -Queue EX01\Unreachable; Export-Message $m.Identity`, err: `must be suspended before it can be exported`},
		{src: `$m = Get-Message -Queue EX01\Unreachable; Suspend-Message $m.Identity -Confirm:$false; Export-Message $m.Identity | AssembleMessage -Path '` + eml + `'; (Get-Message $m.Identity).Status`,
			out: []string{`(?m)^Suspended$`}},
		{src: `Suspend-Queue Unreachable -Confirm:$false; (Get-Queue Unreachable).Status; Resume-Queue Unreachable -Confirm:$false; (Get-Queue Unreachable).Status`,
			out: []string{`(?m)^Suspended\nReady$`}},
		{src: `Remove-Message -Filter "Subject -eq 'Lunch'" -WithNDR $false -Confirm:$false; (Get-Queue EX01\Unreachable).MessageCount`,
			out: []string{`(?m)^0$`}},
	}
	for _, tt := range tests {
		got, errs := run(tt.src)
		for _, re := range tt.out {
			if !regexp.MustCompile(re).MatchString(got) {
				t.Errorf("PS> %s\n%s%s\ndoes not match %s", tt.src, got, errs, re)
			}
		}
		if tt.err == "" && errs != "" {
			t.Errorf("PS> %s\nerrors: %s", tt.src, errs)
		}
		if tt.err != "" && !strings.Contains(errs, tt.err) {
			t.Errorf("PS> %s\nerrors %q, want %q", tt.src, errs, tt.err)
		}
	}
	if b, err := os.ReadFile(eml); err != nil || !strings.Contains(string(b), "Subject: Lunch") {
		t.Errorf("AssembleMessage file: %v %q", err, b)
	}
}
