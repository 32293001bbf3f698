package interp

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"exsh/shell/object"
)

// The .NET class library the shell offers ($s.ToUpper(), [math]::Round(),
// (Get-Date).AddDays(), [System.IO.Path]::Combine()) is data: a registry of
// [DotNetType] values, each naming a .NET type and holding its methods and
// properties in tables. The evaluator only looks members up here. The
// shell's own types register in the dotnet_*.go files; other packages
// register the value types they hand to the shell the same way, from an
// init function:
//
//	func init() {
//		interp.RegisterType(&interp.DotNetType{
//			Name:   "Microsoft.Exchange.Data.ByteQuantifiedSize",
//			GoType: reflect.TypeFor[Size](),
//			Methods: interp.Methods{
//				"ToMB": func(c *interp.MethodCall) (any, error) {
//					if err := c.Need(0); err != nil {
//						return nil, err
//					}
//					return int64(c.This.(Size)) >> 20, nil
//				},
//			},
//			Properties: interp.Properties{
//				"IsUnlimited": func(v any) any { return v.(Size) < 0 },
//			},
//			Definitions: map[string]string{ // what Get-Member lists
//				"ToMB":        "long ToMB()",
//				"IsUnlimited": "bool IsUnlimited {get;}",
//			},
//		})
//	}
//
// Member names are case-insensitive, as in PowerShell. A value whose Go
// type has no registered instance member of that name falls back to the
// members every object has (ToString, GetType, Equals, ...), and for
// properties to the exported fields of a Go struct.

// DotNetType is one .NET type as the shell presents it.
type DotNetType struct {
	// Name is the full .NET name: "System.String". GetType() of a value
	// of GoType reports it.
	Name string
	// Aliases are further names a type literal may use for the static
	// members, such as type accelerators: [regex] for
	// System.Text.RegularExpressions.Regex. The name without "System."
	// is always accepted.
	Aliases []string
	// GoType is the Go type whose values have the instance members, the
	// values' exact dynamic type (a pointer type for pointers); nil for a
	// type with static members only, like System.Math.
	GoType reflect.Type

	Methods    Methods    // instance methods: $v.Name(args)
	Properties Properties // instance properties: $v.Name
	Static     Methods    // static methods: [Type]::Name(args)
	// StaticProperties are [Type]::Name; the getter is called with nil.
	StaticProperties Properties

	// Definitions are the instance members Get-Member lists, by name,
	// with the definition it shows: "string ToUpper()", "int Length
	// {get;}" (a definition ending in "}" is a property's). A member
	// without one works but is not listed.
	Definitions map[string]string
}

// MemberDefinition is an instance member as Get-Member lists it.
type MemberDefinition struct {
	Name       string
	MemberType string // "Method" or "Property"
	Definition string
}

