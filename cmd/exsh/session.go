package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/syntax"
)

// newSession returns a shell session over the host's command table, with
// $exinstall set to the data path.
func (h *host) newSession(stdout, stderr io.Writer, width int, vars map[string]any) *interp.Session {
	return h.newSessionConfirm(stdout, stderr, width, vars, nil)
}

// newSessionConfirm is newSession with a way to ask for -Confirm; nil
// accepts every action (no one to ask).
func (h *host) newSessionConfirm(stdout, stderr io.Writer, width int, vars map[string]any, confirm func(string) bool) *interp.Session {
	v := map[string]any{"exinstall": exinstall(h.activeDataPath())}
	maps.Copy(v, vars)
	return interp.NewSession(interp.Config{
		Stdout:    stdout,
		Stderr:    stderr,
		Width:     width,
		Commands:  h.commands,
		Variables: v,
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
		Confirm:   confirm,
	})
}

// scriptArgs is the value of $args for a script's arguments.
func scriptArgs(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// runIn runs src in sess and returns the exit status pwsh -Command would
// give (1 when a terminating error stopped the script or the last pipeline
// failed, else 0; N for `exit N`), and whether the script ran `exit`.
//
// A panic in the script's evaluation is reported on stderr, with its stack,
// as a failed script: the shell and the data path stay usable.
func runIn(ctx context.Context, sess *interp.Session, src, filename string, stderr io.Writer) (code int, exit bool) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "exsh: internal error: %v\n%s", r, debug.Stack())
			code, exit = 1, false
		}
	}()
	err := sess.Run(ctx, src, filename)
	var ee *interp.ExitError
	if errors.As(err, &ee) {
		return ee.Code, true
	}
	if err != nil || !sess.LastSucceeded() {
		return 1, false
	}
	return 0, false
}

// incomplete reports whether src is a statement that more lines could
// finish: the REPL then shows the ">> " prompt.
func incomplete(src string) bool {
	_, err := syntax.Parse(src, "")
	var pe *syntax.ParseError
	return errors.As(err, &pe) && pe.Incomplete
}

// switchWriter forwards to a writer that can change between scripts: a
// session attached from another process writes each script's output to
// that script's stream.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	w := s.w
	s.mu.Unlock()
	if w == nil {
		return len(p), nil
	}
	return w.Write(p)
}

// setSessionWidth follows the terminal's width between statements, as
// PowerShell reads $Host.UI.RawUI's size when it formats: a statement run
// after the user resized the terminal is cut to the new width. A width of
// 0 (a client that sent none) keeps the session's width.
func setSessionWidth(sess *interp.Session, width int) {
	sess.SetWidth(width)
}

// sessionLocation is the session's current location for the prompt.
func sessionLocation(sess *interp.Session) string { return utility.Location(sess) }

// terminalConfirm asks on the terminal, the way PowerShell's -Confirm does,
// while a statement runs (the terminal is in line mode then). Yes to All
// and No to All answer the rest of the statement's questions the same
// way; reset clears them before each statement.
type terminalConfirm struct {
	in  *os.File
	out io.Writer
	all *bool // the Yes/No to All answer, nil when none was given
}

func (c *terminalConfirm) reset() { c.all = nil }

func (c *terminalConfirm) confirm(prompt string) bool {
	if c.all != nil {
		return *c.all
	}
	for {
		fmt.Fprintf(c.out, "\nConfirm\nAre you sure you want to perform this action?\n%s\n"+
			"[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [?] Help (default is \"Y\"): ", prompt)
		line, ok := readTerminalLine(c.in)
		if !ok {
			return false
		}
		switch strings.ToUpper(strings.TrimSpace(line)) {
		case "", "Y":
			return true
		case "A":
			yes := true
			c.all = &yes
			return true
		case "N":
			return false
		case "L":
			no := false
			c.all = &no
			return false
		case "?":
			fmt.Fprint(c.out, "Y - Continue with only the next step of the operation.\n"+
				"A - Continue with all the steps of the operation.\n"+
				"N - Skip this operation and proceed with the next operation.\n"+
				"L - Skip this operation and all subsequent operations.\n")
		}
	}
}

// readTerminalLine reads one line byte by byte, so that nothing typed
// after it is taken from the line editor.
func readTerminalLine(f *os.File) (string, bool) {
	var b []byte
	var one [1]byte
	for {
		n, err := f.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				return string(b), true
			}
			b = append(b, one[0])
		}
		if err != nil {
			return string(b), len(b) > 0
		}
	}
}
