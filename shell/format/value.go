// Package format turns pipeline objects into text the way Windows
// PowerShell 5.1 (the Exchange Management Shell) prints them: default views
// per type name, tables with dashed headers cut with "..." to the width,
// lists of "Name : Value", and Exchange's value spellings.
//
// Formatting has two halves, as in PowerShell. A [Formatter] turns objects
// into format records ([TableStart], [TableRow], [ListEntry], ...); that is
// what Format-Table and Format-List write to the pipeline. A renderer turns
// records into lines; [Output] (Out-Default) and [Render] (Out-String,
// Out-File) use it, and accept raw objects too, formatting them with the
// default view first.
package format

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"exsh/shell/object"
)

// DefaultEnumerationLimit is $FormatEnumerationLimit's default: how many
// elements of a multivalued property are shown before "...".
const DefaultEnumerationLimit = 4

// Value renders one property value for a table cell or a list line:
// collections as "{a, b, c, d...}" with at most limit elements (a negative
// limit shows all), booleans as True/False, nil as "", dates as
// M/d/yyyy h:mm:ss tt, durations as .NET TimeSpans.
func Value(v any, limit int) string {
	if v == nil {
		return ""
	}
	if isCollection(v) {
		return collection(object.ToList(v), limit)
	}
	return scalar(v)
}

func collection(items []any, limit int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range items {
		if limit >= 0 && i >= limit {
			b.WriteString("...")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if isCollection(e) {
			// PowerShell prints nested collections by type name.
			b.WriteString(object.TypeName(e))
			continue
		}
		b.WriteString(scalar(e))
	}
	b.WriteByte('}')
	return b.String()
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format("1/2/2006 3:04:05 PM")
	case time.Duration:
		return object.FormatTimeSpan(x)
	case float64:
		return object.FormatFloat(x)
	case float32:
		return object.FormatFloat(float64(x))
	}
	return object.ToString(v)
}

// isNumeric reports whether v is a number, which tables align right.
func isNumeric(v any) bool {
	switch v.(type) {
	case nil, bool, string, time.Duration:
		return false
	case object.Decimal:
		return true
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		// fmt.Stringer numbers (enums, ByteSize) print as text: keep them left.
		_, isStringer := v.(fmt.Stringer)
		return !isStringer
	}
	return false
}

// isRightAligned reports whether a generated table (one without a view)
// right-aligns a column whose first value is v: Windows PowerShell 5.1
// right-aligns numbers, Booleans, characters and enums there.
func isRightAligned(v any) bool {
	switch x := v.(type) {
	case bool, object.Char:
		return true
	case fmt.Stringer:
		switch reflect.ValueOf(x).Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			// An enum (a value with EnumType, such as DayOfWeek);
			// ByteSize-like quantities print as text and stay left.
			_, isEnum := x.(interface{ EnumType() string })
			_, isWeekday := x.(time.Weekday)
			return isEnum || isWeekday
		}
		return false
	}
	return isNumeric(v)
}

// FormatByteSize spells a byte count as Exchange's ByteQuantifiedSize does:
// "36 MB (37,748,736 bytes)", "1.999 GB (2,146,435,072 bytes)",
// "0 B (0 bytes)". A negative count means Unlimited.
func FormatByteSize(n int64) string {
	if n < 0 {
		return "Unlimited"
	}
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	u := 0
	for u < len(units)-1 && n >= int64(1)<<(10*(u+1)) {
		u++
	}
	qty := float64(n) / float64(int64(1)<<(10*u))
	// Exchange shows at most three decimals and drops trailing zeros
	// (rounded as interp.ByteSize's String does, so both spell sizes alike).
	qty = math.Floor(qty*1000+0.5) / 1000
	num := strconv.FormatFloat(qty, 'f', -1, 64)
	return fmt.Sprintf("%s %s (%s bytes)", num, units[u], groupDigits(n))
}

// FormatTimeSpan spells a duration as .NET's TimeSpan: "00:05:00",
// "2.00:00:00", "-00:00:01.5000000".
func FormatTimeSpan(d time.Duration) string { return object.FormatTimeSpan(d) }

// FormatUnlimited spells Exchange's Unlimited<T>: "Unlimited" when the
// value is unlimited, else the value as a cell would show it.
func FormatUnlimited(v any, unlimited bool) string {
	if unlimited {
		return "Unlimited"
	}
	return Value(v, DefaultEnumerationLimit)
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// isCollection reports whether v shows as "{a, b}": arrays and slices,
// except typed lists with their own String method (flags enums such as
// AuthMechanism print as "Tls, BasicAuth").
func isCollection(v any) bool {
	if _, ok := v.(fmt.Stringer); ok {
		return false
	}
	return object.IsArray(v)
}
