package object

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ToString converts v to a string as PowerShell's string conversion (and
// string expansion) does: $null is "", booleans are "True"/"False", arrays
// are joined with a space, dates use the en-US general format.
func ToString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return FormatFloat(x)
	case Decimal:
		return FormatDecimal(x)
	case float32:
		return FormatFloat(float64(x))
	case time.Time:
		// String conversion uses the invariant culture, as "$date" does.
		return FormatDate(x, "MM/dd/yyyy HH:mm:ss")
	case time.Duration:
		return FormatTimeSpan(x)
	case Char:
		return string(rune(x))
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = elementString(e)
		}
		return strings.Join(parts, " ")
	case *Hashtable:
		return "System.Collections.Hashtable"
	case *PSObject:
		return x.String()
	case fmt.Stringer:
		return x.String()
	case error:
		return x.Error()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return FormatFloat(rv.Float())
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return ToString(rv.Bool())
	case reflect.Slice, reflect.Array:
		return ToString(ToList(v))
	case reflect.Pointer:
		if rv.IsNil() {
			return ""
		}
	}
	return fmt.Sprint(v)
}

// elementString converts an array element when its array is converted:
// a nested array shows its type name, as .NET's ToString does.
func elementString(e any) string {
	if IsArray(e) {
		return TypeName(e)
	}
	return ToString(e)
}

// String returns what PowerShell shows for the object in a string: the
// Base value's String method when it has one, else "@{Name=value; ...}".
func (o *PSObject) String() string {
	if o == nil {
		return ""
	}
	if o.StringProperty != "" {
		if v, ok := o.Get(o.StringProperty); ok {
			return ToString(v)
		}
	}
	if s, ok := o.Base.(fmt.Stringer); ok {
		return s.String()
	}
	var b strings.Builder
	b.WriteString("@{")
	for i, p := range o.props {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(ToString(p.Value))
	}
	b.WriteByte('}')
	return b.String()
}

// FormatFloat formats a double as Windows PowerShell does (15 significant
// digits, "E+XX" exponents, "Infinity", "NaN").
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'g', 15, 64)
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		s = s[:i] + "E" + s[i+1:]
	}
	return s
}

// FormatTimeSpan formats a duration as .NET's TimeSpan: [-][d.]hh:mm:ss[.fffffff].
func FormatTimeSpan(d time.Duration) string {
	var b strings.Builder
	ticks := int64(d / 100)
	if ticks < 0 {
		b.WriteByte('-')
		ticks = -ticks
	}
	const tps = 10_000_000
	days := ticks / (tps * 86400)
	rem := ticks % (tps * 86400)
	h := rem / (tps * 3600)
	rem %= tps * 3600
	m := rem / (tps * 60)
	rem %= tps * 60
	s := rem / tps
	frac := rem % tps
	if days > 0 {
		fmt.Fprintf(&b, "%d.", days)
	}
	fmt.Fprintf(&b, "%02d:%02d:%02d", h, m, s)
	if frac > 0 {
		fmt.Fprintf(&b, ".%07d", frac)
	}
	return b.String()
}

// Char is a [char]: one UTF-16 code unit, shown as the character.
type Char rune

func (c Char) String() string { return string(rune(c)) }

// ToBool converts v with PowerShell's truthiness rules: $null, 0, "" and
// empty arrays are false; a one-element array is its element's truth;
// every other object is true.
func ToBool(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case int:
		return x != 0
	case int64:
		return x != 0
	case float64:
		return x != 0
	case Decimal:
		return !x.IsZero()
	case []any:
		switch len(x) {
		case 0:
			return false
		case 1:
			if _, ok := x[0].([]any); ok {
				return true
			}
			return ToBool(x[0])
		}
		return true
	case time.Duration:
		return true
	case fmt.Stringer:
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() != 0
	case reflect.String:
		return rv.String() != ""
	case reflect.Bool:
		return rv.Bool()
	case reflect.Slice, reflect.Array:
		return ToBool(ToList(v))
	case reflect.Pointer, reflect.Map, reflect.Interface:
		return !rv.IsNil()
	}
	return true
}

