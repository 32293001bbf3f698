package object

import (
	"fmt"
	"strings"
	"time"
)

// Comparer is a value, or the Base of an object, that orders itself
// against other values as a .NET IComparable does (Exchange's
// ByteQuantifiedSize against a number of bytes, Unlimited against a
// number). CompareTo fails when other cannot be converted.
type Comparer interface {
	CompareTo(other any) (int, error)
}

// comparerOf returns v's Comparer: v itself, or a PSObject's Base.
func comparerOf(v any) (Comparer, bool) {
	if o, ok := v.(*PSObject); ok {
		v = o.Base
	}
	c, ok := v.(Comparer)
	return c, ok
}

// Equal reports whether a equals b with PowerShell's -eq rules: the left
// operand's type drives the conversion of the right one, strings compare
// case-insensitively unless caseSensitive, and values that cannot be
// converted are simply not equal.
func Equal(a, b any, caseSensitive bool) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if c, ok := comparerOf(a); ok {
		if n, err := c.CompareTo(b); err == nil {
			return n == 0
		}
	}
	switch x := a.(type) {
	case string:
		s := ToString(b)
		if caseSensitive {
			return x == s
		}
		return x == s || strings.EqualFold(x, s)
	case Char:
		if IsNumber(b) {
			n, _ := ToInt(b)
			return rune(x) == rune(n)
		}
		return Equal(string(rune(x)), b, caseSensitive)
	case bool:
		return x == ToBool(b)
	case time.Time:
		t, err := Convert(b, "datetime")
		return err == nil && x.Equal(t.(time.Time))
	case time.Duration:
		d, err := Convert(b, "timespan")
		return err == nil && x == d.(time.Duration)
	case *PSObject:
		if y, ok := b.(*PSObject); ok {
			return x == y || (x.Base != nil && x.Base == y.Base)
		}
		// Objects with a string form (enums, identities) equal that string.
		if s, ok := b.(string); ok && x.Base != nil {
			if _, ok := x.Base.(fmt.Stringer); ok {
				return strings.EqualFold(x.String(), s)
			}
		}
		return false
	case *Hashtable:
		y, ok := b.(*Hashtable)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	if IsNumber(a) {
		na, _ := normNumber(a)
		nb, err := ToNumber(b)
		if err != nil {
			return false
		}
		return numCompare(na, nb) == 0
	}
	if s, ok := a.(fmt.Stringer); ok {
		if caseSensitive {
			return s.String() == ToString(b)
		}
		return strings.EqualFold(s.String(), ToString(b))
	}
	return a == b
}

// numCompare orders two numbers from normNumber/ToNumber: a Decimal
// against an integer or a Decimal compares exactly, against a double as
// doubles (PowerShell compares them so rather than cast the double).
func numCompare(a, b any) int {
	_, aDec := a.(Decimal)
	_, bDec := b.(Decimal)
	if aDec || bDec {
		_, aFloat := a.(float64)
		_, bFloat := b.(float64)
		if !aFloat && !bFloat {
			da, errA := ToDecimal(a)
			db, errB := ToDecimal(b)
			if errA == nil && errB == nil {
				return da.Cmp(db)
			}
		}
	}
	ai, aInt := a.(int)
	bi, bInt := b.(int)
	if aInt && bInt {
		switch {
		case ai < bi:
			return -1
		case ai > bi:
			return 1
		}
		return 0
	}
	af, _ := ToFloat(a)
	bf, _ := ToFloat(b)
	switch {
	case af < bf:
		return -1
	case af > bf:
		return 1
	}
	return 0
}

// CompareStrings compares two strings as PowerShell's -lt/-gt do: by
// letters ignoring case first (unless caseSensitive), then lower case
// before upper case.
func CompareStrings(a, b string, caseSensitive bool) int {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if c := strings.Compare(la, lb); c != 0 || !caseSensitive {
		return c
	}
	// Culture order puts lower case before upper case.
	return -strings.Compare(a, b)
}

// Compare orders a and b with PowerShell's -lt/-gt rules: the left
// operand's type drives the conversion; $null sorts first. It fails when
// the right operand cannot be converted.
func Compare(a, b any, caseSensitive bool) (int, error) {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0, nil
		case a == nil:
			return -1, nil
		}
		return 1, nil
	}
	if c, ok := comparerOf(a); ok {
		n, err := c.CompareTo(b)
		if err != nil {
			return 0, compareErr(a, b, err)
		}
		return n, nil
	}
	switch x := a.(type) {
	case string:
		return CompareStrings(x, ToString(b), caseSensitive), nil
	case Char:
		return CompareStrings(string(rune(x)), ToString(b), caseSensitive), nil
	case bool:
		y := ToBool(b)
		switch {
		case x == y:
			return 0, nil
		case !x:
			return -1, nil
		}
		return 1, nil
	case time.Time:
		t, err := Convert(b, "datetime")
		if err != nil {
			return 0, compareErr(a, b, err)
		}
		return x.Compare(t.(time.Time)), nil
	case time.Duration:
		t, err := Convert(b, "timespan")
		if err != nil {
			return 0, compareErr(a, b, err)
		}
		y := t.(time.Duration)
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
		return 0, nil
	}
	if IsNumber(a) {
		na, _ := normNumber(a)
		nb, err := ToNumber(b)
		if err != nil {
			return 0, compareErr(a, b, err)
		}
		return numCompare(na, nb), nil
	}
	if s, ok := a.(fmt.Stringer); ok {
		return CompareStrings(s.String(), ToString(b), caseSensitive), nil
	}
	return 0, fmt.Errorf("Cannot compare %q because it is not IComparable.", ToString(a))
}

func compareErr(a, b any, err error) error {
	return fmt.Errorf("Could not compare %q to %q. Error: %q", ToString(a), ToString(b), err.Error())
}
