package interp

import (
	"strings"
	"testing"

	"exsh/shell/syntax"
)

func TestFormatParseErrorUnderline(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{"Write-Output a && Write-Output b", "+                ~~\n"},
		{"if ($true)", "+          ~\n"},
		{"1 +", "+    ~\n"},
		{"1 xyz", "+   ~~~\n"},
	} {
		_, err := syntax.Parse(tc.src, "")
		pe, ok := err.(*syntax.ParseError)
		if !ok {
			t.Fatalf("%q: err = %v, want a ParseError", tc.src, err)
		}
		lines := strings.SplitAfter(FormatParseError(pe, tc.src), "\n")
		if len(lines) < 3 {
			t.Fatalf("%q: %q", tc.src, lines)
		}
		if lines[2] != tc.want {
			t.Errorf("%q: underline %q, want %q", tc.src, lines[2], tc.want)
		}
	}
}