// IsNumber reports whether v is a numeric value (int, int64, float64,
// Decimal or another Go number kind).
func IsNumber(v any) bool {
	switch v.(type) {
	case int, int64, float64, Decimal:
		return true
	case nil, string, bool, time.Duration, Char:
		return false
	case fmt.Stringer:
		return false
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// normNumber maps Go's numeric kinds to int, int64 or float64; a Decimal
// stays a Decimal.
func normNumber(v any) (any, bool) {
	switch x := v.(type) {
	case int, float64, Decimal:
		return x, true
	case int64:
		if x >= math.MinInt && x <= math.MaxInt {
			return int(x), true
		}
		return x, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return float64(u), true
		}
		return int(u), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return nil, false
}

// ConversionError is the error of a failed conversion, worded as
// PowerShell's: Cannot convert value "x" to type "System.Int32". Error: "...".
type ConversionError struct {
	Value  any
	Type   string // .NET type name, e.g. "System.Int32"
	Reason string
}

func (e *ConversionError) Error() string {
	if e.Value == nil {
		return fmt.Sprintf("Cannot convert null to type %q.", e.Type)
	}
	if e.Reason == "" {
		return fmt.Sprintf("Cannot convert value %q to type %q.", ToString(e.Value), e.Type)
	}
	return fmt.Sprintf("Cannot convert value %q to type %q. Error: %q", ToString(e.Value), e.Type, e.Reason)
}

const badFormat = "Input string was not in a correct format."

// ParseNumber parses a number the way PowerShell converts strings to
// numbers: surrounding white space is ignored, "0x" hex, exponents, a
// kb/mb/gb/tb/pb multiplier and an l/d type suffix are accepted, and the
// empty string is 0. The result is an int or a float64.
func ParseNumber(s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	if s == "" {
		return nil, false
	}
	mult := int64(1)
	low := strings.ToLower(s)
	for i, suf := range []string{"kb", "mb", "gb", "tb", "pb"} {
		if strings.HasSuffix(low, suf) && len(low) > 2 {
			mult = int64(1) << (10 * (i + 1))
			low = low[:len(low)-2]
			break
		}
	}
	isHex := strings.HasPrefix(low, "0x")
	if !isHex && (strings.HasSuffix(low, "l") || strings.HasSuffix(low, "d")) && len(low) > 1 {
		low = low[:len(low)-1]
	}
	var n any
	if isHex {
		u, err := strconv.ParseUint(low[2:], 16, 64)
		if err != nil || low[2:] == "" {
			return nil, false
		}
		// Hex literals that fit 32 bits are Int32 bit patterns.
		switch {
		case u <= math.MaxUint32 && u > math.MaxInt32:
			n = int(int32(uint32(u)))
		default:
			n = int(int64(u))
		}
	} else if i, err := strconv.ParseInt(low, 10, 64); err == nil {
		n = int(i)
	} else {
		for _, c := range low {
			if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == '-' || c == '+' || c == ',') {
				return nil, false
			}
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(low, ",", ""), 64)
		if err != nil {
			return nil, false
		}
		n = f
	}
	switch x := n.(type) {
	case int:
		if mult != 1 {
			x *= int(mult)
		}
		if neg {
			x = -x
		}
		return x, true
	case float64:
		x *= float64(mult)
		if neg {
			x = -x
		}
		return x, true
	}
	return nil, false
}

// ToNumber converts v to an int or float64 with PowerShell's rules: $null
// is 0, booleans are 0/1, strings are parsed (see ParseNumber). A Decimal
// stays a Decimal.
func ToNumber(v any) (any, error) {
	if n, ok := normNumber(v); ok {
		return n, nil
	}
	switch x := v.(type) {
	case nil:
		return 0, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		if n, ok := ParseNumber(x); ok {
			return n, nil
		}
		return nil, &ConversionError{Value: x, Type: "System.Int32", Reason: badFormat}
	case time.Duration:
		return int(x / 100), nil
	case Char:
		return int(x), nil
	case []any:
		if len(x) == 1 {
			return ToNumber(x[0])
		}
	case fmt.Stringer:
		if n, ok := ParseNumber(x.String()); ok {
			return n, nil
		}
	}
	return nil, &ConversionError{Value: v, Type: "System.Int32"}
}

// ToInt converts v to an int; fractions round half to even, as [int] does.
func ToInt(v any) (int, error) {
	n, err := ToNumber(v)
	if err != nil {
		if ce, ok := err.(*ConversionError); ok {
			ce.Type = "System.Int32"
		}
		return 0, err
	}
	switch x := n.(type) {
	case int:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x > math.MaxInt64 || x < math.MinInt64 {
			return 0, &ConversionError{Value: v, Type: "System.Int32", Reason: "Value was either too large or too small for an Int32."}
		}
		return int(math.RoundToEven(x)), nil
	case Decimal:
		i, ok := x.RoundToInt()
		if !ok {
			return 0, &ConversionError{Value: v, Type: "System.Int32", Reason: "Value was either too large or too small for an Int32."}
		}
		return int(i), nil
	}
	return 0, &ConversionError{Value: v, Type: "System.Int32"}
}

// ToInt64 converts v to an int64.
func ToInt64(v any) (int64, error) {
	i, err := ToInt(v)
	if ce, ok := err.(*ConversionError); ok {
		ce.Type = "System.Int64"
	}
	return int64(i), err
}

// ToFloat converts v to a float64.
func ToFloat(v any) (float64, error) {
	n, err := ToNumber(v)
	if err != nil {
		if ce, ok := err.(*ConversionError); ok {
			ce.Type = "System.Double"
		}
		return 0, err
	}
	switch x := n.(type) {
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	case Decimal:
		return x.Float64(), nil
	}
	return 0, &ConversionError{Value: v, Type: "System.Double"}
}

// IsArray reports whether v enumerates in a pipeline: slices and arrays do;
// strings, hashtables and objects do not.
func IsArray(v any) bool {
	switch v.(type) {
	case []any:
		return true
	case nil, string, *Hashtable, *PSObject, []byte:
		return false
	}
	k := reflect.ValueOf(v).Kind()
	return k == reflect.Slice || k == reflect.Array
}

// ToList returns the elements v enumerates to: the elements of an array,
// nothing for $null, else v itself as a one-element list.
func ToList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	if !IsArray(v) {
		return []any{v}
	}
	rv := reflect.ValueOf(v)
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out
}
