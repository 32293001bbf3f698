package object

import (
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// registeredNames maps Go types to the .NET names RegisterTypeName gave.
var registeredNames sync.Map

// RegisterTypeName makes TypeName report name for values of the Go type t
// (its exact dynamic type), for types it does not know itself: a value
// type another package hands to the shell, such as an Exchange
// ByteQuantifiedSize. shell/interp's type registry calls it.
func RegisterTypeName(t reflect.Type, name string) { registeredNames.Store(t, name) }

// TypeName returns the .NET full type name PowerShell would report for v
// (GetType().FullName), e.g. "System.Int32", "System.Object[]".
func TypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return "System.String"
	case bool:
		return "System.Boolean"
	case int:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return "System.Int32"
		}
		return "System.Int64"
	case int64:
		return "System.Int64"
	case float64, float32:
		return "System.Double"
	case time.Time:
		return "System.DateTime"
	case time.Duration:
		return "System.TimeSpan"
	case []any:
		if et := ElementType(x); et != "" {
			return et + "[]"
		}
		return "System.Object[]"
	case Decimal:
		return "System.Decimal"
	case []string:
		return "System.String[]"
	case *Hashtable:
		if x.Ordered {
			return "System.Collections.Specialized.OrderedDictionary"
		}
		return "System.Collections.Hashtable"
	case *PSObject:
		return x.TypeName()
	case Char:
		return "System.Char"
	case *regexp.Regexp:
		return "System.Text.RegularExpressions.Regex"
	case netip.Addr:
		return "System.Net.IPAddress"
	case error:
		return "System.Exception"
	}
	if n, ok := registeredNames.Load(reflect.TypeOf(v)); ok {
		return n.(string)
	}
	if e, ok := v.(interface{ EnumType() string }); ok {
		return e.EnumType()
	}
	if n, ok := v.(interface{ DotNetTypeName() string }); ok {
		return n.DotNetTypeName()
	}
	if IsNumber(v) {
		return "System.Int32"
	}
	// Any other Go value: the .NET type its kind would be. A Go type
	// name is never shown to a user.
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "System.Byte[]"
		}
		return "System.Object[]"
	case reflect.String:
		return "System.String"
	case reflect.Bool:
		return "System.Boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return "System.Int32"
	case reflect.Int64, reflect.Uint64:
		return "System.Int64"
	case reflect.Float32, reflect.Float64:
		return "System.Double"
	case reflect.Map:
		return "System.Collections.Hashtable"
	}
	return "System.Object"
}

// ShortTypeName returns the part of TypeName after the last dot
// (GetType().Name).
func ShortTypeName(v any) string {
	n := TypeName(v)
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		return n[i+1:]
	}
	return n
}

// typeAliases maps the lower-case names PowerShell accepts in casts to the
// canonical names Convert switches on.
var typeAliases = map[string]string{
	"int": "int", "int32": "int", "system.int32": "int", "byte": "int", "int16": "int", "uint16": "int", "uint32": "int", "short": "int", "uint": "int", "sbyte": "int",
	"long": "long", "int64": "long", "system.int64": "long", "uint64": "long", "ulong": "long",
	"double": "double", "system.double": "double", "float": "double", "single": "double", "decimal": "decimal", "system.decimal": "decimal",
	"string": "string", "system.string": "string",
	"bool": "bool", "boolean": "bool", "system.boolean": "bool", "switch": "bool",
	"datetime": "datetime", "system.datetime": "datetime",
	"timespan": "timespan", "system.timespan": "timespan",
	"array": "array", "object[]": "array", "system.object[]": "array", "system.array": "array",
	"string[]": "string[]", "system.string[]": "string[]",
	"int[]": "int[]", "int32[]": "int[]", "system.int32[]": "int[]",
	"long[]": "long[]", "int64[]": "long[]", "system.int64[]": "long[]",
	"double[]": "double[]", "system.double[]": "double[]",
	"decimal[]": "decimal[]", "system.decimal[]": "decimal[]",
	"bool[]": "bool[]", "boolean[]": "bool[]", "system.boolean[]": "bool[]",
	"datetime[]": "datetime[]", "system.datetime[]": "datetime[]",
	"hashtable": "hashtable", "system.collections.hashtable": "hashtable", "ordered": "hashtable",
	"pscustomobject": "pscustomobject", "psobject": "pscustomobject", "system.management.automation.pscustomobject": "pscustomobject",
	"regex": "regex", "system.text.regularexpressions.regex": "regex",
	"char": "char", "system.char": "char", "char[]": "char[]", "system.char[]": "char[]",
	"ipaddress": "ipaddress", "system.net.ipaddress": "ipaddress",
	"object": "object", "system.object": "object",
	"void":        "void",
	"scriptblock": "scriptblock",
}

// CanonicalType returns Convert's canonical name for a PowerShell type name
// (case-insensitive, with or without "System."), or "" when unknown.
func CanonicalType(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if c, ok := typeAliases[n]; ok {
		return c
	}
	if c, ok := typeAliases["system."+n]; ok {
		return c
	}
	return ""
}

