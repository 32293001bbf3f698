package format

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"exsh/shell/object"
)

// Member returns the named property of v, as Format-Table and
// Select-Object see it: a PSObject's properties, plus the few .NET
// properties admins use on plain values (String.Length, Array.Count,
// DateTime.Hour, TimeSpan.TotalMinutes, Hashtable.Keys...).
func Member(v any, name string) (any, bool) {
	switch x := v.(type) {
	case *object.PSObject:
		return x.Get(name)
	case string:
		if strings.EqualFold(name, "Length") {
			return len([]rune(x)), true
		}
	case *object.Hashtable:
		if v, ok := x.Property(name); ok {
			return v, true
		}
	case time.Time:
		return dateMember(x, name)
	case time.Duration:
		return object.TimeSpanProperty(x, name)
	}
	if object.IsArray(v) {
		switch strings.ToLower(name) {
		case "count", "length":
			return len(object.ToList(v)), true
		}
	}
	if o, ok := structObject(v); ok {
		return o.Get(name)
	}
	return nil, false
}

// structObject views a plain Go struct (a PSCredential, say) as an object
// with one property per exported field, as PowerShell shows .NET objects.
// Values with a String method are scalars and stay as they are.
func structObject(v any) (*object.PSObject, bool) {
	switch v.(type) {
	case nil, fmt.Stringer, error, time.Time, object.Decimal:
		return nil, false
	}
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	o := object.FromStruct([]string{object.TypeName(v)}, v)
	return o, o != nil
}

// PropertyNames lists the properties of v that "*" and wildcards expand to.
func PropertyNames(v any) []string {
	switch x := v.(type) {
	case *object.PSObject:
		names := make([]string, 0, len(x.Properties()))
		for _, p := range x.Properties() {
			names = append(names, p.Name)
		}
		return names
	case string:
		return []string{"Length"}
	case time.Time:
		return object.DateTimeProperties
	case time.Duration:
		return object.TimeSpanProperties
	case *object.Hashtable:
		return []string{"IsReadOnly", "IsFixedSize", "IsSynchronized", "Keys", "Values", "SyncRoot", "Count"}
	}
	if o, ok := structObject(v); ok {
		return PropertyNames(o)
	}
	return nil
}

func dateMember(t time.Time, name string) (any, bool) { return object.DateTimeProperty(t, name) }

// timeSpanObject is a TimeSpan's properties in .NET's order; its default
// view is a list, as PowerShell shows New-TimeSpan.
func timeSpanObject(d time.Duration) *object.PSObject {
	o := object.New("System.TimeSpan", "System.ValueType", "System.Object")
	for _, n := range object.TimeSpanProperties {
		v, _ := object.TimeSpanProperty(d, n)
		o.Add(n, v)
	}
	return o
}

// dateObject is a DateTime's properties as an object.
func dateObject(t time.Time) *object.PSObject {
	o := object.New("System.DateTime", "System.ValueType", "System.Object")
	for _, n := range PropertyNames(t) {
		v, _ := dateMember(t, n)
		o.Add(n, v)
	}
	return o
}
