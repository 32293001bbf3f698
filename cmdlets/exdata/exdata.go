// Package exdata gives the shell Exchange's own value types, the ones the
// Exchange Management Shell hands out in properties such as a receive
// connector's Bindings or a mailbox's EmailAddresses: IPBinding, IPRange,
// AddressSpace, ProxyAddress, ByteQuantifiedSize and Unlimited<T>. Each is
// a shell object with Exchange's type names and members, printed as
// Exchange prints it ("0.0.0.0:25", "SMTP:*;1", "36 MB (37,748,736
// bytes)"), equal to that text, and with Exchange's methods (ToMB(), ...).
//
// The records in state keep plain values (strings, byte counts); the
// cmdlets turn them into these objects when they write them (Field).
//
// Each object's Base is a small Go value (byteSize, unlimitedValue, text)
// that prints the value, orders it (object.Comparer) and implements its
// methods in CallMethod, the shell's hook for an object's own methods;
// Methods lists them for Get-Member. A registry of .NET types in the shell
// can take them over as they are: one type per Base, its methods from
// CallMethod's cases.
package exdata

import (
	"fmt"
	"strings"

	"exsh/shell/object"
)

// value is the Base of every exdata object: its text and type names. The
// shell shows an object through its Base's String method and calls its
// methods through CallMethod.
type value interface {
	fmt.Stringer
	CallMethod(name string, args []any) (any, bool, error)
	HasMethod(name string) bool
}

// newObject makes the shell object for a typed value: type names most
// derived first, properties in Exchange's order.
func newObject(base value, typeNames []string, props ...any) *object.PSObject {
	o := object.NewSized(len(props)/2, typeNames...)
	o.Base = base
	for i := 0; i+1 < len(props); i += 2 {
		o.Add(props[i].(string), props[i+1])
	}
	return o
}

// Method describes one method of a typed value for Get-Member.
type Method struct{ Name, Definition string }

// methodsOf is implemented by Bases that have methods beyond System.Object's.
type methodsOf interface{ Methods() []Method }

// Members reports whether v is one of this package's values and, if so,
// its methods beyond System.Object's, for Get-Member. Their properties
// are read-only.
func Members(v any) (methods []Method, ok bool) {
	o, isObj := v.(*object.PSObject)
	if !isObj {
		return nil, false
	}
	if _, ok := o.Base.(value); !ok {
		return nil, false
	}
	if m, ok := o.Base.(methodsOf); ok {
		return m.Methods(), true
	}
	return nil, true
}

// hasMethod reports whether ms lists the method name, a value's HasMethod.
func hasMethod(ms []Method, name string) bool {
	for _, m := range ms {
		if is(name, m.Name) {
			return true
		}
	}
	return false
}

// noMethod is CallMethod's answer for a name the value does not have: the
// shell goes on with the methods every object has.
func noMethod() (any, bool, error) { return nil, false, nil }

// argCount is .NET's error for a call with the wrong number of arguments.
func argCount(name string, n int) error {
	return fmt.Errorf("Cannot find an overload for %q and the argument count: \"%d\".", name, n)
}

// is reports whether name (as typed) is the method want.
func is(name, want string) bool { return strings.EqualFold(name, want) }

// baseOf returns the exdata Base of v (v itself or a shell object's Base).
func baseOf(v any) any {
	if o, ok := v.(*object.PSObject); ok && o.Base != nil {
		return o.Base
	}
	return v
}

// MultiValuedTypeName returns the type Get-Member names for a property
// holding a list of this package's values ("Microsoft.Exchange.Data.
// MultiValuedProperty[Microsoft.Exchange.Data.IPBinding]"), and false for
// any other list.
func MultiValuedTypeName(v any) (string, bool) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return "", false
	}
	elem := ""
	for _, e := range l {
		o, ok := e.(*object.PSObject)
		if !ok {
			return "", false
		}
		if _, ok := o.Base.(value); !ok {
			return "", false
		}
		// Elements of one list may differ (SmtpProxyAddress beside
		// CustomProxyAddress): the list holds their common base.
		t := o.TypeName()
		if len(o.TypeNames) > 1 && strings.HasSuffix(o.TypeNames[1], ".ProxyAddress") {
			t = o.TypeNames[1]
		}
		if elem != "" && elem != t {
			return "", false
		}
		elem = t
	}
	return "Microsoft.Exchange.Data.MultiValuedProperty[" + elem + "]", true
}
