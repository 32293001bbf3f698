package interp

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"

	"exsh/shell/object"
)

// getMember returns a property of v, with PowerShell's rules: hashtable
// keys, object properties, intrinsic Count/Length, and member enumeration
// over arrays. A missing member is $null.
func getMember(v any, name string) any {
	lname := strings.ToLower(name)
	switch x := v.(type) {
	case nil:
		if lname == "count" || lname == "length" {
			return 0
		}
		return nil
	case *object.Hashtable:
		if val, ok := x.Get(name); ok {
			return val
		}
		val, _ := x.Property(name)
		return val
	case *object.PSObject:
		if p := x.Property(name); p != nil {
			return p.Value
		}
		switch lname {
		case "psobject":
			return psObjectView(x)
		case "count", "length":
			return 1
		}
		if x.Base != nil {
			if val, ok := registeredProperty(x.Base, lname); ok {
				return val
			}
			if val, ok := reflectField(x.Base, name); ok {
				return val
			}
		}
		return nil
	case []any:
		switch lname {
		case "count", "length", "longlength":
			return len(x)
		case "rank":
			return 1
		case "issynchronized", "isfixedsize", "isreadonly":
			return lname == "isfixedsize"
		}
		// Member enumeration: (Get-X).Name.
		var out []any
		for _, e := range x {
			val := getMember(e, name)
			if val == nil {
				continue
			}
			if l, ok := val.([]any); ok {
				out = append(out, l...)
			} else {
				out = append(out, val)
			}
		}
		return unwrapList(out)
	case *ErrorRecord:
		return errorMember(x, lname)
	case errorList:
		return getMember([]any(x), name)
	case *SecureString:
		// Only its .NET members: the plain text stays hidden.
		val, _ := registeredProperty(x, lname)
		return val
	}
	if val, ok := registeredProperty(v, lname); ok {
		return val
	}
	if lname == "count" || lname == "length" {
		if object.IsArray(v) {
			return len(object.ToList(v))
		}
		return 1
	}
	if val, ok := reflectField(v, name); ok {
		return val
	}
	if object.IsArray(v) {
		return getMember(object.ToList(v), name)
	}
	return nil
}

// reflectField reads an exported field of a Go struct (or pointer to one)
// by case-insensitive name.
func reflectField(v any, name string) (any, bool) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, false
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, false
	}
	fv := rv.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, name) })
	if !fv.IsValid() || !fv.CanInterface() {
		return nil, false
	}
	o := object.FromStruct(nil, struct{ V any }{fv.Interface()})
	val, _ := o.Get("V")
	if fv.Kind() == reflect.Slice {
		return object.ToList(val), true
	}
	return val, true
}

// psObjectView is $obj.PSObject: its properties and type names.
func psObjectView(o *object.PSObject) *object.PSObject {
	props := make([]any, 0, len(o.Properties()))
	for _, p := range o.Properties() {
		po := object.New("System.Management.Automation.PSNoteProperty")
		po.Add("Name", p.Name).Add("Value", p.Value).Add("TypeNameOfValue", object.TypeName(p.Value)).Add("MemberType", "NoteProperty")
		props = append(props, po)
	}
	v := object.New("System.Management.Automation.PSObject")
	tn := make([]any, len(o.TypeNames))
	for i, t := range o.TypeNames {
		tn[i] = t
	}
	v.Add("Properties", props).Add("TypeNames", tn).Add("BaseObject", o.Base)
	return v
}

// errorMember exposes an error record's properties as PowerShell's
// ErrorRecord does.
func errorMember(r *ErrorRecord, name string) any {
	switch name {
	case "exception":
		if r.exception != nil {
			return r.exception
		}
		ex := newException(exceptionTypeName(r.Reason), r.Message)
		if r.inner != "" {
			// 1/0: a RuntimeException wrapping the DivideByZeroException.
			ex.Add("InnerException", newException(r.inner, r.Message))
		}
		r.exception = ex
		return ex
	case "categoryinfo":
		ci := object.New("System.Management.Automation.ErrorCategoryInfo")
		ci.Base = categoryValue{r}
		cat := r.Category
		if cat == "" {
			cat = "NotSpecified"
		}
		ci.Add("Category", cat).Add("Activity", r.Activity).Add("Reason", r.Reason).Add("TargetName", r.TargetName).Add("TargetType", "")
		return ci
	case "fullyqualifiederrorid":
		return r.fullID()
	case "targetobject":
		return r.TargetObject
	case "errordetails":
		return nil
	case "invocationinfo":
		ii := object.New("System.Management.Automation.InvocationInfo")
		ii.Add("MyCommand", r.Activity).Add("ScriptLineNumber", r.Line).Add("OffsetInLine", r.Col).
			Add("Line", r.LineText).Add("ScriptName", r.File).Add("PositionMessage", strings.TrimSuffix(positionMessage(r), "\n"))
		return ii
	case "origininfo":
		if r.ComputerName == "" {
			return nil
		}
		oi := object.New("System.Management.Automation.Remoting.OriginInfo")
		oi.Base = r.ComputerName
		oi.Add("PSComputerName", r.ComputerName)
		return oi
	case "scriptstacktrace":
		return fmt.Sprintf("at <ScriptBlock>, <No file>: line %d", r.Line)
	case "message":
		return nil
	}
	return nil
}

