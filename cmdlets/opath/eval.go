package opath

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"exsh/shell/object"
	"exsh/shell/wildcard"
)

func (n *andNode) match(get Getter) bool { return n.l.match(get) && n.r.match(get) }
func (n *orNode) match(get Getter) bool  { return n.l.match(get) || n.r.match(get) }
func (n *notNode) match(get Getter) bool { return !n.x.match(get) }

func (n *cmpNode) match(get Getter) bool {
	v, _ := get(n.prop)
	switch n.op {
	case OpNe:
		return !n.any(v, OpEq)
	case OpNotLike:
		return !n.any(v, OpLike)
	}
	return n.any(v, n.op)
}

// any applies op to v, or to each element of a multivalued v until one
// matches.
func (n *cmpNode) any(v any, op string) bool {
	if list, ok := asList(v); ok {
		if len(list) == 0 {
			return n.scalar(nil, op)
		}
		for _, e := range list {
			if n.scalar(e, op) {
				return true
			}
		}
		return false
	}
	return n.scalar(v, op)
}

// asList returns the elements of a multivalued value. Byte slices and
// strings are scalars.
func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case nil, string, []byte:
		return nil, false
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		// Typed lists with their own string form (Flags) still compare
		// element by element.
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, true
	}
	return nil, false
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map:
		return rv.IsNil()
	}
	return false
}

// scalar compares one value with the literal.
func (n *cmpNode) scalar(v any, op string) bool {
	switch n.kind {
	case litNull:
		switch op {
		case OpEq, OpLike:
			return isEmpty(v)
		}
		return false
	case litTrue, litFalse:
		want := n.kind == litTrue
		b, ok := toBool(v)
		if !ok {
			return false
		}
		switch op {
		case OpEq, OpLike:
			return b == want
		}
		return ordered(boolInt(b)-boolInt(want), op)
	}
	if op == OpLike {
		if isEmpty(v) {
			return n.text == "" || n.text == "*"
		}
		return Wildcard(n.text, text(v))
	}
	if isEmpty(v) {
		if op == OpEq {
			return n.text == ""
		}
		return false
	}
	c, ok := compareLiteral(v, n.text)
	if !ok {
		return false
	}
	if op == OpEq {
		return c == 0
	}
	return ordered(c, op)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func ordered(c int, op string) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	}
	return false
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case nil:
		return false, true
	case string:
		return parseBool(x)
	}
	if f, ok := number(v); ok {
		return f != 0, true
	}
	return parseBool(text(v))
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "$true", "1", "yes":
		return true, true
	case "false", "$false", "0", "no", "":
		return false, true
	}
	return false, false
}

// text is the string form of a value for text comparisons.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.Format("1/2/2006 3:04:05 PM")
	}
	return object.ToString(v)
}

// number returns a numeric value as float64, including named integer types
// (enums, byte sizes); ok is false for anything else.
func number(v any) (float64, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}

// compareLiteral orders v against the literal, converting the literal to
// v's type. ok is false when the literal cannot be converted.
func compareLiteral(v any, lit string) (int, bool) {
	switch x := v.(type) {
	case bool:
		b, ok := parseBool(lit)
		if !ok {
			return 0, false
		}
		return boolInt(x) - boolInt(b), true
	case time.Time:
		t, err := object.ParseDate(strings.TrimSpace(lit))
		if err != nil {
			return 0, false
		}
		return x.Compare(t), true
	case time.Duration:
		d, err := object.ParseTimeSpan(strings.TrimSpace(lit))
		if err != nil {
			return 0, false
		}
		return cmp3(float64(x), float64(d)), true
	case string:
		return object.CompareStrings(x, lit, false), true
	}
	if f, ok := number(v); ok {
		if g, ok := ParseQuantity(lit); ok {
			return cmp3(f, g), true
		}
		// An enum given by name, or Unlimited against a byte size.
		if _, isStringer := v.(fmt.Stringer); isStringer {
			return object.CompareStrings(text(v), lit, false), true
		}
		return 0, false
	}
	return object.CompareStrings(text(v), lit, false), true
}

func cmp3(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ParseQuantity parses a number as filters write it: "10", "-1", "1.5",
// "0x1F", or a byte size "10KB", "1.5 MB", "2GB", "1TB" (binary
// multiples, as PowerShell's KB/MB/GB suffixes and Exchange's
// ByteQuantifiedSize), or "unlimited" (which sorts above every number).
func ParseQuantity(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if strings.EqualFold(s, "unlimited") {
		return math.Inf(1), true
	}
	// Exchange's own size text: "5.117 KB (5,240 bytes)".
	if i := strings.IndexByte(s, '('); i > 0 && strings.HasSuffix(strings.ToLower(s), "bytes)") {
		inner := strings.TrimSpace(s[i+1 : len(s)-len("bytes)")])
		return ParseQuantity(strings.ReplaceAll(inner, ",", ""))
	}
	mult := 1.0
	lower := strings.ToLower(s)
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"tb", 1 << 40}, {"pb", 1 << 50}, {"b", 1}} {
		if strings.HasSuffix(lower, u.suffix) {
			lower = strings.TrimSpace(lower[:len(lower)-len(u.suffix)])
			mult = u.m
			break
		}
	}
	if strings.HasPrefix(lower, "0x") {
		n, err := strconv.ParseInt(lower[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		return float64(n) * mult, true
	}
	f, err := strconv.ParseFloat(lower, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	// ParseFloat accepts "inf" and "1e5"; PowerShell accepts the latter.
	if r, _ := utf8.DecodeRuneInString(lower); !unicode.IsDigit(r) && r != '-' && r != '+' && r != '.' {
		return 0, false
	}
	return f * mult, true
}

// Wildcard matches s against a -like pattern case-insensitively, with
// PowerShell's wildcard rules (see package wildcard).
func Wildcard(pattern, s string) bool { return wildcard.Match(pattern, s) }
