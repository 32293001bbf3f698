package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"exsh/cmdlets"
	"exsh/cmdlets/all"
	"exsh/labs"
	"exsh/shell/interp"
)

var update = flag.Bool("update", false, "rewrite generated files (the README's cmdlet list)")

const (
	cmdletsBegin = "<!-- cmdlets:begin"
	cmdletsEnd   = "<!-- cmdlets:end -->"
)

// cmdletList renders the command table as the README's list: one section
// per module, one line per cmdlet with its aliases and synopsis.
func cmdletList() string {
	table := all.New(&cmdlets.Deps{}, all.Options{})
	cmds := append(table.All(), labs.NewRunner(labs.Config{}).Cmdlets()...)
	sess := interp.NewSession(interp.Config{Stdout: io.Discard, Stderr: io.Discard, Commands: cmds})
	byModule := map[string][]*interp.CmdletInfo{}
	for _, c := range sess.Commands() {
		m := c.Module
		if m == "" {
			m = "Microsoft.PowerShell.Core"
		}
		byModule[m] = append(byModule[m], c)
	}
	modules := make([]string, 0, len(byModule))
	for m := range byModule {
		modules = append(modules, m)
	}
	sort.Strings(modules)
	var b strings.Builder
	for _, m := range modules {
		cs := byModule[m]
		sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		fmt.Fprintf(&b, "\n%s (%d):\n\n", m, len(cs))
		for _, c := range cs {
			line := "- `" + c.Name + "`"
			if len(c.Aliases) > 0 {
				line += " (" + strings.Join(c.Aliases, ", ") + ")"
			}
			if c.Synopsis != "" {
				line += " — " + strings.TrimSpace(c.Synopsis)
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String() + "\n"
}

// TestREADMECmdlets checks that the README lists the cmdlets of the
// command table; -update rewrites the list.
func TestREADMECmdlets(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, cmdletsBegin)
	j := strings.Index(text, cmdletsEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %s ... %s section", cmdletsBegin, cmdletsEnd)
	}
	i += strings.Index(text[i:], "-->") + len("-->\n")
	want := cmdletList()
	if text[i:j] == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(text[:i]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's cmdlet list is out of date; run: go test ./cmd/exsh -run TestREADMECmdlets -update")
}