func positionMessage(r *ErrorRecord) string {
	if r.Line == 0 || r.ComputerName != "" {
		return ""
	}
	full := FormatError(&ErrorRecord{Line: r.Line, Col: r.Col, LineText: r.LineText, PosLength: r.PosLength, File: r.File, noActivity: true})
	lines := strings.Split(full, "\n")
	return strings.Join(lines[1:4], "\n")
}

// exceptionValue makes an exception object print as its message.
type exceptionValue struct{ msg string }

func (e exceptionValue) String() string { return e.msg }

// newException makes a .NET exception object ([System.IO.IOException]::new('x')).
func newException(typeName, msg string) *object.PSObject {
	full := typeName
	if !strings.Contains(full, ".") {
		full = exceptionTypeName(full)
	}
	ex := object.New(full)
	ex.Base = exceptionValue{msg}
	ex.Add("Message", msg).Add("InnerException", nil)
	return ex
}

// exceptionNamespaces maps an exception's short name to its namespace.
var exceptionNamespaces = map[string]string{
	"RuntimeException": "System.Management.Automation", "CommandNotFoundException": "System.Management.Automation",
	"ParameterBindingException": "System.Management.Automation", "ItemNotFoundException": "System.Management.Automation",
	"PSInvalidCastException": "System.Management.Automation", "MethodInvocationException": "System.Management.Automation",
	"ActionPreferenceStopException": "System.Management.Automation", "SessionStateException": "System.Management.Automation",
	"ParseException": "System.Management.Automation", "ValidationMetadataException": "System.Management.Automation",
	"SessionStateUnauthorizedAccessException": "System.Management.Automation", "MethodException": "System.Management.Automation",
	"ParameterBindingValidationException": "System.Management.Automation", "ParameterBindingArgumentTransformationException": "System.Management.Automation",
	"WriteErrorException":               "Microsoft.PowerShell.Commands",
	"ManagementObjectNotFoundException": "Microsoft.Exchange.Configuration.Tasks", "ManagementObjectAmbiguousException": "Microsoft.Exchange.Configuration.Tasks",
	"IOException": "System.IO", "FileNotFoundException": "System.IO", "DirectoryNotFoundException": "System.IO",
}

// exceptionTypeName returns the full type name for an exception's short name.
func exceptionTypeName(short string) string {
	if short == "" {
		return "System.Management.Automation.RuntimeException"
	}
	if strings.Contains(short, ".") {
		return short
	}
	if ns, ok := exceptionNamespaces[short]; ok {
		return ns + "." + short
	}
	return "System." + short
}

// exceptionParents is the part of .NET's exception hierarchy that typed
// catch clauses rely on.
var exceptionParents = map[string]string{
	"FileNotFoundException": "IOException", "DirectoryNotFoundException": "IOException", "IOException": "SystemException",
	"ArgumentNullException": "ArgumentException", "ArgumentOutOfRangeException": "ArgumentException", "ArgumentException": "SystemException",
	"DivideByZeroException": "ArithmeticException", "ArithmeticException": "SystemException",
	"IndexOutOfRangeException": "SystemException", "InvalidOperationException": "SystemException", "FormatException": "SystemException",
	"NotSupportedException": "SystemException", "TimeoutException": "SystemException", "UnauthorizedAccessException": "SystemException",
	"CommandNotFoundException": "RuntimeException", "ParameterBindingException": "RuntimeException", "ItemNotFoundException": "SessionStateException",
	"SessionStateException": "RuntimeException", "PSInvalidCastException": "RuntimeException", "MethodInvocationException": "MethodException",
	"MethodException": "RuntimeException", "ActionPreferenceStopException": "RuntimeException", "WriteErrorException": "SystemException",
	"RuntimeException": "SystemException", "SystemException": "Exception",
}

// isExceptionA reports whether the exception type short is want or derives from it.
func isExceptionA(short, want string) bool {
	for t := short; t != ""; t = exceptionParents[t] {
		if strings.EqualFold(t, want) {
			return true
		}
	}
	return strings.EqualFold(want, "Exception")
}

type categoryValue struct{ r *ErrorRecord }

func (c categoryValue) String() string { return c.r.categoryLine() }

