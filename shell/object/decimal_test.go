package object

import (
	"errors"
	"fmt"
	"testing"
)

func dec(t *testing.T, s string) Decimal {
	t.Helper()
	d, ok := ParseDecimal(s)
	if !ok {
		t.Fatalf("ParseDecimal(%q) failed", s)
	}
	return d
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		scale    int
	}{
		{"1.50", "1.50", 2},
		{"1.5", "1.5", 1},
		{"10", "10", 0},
		{"-0.001", "-0.001", 3},
		{" +2.0 ", "2.0", 1},
		{"1,234.5", "1234.5", 1},
		{"1.5e2", "150", 0},
		{"1.50e1", "15.0", 1},
		{"1e-3", "0.001", 3},
		{".5", "0.5", 1},
		{"-0.00", "0.00", 2},
		{"79228162514264337593543950335", "79228162514264337593543950335", 0},
		// More places than fit are rounded half to even.
		{"0.00000000000000000000000000015", "0.0000000000000000000000000002", 28},
		{"0.00000000000000000000000000025", "0.0000000000000000000000000002", 28},
	} {
		d := dec(t, tc.in)
		if got := FormatDecimal(d); got != tc.want || d.Scale() != tc.scale {
			t.Errorf("ParseDecimal(%q) = %s (scale %d), want %s (scale %d)", tc.in, got, d.Scale(), tc.want, tc.scale)
		}
	}
	for _, bad := range []string{"", "abc", "1.2.3", "1x", ",5", "-", "79228162514264337593543950336", "1e"} {
		if d, ok := ParseDecimal(bad); ok {
			t.Errorf("ParseDecimal(%q) = %s, want failure", bad, FormatDecimal(d))
		}
	}
}

// TestDecimalArithmetic follows System.Decimal's scale rules.
func TestDecimalArithmetic(t *testing.T) {
	for _, tc := range []struct {
		a  string
		op byte
		b  string
		// want is the result's text; "" expects err.
		want string
		err  error
	}{
		// A sum or difference keeps the larger scale.
		{"1.5", '+', "1.25", "2.75", nil},
		{"1.50", '+', "1", "2.50", nil},
		{"1.5", '-', "1.5", "0.0", nil},
		{"0.1", '+', "0.2", "0.3", nil},
		{"1", '-', "3.00", "-2.00", nil},
		// A product adds the scales.
		{"1.50", '*', "2", "3.00", nil},
		{"0.1", '*', "0.1", "0.01", nil},
		{"-1.5", '*', "1.5", "-2.25", nil},
		// ... unless that is more than 28 places: rounded half to even.
		{"0.00000000000001", '*', "0.000000000000015", "0.0000000000000000000000000002", nil},
		{"0.00000000000001", '*', "0.000000000000025", "0.0000000000000000000000000002", nil},
		// ... or the mantissa passes 96 bits.
		{"7922816251426433759354395033.5", '*', "10", "79228162514264337593543950335", nil},
		{"79228162514264337593543950335", '*', "10", "", ErrDecimalOverflow},
		{"79228162514264337593543950335", '+', "1", "", ErrDecimalOverflow},
		// An exact quotient keeps the dividend's scale less the divisor's.
		{"1.00", '/', "1", "1.00", nil},
		{"3.00", '/', "1.5", "2.0", nil},
		{"1", '/', "1.00", "1", nil},
		{"100", '/', "0.5", "200", nil},
		// Others are computed to as many places as fit, rounded half to
		// even, without trailing zeros.
		{"10", '/', "4", "2.5", nil},
		{"1", '/', "8", "0.125", nil},
		{"1", '/', "3", "0.3333333333333333333333333333", nil},
		{"2", '/', "3", "0.6666666666666666666666666667", nil},
		{"10", '/', "3", "3.3333333333333333333333333333", nil},
		{"-1", '/', "3", "-0.3333333333333333333333333333", nil},
		{"1", '/', "0", "", ErrDivideByZero},
		{"0.0000000000000000000000000001", '/', "10", "0", nil},
		// A remainder has the dividend's sign and the larger scale.
		{"5.5", '%', "2", "1.5", nil},
		{"-5.5", '%', "2", "-1.5", nil},
		{"7", '%', "2.50", "2.00", nil},
		{"1.5", '%', "4", "1.5", nil},
		{"1", '%', "0", "", ErrDivideByZero},
	} {
		a, b := dec(t, tc.a), dec(t, tc.b)
		var r Decimal
		var err error
		switch tc.op {
		case '+':
			r, err = a.Add(b)
		case '-':
			r, err = a.Sub(b)
		case '*':
			r, err = a.Mul(b)
		case '/':
			r, err = a.Div(b)
		case '%':
			r, err = a.Mod(b)
		}
		name := fmt.Sprintf("%s %c %s", tc.a, tc.op, tc.b)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err %v, want %v", name, err, tc.err)
			}
			continue
		}
		if err != nil || FormatDecimal(r) != tc.want {
			t.Errorf("%s = %s (err %v), want %s", name, FormatDecimal(r), err, tc.want)
		}
	}
}

func TestDecimalFromFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0.1, "0.1"},
		{1.5, "1.5"},
		{2, "2"},
		{1.0 / 3, "0.333333333333333"},
		{0.1 + 0.2, "0.3"},
		{-1234.5678, "-1234.5678"},
		{1e20, "100000000000000000000"},
		{1e-30, "0"},
		{123456789.123456789, "123456789.123457"},
	} {
		d, err := DecimalFromFloat(tc.in)
		if err != nil || FormatDecimal(d) != tc.want {
			t.Errorf("DecimalFromFloat(%v) = %s (err %v), want %s", tc.in, FormatDecimal(d), err, tc.want)
		}
	}
	if _, err := DecimalFromFloat(1e30); !errors.Is(err, ErrDecimalOverflow) {
		t.Errorf("DecimalFromFloat(1e30): err %v", err)
	}
}

func TestDecimalConversions(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"1.50", "1.50"},
		{"0x10", "16"},
		{"1e3", "1000"},
		{nil, "0"},
		{true, "1"},
		{42, "42"},
		{int64(-7), "-7"},
		{0.25, "0.25"},
	} {
		d, err := ToDecimal(tc.in)
		if err != nil || FormatDecimal(d) != tc.want {
			t.Errorf("ToDecimal(%#v) = %s (err %v), want %s", tc.in, FormatDecimal(d), err, tc.want)
		}
	}
	if _, err := ToDecimal("abc"); err == nil || err.Error() != `Cannot convert value "abc" to type "System.Decimal". Error: "Input string was not in a correct format."` {
		t.Errorf("ToDecimal(abc): %v", err)
	}
	for _, tc := range []struct {
		in   string
		want int
	}{{"2.5", 2}, {"3.5", 4}, {"-2.5", -2}, {"2.51", 3}, {"1.50", 2}} {
		if got, err := ToInt(dec(t, tc.in)); err != nil || got != tc.want {
			t.Errorf("ToInt(%s) = %d (err %v), want %d", tc.in, got, err, tc.want)
		}
	}
	if f, err := ToFloat(dec(t, "1.25")); err != nil || f != 1.25 {
		t.Errorf("ToFloat(1.25) = %v, %v", f, err)
	}
	if !ToBool(dec(t, "0.01")) || ToBool(dec(t, "0.00")) {
		t.Error("ToBool of decimals")
	}
	if got := TypeName(dec(t, "1")); got != "System.Decimal" {
		t.Errorf("TypeName = %s", got)
	}
	if got := fmt.Sprint(dec(t, "-1.50")); got != "-1.50" {
		t.Errorf("fmt.Sprint = %s", got)
	}
	v, err := Convert("2.50", "decimal")
	if d, ok := v.(Decimal); err != nil || !ok || FormatDecimal(d) != "2.50" {
		t.Errorf(`Convert("2.50", "decimal") = %v, %v`, v, err)
	}
}

func TestDecimalCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b any
		want int
	}{
		{dec(t, "1.5"), dec(t, "1.50"), 0},
		{dec(t, "1.5"), 2, -1},
		{dec(t, "-1.5"), dec(t, "-1.49"), -1},
		{3, dec(t, "2.99"), 1},
		{dec(t, "0.1"), 0.1, 0},
		{dec(t, "79228162514264337593543950335"), dec(t, "79228162514264337593543950334"), 1},
		{dec(t, "1.50"), "1.5", 0},
	} {
		got, err := Compare(tc.a, tc.b, false)
		if err != nil || got != tc.want {
			t.Errorf("Compare(%v, %v) = %d (err %v), want %d", tc.a, tc.b, got, err, tc.want)
		}
		if eq := Equal(tc.a, tc.b, false); eq != (tc.want == 0) {
			t.Errorf("Equal(%v, %v) = %v", tc.a, tc.b, eq)
		}
	}
}

func TestDecimalFormat(t *testing.T) {
	for _, tc := range []struct {
		in, format, want string
	}{
		{"1.50", "", "1.50"},
		{"1234.5", "N2", "1,234.50"},
		{"1234.5", "N", "1,234.50"},
		{"1.25", "N1", "1.3"},
		{"-1.25", "N1", "-1.3"},
		{"-0.001", "N2", "0.00"},
		{"2.675", "F2", "2.68"},
		{"1.5", "F3", "1.500"},
		{"0.1234", "P1", "12.3 %"},
		{"-1234.567", "C", "($1,234.57)"},
		{"1234.567", "C0", "$1,235"},
		{"2.25", "0.0", "2.3"},
		{"1234.5", "#,##0.00", "1,234.50"},
		{"0.125", "0.00%", "12.50%"},
		{"1.50", "G", "1.50"},
		{"1.5", "D", "1.5"},
		{"1234.5", "E2", "1.23E+003"},
		{"12345678901234567890.125", "F2", "12345678901234567890.13"},
	} {
		if got := FormatValue(dec(t, tc.in), tc.format); got != tc.want {
			t.Errorf("FormatValue(%s, %q) = %q, want %q", tc.in, tc.format, got, tc.want)
		}
	}
	if got, err := FormatComposite("{0:N2} and {1}", []any{dec(t, "3.14159"), dec(t, "1.50")}); err != nil || got != "3.14 and 1.50" {
		t.Errorf("FormatComposite = %q, %v", got, err)
	}
}

func TestDecimalRound(t *testing.T) {
	for _, tc := range []struct {
		in     string
		places int
		mode   int
		want   string
	}{
		{"2.345", 2, RoundHalfEven, "2.34"},
		{"2.355", 2, RoundHalfEven, "2.36"},
		{"2.345", 2, RoundHalfAway, "2.35"},
		{"-2.345", 2, RoundHalfAway, "-2.35"},
		{"2.5", 0, RoundHalfEven, "2"},
		{"3.5", 0, RoundHalfEven, "4"},
		{"1.50", 2, RoundHalfEven, "1.50"},
		{"1.5", 3, RoundHalfEven, "1.5"},
		{"-1.2", 0, RoundFloor, "-2"},
		{"1.2", 0, RoundFloor, "1"},
		{"1.2", 0, RoundCeiling, "2"},
		{"-1.8", 0, RoundCeiling, "-1"},
		{"-1.8", 0, RoundTruncate, "-1"},
		{"7.00", 0, RoundFloor, "7"},
		{"-0.4", 0, RoundHalfEven, "0"},
	} {
		d, ok := ParseDecimal(tc.in)
		if !ok {
			t.Fatalf("parse %s", tc.in)
		}
		if got := FormatDecimal(d.Round(tc.places, tc.mode)); got != tc.want {
			t.Errorf("Round(%s, %d, %d) = %s, want %s", tc.in, tc.places, tc.mode, got, tc.want)
		}
	}
	if got := FormatDecimal(DecimalMax); got != "79228162514264337593543950335" {
		t.Errorf("DecimalMax = %s", got)
	}
}
