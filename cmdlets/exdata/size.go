package exdata

import (
	"fmt"
	"strings"

	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// Type names of the size types.
const (
	ByteQuantifiedSizeType = "Microsoft.Exchange.Data.ByteQuantifiedSize"
	// UnlimitedByteSizeType is Unlimited<ByteQuantifiedSize>'s full name.
	UnlimitedByteSizeType = "Microsoft.Exchange.Data.Unlimited`1[[Microsoft.Exchange.Data.ByteQuantifiedSize, Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]"
	// UnlimitedIntType is Unlimited<int>'s full name.
	UnlimitedIntType = "Microsoft.Exchange.Data.Unlimited`1[[System.Int32, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]"
)

// byteSize is a ByteQuantifiedSize: a number of bytes.
type byteSize int64

func (b byteSize) String() string { return state.ByteSize(b).String() }

var byteSizeMethods = []Method{
	{"CompareTo", "int CompareTo(Microsoft.Exchange.Data.ByteQuantifiedSize other), int IComparable.CompareTo(System.Object other)"},
	{"RoundUpToUnit", "ulong RoundUpToUnit(Microsoft.Exchange.Data.ByteQuantifiedSize+Quantifier quantifier)"},
	{"ToBytes", "ulong ToBytes()"},
	{"ToGB", "ulong ToGB()"},
	{"ToKB", "ulong ToKB()"},
	{"ToMB", "ulong ToMB()"},
	{"ToTB", "ulong ToTB()"},
}

func (byteSize) Methods() []Method { return byteSizeMethods }

// HasMethod reports whether a ByteQuantifiedSize has the method name.
func (byteSize) HasMethod(name string) bool { return hasMethod(byteSizeMethods, name) }

// units are the units of ToBytes(), ToKB() and their kin.
var units = map[string]int64{"bytes": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}

// quantifiers are ByteQuantifiedSize.Quantifier's members, RoundUpToUnit's
// argument.
var quantifiers = map[string]int64{"none": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}

// CallMethod implements ToBytes(), ToKB(), ToMB(), ToGB(), ToTB() (whole
// units, rounded down, as Exchange's do), RoundUpToUnit(unit) and
// CompareTo(other).
func (b byteSize) CallMethod(name string, args []any) (any, bool, error) {
	ln := strings.ToLower(name)
	if u, ok := units[strings.TrimPrefix(ln, "to")]; ok && strings.HasPrefix(ln, "to") {
		if len(args) != 0 {
			return nil, true, argCount(name, len(args))
		}
		return int64(b) / u, true, nil
	}
	switch ln {
	case "rounduptounit":
		if len(args) != 1 {
			return nil, true, argCount(name, len(args))
		}
		q := strings.ToLower(strings.TrimSpace(object.ToString(args[0])))
		u, ok := quantifiers[q]
		if !ok {
			return nil, true, fmt.Errorf("Cannot convert argument \"quantifier\", with value: %q, for \"RoundUpToUnit\" to type \"Microsoft.Exchange.Data.ByteQuantifiedSize+Quantifier\": the value must be one of None, KB, MB, GB, TB.", object.ToString(args[0]))
		}
		return (int64(b) + u - 1) / u, true, nil
	case "compareto":
		if len(args) != 1 {
			return nil, true, argCount(name, len(args))
		}
		n, err := b.CompareTo(args[0])
		return n, true, err
	}
	return noMethod()
}

// CompareTo orders the size against a number of bytes, a size, an
// Unlimited size (unlimited is the larger) or a size's text ("10MB").
func (b byteSize) CompareTo(other any) (int, error) {
	n, unlimited, err := bytesOf(other)
	if err != nil {
		return 0, err
	}
	switch {
	case unlimited || int64(b) < n:
		return -1, nil
	case int64(b) > n:
		return 1, nil
	}
	return 0, nil
}

// bytesOf reads a size from the other side of a comparison.
func bytesOf(v any) (n int64, unlimited bool, err error) {
	switch x := baseOf(v).(type) {
	case byteSize:
		return int64(x), false, nil
	case unlimitedValue:
		if x.unlimited {
			return 0, true, nil
		}
		return bytesOf(x.value)
	case interp.ByteSize:
		return int64(x), x < 0, nil
	case state.ByteSize:
		return int64(x), x < 0, nil
	case string:
		s, err := interp.ParseByteSize(x)
		if err != nil {
			return 0, false, err
		}
		return int64(s), s < 0, nil
	}
	if object.IsNumber(v) {
		n, err := object.ToInt64(v)
		return n, false, err
	}
	return 0, false, fmt.Errorf("Cannot convert value %q to type %q.", object.ToString(v), ByteQuantifiedSizeType)
}

// ByteQuantifiedSize returns Exchange's ByteQuantifiedSize of n bytes.
func ByteQuantifiedSize(n int64) *object.PSObject {
	return newObject(byteSize(n), []string{ByteQuantifiedSizeType, "System.ValueType", "System.Object"})
}

// unlimitedValue is an Unlimited<T>: either unlimited or a value of T.
type unlimitedValue struct {
	unlimited bool
	value     any // a ByteQuantifiedSize object or an int
}

func (u unlimitedValue) String() string {
	if u.unlimited {
		return "Unlimited"
	}
	return object.ToString(u.value)
}

var unlimitedMethods = []Method{
	{"CompareTo", "int CompareTo(System.Object other)"},
}

func (unlimitedValue) Methods() []Method { return unlimitedMethods }

// HasMethod reports whether an Unlimited value has the method name.
func (unlimitedValue) HasMethod(name string) bool { return hasMethod(unlimitedMethods, name) }

// CallMethod implements CompareTo(other).
func (u unlimitedValue) CallMethod(name string, args []any) (any, bool, error) {
	if is(name, "CompareTo") {
		if len(args) != 1 {
			return nil, true, argCount(name, len(args))
		}
		n, err := u.CompareTo(args[0])
		return n, true, err
	}
	return noMethod()
}

// CompareTo orders the value as Exchange's Unlimited does: unlimited is
// larger than every value and equal to "Unlimited"; a value compares as T.
func (u unlimitedValue) CompareTo(other any) (int, error) {
	o := baseOf(other)
	if s, ok := o.(string); ok && strings.EqualFold(strings.TrimSpace(s), "unlimited") {
		o = unlimitedValue{unlimited: true}
	}
	if ou, ok := o.(unlimitedValue); ok {
		switch {
		case u.unlimited && ou.unlimited:
			return 0, nil
		case u.unlimited:
			return 1, nil
		case ou.unlimited:
			return -1, nil
		}
		o = baseOf(ou.value)
	}
	if u.unlimited {
		return 1, nil
	}
	if c, ok := baseOf(u.value).(object.Comparer); ok {
		return c.CompareTo(o)
	}
	return object.Compare(u.value, o, false)
}

// UnlimitedByteSize returns Exchange's Unlimited<ByteQuantifiedSize> for
// a size that may be unlimited (negative).
func UnlimitedByteSize(n int64) *object.PSObject {
	u := unlimitedValue{unlimited: n < 0}
	var v any
	if !u.unlimited {
		v = ByteQuantifiedSize(n)
		u.value = v
	}
	return newObject(u, []string{UnlimitedByteSizeType, "System.ValueType", "System.Object"}, "IsUnlimited", u.unlimited, "Value", v)
}

// UnlimitedInt returns Exchange's Unlimited<int> for a count that may be
// unlimited (negative).
func UnlimitedInt(n int64) *object.PSObject {
	u := unlimitedValue{unlimited: n < 0}
	var v any
	if !u.unlimited {
		v = int(n)
		u.value = v
	}
	return newObject(u, []string{UnlimitedIntType, "System.ValueType", "System.Object"}, "IsUnlimited", u.unlimited, "Value", v)
}
