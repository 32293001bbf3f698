package interp

import (
	"errors"
	"strings"
	"time"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

func (f *frame) invoke(x *syntax.InvokeExpr) (any, error) {
	obj, err := f.expr(x.X)
	if err != nil {
		return nil, err
	}
	name, err := f.memberName(x.Member)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(x.Args))
	for i, a := range x.Args {
		v, err := f.expr(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	var r any
	if x.Static {
		r, err = f.staticMethod(obj, name, args)
	} else {
		r, err = f.callMethod(obj, name, args)
	}
	return r, f.at(err, x.Span)
}

// voidResult is what a void method returns: a statement calling it
// writes nothing, and as a value it is $null.
type voidResult struct{}

// isCommonMethod reports methods every object has, which arrays do not
// enumerate.
func isCommonMethod(lname string) bool {
	switch lname {
	case "tostring", "gettype", "equals", "gethashcode", "compareto":
		return true
	}
	return false
}

// typeNameOf is GetType().FullName, including the interpreter's own types.
func typeNameOf(v any) string {
	switch x := v.(type) {
	case *ErrorRecord:
		return "System.Management.Automation.ErrorRecord"
	case *ScriptBlock:
		return "System.Management.Automation.ScriptBlock"
	case errorList:
		return "System.Collections.ArrayList"
	case typeValue:
		return "System.RuntimeType"
	case *Credential:
		return "System.Management.Automation.PSCredential"
	case *SecureString:
		return "System.Security.SecureString"
	case ByteSize:
		return "Microsoft.Exchange.Data.ByteQuantifiedSize"
	case *object.PSObject:
		// A custom object whose first type name was added (Select-Object's
		// "Selected.System.String") is still a PSCustomObject.
		if x.Base == nil && strings.HasPrefix(x.TypeName(), "Selected.") {
			return "System.Management.Automation.PSCustomObject"
		}
		return x.TypeName()
	}
	return object.TypeName(v)
}

func methodNotFound(v any, name string) *ErrorRecord {
	return runtimeError("InvalidOperation", "RuntimeException", "MethodNotFound",
		"Method invocation failed because [%s] does not contain a method named '%s'.", typeNameOf(v), name)
}

// methodException is a .NET method that threw: PowerShell wraps the
// exception in a MethodInvocationException.
func methodException(inner, format string, args ...any) *ErrorRecord {
	r := runtimeError("NotSpecified", "MethodInvocationException", inner, format, args...)
	r.inner = inner
	return r
}

func badArgCount(name string, n int) *ErrorRecord {
	return runtimeError("NotSpecified", "MethodException", "MethodCountCouldNotFindBest",
		"Cannot find an overload for \"%s\" and the argument count: \"%d\".", name, n)
}

func argInt(args []any, i int) (int, error) {
	n, err := object.ToInt(args[i])
	if err != nil {
		return 0, convErr(err)
	}
	return n, nil
}

func argFloat(args []any, i int) (float64, error) {
	n, err := object.ToFloat(args[i])
	if err != nil {
		return 0, convErr(err)
	}
	return n, nil
}

// goMethods is implemented by the Base of an object whose methods are
// written in Go ($PSCmdlet, Exchange's value types): CallMethod calls one
// (handled is false for a name it does not have); HasMethod tells whether
// it has one without calling it.
type goMethods interface {
	CallMethod(name string, args []any) (r any, handled bool, err error)
	HasMethod(name string) bool
}

// callMethod calls an instance method: one of the value's registered
// .NET type (see [DotNetType]), else, on an array, each element's (method
// enumeration), else one every object has, else a script method of a
// custom object.
func (f *frame) callMethod(v any, name string, args []any) (any, error) {
	lname := strings.ToLower(name)
	if v == nil {
		return nil, runtimeError("InvalidOperation", "RuntimeException", "InvokeMethodOnNull", "You cannot call a method on a null-valued expression.")
	}
	c := &MethodCall{This: v, Name: name, Args: args, f: f}
	if t := instanceType(v); t != nil {
		if m := t.Methods[lname]; m != nil {
			if r, err := m(c); !errors.Is(err, ErrNoOverload) {
				return r, err
			}
		}
	}
	if x, ok := v.([]any); ok && !isCommonMethod(lname) {
		// Method enumeration: ('a', 'b').ToUpper() calls each element's.
		out := []any{}
		for _, e := range x {
			r, err := f.callMethod(e, name, args)
			if err != nil {
				if rec, ok := err.(*ErrorRecord); ok && rec.FullyQualifiedErrorId == "MethodNotFound" {
					return nil, methodNotFound(v, name)
				}
				return nil, err
			}
			if _, isVoid := r.(voidResult); !isVoid {
				out = append(out, r)
			}
		}
		return unwrapList(out), nil
	}
	if m := objectType.Methods[lname]; m != nil {
		if r, err := m(c); !errors.Is(err, ErrNoOverload) {
			return r, err
		}
	}
	if o, ok := v.(*object.PSObject); ok {
		// A script method stored as a property holding a script block.
		if g, ok := o.Base.(goMethods); ok {
			if r, handled, err := g.CallMethod(name, args); handled {
				return r, err
			}
		}
		if p, ok := o.Get(name); ok {
			if sb, ok := p.(*ScriptBlock); ok {
				out, err := f.invokeScriptBlock(sb, args)
				return unwrapList(out), err
			}
		}
		if o.Base != nil {
			if _, isPS := o.Base.(*object.PSObject); !isPS {
				if r, err := f.callMethod(o.Base, name, args); err == nil {
					return r, nil
				}
			}
		}
	}
	return nil, methodNotFound(v, name)
}

// staticMember is [Type]::Name: a registered static property, else $null.
func (f *frame) staticMember(obj any, name string, sp syntax.Span) (any, error) {
	t, ok := obj.(typeValue)
	if !ok {
		return nil, nil
	}
	if dt := namedType(t.name); dt != nil {
		if p := dt.StaticProperties[strings.ToLower(name)]; p != nil {
			return p(nil), nil
		}
	}
	return nil, nil
}

// staticMethod is [Type]::Name(args): a registered static method, or the
// constructor of an exception type.
func (f *frame) staticMethod(obj any, name string, args []any) (any, error) {
	lname := strings.ToLower(name)
	t, _ := obj.(typeValue)
	if lname == "new" && strings.HasSuffix(strings.ToLower(t.name), "exception") {
		msg := ""
		if len(args) > 0 {
			msg = object.ToString(args[0])
		}
		return newException(t.name, msg), nil
	}
	typeName := fullTypeName(object.ToString(obj))
	if dt := namedType(t.name); dt != nil && t.name != "" {
		typeName = dt.Name
		if m := dt.Static[lname]; m != nil {
			r, err := m(&MethodCall{Name: name, Args: args, f: f})
			if errors.Is(err, ErrNoOverload) {
				// The method exists; no overload takes these arguments.
				return nil, badArgCount(name, len(args))
			}
			return r, err
		}
	}
	return nil, runtimeError("InvalidOperation", "RuntimeException", "MethodNotFound",
		"Method invocation failed because [%s] does not contain a method named '%s'.", typeName, name)
}

func castCall(v any, err error) (any, error) {
	if err != nil {
		return nil, runtimeError("NotSpecified", "MethodInvocationException", "FormatException",
			"Exception calling \"Parse\" with \"1\" argument(s): \"%s\"", err.Error())
	}
	return v, nil
}

// parseExact parses a date with a .NET custom format.
func parseExact(s, format string) (any, error) {
	repl := strings.NewReplacer("yyyy", "2006", "MMMM", "January", "MMM", "Jan", "MM", "01", "dddd", "Monday", "ddd", "Mon",
		"dd", "02", "HH", "15", "hh", "03", "mm", "04", "ss", "05", "tt", "PM", "fff", "000", "zzz", "-07:00")
	layout := repl.Replace(format)
	t, err := time.ParseInLocation(layout, s, time.Local)
	if err != nil {
		return nil, runtimeError("NotSpecified", "MethodInvocationException", "FormatException",
			"Exception calling \"ParseExact\" with \"3\" argument(s): \"String was not recognized as a valid DateTime.\"")
	}
	return t, nil
}

// decimalMath is the [math] methods' System.Decimal overloads, which .NET
// picks when an argument is a decimal: the result is a decimal (Sign: an
// int), rounding keeps decimal digits exactly and Round's default is to
// even. ok is false when no argument is a decimal.
func decimalMath(lname, name string, args []any) (any, bool, error) {
	isDec := false
	for _, a := range args {
		if _, ok := a.(object.Decimal); ok {
			isDec = true
		}
	}
	if !isDec {
		return nil, false, nil
	}
	dec := func(i int) (object.Decimal, error) {
		d, err := object.ToDecimal(args[i])
		if err != nil {
			return d, convErr(err)
		}
		return d, nil
	}
	switch lname {
	case "round":
		if len(args) < 1 || len(args) > 3 {
			return nil, true, badArgCount(name, len(args))
		}
		d, err := dec(0)
		if err != nil {
			return nil, true, err
		}
		places, mode := 0, object.RoundHalfEven
		for _, a := range args[1:] {
			if s, ok := a.(string); ok {
				switch {
				case strings.EqualFold(s, "AwayFromZero"):
					mode = object.RoundHalfAway
				case strings.EqualFold(s, "ToEven"):
					mode = object.RoundHalfEven
				default:
					return nil, true, convErr(errors.New("Cannot convert value \"" + s + "\" to type \"System.MidpointRounding\"."))
				}
				continue
			}
			if places, err = argInt([]any{a}, 0); err != nil {
				return nil, true, err
			}
			if places < 0 || places > object.MaxDecimalScale {
				return nil, true, NewError("InvalidArgument", "ArgumentOutOfRangeException", "ArgumentOutOfRangeException", "",
					"Exception calling \"Round\" with \"%d\" argument(s): \"Rounding digits must be between 0 and 28, inclusive.\"", len(args))
			}
		}
		return d.Round(places, mode), true, nil
	case "abs", "floor", "ceiling", "truncate", "sign":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		d, err := dec(0)
		if err != nil {
			return nil, true, err
		}
		switch lname {
		case "abs":
			return d.Abs(), true, nil
		case "floor":
			return d.Round(0, object.RoundFloor), true, nil
		case "ceiling":
			return d.Round(0, object.RoundCeiling), true, nil
		case "truncate":
			return d.Round(0, object.RoundTruncate), true, nil
		}
		return d.Sign(), true, nil
	case "max", "min":
		if len(args) != 2 {
			return nil, true, badArgCount(name, len(args))
		}
		a, err := dec(0)
		if err != nil {
			return nil, true, err
		}
		b, err := dec(1)
		if err != nil {
			return nil, true, err
		}
		if (lname == "max") == (a.Cmp(b) >= 0) {
			return a, true, nil
		}
		return b, true, nil
	}
	return nil, false, nil
}
