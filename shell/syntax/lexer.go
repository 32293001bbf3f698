package syntax

import (
	"math"
	"strconv"
	"strings"
)

// Character classes and low-level scanning. The parser drives the lexer
// with an explicit mode: expression mode (operators, numbers, member
// names) or argument mode (bare words, -Parameters), as PowerShell does.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\f' || c == '\v' }

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isNameChar(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isArgTerminator reports whether c ends a bare word in argument mode.
func isArgTerminator(c byte) bool {
	switch c {
	case 0, ' ', '\t', '\f', '\v', '\r', '\n', ';', '|', '(', ')', '{', '}', ',', '&', '>', '<':
		return true
	}
	return false
}

// keywords are PowerShell's reserved words at statement start.
var keywords = map[string]bool{
	"if": true, "elseif": true, "else": true, "foreach": true, "for": true, "while": true,
	"do": true, "until": true, "switch": true, "function": true, "filter": true, "try": true,
	"catch": true, "finally": true, "trap": true, "break": true, "continue": true,
	"return": true, "exit": true, "throw": true, "param": true, "begin": true,
	"process": true, "end": true, "in": true, "data": true, "class": true, "using": true,
}

// binaryOps maps the dash operators to their precedence level:
// 1 logical, 2 bitwise, 3 comparison (higher binds tighter).
var binaryOps = map[string]int{
	"and": 1, "or": 1, "xor": 1,
	"band": 2, "bor": 2, "bxor": 2,
	"shl": 3, "shr": 3, "is": 3, "isnot": 3, "as": 3, "join": 3, "split": 3, "f": 6,
}

func init() {
	for _, op := range []string{"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch",
		"contains", "notcontains", "in", "notin", "replace", "split"} {
		binaryOps[op] = 3
		binaryOps["i"+op] = 3
		binaryOps["c"+op] = 3
	}
}

// unaryDashOps are the dash operators that are prefix operators.
var unaryDashOps = map[string]bool{"not": true, "bnot": true, "split": true, "join": true, "isplit": true, "csplit": true}

// scanNumber scans a numeric literal at src[i:]: decimal, hex (0x),
// exponents, the l/d type suffixes and kb/mb/gb/tb/pb multipliers. It
// returns the end offset and value (int or float64), or ok false.
func scanNumber(src string, i int) (end int, val any, ok bool) {
	start := i
	n := len(src)
	if i+1 < n && src[i] == '0' && (src[i+1] == 'x' || src[i+1] == 'X') {
		j := i + 2
		for j < n && strings.IndexByte("0123456789abcdefABCDEF", src[j]) >= 0 {
			j++
		}
		if j == i+2 {
			return 0, nil, false
		}
		u, err := strconv.ParseUint(src[i+2:j], 16, 64)
		if err != nil {
			return 0, nil, false
		}
		var v int
		if u <= math.MaxUint32 && u > math.MaxInt32 && j-(i+2) <= 8 {
			v = int(int32(uint32(u)))
		} else {
			v = int(int64(u))
		}
		if j < n && (src[j] == 'l' || src[j] == 'L') {
			j++
		}
		j, mult := scanMultiplier(src, j)
		return j, v * int(mult), true
	}
	j := i
	for j < n && isDigit(src[j]) {
		j++
	}
	isFloat := false
	if j < n && src[j] == '.' && j+1 < n && isDigit(src[j+1]) {
		isFloat = true
		j++
		for j < n && isDigit(src[j]) {
			j++
		}
	}
	if j == start {
		return 0, nil, false
	}
	if j < n && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < n && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < n && isDigit(src[k]) {
			for k < n && isDigit(src[k]) {
				k++
			}
			isFloat = true
			j = k
		}
	}
	text := src[start:j]
	long := false
	if j < n && (src[j] == 'd' || src[j] == 'D') && !(j+1 < n && (src[j+1] == 'b' || src[j+1] == 'B')) {
		isFloat = true
		j++
	} else if j < n && (src[j] == 'l' || src[j] == 'L') {
		long = true
		j++
	}
	j, mult := scanMultiplier(src, j)
	if !isFloat {
		if v, err := strconv.ParseInt(text, 10, 64); err == nil {
			if mult == 1 || (v <= math.MaxInt64/mult) {
				if long {
					return j, v * mult, true // [long]
				}
				return j, int(v * mult), true
			}
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, nil, false
	}
	f *= float64(mult)
	if !isFloat && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return j, int(f), true
	}
	return j, f, true
}

func scanMultiplier(src string, j int) (int, int64) {
	if j+1 < len(src) && (src[j+1] == 'b' || src[j+1] == 'B') {
		switch src[j] {
		case 'k', 'K':
			return j + 2, 1 << 10
		case 'm', 'M':
			return j + 2, 1 << 20
		case 'g', 'G':
			return j + 2, 1 << 30
		case 't', 'T':
			return j + 2, 1 << 40
		case 'p', 'P':
			return j + 2, 1 << 50
		}
	}
	return j, 1
}

// escapeChar returns what a backtick followed by c means in a
// double-quoted string or bare word.
func escapeChar(c byte) string {
	switch c {
	case '0':
		return "\x00"
	case 'a':
		return "\a"
	case 'b':
		return "\b"
	case 'e':
		return "\x1b"
	case 'f':
		return "\f"
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case 'v':
		return "\v"
	}
	return string(c)
}
