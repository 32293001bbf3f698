// Package wildcard is PowerShell's wildcard pattern (WildcardPattern), the
// one matcher behind -like, switch -Wildcard, -Property and -Filter names,
// and cmdlet identities:
//
//   - * matches any run of characters, including none;
//   - ? matches exactly one character;
//   - [abc] matches one of the characters listed, [a-z] one in the range;
//     a ] right after the [ is a member, not the end ([]a] is "] or a");
//     there is no negation;
//   - a backtick escapes the next character, inside brackets too, so
//     `* is a literal star; a lone trailing backtick is literal.
//
// Matching is case-insensitive unless asked otherwise. A [ that is never
// closed, or a range whose ends are reversed ([z-a]), makes the pattern
// invalid, as in PowerShell.
package wildcard

import (
	"fmt"
	"strings"
	"unicode"
)

// Pattern is a compiled wildcard pattern.
type Pattern struct {
	text          string
	items         []item
	caseSensitive bool
}

type kind uint8

const (
	literal kind = iota
	anyOne       // ?
	anyRun       // *
	set          // [...]
)

type item struct {
	kind   kind
	r      rune      // literal
	ranges [][2]rune // set: each member is a range lo..hi (lo == hi for one character)
}

// Error is an invalid pattern; its message is PowerShell's.
type Error struct{ Pattern string }

func (e *Error) Error() string {
	return fmt.Sprintf("The specified wildcard character pattern is not valid: %s", e.Pattern)
}

// Compile parses a pattern; caseSensitive makes it match case exactly
// (-clike).
func Compile(pattern string, caseSensitive bool) (*Pattern, error) {
	p := &Pattern{text: pattern, caseSensitive: caseSensitive}
	runes := []rune(pattern)
	escaped := false
	for i := 0; i < len(runes); i++ {
		c := runes[i]
		switch {
		case escaped:
			p.items = append(p.items, item{kind: literal, r: c})
			escaped = false
		case c == '`':
			escaped = true
		case c == '*':
			// Runs of stars are one star.
			if n := len(p.items); n == 0 || p.items[n-1].kind != anyRun {
				p.items = append(p.items, item{kind: anyRun})
			}
		case c == '?':
			p.items = append(p.items, item{kind: anyOne})
		case c == '[':
			it, next, err := parseSet(runes, i+1, pattern)
			if err != nil {
				return nil, err
			}
			p.items = append(p.items, it)
			i = next
		default:
			p.items = append(p.items, item{kind: literal, r: c})
		}
	}
	// A trailing backtick is a literal backtick, except in the pattern
	// "`" alone, which is the empty pattern.
	if escaped && pattern != "`" {
		p.items = append(p.items, item{kind: literal, r: '`'})
	}
	return p, nil
}

// parseSet reads a bracket expression whose contents start at runes[i];
// it returns the set and the index of the closing ].
func parseSet(runes []rune, i int, pattern string) (item, int, error) {
	var chars []rune
	var isRange []bool // chars[k] is an unescaped '-'
	escaped := false
	for j := i; j < len(runes); j++ {
		c := runes[j]
		switch {
		case escaped:
			chars, isRange = append(chars, c), append(isRange, false)
			escaped = false
		case c == '`':
			escaped = true
		case c == ']' && j > i:
			it := item{kind: set}
			for k := 0; k < len(chars); k++ {
				if k+2 < len(chars) && isRange[k+1] {
					lo, hi := chars[k], chars[k+2]
					if lo > hi {
						return item{}, 0, &Error{pattern}
					}
					it.ranges = append(it.ranges, [2]rune{lo, hi})
					k += 2
					continue
				}
				it.ranges = append(it.ranges, [2]rune{chars[k], chars[k]})
			}
			return it, j, nil
		default:
			chars, isRange = append(chars, c), append(isRange, c == '-')
		}
	}
	return item{}, 0, &Error{pattern}
}

// String is the pattern's text.
func (p *Pattern) String() string { return p.text }

// Match reports whether the whole of s matches the pattern.
func (p *Pattern) Match(s string) bool {
	t := []rune(s)
	pi, ti := 0, 0
	// The last star seen and the text position it is trying to end at:
	// on a mismatch the star takes one more character.
	star, starT := -1, 0
	for ti < len(t) {
		if pi < len(p.items) {
			it := p.items[pi]
			if it.kind == anyRun {
				star, starT = pi, ti
				pi++
				continue
			}
			if p.one(it, t[ti]) {
				pi++
				ti++
				continue
			}
		}
		if star < 0 {
			return false
		}
		starT++
		pi, ti = star+1, starT
	}
	for pi < len(p.items) && p.items[pi].kind == anyRun {
		pi++
	}
	return pi == len(p.items)
}

// one reports whether a single-character item matches c.
func (p *Pattern) one(it item, c rune) bool {
	switch it.kind {
	case anyOne:
		return true
	case literal:
		if p.caseSensitive {
			return it.r == c
		}
		return foldEqual(it.r, c)
	case set:
		for _, r := range it.ranges {
			if inRange(r, c) {
				return true
			}
			if !p.caseSensitive && (inRange(r, unicode.ToLower(c)) || inRange(r, unicode.ToUpper(c))) {
				return true
			}
		}
	}
	return false
}

func inRange(r [2]rune, c rune) bool { return r[0] <= c && c <= r[1] }

func foldEqual(a, b rune) bool {
	return a == b || unicode.ToLower(a) == unicode.ToLower(b) || unicode.ToUpper(a) == unicode.ToUpper(b)
}

// Match reports whether s matches pattern, case-insensitively. An invalid
// pattern matches nothing; use [Compile] to report it.
func Match(pattern, s string) bool {
	p, err := Compile(pattern, false)
	if err != nil {
		return false
	}
	return p.Match(s)
}

// HasWildcard reports whether s holds an unescaped wildcard character
// (* ? [ ]), that is whether a cmdlet should treat it as a pattern rather
// than a name (WildcardPattern.ContainsWildcardCharacters).
func HasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']':
			return true
		case '`':
			i++
		}
	}
	return false
}

// Escape escapes the wildcard characters and backticks in s, so that the
// pattern matches s literally.
func Escape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '*', '?', '[', ']', '`':
			b.WriteByte('`')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Unescape removes the backticks escaping wildcard characters (and
// backticks); other backticks stay.
func Unescape(s string) string {
	var b strings.Builder
	escaped := false
	for _, c := range s {
		if c == '`' {
			if escaped {
				b.WriteRune(c)
			}
			escaped = !escaped
			continue
		}
		if escaped {
			switch c {
			case '*', '?', '[', ']':
			default:
				b.WriteByte('`')
			}
		}
		b.WriteRune(c)
		escaped = false
	}
	if escaped {
		b.WriteByte('`')
	}
	return b.String()
}
