package object

import (
	"runtime"
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
