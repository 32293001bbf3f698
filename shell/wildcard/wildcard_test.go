package wildcard

import (
	"errors"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"EX01", "ex01", true},
		{"EX0?", "ex01", true},
		{"EX0?", "ex0", false},
		{"EX0?", "ex012", false},
		{"*01", "EX01", true},
		{"Default*", "Default Frontend EX01", true},
		{"*Front*", "Default Frontend EX01", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"a**c", "abc", true},
		{"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"[abc]x", "Bx", true},
		{"[a-c]x", "dx", false},
		{"[A-Z]1", "q1", true}, // a range matches either case
		{"[a-z]1", "Q1", true}, // ... both ways
		{"[0-9][0-9]", "42", true},
		{"[a-]", "-", true},    // a trailing - is a member
		{"[-a]", "-", true},    // so is a leading one
		{"[]a]", "]", true},    // ] first in the set is a member
		{"[]a]", "a", true},    // ... and the set goes on
		{"[`]]", "]", true},    // an escaped ] is a member
		{"[a`-c]", "b", false}, // an escaped - is not a range
		{"[a`-c]", "-", true},
		{"a`*", "a*", true}, // an escaped star is literal
		{"a`*", "ab", false},
		{"a`?", "a?", true},
		{"a`[b]", "a[b]", true}, // an escaped [ starts no set
		{"``", "`", true},       // an escaped backtick
		{"a`", "a`", true},      // a trailing backtick is literal
		{"a`", "a", false},
		{"`", "", true},          // "`" alone is the empty pattern
		{"`a", "a", true},        // an escaped ordinary character is itself
		{"a]", "a]", true},       // a ] outside a set is literal
		{"?", "\n", true},        // ? matches any character, a newline too
		{"a*", "a\nb", true},     // and so does *
		{"ÉCOLE", "école", true}, // case folding is Unicode's
		{"straße", "STRASSE", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestCaseSensitive(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"EX01", "EX01", true},
		{"EX01", "ex01", false},
		{"[A-Z]x", "ax", false},
		{"[A-Z]x", "Ax", true},
		{"e*", "EX", false},
	}
	for _, tt := range tests {
		p, err := Compile(tt.pattern, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(tt.s); got != tt.want {
			t.Errorf("%q case-sensitive on %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestInvalid(t *testing.T) {
	for _, pattern := range []string{"[abc", "a[", "[z-a]", "[]", "[`]"} {
		_, err := Compile(pattern, false)
		var we *Error
		if !errors.As(err, &we) {
			t.Errorf("Compile(%q) = %v, want an invalid pattern", pattern, err)
			continue
		}
		if want := "The specified wildcard character pattern is not valid: " + pattern; err.Error() != want {
			t.Errorf("Compile(%q): %q, want %q", pattern, err, want)
		}
		if Match(pattern, pattern) {
			t.Errorf("Match(%q, itself): an invalid pattern matched", pattern)
		}
	}
}

func TestHasWildcard(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"EX01", false},
		{"EX*", true},
		{"EX0?", true},
		{"[a]", true},
		{"a]", true},
		{"a`*", false}, // escaped
		{"a``*", true}, // the backtick is escaped, the star is not
		{"", false},
	}
	for _, tt := range tests {
		if got := HasWildcard(tt.s); got != tt.want {
			t.Errorf("HasWildcard(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestEscapeUnescape(t *testing.T) {
	for _, s := range []string{"plain", "a*b?c[d]e`f", "`", "**"} {
		e := Escape(s)
		if !Match(e, s) {
			t.Errorf("Escape(%q) = %q does not match it", s, e)
		}
		if HasWildcard(e) {
			t.Errorf("Escape(%q) = %q still has wildcards", s, e)
		}
	}
	tests := []struct{ in, want string }{
		{"a`*b", "a*b"},
		{"a`xb", "a`xb"},
		{"a``b", "a`b"},
		{"a`", "a`"},
	}
	for _, tt := range tests {
		if got := Unescape(tt.in); got != tt.want {
			t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
