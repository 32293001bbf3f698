// Package corpus holds a golden corpus of shell scripts and what Windows
// PowerShell 5.1 prints for each of them, and runs every script through
// exsh's language engine, formatter and utility cmdlets.
//
// Each testdata/*.txtar archive holds cases as sections:
//
//	-- NAME.ps1 --   the script
//	-- NAME.out --   expected stdout (required)
//	-- NAME.err --   expected stderr (optional; without it stderr must be empty)
//	-- NAME.exit --  expected exit status (optional)
//
// The expected text is PowerShell's, never exsh's: a case exsh gets wrong
// is listed in testdata/KNOWN_FAILURES ("NAME reason…" per line) and
// skipped; TestKnownFailures fails when a listed case starts to pass, so
// the list only shrinks.
//
// Scripts run as `powershell.exe -Command` text in a 120-column console
// with stdout redirected, en-US culture. What that means for the expected
// text, from Windows PowerShell 5.1's formatter (OutCommandInner,
// TableWriter, ListWriter, ConsoleLineOutput):
//   - Out-Default has 119 usable columns (the console width minus one);
//   - a table is a blank line, header, dashes, rows, then two blank lines
//     (group end and format end); every cell, the last column's too, is
//     padded to its column width, so view columns without a width (the
//     hashtable's Value) pad to the end of the 119 columns;
//   - a list is two blank lines, then each object's "Label : value" lines
//     followed by a blank line, then two more blank lines; an empty value
//     keeps the space after the colon;
//   - a custom view (DateTime, MatchInfo) is a blank line, the text, then
//     two blank lines;
//   - errors go to stderr in the normal error view ("At line:N char:M").
package corpus

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
)

// -update rewrites the .out/.err/.exit sections of cases not listed in
// KNOWN_FAILURES from exsh's output. Review every change against what
// PowerShell 5.1 prints: the expected text is PowerShell's, not exsh's.
var update = flag.Bool("update", false, "rewrite expected output from exsh's output (review each change against PowerShell 5.1)")

// corpusCase is one script with its expected results.
type corpusCase struct {
	name    string // unique across the corpus
	archive string // path of the .txtar file
	script  string
	out     string
	err     *string
	exit    *int
}

// result is what exsh did with a script.
type result struct {
	stdout, stderr string
	exit           int
	timedOut       bool
	panicked       any
}

const caseTimeout = 20 * time.Second

func loadCorpus(t *testing.T) []*corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.txtar")
	}
	sort.Strings(files)
	var all []*corpusCase
	seen := map[string]string{}
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]*corpusCase{}
		var order []string
		get := func(name string) *corpusCase {
			c, ok := byName[name]
			if !ok {
				c = &corpusCase{name: name, archive: file}
				byName[name] = c
				order = append(order, name)
			}
			return c
		}
		hasOut := map[string]bool{}
		for _, f := range ar.Files {
			ext := filepath.Ext(f.Name)
			name := strings.TrimSuffix(f.Name, ext)
			data := string(f.Data)
			switch ext {
			case ".ps1":
				// The script is run as `exsh -Command` text: without the
				// newline that ends every txtar section.
				get(name).script = strings.TrimSuffix(data, "\n")
			case ".out":
				get(name).out = data
				hasOut[name] = true
			case ".err":
				get(name).err = &data
			case ".exit":
				n, err := strconv.Atoi(strings.TrimSpace(data))
				if err != nil {
					t.Fatalf("%s: %s: %v", file, f.Name, err)
				}
				get(name).exit = &n
			default:
				t.Fatalf("%s: section %q: want NAME.ps1, .out, .err or .exit", file, f.Name)
			}
		}
		for _, name := range order {
			c := byName[name]
			if c.script == "" {
				t.Fatalf("%s: case %s has no .ps1 section", file, name)
			}
			if !hasOut[name] {
				t.Fatalf("%s: case %s has no .out section", file, name)
			}
			if prev, dup := seen[name]; dup {
				t.Fatalf("case %s is in both %s and %s", name, prev, file)
			}
			seen[name] = file
			all = append(all, c)
		}
	}
	return all
}

// loadKnownFailures reads testdata/KNOWN_FAILURES: one case name per
// line followed by the reason; blank lines and # comments are ignored.
func loadKnownFailures(t *testing.T) map[string]string {
	t.Helper()
	known := map[string]string{}
	f, err := os.Open(filepath.Join("testdata", "KNOWN_FAILURES"))
	if os.IsNotExist(err) {
		return known
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		reason = strings.TrimSpace(reason)
		if reason == "" {
			reason = "(no reason given)"
		}
		if _, dup := known[name]; dup {
			t.Fatalf("KNOWN_FAILURES lists %s twice", name)
		}
		known[name] = reason
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return known
}

// run runs one script in a fresh session, as `exsh -Command` would at a
// 120-column non-terminal width, with $TestDir a fresh temporary directory
// that is also the current location.
func run(t *testing.T, script string) result {
	t.Helper()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	defer cancel()
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.panicked = p
			}
			r.stdout, r.stderr = stdout.String(), stderr.String()
			done <- r
		}()
		s := interp.NewSession(interp.Config{
			Stdout:    &stdout,
			Stderr:    &stderr,
			Width:     120,
			Commands:  append(interp.Builtins(), utility.Cmdlets()...),
			Variables: map[string]any{"TestDir": dir},
			NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
		})
		utility.SetLocation(s, dir)
		err := s.Run(ctx, script, "")
		r.exit = s.ExitStatus(err)
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(caseTimeout + 5*time.Second):
		// The goroutine is abandoned; its buffers are not read again.
		return result{timedOut: true}
	}
}