// setMember assigns a property.
func setMember(obj any, name string, v any) error {
	switch x := obj.(type) {
	case *object.Hashtable:
		x.Set(name, v)
		return nil
	case *object.PSObject:
		if x.Property(name) == nil {
			return runtimeError("InvalidOperation", "RuntimeException", "PropertyAssignmentException",
				"The property '%s' cannot be found on this object. Verify that the property exists and can be set.", name)
		}
		x.Add(name, v)
		return nil
	case nil:
		return runtimeError("InvalidOperation", "RuntimeException", "PropertyNotFound",
			"The property '%s' cannot be found on this object. Verify that the property exists and can be set.", name)
	}
	return runtimeError("InvalidOperation", "RuntimeException", "PropertyAssignmentException",
		"'%s' is a ReadOnly property.", name)
}

// index implements obj[idx].
func index(obj, idx any) (any, error) {
	if obj == nil {
		return nil, runtimeError("InvalidOperation", "RuntimeException", "NullArray", "Cannot index into a null array.")
	}
	if h, ok := obj.(*object.Hashtable); ok {
		if keys, ok := idx.([]any); ok {
			var out []any
			for _, k := range keys {
				v, _ := h.Get(k)
				out = append(out, v)
			}
			return out, nil
		}
		v, _ := h.Get(idx)
		return v, nil
	}
	if o, ok := obj.(*object.PSObject); ok && !object.IsNumber(idx) && !object.IsArray(idx) {
		v, _ := o.Get(object.ToString(idx))
		return v, nil
	}
	var list []any
	switch x := obj.(type) {
	case string:
		r := []rune(x)
		list = make([]any, len(r))
		for i, c := range r {
			list[i] = object.Char(c)
		}
	default:
		if object.IsArray(obj) {
			list = object.ToList(obj)
		} else {
			list = []any{obj}
		}
	}
	at := func(i any) (any, bool) {
		n, err := object.ToInt(i)
		if err != nil {
			return nil, false
		}
		if n < 0 {
			n += len(list)
		}
		if n < 0 || n >= len(list) {
			return nil, false
		}
		return list[n], true
	}
	if many, ok := idx.([]any); ok {
		var out []any
		for _, i := range many {
			if v, ok := at(i); ok {
				out = append(out, v)
			}
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	}
	v, _ := at(idx)
	return v, nil
}

func setIndex(obj, idx, v any) error {
	switch x := obj.(type) {
	case *object.Hashtable:
		x.Set(idx, v)
		return nil
	case []any:
		n, err := object.ToInt(idx)
		if err != nil {
			return convErr(err)
		}
		if n < 0 {
			n += len(x)
		}
		if n < 0 || n >= len(x) {
			return runtimeError("OperationStopped", "IndexOutOfRangeException", "System.IndexOutOfRangeException", "Index was outside the bounds of the array.")
		}
		if et := object.ElementType(x); et != "" {
			// An element of a typed array ([int[]]) is converted to its type.
			c, err := object.Convert(v, et)
			if err != nil {
				return convErr(err)
			}
			v = c
		}
		x[n] = v
		return nil
	case *object.PSObject:
		return setMember(x, object.ToString(idx), v)
	case nil:
		return runtimeError("InvalidOperation", "RuntimeException", "NullArray", "Cannot index into a null array.")
	}
	return runtimeError("InvalidOperation", "RuntimeException", "CannotIndex", "Unable to index into an object of type %s.", object.TypeName(obj))
}

// regexMatchObject is a System.Text.RegularExpressions.Match.
func regexMatchObject(re *regexp.Regexp, s string, m []int) *object.PSObject {
	o := object.New("System.Text.RegularExpressions.Match")
	o.Base = matchString(s[m[0]:m[1]])
	var groups []any
	names := re.SubexpNames()
	for i := 0; i < len(m)/2; i++ {
		g := object.New("System.Text.RegularExpressions.Group")
		name := names[i]
		if name == "" {
			name = fmt.Sprint(i)
		}
		if m[2*i] >= 0 {
			g.Base = matchString(s[m[2*i]:m[2*i+1]])
			g.Add("Success", true).Add("Name", name).Add("Index", len([]rune(s[:m[2*i]]))).Add("Length", len([]rune(s[m[2*i]:m[2*i+1]]))).Add("Value", s[m[2*i]:m[2*i+1]])
		} else {
			g.Base = matchString("")
			g.Add("Success", false).Add("Name", name).Add("Index", 0).Add("Length", 0).Add("Value", "")
		}
		groups = append(groups, g)
	}
	o.Add("Groups", groups).Add("Success", true).Add("Name", "0").Add("Captures", []any{groups[0]}).
		Add("Index", len([]rune(s[:m[0]]))).Add("Length", len([]rune(s[m[0]:m[1]]))).Add("Value", s[m[0]:m[1]])
	return o
}

type matchString string

func (m matchString) String() string { return string(m) }

// round implements [math]::Round with banker's rounding.
func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.RoundToEven(x*p) / p
}
