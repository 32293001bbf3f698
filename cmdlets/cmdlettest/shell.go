package cmdlettest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"exsh/shell/format"
	"exsh/shell/interp"
)

// Shell is a session over a list of cmdlets with the shell's output
// formatting, as cmd/exsh wires one, that keeps what each script writes.
type Shell struct {
	t       testing.TB
	Session *interp.Session
	// Source names the scripts in error positions ("" for none).
	Source         string
	stdout, stderr bytes.Buffer
}

// NewShell returns a shell over cmds that writes width columns.
func NewShell(t testing.TB, width int, cmds []*interp.CmdletInfo) *Shell {
	sh := &Shell{t: t}
	sh.Session = interp.NewSession(interp.Config{
		Stdout: &sh.stdout, Stderr: &sh.stderr, Width: width, Commands: cmds,
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
	})
	return sh
}

// Run runs a script and returns its output and error text.
func (sh *Shell) Run(script string) (out, errs string) {
	sh.t.Helper()
	sh.stdout.Reset()
	sh.stderr.Reset()
	_ = sh.Session.Run(context.Background(), script, sh.Source)
	return sh.stdout.String(), sh.stderr.String()
}

// OK runs a script that must not write errors and returns its output.
func (sh *Shell) OK(script string) string {
	sh.t.Helper()
	out, errs := sh.Run(script)
	if errs != "" {
		sh.t.Fatalf("%s\nunexpected errors:\n%s\noutput:\n%s", script, errs, out)
	}
	return out
}

// Contains fails the test for each of wants that text, what a script
// wrote, lacks.
func Contains(t testing.TB, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// Lacks fails the test for each of nots that text has.
func Lacks(t testing.TB, what, text string, nots ...string) {
	t.Helper()
	for _, w := range nots {
		if strings.Contains(text, w) {
			t.Errorf("%s has %q:\n%s", what, w, text)
		}
	}
}