// check compares a result with the case's expectations and returns a
// description of every difference ("" when none).
func check(c *corpusCase, r result) string {
	var b strings.Builder
	if r.timedOut {
		return fmt.Sprintf("script did not finish within %v\n", caseTimeout)
	}
	if r.panicked != nil {
		fmt.Fprintf(&b, "panic: %v\n", r.panicked)
	}
	if r.stdout != c.out {
		fmt.Fprintf(&b, "stdout differs (-want +got):\n%s", diff(c.out, r.stdout))
	}
	wantErr := ""
	if c.err != nil {
		wantErr = *c.err
	}
	if r.stderr != wantErr {
		fmt.Fprintf(&b, "stderr differs (-want +got):\n%s", diff(wantErr, r.stderr))
	}
	if c.exit != nil && r.exit != *c.exit {
		fmt.Fprintf(&b, "exit status: want %d, got %d\n", *c.exit, r.exit)
	}
	return b.String()
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	known := loadKnownFailures(t)
	var updated []*corpusCase
	for _, c := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(c.archive), ".txtar")+"/"+c.name, func(t *testing.T) {
			if reason, ok := known[c.name]; ok {
				t.Skip("known failure: " + reason)
			}
			r := run(t, c.script)
			if *update && !r.timedOut && r.panicked == nil {
				c.out = r.stdout
				if c.err != nil || r.stderr != "" {
					s := r.stderr
					c.err = &s
				}
				if c.exit != nil {
					n := r.exit
					c.exit = &n
				}
				updated = append(updated, c)
				return
			}
			if d := check(c, r); d != "" {
				t.Errorf("%s\nscript:\n%s\n%s", c.name, indent(c.script), d)
			}
		})
	}
	if *update && len(updated) > 0 {
		rewrite(t, updated)
	}
}

// TestKnownFailures runs each listed case and fails when it now passes (or
// no longer exists), so KNOWN_FAILURES shrinks as exsh is fixed.
func TestKnownFailures(t *testing.T) {
	cases := loadCorpus(t)
	known := loadKnownFailures(t)
	byName := map[string]*corpusCase{}
	for _, c := range cases {
		byName[c.name] = c
	}
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, ok := byName[name]
			if !ok {
				t.Fatalf("KNOWN_FAILURES lists %s, which is not in the corpus", name)
			}
			if d := check(c, run(t, c.script)); d == "" {
				t.Errorf("%s now passes: remove it from testdata/KNOWN_FAILURES", name)
			}
		})
	}
}

// rewrite writes the updated expectations back into their archives,
// keeping every other section as it was.
func rewrite(t *testing.T, cases []*corpusCase) {
	t.Helper()
	byArchive := map[string]map[string]*corpusCase{}
	for _, c := range cases {
		if byArchive[c.archive] == nil {
			byArchive[c.archive] = map[string]*corpusCase{}
		}
		byArchive[c.archive][c.name] = c
	}
	for file, cs := range byArchive {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var files []txtar.File
		for _, f := range ar.Files {
			ext := filepath.Ext(f.Name)
			name := strings.TrimSuffix(f.Name, ext)
			c, ok := cs[name]
			if !ok {
				files = append(files, f)
				continue
			}
			switch ext {
			case ".ps1":
				files = append(files, f,
					txtar.File{Name: name + ".out", Data: []byte(c.out)})
				if c.err != nil {
					files = append(files, txtar.File{Name: name + ".err", Data: []byte(*c.err)})
				}
				if c.exit != nil {
					files = append(files, txtar.File{Name: name + ".exit", Data: []byte(strconv.Itoa(*c.exit) + "\n")})
				}
			case ".out", ".err", ".exit":
				// replaced above
			default:
				files = append(files, f)
			}
		}
		ar.Files = files
		if err := os.WriteFile(file, txtar.Format(ar), 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// diff is a small line diff (longest common subsequence) in unified
// style; whitespace at line ends is made visible with a trailing '⏎'.
func diff(want, got string) string {
	a, b := splitLines(want), splitLines(got)
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out.WriteString("  " + show(a[i]) + "\n")
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+ " + show(b[j]) + "\n")
			j++
		default:
			out.WriteString("- " + show(a[i]) + "\n")
			i++
		}
	}
	return out.String()
}

// splitLines splits s into lines, keeping a missing final newline visible.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func show(line string) string {
	if strings.HasSuffix(line, "\n") {
		line = strings.TrimSuffix(line, "\n")
	} else {
		line += "[no newline at end]"
	}
	if strings.TrimRight(line, " \t") != line {
		line += "⏎"
	}
	return line
}