// CanonicalTypeName is the .NET full name of a canonical type name ("int"
// gives "System.Int32").
func CanonicalTypeName(canonical string) string { return dotNetName(canonical) }

// dotNetName is the type name used in conversion error messages.
func dotNetName(canonical string) string {
	switch canonical {
	case "int":
		return "System.Int32"
	case "long":
		return "System.Int64"
	case "double":
		return "System.Double"
	case "decimal":
		return "System.Decimal"
	case "string":
		return "System.String"
	case "bool":
		return "System.Boolean"
	case "datetime":
		return "System.DateTime"
	case "timespan":
		return "System.TimeSpan"
	case "hashtable":
		return "System.Collections.Hashtable"
	case "regex":
		return "System.Text.RegularExpressions.Regex"
	case "char":
		return "System.Char"
	case "ipaddress":
		return "System.Net.IPAddress"
	}
	return canonical
}

// Convert casts v to the named type as PowerShell's [type] cast does.
// Known names: int, long, double, string, bool, datetime, timespan,
// array/object[], string[], int[], hashtable, pscustomobject, regex, char,
// ipaddress, object, void.
func Convert(v any, typeName string) (any, error) {
	t := CanonicalType(typeName)
	switch t {
	case "":
		return nil, fmt.Errorf("Unable to find type [%s].", typeName)
	case "object":
		return v, nil
	case "void":
		return nil, nil
	case "array":
		if v == nil {
			return []any{}, nil
		}
		return append([]any(nil), ToList(v)...), nil
	case "char[]":
		if s, ok := v.(string); ok {
			out := []any{}
			for _, r := range s {
				out = append(out, Char(r))
			}
			return out, nil
		}
		list := ToList(v)
		out := make([]any, len(list))
		for i, e := range list {
			c, err := Convert(e, "char")
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case "string[]", "int[]", "long[]", "double[]", "decimal[]", "bool[]", "datetime[]":
		elem := strings.TrimSuffix(t, "[]")
		if v == nil {
			return nil, nil
		}
		list := ToList(v)
		out := make([]any, len(list))
		for i, e := range list {
			c, err := Convert(e, elem)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return MarkTyped(out, dotNetName(elem)), nil
	}
	if l, ok := v.([]any); ok && t != "string" && t != "bool" {
		// A one-element array converts as its element.
		if len(l) == 1 {
			return Convert(l[0], typeName)
		}
		return nil, &ConversionError{Value: v, Type: dotNetName(t), Reason: "Specified cast is not valid."}
	}
	switch t {
	case "int", "long":
		if v == nil {
			if t == "long" {
				return int64(0), nil
			}
			return 0, nil
		}
		if d, ok := v.(time.Duration); ok {
			return int(d / 100), nil
		}
		if tm, ok := v.(time.Time); ok {
			return nil, &ConversionError{Value: tm, Type: dotNetName(t), Reason: "Invalid cast from 'DateTime' to 'Int32'."}
		}
		i, err := ToInt(v)
		if err != nil {
			if ce, ok := err.(*ConversionError); ok {
				ce.Type = dotNetName(t)
			}
			return nil, err
		}
		if t == "long" {
			return int64(i), nil
		}
		return i, nil
	case "double":
		if v == nil {
			return 0.0, nil
		}
		return ToFloat(v)
	case "decimal":
		d, err := ToDecimal(v)
		if err != nil {
			return nil, err
		}
		return d, nil
	case "string":
		if v == nil {
			return "", nil
		}
		return ToString(v), nil
	case "bool":
		return ToBool(v), nil
	case "char":
		switch x := v.(type) {
		case Char:
			return x, nil
		case string:
			if r := []rune(x); len(r) == 1 {
				return Char(r[0]), nil
			}
			return nil, &ConversionError{Value: v, Type: "System.Char", Reason: "String must be exactly one character long."}
		}
		i, err := ToInt(v)
		if err != nil {
			return nil, &ConversionError{Value: v, Type: "System.Char"}
		}
		return Char(rune(i)), nil
	case "datetime":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			tm, err := ParseDate(x)
			if err != nil {
				return nil, &ConversionError{Value: v, Type: "System.DateTime", Reason: "String was not recognized as a valid DateTime."}
			}
			return tm, nil
		case nil:
			return time.Time{}, nil
		}
		if IsNumber(v) {
			ticks, _ := ToInt64(v)
			return time.Date(1, 1, 1, 0, 0, 0, 0, time.Local).Add(time.Duration(ticks) * 100), nil
		}
		return nil, &ConversionError{Value: v, Type: "System.DateTime"}
	case "timespan":
		switch x := v.(type) {
		case time.Duration:
			return x, nil
		case string:
			d, err := ParseTimeSpan(x)
			if err != nil {
				return nil, &ConversionError{Value: v, Type: "System.TimeSpan", Reason: "String was not recognized as a valid TimeSpan."}
			}
			return d, nil
		case nil:
			return time.Duration(0), nil
		}
		if IsNumber(v) {
			ticks, _ := ToInt64(v)
			return time.Duration(ticks) * 100, nil
		}
		return nil, &ConversionError{Value: v, Type: "System.TimeSpan"}
	case "hashtable":
		switch x := v.(type) {
		case *Hashtable:
			if strings.EqualFold(strings.TrimSpace(typeName), "ordered") && !x.Ordered {
				c := NewHashtable()
				c.Ordered = true
				for _, k := range x.Keys() {
					val, _ := x.Get(k)
					c.Set(k, val)
				}
				return c, nil
			}
			return x, nil
		case *PSObject:
			h := NewHashtable()
			for _, p := range x.Properties() {
				h.Set(p.Name, p.Value)
			}
			return h, nil
		}
		return nil, &ConversionError{Value: v, Type: "System.Collections.Hashtable"}
	case "pscustomobject":
		switch x := v.(type) {
		case *Hashtable:
			o := New()
			for _, k := range x.Keys() {
				val, _ := x.Get(k)
				o.Add(ToString(k), val)
			}
			return o, nil
		}
		return v, nil
	case "regex":
		re, err := CompileRegex(ToString(v), false)
		if err != nil {
			return nil, err
		}
		return re, nil
	case "ipaddress":
		a, err := netip.ParseAddr(strings.TrimSpace(ToString(v)))
		if err != nil {
			return nil, &ConversionError{Value: v, Type: "System.Net.IPAddress", Reason: "An invalid IP address was specified."}
		}
		return a, nil
	case "scriptblock":
		return v, nil
	}
	return nil, fmt.Errorf("Unable to find type [%s].", typeName)
}

// CompileRegex compiles a .NET regular expression with Go's RE2 engine,
// case-insensitively unless caseSensitive. Named groups (?<name>...) are
// accepted.
func CompileRegex(pattern string, caseSensitive bool) (*regexp.Regexp, error) {
	p := strings.ReplaceAll(pattern, "(?<", "(?P<")
	// (?P<= and (?P<! would be lookbehinds, which RE2 lacks; restore them
	// so the error names the construct.
	p = strings.ReplaceAll(p, "(?P<=", "(?<=")
	p = strings.ReplaceAll(p, "(?P<!", "(?<!")
	if !caseSensitive {
		p = "(?i)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("Invalid regular expression pattern: %s.", pattern)
	}
	return re, nil
}

var dateLayouts = []string{
	"1/2/2006 3:04:05 PM", "1/2/2006 3:04 PM", "1/2/2006 15:04:05", "1/2/2006 15:04", "1/2/2006",
	"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
	"2006/01/02 15:04:05", "2006/01/02", "January 2, 2006", "January 2 2006", "2 January 2006", "Jan 2, 2006", "Monday, January 2, 2006 3:04:05 PM",
	"Monday, January 2, 2006", "15:04:05", "15:04", "3:04 PM", "3:04:05 PM",
}

var zonedLayouts = []string{time.RFC3339Nano, time.RFC3339, time.RFC1123, time.RFC1123Z, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z"}

// ParseDate parses a date the way a [datetime] cast does (invariant
// culture: month first), in local time unless the text has a zone.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if strings.HasSuffix(l, "Z") {
				return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).Local(), nil
			}
			return t.Local(), nil
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			if strings.HasPrefix(l, "15") || strings.HasPrefix(l, "3:") {
				now := time.Now()
				t = time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.Local)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("String was not recognized as a valid DateTime.")
}

