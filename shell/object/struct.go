package object

import (
	"reflect"
	"sync"
)

// fieldPlan is how one Go struct field becomes a property.
type fieldPlan struct {
	name  string
	index []int
}

var plans sync.Map // reflect.Type -> []fieldPlan

// FromStruct turns a Go struct (or pointer to one) into a PSObject with one
// property per exported field, in declaration order; fields of embedded
// structs are promoted. A `ps:"Name"` tag renames a property and `ps:"-"`
// skips it. Slices become []any; nested structs are kept as values. Base is
// set to v. A nil pointer gives nil.
func FromStruct(typeNames []string, v any) *PSObject {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	o := New(typeNames...)
	o.Base = v
	if rv.Kind() != reflect.Struct {
		return o
	}
	for _, f := range structPlan(rv.Type()) {
		fv, err := rv.FieldByIndexErr(f.index)
		if err != nil {
			o.Add(f.name, nil)
			continue
		}
		o.Add(f.name, goValue(fv))
	}
	return o
}

func structPlan(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var out []fieldPlan
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(append([]int(nil), prefix...), i)
			tag := f.Tag.Get("ps")
			if tag == "-" {
				continue
			}
			if f.Anonymous && tag == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, idx)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag != "" {
				name = tag
			}
			out = append(out, fieldPlan{name: name, index: idx})
		}
	}
	walk(t, nil)
	plans.Store(t, out)
	return out
}

// goValue converts a reflected field to the shell's value model.
func goValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return []any{}
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface()
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = goValue(v.Index(i))
		}
		return out
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = goValue(v.Index(i))
		}
		return out
	case reflect.Pointer, reflect.Interface, reflect.Map:
		if v.IsNil() {
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32:
		if v.Type().PkgPath() == "" {
			return int(v.Int())
		}
	case reflect.Int64:
		if v.Type().PkgPath() == "" {
			return int(v.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		if v.Type().PkgPath() == "" {
			return int(v.Uint())
		}
	case reflect.Float32:
		return v.Float()
	}
	if !v.CanInterface() {
		return nil
	}
	return v.Interface()
}
