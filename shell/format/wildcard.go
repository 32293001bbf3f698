package format

import "exsh/shell/wildcard"

// HasWildcard reports whether s holds a PowerShell wildcard character;
// see [wildcard.HasWildcard].
func HasWildcard(s string) bool { return wildcard.HasWildcard(s) }

// MatchWildcard matches s against a PowerShell wildcard pattern,
// case-insensitively, as -Property names and -Filter do; see
// [wildcard.Match].
func MatchWildcard(pattern, s string) bool { return wildcard.Match(pattern, s) }
