package all

import (
	"io"
	"strings"
	"testing"

	"exsh/cmdlets"
	"exsh/shell/interp"
)

// The table is one namespace: no two commands (built-ins included) share
// a name or an alias, and every command can be looked up by each of them.
func TestTableNames(t *testing.T) {
	table := New(&cmdlets.Deps{}, Options{})
	if len(table.Language) == 0 || len(table.Exchange) == 0 {
		t.Fatalf("empty group: %d language, %d Exchange", len(table.Language), len(table.Exchange))
	}
	sess := interp.NewSession(interp.Config{Stdout: io.Discard, Stderr: io.Discard, Commands: table.All()})
	owner := map[string]string{}
	for _, c := range sess.Commands() {
		for _, name := range append([]string{c.Name}, c.Aliases...) {
			key := strings.ToLower(name)
			if prev, ok := owner[key]; ok && prev != c.Name {
				t.Errorf("%q is both %s and %s", name, prev, c.Name)
			}
			owner[key] = c.Name
			if got := sess.LookupCommand(name); got == nil || got.Name != c.Name {
				t.Errorf("LookupCommand(%q) does not find %s", name, c.Name)
			}
		}
	}
	for _, c := range table.Exchange {
		if c.Synopsis == "" {
			t.Errorf("%s has no synopsis (Get-Help and completion show it)", c.Name)
		}
	}
}

// Every enumerated parameter lists its values: completion offers them and
// the binder validates against them.
func TestEnumParamsHaveValues(t *testing.T) {
	for _, c := range New(&cmdlets.Deps{}, Options{}).All() {
		for _, p := range c.Params {
			if p.Kind == interp.KindEnum && len(p.Values) == 0 {
				t.Errorf("%s -%s is an enum without values", c.Name, p.Name)
			}
		}
	}
}

// The Exchange cmdlets, and only they, run in the remote session (their
// errors show PSComputerName, Get-Command lists them as functions): every
// one is declared through cmdlets.Exchange, so Module and Remote agree.
func TestExchangeCmdletsAreRemote(t *testing.T) {
	table := New(&cmdlets.Deps{}, Options{})
	exchange := map[string]bool{}
	for _, c := range table.Exchange {
		exchange[c.Name] = true
	}
	remote := 0
	for _, c := range table.All() {
		if c.Remote != (c.Module == cmdlets.Module) {
			t.Errorf("%s: Remote %v but Module %q", c.Name, c.Remote, c.Module)
		}
		if cmdlets.IsExchange(c) {
			remote++
			if !exchange[c.Name] {
				t.Errorf("%s is remote but not in the Exchange group", c.Name)
			}
		}
	}
	if remote == 0 || !cmdlets.IsExchange(find(table.All(), "Get-ReceiveConnector")) || cmdlets.IsExchange(find(table.All(), "Get-Content")) {
		t.Errorf("%d remote cmdlets; Get-ReceiveConnector must be one, Get-Content not", remote)
	}
}

func find(list []*interp.CmdletInfo, name string) *interp.CmdletInfo {
	for _, c := range list {
		if c.Name == name {
			return c
		}
	}
	return &interp.CmdletInfo{}
}