// Members lists the defined members of v's .NET type (see
// [DotNetType.Definitions]), System.Object's first, each part sorted by
// name.
func Members(v any) []MemberDefinition {
	var out []MemberDefinition
	for _, t := range []*DotNetType{objectType, instanceType(v)} {
		if t == nil {
			continue
		}
		names := make([]string, 0, len(t.Definitions))
		for n := range t.Definitions {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
		for _, n := range names {
			d := t.Definitions[n]
			kind := "Method"
			if strings.HasSuffix(d, "}") {
				kind = "Property"
			}
			out = append(out, MemberDefinition{Name: n, MemberType: kind, Definition: d})
		}
	}
	return out
}

// Methods maps a method name to its implementation.
type Methods map[string]Method

// Properties maps a property name to its getter, which receives the
// value whose property is read.
type Properties map[string]func(v any) any

// Method implements a .NET method. It returns the result (a [Void] for a
// method returning void), or an error: use [MethodCall.Need] for a wrong
// argument count and [MethodCall.Throw] for an exception the method
// throws. Returning [ErrNoOverload] makes an instance call fall through to
// the members every object has (ToString without a format, say); a static
// call then reports that no overload takes the arguments.
type Method func(c *MethodCall) (any, error)

// Void is what a method declared void returns: a statement calling it
// writes nothing, and as a value it is $null.
var Void any = voidResult{}

// ErrNoOverload, returned by a [Method], means that this table entry does
// not handle these arguments (see [Method]).
var ErrNoOverload = errors.New("no overload handles the call")

// MethodCall is one call of a [Method].
type MethodCall struct {
	This any    // the instance; nil for a static method
	Name string // the method name as the script wrote it
	Args []any
	f    *frame
}

// Need checks the argument count against the overloads' counts; it
// returns PowerShell's "Cannot find an overload" error when none fits.
func (c *MethodCall) Need(counts ...int) error {
	for _, n := range counts {
		if len(c.Args) == n {
			return nil
		}
	}
	return badArgCount(c.Name, len(c.Args))
}

// AtLeast checks that there are at least n arguments.
func (c *MethodCall) AtLeast(n int) error {
	if len(c.Args) < n {
		return badArgCount(c.Name, len(c.Args))
	}
	return nil
}

// String is argument i converted to a string.
func (c *MethodCall) String(i int) string { return object.ToString(c.Args[i]) }

// Int is argument i converted to an int, with PowerShell's conversion
// error when it does not convert.
func (c *MethodCall) Int(i int) (int, error) { return argInt(c.Args, i) }

// Float is argument i converted to a float64.
func (c *MethodCall) Float(i int) (float64, error) { return argFloat(c.Args, i) }

// Throw is an exception thrown by the method, as PowerShell reports it:
// Exception calling "Name" with "n" argument(s): "message", wrapped in a
// MethodInvocationException; exception is the .NET exception's short
// name, "ArgumentException".
func (c *MethodCall) Throw(exception, message string) error {
	return methodException(exception, "Exception calling \"%s\" with \"%d\" argument(s): \"%s\"", c.Name, len(c.Args), message)
}

// Invoke runs a script block (a .ForEach or .Where argument, say) with
// the given arguments and returns its output.
func (c *MethodCall) Invoke(sb *ScriptBlock, args ...any) ([]any, error) {
	if c.f == nil {
		return nil, errors.New("no script context for " + c.Name)
	}
	return c.f.invokeScriptBlock(sb, args)
}

var dotnet = struct {
	sync.RWMutex
	byGo   map[reflect.Type]*DotNetType
	byName map[string]*DotNetType
}{byGo: map[reflect.Type]*DotNetType{}, byName: map[string]*DotNetType{}}

// RegisterType adds t to the registry. A type registered again under a
// name or Go type already known adds its members to the earlier ones,
// replacing members of the same name. It panics on a type without a
// name, since that is a programming error.
func RegisterType(t *DotNetType) {
	if t.Name == "" {
		panic("interp.RegisterType: type without a name")
	}
	dotnet.Lock()
	defer dotnet.Unlock()
	keys := []string{strings.ToLower(t.Name)}
	if short, ok := strings.CutPrefix(keys[0], "system."); ok {
		keys = append(keys, short)
	}
	for _, a := range t.Aliases {
		keys = append(keys, strings.ToLower(a))
	}
	cur := dotnet.byName[keys[0]]
	if cur == nil && t.GoType != nil {
		cur = dotnet.byGo[t.GoType]
	}
	if cur == nil {
		cur = &DotNetType{Name: t.Name}
	}
	if t.GoType != nil {
		cur.GoType = t.GoType
		dotnet.byGo[t.GoType] = cur
		// Types the object package knows (string, []any ...) keep the
		// name it gives them; others are named as registered everywhere:
		// GetType(), Get-Member, format views.
		object.RegisterTypeName(t.GoType, t.Name)
	}
	cur.Aliases = append(cur.Aliases, t.Aliases...)
	cur.Methods = mergeMethods(cur.Methods, t.Methods)
	cur.Static = mergeMethods(cur.Static, t.Static)
	cur.Properties = mergeProps(cur.Properties, t.Properties)
	cur.StaticProperties = mergeProps(cur.StaticProperties, t.StaticProperties)
	cur.Definitions = mergeDefinitions(cur.Definitions, t.Definitions)
	for _, k := range keys {
		dotnet.byName[k] = cur
	}
}

func mergeMethods(into, from Methods) Methods {
	if into == nil {
		into = Methods{}
	}
	for k, m := range from {
		into[strings.ToLower(k)] = m
	}
	return into
}

// mergeDefinitions keeps the names' case, for Get-Member to show.
func mergeDefinitions(into, from map[string]string) map[string]string {
	if into == nil {
		into = map[string]string{}
	}
	for k, d := range from {
		for old := range into {
			if strings.EqualFold(old, k) {
				delete(into, old)
			}
		}
		into[k] = d
	}
	return into
}

func mergeProps(into, from Properties) Properties {
	if into == nil {
		into = Properties{}
	}
	for k, p := range from {
		into[strings.ToLower(k)] = p
	}
	return into
}

// instanceType is the registered type of a value, or nil.
func instanceType(v any) *DotNetType {
	if v == nil {
		return nil
	}
	dotnet.RLock()
	defer dotnet.RUnlock()
	return dotnet.byGo[reflect.TypeOf(v)]
}

// namedType is the registered type a type literal names, or nil.
func namedType(name string) *DotNetType {
	dotnet.RLock()
	defer dotnet.RUnlock()
	if t := dotnet.byName[strings.ToLower(name)]; t != nil {
		return t
	}
	return dotnet.byName[strings.ToLower(fullTypeName(name))]
}

// objectType holds the members every object has.
var objectType = &DotNetType{Name: "System.Object"}

// registeredProperty reads a registered property of v's type.
func registeredProperty(v any, lname string) (any, bool) {
	t := instanceType(v)
	if t == nil {
		return nil, false
	}
	p := t.Properties[lname]
	if p == nil {
		return nil, false
	}
	return p(v), true
}

func (t *DotNetType) String() string { return fmt.Sprintf("[%s]", t.Name) }
