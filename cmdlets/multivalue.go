package cmdlets

import (
	"fmt"
	"strings"

	"exsh/shell/interp"
	"exsh/shell/object"
)

// ValueStrings flattens a bound argument into strings: a list, a single
// value, nested lists; $null gives nil. Comma-separated text is not split
// (PowerShell already split `a,b` into a list).
func ValueStrings(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case nil:
		case string:
			out = append(out, x)
		case []string:
			out = append(out, x...)
		case []any:
			for _, e := range x {
				walk(e)
			}
		default:
			if object.IsArray(v) {
				for _, e := range object.ToList(v) {
					walk(e)
				}
				return
			}
			out = append(out, object.ToString(v))
		}
	}
	walk(v)
	return out
}

// Canon validates one value of a multivalued property and returns it in
// canonical form.
type Canon func(string) (string, error)

// AlreadyPresentError is Exchange's error for adding a value a multivalued
// property already holds.
type AlreadyPresentError struct{ Value string }

func (e *AlreadyPresentError) Error() string {
	return fmt.Sprintf("The value \"%s\" is already present in the collection.", e.Value)
}

// ApplyMulti computes the new value of a multivalued property from its
// current values and a bound argument:
//
//   - a plain value or list replaces the whole property;
//   - *interp.MultiValue (or a hashtable with Add/Remove keys) adds and
//     removes values, keeping the rest and their order;
//   - $null clears it.
//
// Each value goes through canon (nil keeps it as given); values are
// compared with key (nil means case-insensitive equality of the canonical
// form). A value given twice, or added when present, is an
// *AlreadyPresentError; removing a value that is absent is ignored, as
// Exchange does.
func ApplyMulti(current []string, arg any, canon Canon, key func(string) string) ([]string, error) {
	if canon == nil {
		canon = func(s string) (string, error) { return strings.TrimSpace(s), nil }
	}
	if key == nil {
		key = strings.ToLower
	}
	if h, ok := arg.(*object.Hashtable); ok {
		if mv, ok := hashtableMulti(h); ok {
			arg = mv
		}
	}
	mv, isMulti := arg.(*interp.MultiValue)
	if !isMulti {
		var out []string
		seen := map[string]bool{}
		for _, s := range ValueStrings(arg) {
			c, err := canon(s)
			if err != nil {
				return nil, err
			}
			k := key(c)
			if seen[k] {
				return nil, &AlreadyPresentError{Value: c}
			}
			seen[k] = true
			out = append(out, c)
		}
		return out, nil
	}
	out := append([]string(nil), current...)
	for _, s := range ValueStrings(mv.Remove) {
		c, err := canon(s)
		if err != nil {
			return nil, err
		}
		k := key(c)
		for i := 0; i < len(out); i++ {
			if key(out[i]) == k {
				out = append(out[:i], out[i+1:]...)
				i--
			}
		}
	}
	for _, s := range ValueStrings(mv.Add) {
		c, err := canon(s)
		if err != nil {
			return nil, err
		}
		k := key(c)
		for _, e := range out {
			if key(e) == k {
				return nil, &AlreadyPresentError{Value: c}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// hashtableMulti reads @{Add=...;Remove=...} when the binder passed the
// hashtable itself.
func hashtableMulti(h *object.Hashtable) (*interp.MultiValue, bool) {
	mv := &interp.MultiValue{}
	for _, k := range h.Keys() {
		v, _ := h.Get(k)
		switch strings.ToLower(object.ToString(k)) {
		case "add", "+":
			mv.Add = append(mv.Add, object.ToList(v)...)
		case "remove", "-":
			mv.Remove = append(mv.Remove, object.ToList(v)...)
		default:
			return nil, false
		}
	}
	return mv, true
}

// IsMulti reports whether a bound argument is an @{Add=...;Remove=...}
// change rather than a replacement.
func IsMulti(arg any) bool {
	switch x := arg.(type) {
	case *interp.MultiValue:
		return true
	case *object.Hashtable:
		_, ok := hashtableMulti(x)
		return ok
	}
	return false
}
