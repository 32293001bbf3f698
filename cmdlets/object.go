package cmdlets

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"exsh/cmdlets/exdata"
	"exsh/shell/object"
)

// ToObject turns a state record (a pointer to a struct, or a struct) into a
// shell object with one property per exported field, in field order, which
// is the order Format-List shows. Fields tagged `exsh:"-"` are internal and
// skipped; fields of embedded structs are promoted. Fields Exchange types
// with its own value types (Bindings, RemoteIPRanges, AddressSpaces,
// EmailAddresses, sizes and limits) become those (package exdata). Slices become []any, as
// Exchange's multivalued properties enumerate in the shell, except named
// slice types with a String method (flags enums such as AuthMechanism),
// which become their text, "Tls, BasicAuth" ("None" when empty), as a .NET
// flags enum is one value. A nil record gives nil.
//
// Base is a pointer to a copy of the record, so a cmdlet that receives the
// object back through the pipeline can reach the record (its Guid, its
// internal fields). The copy has its secrets (SecretFields) cleared: the
// shell falls back to Base's fields for member access, and a password must
// not be one "$obj.AuthPassword" away.
func ToObject(typeNames []string, record any) *object.PSObject {
	rv := reflect.ValueOf(record)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		o := object.New(typeNames...)
		o.Base = record
		return o
	}
	fields := fieldsOf(rv.Type())
	o := object.NewSized(len(fields), typeNames...)
	o.Base = withoutSecrets(rv)
	recordType := rv.Type().Name()
	for _, f := range fields {
		fv, err := rv.FieldByIndexErr(f.index)
		if err != nil {
			o.AddKey(f.name, f.key, nil)
			continue
		}
		if f.typed && fv.CanInterface() {
			// Exchange's own value types: IPBinding, IPRange,
			// ByteQuantifiedSize, ProxyAddress, ...
			if v, ok := exdata.Field(recordType, f.name, fv.Interface()); ok {
				o.AddKey(f.name, f.key, v)
				continue
			}
		}
		o.AddKey(f.name, f.key, shellValue(fv))
	}
	o.StringProperty = stringProperty(rv.Type(), o)
	return o
}

// stringProperty is the property an Exchange object shows in a string, as
// its ToString() does: recipients (mailboxes, users) their Name, every
// other configuration object its Identity ("EX01\Default EX01", an
// accepted domain's name). "" (the "@{...}" form) for records with neither.
func stringProperty(t reflect.Type, o *object.PSObject) string {
	if t.Name() == "Recipient" {
		if _, ok := o.Get("Name"); ok {
			return "Name"
		}
	}
	if _, ok := o.Get("Identity"); ok {
		return "Identity"
	}
	return ""
}

// SecretFields are the record fields ToObject clears in Base: a password
// hash, a smart host password, a private key, the organisation's server
// key.
var SecretFields = map[string]bool{"PasswordHash": true, "AuthPassword": true, "KeyPEM": true, "ServerAuthKey": true}

// withoutSecrets returns a pointer to a copy of the struct rv with the
// secret fields zeroed.
func withoutSecrets(rv reflect.Value) any {
	cp := reflect.New(rv.Type())
	cp.Elem().Set(rv)
	for name := range SecretFields {
		if f := cp.Elem().FieldByName(name); f.IsValid() && f.CanSet() {
			f.Set(reflect.Zero(f.Type()))
		}
	}
	return cp.Interface()
}

type field struct {
	name  string
	key   string // name in lower case, the object's property key
	index []int
	typed bool // the value becomes one of Exchange's value types (exdata)
}

var fieldCache sync.Map // reflect.Type -> []field

func fieldsOf(t reflect.Type) []field {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]field)
	}
	var out []field
	root := t
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Tag.Get("exsh") == "-" {
				continue
			}
			idx := append(append([]int(nil), prefix...), i)
			if f.Anonymous {
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
			out = append(out, field{name: f.Name, key: strings.ToLower(f.Name), index: idx, typed: exdata.Converts(root.Name(), f.Name, f.Type)})
		}
	}
	walk(t, nil)
	fieldCache.Store(t, out)
	return out
}

var stringerType = reflect.TypeFor[fmt.Stringer]()

// shellValue converts one field to the shell's value model: plain integers
// become int, plain slices []any; named types keep their type (and their
// String method, which is how the shell shows them).
func shellValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Slice:
		if v.Type().Implements(stringerType) && v.Type().Name() != "" {
			// A flags enum is one value, as .NET shows it: "Tls, BasicAuth".
			return v.Interface().(fmt.Stringer).String()
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface()
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = shellValue(v.Index(i))
		}
		return out
	case reflect.Pointer, reflect.Interface, reflect.Map:
		if v.IsNil() {
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
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
