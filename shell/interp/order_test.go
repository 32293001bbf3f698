package interp_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

// lockedBuffer is one terminal for both streams.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeRows writes a row, then host text; with -Flush it asks for the
// row to be printed first.
var writeRows = &interp.CmdletInfo{
	Name:   "Write-Rows",
	Params: []*interp.ParamInfo{{Name: "Flush", Kind: interp.KindSwitch, Position: -1}},
	Process: func(c *interp.Call) error {
		o := object.New("Row").Add("Task", 1).Add("Passed", false)
		if err := c.WriteObject(o); err != nil {
			return err
		}
		if c.Bool("Flush") {
			c.FlushOutput()
		}
		c.WriteHost("done", true)
		return nil
	},
}

// The objects that reached the host's output before an error come before
// its text, though a table prints its first rows only after measuring
// them (300 ms): the table is printed when the error is shown.
func TestOutputBeforeError(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		want         []string // in this order
	}{
		{"non-terminating error after a table",
			`[pscustomobject]@{Task=1; Passed=$false}; [pscustomobject]@{Task=2; Passed=$true}; Write-Error '1 of 2 checks failed.'`,
			[]string{"Task Passed", "   1  False", "   2   True", ": 1 of 2 checks failed."}},
		{"rows after the error keep the table",
			`[pscustomobject]@{Task=1; Passed=$false}; Write-Error 'first'; [pscustomobject]@{Task=22222; Passed=$true}`,
			[]string{"Task Passed", "   1  False", ": first", "   True"}},
		{"terminating error after a table",
			`[pscustomobject]@{Task=1; Passed=$false}; throw 'stopped'`,
			[]string{"Task Passed", "   1  False", "stopped"}},
		{"host text after FlushOutput",
			`Write-Rows -Flush`,
			[]string{"Task Passed", "   1  False", "done"}},
		{"host text without FlushOutput goes ahead of a table measuring",
			`Write-Rows`,
			[]string{"done", "Task Passed", "   1  False"}},
		{"a redirected error does not flush",
			`[pscustomobject]@{Task=1; Passed=$false}; Write-Error 'kept' 2>$null; 'after'`,
			[]string{"Task Passed", "   1  False", "after"}},
	} {
		var term lockedBuffer
		s := interp.NewSession(interp.Config{Stdout: &term, Stderr: &term, Width: 80, Commands: []*interp.CmdletInfo{writeRows},
			NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) }})
		_ = s.Run(context.Background(), tc.script, "")
		got := term.String()
		at := 0
		for _, w := range tc.want {
			i := strings.Index(got[at:], w)
			if i < 0 {
				t.Errorf("%s: %q not after position %d in:\n%s", tc.name, w, at, got)
				break
			}
			at += i + len(w)
		}
	}
}
