package object

import (
	"runtime"
	"strconv"
	"sync"
	"weak"
)

// Typed arrays. The shell keeps every array as []any; a cast or a
// variable constraint such as [int[]] or [string[]] makes a new array
// whose element type is remembered here, keyed weakly by its first
// element's address, so TypeName reports System.Int32[] and the entry
// goes away with the array. Arrays built from it (a + b, slices copied by
// the operators) are Object[] again, as in PowerShell.
var typedArrays sync.Map // weak.Pointer[any] -> string (element type, e.g. "System.Int32")

// MarkTyped records that list is an array of elemType (a .NET full name
// such as "System.Int32") and returns it. An empty list is given one
// element of capacity so it has an address to key on.
func MarkTyped(list []any, elemType string) []any {
	if cap(list) == 0 {
		list = make([]any, 0, 1)
	}
	p := &list[:1][0]
	wp := weak.Make(p)
	if _, loaded := typedArrays.Swap(wp, elemType); !loaded {
		runtime.AddCleanup(p, func(wp weak.Pointer[any]) { typedArrays.Delete(wp) }, wp)
	}
	return list
}

// ElementType returns the element type a typed array was made with
// ("System.Int32"), or "" for an ordinary Object[].
func ElementType(list []any) string {
	if cap(list) == 0 {
		return ""
	}
	if t, ok := typedArrays.Load(weak.Make(&list[:1][0])); ok {
		return t.(string)
	}
	return ""
}

// Decimal is a System.Decimal ([decimal] casts, the d suffix). It is kept
// as a float64, so it has a double's precision, but it reports its type as
// System.Decimal and prints without an exponent, as .NET's decimal does.
type Decimal float64

// FormatDecimal formats a decimal as .NET does: plain digits, no exponent.
// The value is rounded to 15 significant digits first, so arithmetic done
// in binary floating point (0.1d + 0.2d) prints as decimal would (0.3).
func FormatDecimal(d Decimal) string {
	f := float64(d)
	if r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64); err == nil {
		f = r
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
