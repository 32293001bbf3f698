package repl

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/c-bata/go-prompt"
)

// bigCatalog completes the identities of 10,000 receive connectors, as a
// Catalog over a large organisation does: CompleteValue returns every
// identity that starts with the prefix.
type bigCatalog struct {
	ids []string
}

func newBigCatalog(n int) *bigCatalog {
	c := &bigCatalog{ids: make([]string, n)}
	for i := range c.ids {
		c.ids[i] = fmt.Sprintf(`EX01\Relay %05d`, i)
	}
	return c
}

func (c *bigCatalog) Commands() []*CommandInfo { return testCatalog{}.Commands() }
func (c *bigCatalog) Variables() []string      { return testCatalog{}.Variables() }
func (c *bigCatalog) CompleteValue(ctx context.Context, command, param, prefix string) []string {
	var out []string
	for _, id := range c.ids {
		if len(id) >= len(prefix) && strings.EqualFold(id[:len(prefix)], prefix) {
			out = append(out, id)
		}
	}
	return out
}

// BenchmarkCompleteIdentities is one Tab press after
// "Get-ReceiveConnector " and friends with 10,000 identities: the path
// go-prompt takes on each key, from its CompletionManager through the
// loop's completer (Complete, quoting, conversion to prompt.Suggest).
func BenchmarkCompleteIdentities(b *testing.B) {
	const n = 10_000
	l := &loop{cfg: Config{Catalog: newBigCatalog(n)}, term: &terminal{lastKey: '\t'}}
	for _, c := range []struct {
		name, text string
		want       int
	}{
		{"all", "Get-ReceiveConnector ", n},
		{"named-param", "Set-ReceiveConnector -Identity ", n},
		{"prefix", "Get-ReceiveConnector EX01\\Rel", n},
		{"quoted-prefix-100", "Get-ReceiveConnector 'EX01\\Relay 099", 100},
		{"none", "Get-ReceiveConnector EX02", 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := prompt.NewBuffer()
			buf.InsertText(c.text, false, true)
			doc := *buf.Document()
			cm := prompt.NewCompletionManager(l.complete, 10)
			cm.Update(doc)
			if got := len(cm.GetSuggestions()); got != c.want {
				b.Fatalf("%q: %d suggestions, want %d", c.text, got, c.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				cm.Update(doc)
			}
		})
	}
}
