package mail

import (
	"testing"

	"exsh/cmdlets"
)

// TestDeclarations checks that every cmdlet documents itself: a synopsis,
// help for every parameter and at least one example.
func TestDeclarations(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range append(Cmdlets(&cmdlets.Deps{}), MailboxCmdlets(&cmdlets.Deps{})...) {
		if seen[c.Name] {
			t.Errorf("%s declared twice", c.Name)
		}
		seen[c.Name] = true
		if c.Synopsis == "" || c.Description == "" || c.Module == "" {
			t.Errorf("%s: synopsis, description or module missing", c.Name)
		}
		if len(c.Examples) == 0 {
			t.Errorf("%s: no example", c.Name)
		}
		params := map[string]bool{}
		for _, p := range c.Params {
			if params[p.Name] {
				t.Errorf("%s -%s declared twice", c.Name, p.Name)
			}
			params[p.Name] = true
			if p.Help == "" {
				t.Errorf("%s -%s has no help", c.Name, p.Name)
			}
		}
	}
}
