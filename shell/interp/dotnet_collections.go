package interp

import (
	"reflect"
	"strings"

	"exsh/shell/object"
)

// System.Object[]'s methods (arrays, and the ArrayList $Error is).
var arrayMethods = Methods{
	"Contains": func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		for _, e := range thisList(c) {
			if object.Equal(e, c.Args[0], true) {
				return true, nil
			}
		}
		return false, nil
	},
	"IndexOf": func(c *MethodCall) (any, error) {
		if err := c.AtLeast(1); err != nil {
			return nil, err
		}
		for i, e := range thisList(c) {
			if object.Equal(e, c.Args[0], true) {
				return i, nil
			}
		}
		return -1, nil
	},
	"ForEach": arrayForEachWhere(true),
	"Where":   arrayForEachWhere(false),
	"Clone":   func(c *MethodCall) (any, error) { return append([]any{}, thisList(c)...), nil },
	"GetEnumerator": func(c *MethodCall) (any, error) {
		return thisList(c), nil
	},
	"Add":      fixedSize,
	"Remove":   fixedSize,
	"Insert":   fixedSize,
	"RemoveAt": fixedSize,
	"Clear":    fixedSize,
}

func thisList(c *MethodCall) []any {
	if l, ok := c.This.(errorList); ok {
		return []any(l)
	}
	return c.This.([]any)
}

func fixedSize(c *MethodCall) (any, error) {
	return nil, c.Throw("NotSupportedException", "Collection was of a fixed size.")
}

// arrayForEachWhere is the .ForEach() and .Where() intrinsic methods.
func arrayForEachWhere(forEach bool) Method {
	return func(c *MethodCall) (any, error) {
		if err := c.AtLeast(1); err != nil {
			return nil, err
		}
		l := thisList(c)
		sb, ok := c.Args[0].(*ScriptBlock)
		if !ok {
			if forEach {
				// .ForEach('Name') gets a property of each element.
				prop := c.String(0)
				out := []any{}
				for _, e := range l {
					out = append(out, getMember(e, prop))
				}
				return out, nil
			}
			return nil, badArgCount(c.Name, len(c.Args))
		}
		out := []any{}
		for _, e := range l {
			res, err := c.f.runDotSourced(sb, e, nil)
			if err != nil {
				return nil, err
			}
			if forEach {
				out = append(out, res...)
			} else if object.ToBool(unwrapList(res)) {
				out = append(out, e)
				if len(c.Args) > 1 && strings.EqualFold(c.String(1), "First") {
					break
				}
			}
		}
		return out, nil
	}
}

var hashtableMethods = Methods{
	"ContainsKey": hashContainsKey,
	"Contains":    hashContainsKey,
	"ContainsValue": func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		h := c.This.(*object.Hashtable)
		for _, k := range h.Keys() {
			v, _ := h.Get(k)
			if object.Equal(v, c.Args[0], false) {
				return true, nil
			}
		}
		return false, nil
	},
	"Add": func(c *MethodCall) (any, error) {
		if err := c.Need(2); err != nil {
			return nil, err
		}
		h := c.This.(*object.Hashtable)
		if _, dup := h.Get(c.Args[0]); dup {
			k := c.String(0)
			return nil, c.Throw("ArgumentException", "Item has already been added. Key in dictionary: '"+k+"'  Key being added: '"+k+"'")
		}
		h.Set(c.Args[0], c.Args[1])
		return Void, nil
	},
	"Remove": func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		c.This.(*object.Hashtable).Delete(c.Args[0])
		return Void, nil
	},
	"Clear": func(c *MethodCall) (any, error) {
		h := c.This.(*object.Hashtable)
		for _, k := range append([]any{}, h.Keys()...) {
			h.Delete(k)
		}
		return Void, nil
	},
	"Clone": func(c *MethodCall) (any, error) {
		h := c.This.(*object.Hashtable)
		out := object.NewHashtable()
		for _, k := range h.Keys() {
			v, _ := h.Get(k)
			out.Set(k, v)
		}
		return out, nil
	},
	"GetEnumerator": func(c *MethodCall) (any, error) {
		h := c.This.(*object.Hashtable)
		out := make([]any, 0, h.Len())
		for _, k := range h.Keys() {
			v, _ := h.Get(k)
			e := object.New("System.Collections.DictionaryEntry")
			e.Add("Name", k).Add("Key", k).Add("Value", v)
			out = append(out, e)
		}
		return out, nil
	},
}

func hashContainsKey(c *MethodCall) (any, error) {
	if err := c.Need(1); err != nil {
		return nil, err
	}
	_, ok := c.This.(*object.Hashtable).Get(c.Args[0])
	return ok, nil
}

func init() {
	RegisterType(&DotNetType{Name: "System.Object[]", Aliases: []string{"array"}, GoType: reflect.TypeFor[[]any](), Methods: arrayMethods})
	errMethods := Methods{"Clear": func(c *MethodCall) (any, error) {
		c.f.s.errs = nil
		return Void, nil
	}}
	for k, m := range arrayMethods {
		if k != "Clear" {
			errMethods[k] = m
		}
	}
	RegisterType(&DotNetType{Name: "System.Collections.ArrayList", GoType: reflect.TypeFor[errorList](), Methods: errMethods})
	RegisterType(&DotNetType{Name: "System.Collections.Hashtable", GoType: reflect.TypeFor[*object.Hashtable](), Methods: hashtableMethods,
		Definitions: map[string]string{
			"Add":           "void Add(System.Object key, System.Object value)",
			"Clear":         "void Clear()",
			"Contains":      "bool Contains(System.Object key)",
			"ContainsKey":   "bool ContainsKey(System.Object key)",
			"ContainsValue": "bool ContainsValue(System.Object value)",
			"Remove":        "void Remove(System.Object key)",
			"Count":         "int Count {get;}",
			"Keys":          "System.Collections.ICollection Keys {get;}",
			"Values":        "System.Collections.ICollection Values {get;}",
		}})
}
