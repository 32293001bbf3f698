package format

import (
	"strings"
	"unicode"
)

// HasWildcard reports whether s holds a PowerShell wildcard character.
func HasWildcard(s string) bool { return strings.ContainsAny(s, "*?[") }

// MatchWildcard matches s against a PowerShell wildcard pattern (* ? [a-z]
// and ` escapes), case-insensitively, as -like and -Property names do.
func MatchWildcard(pattern, s string) bool {
	return matchRunes([]rune(pattern), []rune(s))
}

func matchRunes(p, s []rune) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchRunes(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			p, s = p[1:], s[1:]
		case '[':
			end := -1
			for i := 1; i < len(p); i++ {
				if p[i] == ']' && i > 1 {
					end = i
					break
				}
			}
			if end < 0 || len(s) == 0 {
				// An unclosed bracket matches itself literally.
				if len(s) == 0 || !equalFold(p[0], s[0]) {
					return false
				}
				p, s = p[1:], s[1:]
				continue
			}
			if !classMatch(p[1:end], s[0]) {
				return false
			}
			p, s = p[end+1:], s[1:]
		case '`':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || !equalFold(p[0], s[0]) {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return len(s) == 0
}

func classMatch(class []rune, c rune) bool {
	lc := unicode.ToLower(c)
	for i := 0; i < len(class); i++ {
		if i+2 < len(class) && class[i+1] == '-' {
			lo, hi := unicode.ToLower(class[i]), unicode.ToLower(class[i+2])
			if lc >= lo && lc <= hi {
				return true
			}
			i += 2
			continue
		}
		if unicode.ToLower(class[i]) == lc {
			return true
		}
	}
	return false
}

func equalFold(a, b rune) bool { return a == b || unicode.ToLower(a) == unicode.ToLower(b) }
