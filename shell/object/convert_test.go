package object

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

type enumLike int

func (e enumLike) String() string { return [...]string{"None", "Verbose"}[e] }

func TestToString(t *testing.T) {
	ts := time.Date(2026, 11, 27, 9, 30, 0, 0, time.Local)
	for _, tc := range []struct {
		in   any
		want string
	}{
		{nil, ""},
		{true, "True"},
		{false, "False"},
		{42, "42"},
		{int64(-7), "-7"},
		{uint8(200), "200"},
		{1.5, "1.5"},
		{1.0 / 3, "0.333333333333333"},
		{0.1 + 0.2, "0.3"},
		{1e20, "1E+20"},
		{1e-7, "1E-07"},
		{123456789012345.0, "123456789012345"},
		{math.Inf(1), "Infinity"},
		{math.NaN(), "NaN"},
		{"s", "s"},
		{ts, "11/27/2026 09:30:00"},
		{ts.Add(12 * time.Hour), "11/27/2026 21:30:00"},
		{90 * time.Minute, "01:30:00"},
		{50*time.Hour + 500*time.Millisecond, "2.02:00:00.5000000"},
		{-time.Minute, "-00:01:00"},
		{[]any{1, "a", nil, true}, "1 a  True"},
		{[]string{"x", "y"}, "x y"},
		{NewHashtable(), "System.Collections.Hashtable"},
		{New().Add("a", 1).Add("b", "x"), "@{a=1; b=x}"},
		{enumLike(1), "Verbose"},
		{errors.New("boom"), "boom"},
	} {
		if got := ToString(tc.in); got != tc.want {
			t.Errorf("ToString(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestToBool(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want bool
	}{
		{nil, false}, {0, false}, {1, true}, {-1, true}, {0.0, false}, {"", false}, {"0", true}, {"False", true},
		{[]any{}, false}, {[]any{0}, false}, {[]any{1}, true}, {[]any{0, 0}, true}, {[]any{[]any{}}, true},
		{NewHashtable(), true}, {New(), true}, {time.Duration(0), true}, {enumLike(0), true},
	} {
		if got := ToBool(tc.in); got != tc.want {
			t.Errorf("ToBool(%#v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestToNumber(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want any
		err  bool
	}{
		{"42", 42, false}, {" 42 ", 42, false}, {"-3", -3, false}, {"1.5", 1.5, false}, {"0x10", 16, false},
		{"1kb", 1024, false}, {"36MB", 37748736, false}, {"1e3", 1000.0, false}, {"", 0, false}, {nil, 0, false},
		{true, 1, false}, {"abc", nil, true}, {"1,000", 1000.0, false}, {uint16(9), 9, false}, {int64(5), 5, false},
	} {
		got, err := ToNumber(tc.in)
		if (err != nil) != tc.err || !tc.err && got != tc.want {
			t.Errorf("ToNumber(%#v) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ToInt("abc"); err == nil || err.Error() != `Cannot convert value "abc" to type "System.Int32". Error: "Input string was not in a correct format."` {
		t.Errorf("ToInt error = %v", err)
	}
	for in, want := range map[float64]int{2.5: 2, 3.5: 4, -2.5: -2, 2.6: 3} {
		if got, _ := ToInt(in); got != want {
			t.Errorf("ToInt(%v) = %d, want %d", in, got, want)
		}
	}
}

func TestEqualAndCompare(t *testing.T) {
	o := New()
	for _, tc := range []struct {
		a, b any
		cs   bool
		want bool
	}{
		{1, 1, false, true}, {1, "1", false, true}, {"1", 1, false, true}, {"a", "A", false, true}, {"a", "A", true, false},
		{1, 1.0, false, true}, {1, "x", false, false}, {nil, nil, false, true}, {nil, 0, false, false}, {0, nil, false, false},
		{true, "false", false, true}, {false, "", false, true}, {"True", true, false, true}, {o, o, false, true}, {o, New(), false, false},
		{enumLike(1), "verbose", false, true}, {time.Date(2026, 1, 2, 0, 0, 0, 0, time.Local), "1/2/2026", false, true},
		{time.Minute, "00:01:00", false, true},
	} {
		if got := Equal(tc.a, tc.b, tc.cs); got != tc.want {
			t.Errorf("Equal(%#v, %#v, %v) = %v", tc.a, tc.b, tc.cs, got)
		}
	}
	for _, tc := range []struct {
		a, b any
		want int
	}{
		{1, 2, -1}, {"10", 9, -1}, {10, "9", 1}, {"a", "B", -1}, {nil, 1, -1}, {1, nil, 1}, {2.5, 2, 1},
		{time.Hour, time.Minute, 1}, {"abc", "abc", 0}, {false, true, -1},
	} {
		got, err := Compare(tc.a, tc.b, false)
		if err != nil || got != tc.want {
			t.Errorf("Compare(%#v, %#v) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
	if _, err := Compare(1, "abc", false); err == nil {
		t.Error("Compare(1, abc) should fail")
	}
}

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		in   any
		typ  string
		want string // ToString of the result, or "error"
	}{
		{"42", "int", "42"}, {"42", "System.Int32", "42"}, {2.5, "[int]"[1:4], "2"}, {"7", "long", "7"}, {"1.25", "double", "1.25"},
		{5, "string", "5"}, {nil, "string", ""}, {"", "bool", "False"}, {"x", "bool", "True"}, {"abc", "int", "error"},
		{"2026-11-27 09:30", "datetime", "11/27/2026 09:30:00"}, {"11/27/2026", "datetime", "11/27/2026 00:00:00"},
		{"2.00:00:00", "timespan", "2.00:00:00"}, {"00:05:00", "timespan", "00:05:00"}, {"30", "timespan", "30.00:00:00"},
		{"bad", "timespan", "error"}, {5, "array", "5"}, {[]any{1, "2"}, "int[]", "1 2"}, {[]any{1, 2}, "string[]", "1 2"},
		{65, "char", "A"}, {"10.0.0.1", "ipaddress", "10.0.0.1"}, {"x", "nosuchtype", "error"}, {[]any{"9"}, "int", "9"},
	} {
		got, err := Convert(tc.in, tc.typ)
		s := ToString(got)
		if err != nil {
			s = "error"
		}
		if s != tc.want {
			t.Errorf("Convert(%#v, %s) = %q (%v), want %q", tc.in, tc.typ, s, err, tc.want)
		}
	}
	h := NewHashtable()
	h.Set("b", 2)
	h.Set("a", 1)
	o, _ := Convert(h, "pscustomobject")
	if ToString(o) != "@{b=2; a=1}" {
		t.Errorf("hashtable to pscustomobject = %s", ToString(o))
	}
}

func TestListRules(t *testing.T) {
	if !IsArray([]any{}) || !IsArray([]string{"a"}) || IsArray("abc") || IsArray(NewHashtable()) || IsArray(New()) || IsArray(nil) {
		t.Error("IsArray rules")
	}
	if l := ToList(nil); len(l) != 0 {
		t.Error("ToList(nil) should be empty")
	}
	if l := ToList("abc"); len(l) != 1 {
		t.Error("strings do not enumerate")
	}
	if l := ToList([]int{1, 2, 3}); len(l) != 3 || l[2] != 3 {
		t.Errorf("ToList([]int) = %v", l)
	}
}

func TestFormat(t *testing.T) {
	d := time.Date(2026, 11, 27, 21, 5, 9, 123400000, time.Local)
	for _, tc := range []struct {
		v      any
		format string
		want   string
	}{
		{1234.567, "N2", "1,234.57"}, {1234567, "N0", "1,234,567"}, {-1234.5, "N1", "-1,234.5"}, {2.5, "F3", "2.500"},
		{42, "D5", "00042"}, {255, "X4", "00FF"}, {0.256, "P1", "25.6 %"}, {1234.5, "C", "$1,234.50"}, {3.14159, "0.00", "3.14"},
		{1234567, "#,##0", "1,234,567"}, {5, "000", "005"}, {1.5, "0.##", "1.5"}, {12345.678, "E2", "1.23E+004"},
		{d, "yyyy-MM-dd HH:mm:ss", "2026-11-27 21:05:09"}, {d, "d", "11/27/2026"}, {d, "D", "Friday, November 27, 2026"},
		{d, "t", "9:05 PM"}, {d, "MMM d, yy", "Nov 27, 26"}, {d, "HH:mm:ss.fff", "21:05:09.123"}, {d, "s", "2026-11-27T21:05:09"},
		{d, "'Day' d", "Day 27"}, {90 * time.Minute, "hh\\:mm", "01:30"}, {90 * time.Minute, "c", "01:30:00"},
	} {
		if got := FormatValue(tc.v, tc.format); got != tc.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tc.v, tc.format, got, tc.want)
		}
	}
	for _, tc := range []struct {
		format string
		args   []any
		want   string
	}{
		{"{0} and {1}", []any{1, "b"}, "1 and b"}, {"[{0,4}|{0,-4}]", []any{7}, "[   7|7   ]"}, {"{{x}}", nil, "{x}"},
		{"{0:N1}%", []any{12.34}, "12.3%"},
	} {
		got, err := FormatComposite(tc.format, tc.args)
		if err != nil || got != tc.want {
			t.Errorf("FormatComposite(%q) = %q, %v; want %q", tc.format, got, err, tc.want)
		}
	}
	if _, err := FormatComposite("{1}", []any{1}); err == nil {
		t.Error("index out of range should fail")
	}
}

type inner struct{ Port int }

type record struct {
	Name     string
	Bindings []string
	Enabled  bool
	Level    enumLike
	Size     int64
	Nested   inner
	Ptr      *inner
	//lint:ignore U1000 an unexported field, which conversion must skip
	hidden  string
	Skip    string `ps:"-"`
	Renamed string `ps:"Identity"`
	embedded
}

type embedded struct{ Extra string }

func TestFromStruct(t *testing.T) {
	r := &record{Name: "Relay", Bindings: []string{"0.0.0.0:25"}, Enabled: true, Level: 1, Size: 10, Nested: inner{25}, Renamed: "EX01\\Relay", embedded: embedded{Extra: "e"}}
	o := FromStruct([]string{"Test.Record"}, r)
	var names []string
	for _, p := range o.Properties() {
		names = append(names, p.Name)
	}
	if got := fmt.Sprint(names); got != "[Name Bindings Enabled Level Size Nested Ptr Identity Extra]" {
		t.Errorf("properties = %s", got)
	}
	if v, _ := o.Get("bindings"); ToString(v) != "0.0.0.0:25" {
		t.Errorf("Bindings = %#v", v)
	}
	if v, _ := o.Get("Size"); v != 10 {
		t.Errorf("Size = %#v (int64 becomes int)", v)
	}
	if v, _ := o.Get("Level"); v != enumLike(1) {
		t.Errorf("Level = %#v (named types are kept)", v)
	}
	if v, _ := o.Get("Nested"); v != (inner{25}) {
		t.Errorf("Nested = %#v", v)
	}
	if v, ok := o.Get("Ptr"); !ok || v != nil {
		t.Errorf("nil pointer = %#v", v)
	}
	if o.Base != r || o.TypeName() != "Test.Record" {
		t.Error("Base/TypeNames not set")
	}
	if FromStruct(nil, (*record)(nil)) != nil {
		t.Error("nil pointer should give nil")
	}
}
