package org

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/state/statetest"
)

// Transcripts in testdata/*.transcript read like a shell session:
//
//	PS> Get-AcceptedDomain
//	<the exact output, errors included>
//	PS> New-ReceiveConnector -Name Relay `
//	>> -Usage Custom ...
//
// Each file runs in one session over a freshly set-up store. Values that
// change from run to run (GUIDs, request ids, dates, the database number)
// are masked. go test -update rewrites the expected output.

var transcriptMasks = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`RequestId=[0-9a-f-]{36}`), "RequestId=<guid>"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<guid>"},
	{regexp.MustCompile(`Mailbox Database \d{10}`), "Mailbox Database <n>"},
	{regexp.MustCompile(`\b[0-9A-F]{40}\b`), "<thumbprint>"},
	{regexp.MustCompile(`\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}( [AP]M)?`), "<date>"},
}

type transcriptStep struct {
	command string
	want    string
}

func parseTranscript(text string) (header string, steps []transcriptStep) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var cur *transcriptStep
	var out []string
	flush := func() {
		if cur != nil {
			cur.want = strings.Join(out, "\n")
			steps = append(steps, *cur)
		}
		out = nil
	}
	var head []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "PS> "):
			flush()
			cur = &transcriptStep{command: l[4:]}
		case cur != nil && strings.HasPrefix(l, ">> ") && len(out) == 0:
			cur.command += "\n" + l[3:]
		case cur == nil:
			head = append(head, l)
		default:
			out = append(out, l)
		}
	}
	flush()
	if len(head) > 0 {
		header = strings.Join(head, "\n") + "\n"
	}
	return header, steps
}

// normalise masks volatile values and trailing spaces and drops blank
// lines at both ends.
func normalise(s string) string {
	for _, m := range transcriptMasks {
		s = m.re.ReplaceAllString(s, m.repl)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \r")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.transcript"))
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".transcript"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			header, steps := parseTranscript(string(data))
			st := statetest.MustOpenSetUp(t)
			d := &cmdlets.Deps{Store: st, DataPath: t.TempDir(), Now: func() time.Time { return statetest.Epoch }, PasswordCost: bcrypt.MinCost}
			var stdout bytes.Buffer
			s := interp.NewSession(interp.Config{
				Stdout: &stdout, Stderr: &stdout, Width: 120,
				Commands:  append(utility.Cmdlets(), Cmdlets(d)...),
				NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
			})
			var rewritten strings.Builder
			rewritten.WriteString(header)
			for _, step := range steps {
				stdout.Reset()
				_ = s.Run(context.Background(), step.command, "transcript.ps1")
				got := normalise(stdout.String())
				rewritten.WriteString("PS> " + strings.ReplaceAll(step.command, "\n", "\n>> ") + "\n")
				if got != "" {
					rewritten.WriteString(got + "\n")
				}
				if !*updateGolden && got != normalise(step.want) {
					t.Errorf("PS> %s\n--- got\n%s\n--- want\n%s", step.command, got, normalise(step.want))
				}
			}
			if *updateGolden {
				if err := os.WriteFile(file, []byte(rewritten.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
