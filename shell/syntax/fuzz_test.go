package syntax

import (
	"testing"
)

// FuzzParsePrint checks that printing a parsed script gives source that
// parses to the same tree, and that the parser never panics.
func FuzzParsePrint(f *testing.F) {
	for _, tc := range parseTests {
		for _, src := range tc.srcs {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		sb, err := Parse(src, "")
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("Parse(%q) returned %T", src, err)
			}
			return
		}
		printed := Print(sb)
		again, err := Parse(printed, "")
		if err != nil {
			t.Fatalf("Parse(Print(%q)) = %q fails: %v", src, printed, err)
		}
		if !sameTree(sb, again) {
			t.Fatalf("round trip changed the tree:\nsrc:     %q\nprinted: %q\nreprint: %q", src, printed, Print(again))
		}
	})
}