// ParseTimeSpan parses .NET's TimeSpan text: "[-][d.]hh:mm[:ss[.fffffff]]"
// or a whole number of days ("30").
func ParseTimeSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("String was not recognized as a valid TimeSpan.")
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if s == "" {
		return 0, bad
	}
	var days, h, m, sec int64
	var frac time.Duration
	parts := strings.Split(s, ":")
	first := parts[0]
	if len(parts) == 1 {
		d, err := strconv.ParseInt(first, 10, 64)
		if err != nil {
			return 0, bad
		}
		days = d
	} else {
		if i := strings.IndexByte(first, '.'); i >= 0 {
			d, err := strconv.ParseInt(first[:i], 10, 64)
			if err != nil {
				return 0, bad
			}
			days, first = d, first[i+1:]
		}
		var err error
		if h, err = strconv.ParseInt(first, 10, 64); err != nil || h > 23 {
			return 0, bad
		}
		if m, err = strconv.ParseInt(parts[1], 10, 64); err != nil || m > 59 {
			return 0, bad
		}
		if len(parts) >= 3 {
			secPart := parts[2]
			if i := strings.IndexByte(secPart, '.'); i >= 0 {
				f := secPart[i+1:]
				if f == "" || len(f) > 7 {
					return 0, bad
				}
				n, err := strconv.ParseInt(f+strings.Repeat("0", 7-len(f)), 10, 64)
				if err != nil {
					return 0, bad
				}
				frac = time.Duration(n) * 100
				secPart = secPart[:i]
			}
			if sec, err = strconv.ParseInt(secPart, 10, 64); err != nil || sec > 59 {
				return 0, bad
			}
		}
		if len(parts) > 3 {
			return 0, bad
		}
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + frac
	if neg {
		d = -d
	}
	return d, nil
}
