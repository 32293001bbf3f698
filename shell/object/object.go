// Package object is exsh's value model: the objects that flow through
// pipelines, with ordered, case-insensitive properties and type names that
// select a formatting view. It knows nothing of the evaluator or of Exchange.
//
// Values in exsh are plain Go values:
//
//	nil                      $null
//	bool                     [bool]
//	int, int64, float64      [int], [long], [double]
//	string                   [string]
//	time.Time                [datetime]
//	time.Duration            [timespan]
//	[]any                    object[] (arrays; never nil inside the evaluator)
//	*Hashtable               @{...} (ordered, case-insensitive keys)
//	*PSObject                [pscustomobject] and every cmdlet's output object
//	fmt.Stringer             enums and other typed values; shown with String()
package object

import (
	"strings"
)

// Property is one named value of a PSObject.
type Property struct {
	Name  string
	Value any
}

// PSObject is an object with ordered properties. Property names are matched
// case-insensitively, as PowerShell does; the first spelling added is kept.
type PSObject struct {
	// TypeNames lists the object's type names, most derived first. The
	// formatter picks a view by the first name that has one registered.
	TypeNames []string
	// Base is the Go value the object was made from, if any (for example a
	// state record); cmdlets that receive the object back can use it.
	Base any
	// StringProperty, when set, names the property whose value is the
	// object's string form ("$obj", [string]$obj, $obj.ToString()):
	// Exchange's objects show their Identity, not "@{...}".
	StringProperty string
	props          []*Property
	index          map[string]int
	// slab holds the Property values of an object made by NewSized, so
	// its properties cost one allocation together.
	slab []Property
}

// New returns an empty object with the given type names.
func New(typeNames ...string) *PSObject {
	return &PSObject{TypeNames: typeNames, index: map[string]int{}}
}

// NewSized is New for an object that will get about n properties: its
// storage is allocated once, up front.
func NewSized(n int, typeNames ...string) *PSObject {
	return &PSObject{
		TypeNames: typeNames,
		index:     make(map[string]int, n),
		props:     make([]*Property, 0, n),
		slab:      make([]Property, 0, n),
	}
}

// Add appends a property, or replaces the value of an existing one of the same
// name (keeping its position). It returns o so calls can be chained.
func (o *PSObject) Add(name string, value any) *PSObject {
	return o.AddKey(name, strings.ToLower(name), value)
}

// AddKey is Add for a caller that has the name in lower case already
// (key must be strings.ToLower(name)).
func (o *PSObject) AddKey(name, key string, value any) *PSObject {
	if o.index == nil {
		o.index = map[string]int{}
	}
	if i, ok := o.index[key]; ok {
		o.props[i].Value = value
		return o
	}
	o.index[key] = len(o.props)
	var p *Property
	if len(o.slab) < cap(o.slab) {
		o.slab = append(o.slab, Property{Name: name, Value: value})
		p = &o.slab[len(o.slab)-1]
	} else {
		p = &Property{Name: name, Value: value}
	}
	o.props = append(o.props, p)
	return o
}

// Get returns the value of the named property.
func (o *PSObject) Get(name string) (any, bool) {
	if o == nil {
		return nil, false
	}
	i, ok := o.index[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return o.props[i].Value, true
}

// Property returns the named property itself, or nil.
func (o *PSObject) Property(name string) *Property {
	if o == nil {
		return nil
	}
	i, ok := o.index[strings.ToLower(name)]
	if !ok {
		return nil
	}
	return o.props[i]
}

// Properties returns the properties in order. The slice must not be modified.
func (o *PSObject) Properties() []*Property {
	if o == nil {
		return nil
	}
	return o.props
}

// TypeName returns the most derived type name, or "System.Management.Automation.PSCustomObject".
func (o *PSObject) TypeName() string {
	if o == nil || len(o.TypeNames) == 0 {
		return "System.Management.Automation.PSCustomObject"
	}
	return o.TypeNames[0]
}

// Hashtable is PowerShell's @{...}: keys are kept in insertion order (as
// [ordered] does) and string keys match case-insensitively.
type Hashtable struct {
	// Ordered marks an [ordered] dictionary (System.Collections.Specialized.OrderedDictionary);
	// keys keep their insertion order either way.
	Ordered bool
	keys    []any
	vals    map[any]any
	index   map[string]any // lower-cased string key -> key as stored
}

// NewHashtable returns an empty hashtable.
func NewHashtable() *Hashtable {
	return &Hashtable{vals: map[any]any{}, index: map[string]any{}}
}

func (h *Hashtable) norm(k any) any {
	if s, ok := k.(string); ok {
		if stored, ok := h.index[strings.ToLower(s)]; ok {
			return stored
		}
	}
	return k
}

// Set adds or replaces a key.
func (h *Hashtable) Set(k, v any) {
	if h.vals == nil {
		h.vals = map[any]any{}
		h.index = map[string]any{}
	}
	k = h.norm(k)
	if _, ok := h.vals[k]; !ok {
		h.keys = append(h.keys, k)
		if s, ok := k.(string); ok {
			h.index[strings.ToLower(s)] = k
		}
	}
	h.vals[k] = v
}

// Get returns the value of a key.
func (h *Hashtable) Get(k any) (any, bool) {
	if h == nil || h.vals == nil {
		return nil, false
	}
	v, ok := h.vals[h.norm(k)]
	return v, ok
}

// Delete removes a key.
func (h *Hashtable) Delete(k any) {
	if h == nil || h.vals == nil {
		return
	}
	k = h.norm(k)
	if _, ok := h.vals[k]; !ok {
		return
	}
	delete(h.vals, k)
	if s, ok := k.(string); ok {
		delete(h.index, strings.ToLower(s))
	}
	for i, kk := range h.keys {
		if kk == k {
			h.keys = append(h.keys[:i:i], h.keys[i+1:]...)
			break
		}
	}
}

// Keys returns the keys in insertion order. The slice must not be modified.
func (h *Hashtable) Keys() []any {
	if h == nil {
		return nil
	}
	return h.keys
}

// Len returns the number of keys.
func (h *Hashtable) Len() int {
	if h == nil {
		return 0
	}
	return len(h.keys)
}

// Property returns the named (case-insensitive) .NET property of the
// hashtable itself, not a key: Count, Keys, Values, IsReadOnly and, on a
// Hashtable (an OrderedDictionary has them as explicit interface members,
// which PowerShell does not show), IsFixedSize and IsSynchronized.
func (h *Hashtable) Property(name string) (any, bool) {
	switch strings.ToLower(name) {
	case "count":
		return h.Len(), true
	case "isreadonly":
		return false, true
	case "isfixedsize", "issynchronized":
		if !h.Ordered {
			return false, true
		}
	case "keys":
		return append([]any(nil), h.Keys()...), true
	case "values":
		keys := h.Keys()
		vals := make([]any, 0, len(keys))
		for _, k := range keys {
			v, _ := h.Get(k)
			vals = append(vals, v)
		}
		return vals, true
	}
	return nil, false
}
