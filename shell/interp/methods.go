package interp

import (
	"encoding/base64"
	"errors"
	"math"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

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

// callMethod calls an instance method.
func (f *frame) callMethod(v any, name string, args []any) (any, error) {
	lname := strings.ToLower(name)
	if v == nil {
		return nil, runtimeError("InvalidOperation", "RuntimeException", "InvokeMethodOnNull", "You cannot call a method on a null-valued expression.")
	}
	switch x := v.(type) {
	case string:
		if r, ok, err := stringMethod(x, lname, name, args); ok {
			return r, err
		}
	case object.Char:
		if r, ok, err := stringMethod(string(rune(x)), lname, name, args); ok && lname != "tostring" && lname != "equals" && lname != "compareto" {
			return r, err
		}
	case errorList:
		if lname == "clear" {
			f.s.errs = nil
			return voidResult{}, nil
		}
		if r, ok, err := f.arrayMethod([]any(x), lname, name, args); ok {
			return r, err
		}
	case []any:
		if r, ok, err := f.arrayMethod(x, lname, name, args); ok {
			return r, err
		}
		if !isCommonMethod(lname) {
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
	case *object.Hashtable:
		if r, ok, err := hashMethod(x, lname, name, args); ok {
			return r, err
		}
	case time.Time:
		if r, ok, err := dateMethod(x, lname, name, args); ok {
			return r, err
		}
	case time.Duration:
		switch lname {
		case "add", "subtract":
			if len(args) != 1 {
				return nil, badArgCount(name, len(args))
			}
			d, err := object.Convert(args[0], "timespan")
			if err != nil {
				return nil, convErr(err)
			}
			if lname == "add" {
				return x + d.(time.Duration), nil
			}
			return x - d.(time.Duration), nil
		case "negate":
			return -x, nil
		case "duration":
			if x < 0 {
				return -x, nil
			}
			return x, nil
		case "tostring":
			if len(args) == 1 {
				return object.FormatValue(x, object.ToString(args[0])), nil
			}
		}
	case *ScriptBlock:
		switch lname {
		case "invoke", "invokereturnasis":
			out, err := f.invokeScriptBlock(x, args)
			if err != nil {
				return nil, err
			}
			if lname == "invokereturnasis" {
				return unwrapList(out), nil
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		case "getnewclosure":
			return &ScriptBlock{text: x.text, ast: x.ast, src: x.src, closure: f.sc.snapshot(f.s.global)}, nil
		}
	case *Credential:
		if lname == "getnetworkcredential" {
			o := object.New("System.Net.NetworkCredential")
			pw := ""
			if x.Password != nil {
				pw = x.Password.Plain
			}
			user, domain := x.UserName, ""
			if i := strings.IndexByte(user, '\\'); i >= 0 {
				domain, user = user[:i], user[i+1:]
			}
			o.Add("UserName", user).Add("Password", pw).Add("Domain", domain)
			return o, nil
		}
	case *regexp.Regexp:
		return f.regexMethod(x, lname, name, args)
	case netip.Addr:
		if lname == "getaddressbytes" {
			var out []any
			for _, b := range x.AsSlice() {
				out = append(out, int(b))
			}
			return out, nil
		}
	}
	// Methods every object has.
	switch lname {
	case "tostring":
		if len(args) >= 1 && (object.IsNumber(v)) {
			return object.FormatValue(v, object.ToString(args[0])), nil
		}
		if o, ok := v.(*object.PSObject); ok && o.Base == nil && o.TypeName() == "System.Management.Automation.PSCustomObject" {
			// Windows PowerShell's PSCustomObject.ToString() is empty;
			// only "$o" shows @{...}.
			return "", nil
		}
		if _, ok := v.([]any); ok {
			return "System.Object[]", nil
		}
		return object.ToString(v), nil
	case "gettype":
		return typeValue{typeNameOf(v)}, nil
	case "equals":
		if len(args) != 1 {
			return nil, badArgCount(name, len(args))
		}
		return object.Equal(v, args[0], false) && object.TypeName(v) == object.TypeName(args[0]), nil
	case "compareto":
		if len(args) != 1 {
			return nil, badArgCount(name, len(args))
		}
		c, err := object.Compare(v, args[0], true)
		if err != nil {
			return nil, runtimeError("NotSpecified", "MethodInvocationException", "ArgumentException", "%s", err.Error())
		}
		return c, nil
	case "gethashcode":
		return int(len(object.ToString(v))), nil
	case "psobject":
		return nil, nil
	}
	if o, ok := v.(*object.PSObject); ok {
		// A script method stored as a property holding a script block.
		if sb, ok := o.Base.(interface {
			CallMethod(name string, args []any) (any, bool, error)
		}); ok {
			if r, handled, err := sb.CallMethod(name, args); handled {
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

func stringMethod(s, lname, name string, args []any) (any, bool, error) {
	str := func(i int) string { return object.ToString(args[i]) }
	need := func(n ...int) error {
		for _, k := range n {
			if len(args) == k {
				return nil
			}
		}
		return badArgCount(name, len(args))
	}
	runes := []rune(s)
	switch lname {
	case "toupper", "toupperinvariant":
		return strings.ToUpper(s), true, nil
	case "tolower", "tolowerinvariant":
		return strings.ToLower(s), true, nil
	case "trim", "trimstart", "trimend":
		cut := " \t\r\n\v\f"
		if len(args) > 0 {
			var b strings.Builder
			for _, a := range args {
				for _, e := range object.ToList(a) {
					b.WriteString(object.ToString(e))
				}
			}
			cut = b.String()
		}
		switch lname {
		case "trim":
			return strings.Trim(s, cut), true, nil
		case "trimstart":
			return strings.TrimLeft(s, cut), true, nil
		}
		return strings.TrimRight(s, cut), true, nil
	case "substring":
		if err := need(1, 2); err != nil {
			return nil, true, err
		}
		start, err := argInt(args, 0)
		if err != nil {
			return nil, true, err
		}
		n := len(runes) - start
		if len(args) == 2 {
			if n, err = argInt(args, 1); err != nil {
				return nil, true, err
			}
		}
		if start < 0 || start > len(runes) || n < 0 || start+n > len(runes) {
			param := "startIndex"
			msg := "startIndex cannot be larger than length of string."
			if len(args) == 2 {
				param, msg = "length", "Index and length must refer to a location within the string."
			}
			return nil, true, methodException("ArgumentOutOfRangeException",
				"Exception calling \"Substring\" with \"%d\" argument(s): \"%s\nParameter name: %s\"", len(args), msg, param)
		}
		return string(runes[start : start+n]), true, nil
	case "split":
		if len(args) == 0 {
			return toAnyStrings(strings.Fields(s)), true, nil
		}
		seps := ""
		for _, e := range object.ToList(args[0]) {
			seps += object.ToString(e)
		}
		limit := -1
		if len(args) > 1 {
			if n, err := object.ToInt(args[1]); err == nil {
				limit = n
			}
		}
		var parts []string
		if seps == "" {
			parts = strings.Fields(s)
		} else {
			parts = splitAny(s, seps, limit)
		}
		return toAnyStrings(parts), true, nil
	case "replace":
		if err := need(2); err != nil {
			return nil, true, err
		}
		return strings.ReplaceAll(s, str(0), str(1)), true, nil
	case "contains":
		if err := need(1); err != nil {
			return nil, true, err
		}
		return strings.Contains(s, str(0)), true, nil
	case "startswith", "endswith":
		if err := need(1, 2); err != nil {
			return nil, true, err
		}
		a, b := s, str(0)
		if len(args) == 2 && strings.Contains(strings.ToLower(object.ToString(args[1])), "ignorecase") || len(args) == 2 && args[1] == true {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		if lname == "startswith" {
			return strings.HasPrefix(a, b), true, nil
		}
		return strings.HasSuffix(a, b), true, nil
	case "indexof", "lastindexof":
		if err := need(1, 2); err != nil {
			return nil, true, err
		}
		sub := str(0)
		var i int
		if lname == "indexof" {
			from := 0
			if len(args) == 2 {
				from, _ = object.ToInt(args[1])
			}
			if from > len(runes) {
				from = len(runes)
			}
			i = strings.Index(string(runes[from:]), sub)
			if i >= 0 {
				i = len([]rune(string(runes[from:])[:i])) + from
			}
		} else {
			i = strings.LastIndex(s, sub)
			if i >= 0 {
				i = len([]rune(s[:i]))
			}
		}
		return i, true, nil
	case "padleft", "padright":
		if err := need(1, 2); err != nil {
			return nil, true, err
		}
		n, err := argInt(args, 0)
		if err != nil {
			return nil, true, err
		}
		pad := " "
		if len(args) == 2 {
			pad = str(1)
		}
		if len(runes) >= n || pad == "" {
			return s, true, nil
		}
		fill := strings.Repeat(pad[:1], n-len(runes))
		if lname == "padleft" {
			return fill + s, true, nil
		}
		return s + fill, true, nil
	case "insert":
		if err := need(2); err != nil {
			return nil, true, err
		}
		i, err := argInt(args, 0)
		if err != nil {
			return nil, true, err
		}
		if i < 0 || i > len(runes) {
			return nil, true, methodException("ArgumentOutOfRangeException",
				"Exception calling \"Insert\" with \"2\" argument(s): \"Specified argument was out of the range of valid values.\nParameter name: startIndex\"")
		}
		return string(runes[:i]) + str(1) + string(runes[i:]), true, nil
	case "remove":
		if err := need(1, 2); err != nil {
			return nil, true, err
		}
		i, err := argInt(args, 0)
		if err != nil {
			return nil, true, err
		}
		n := len(runes) - i
		if len(args) == 2 {
			n, _ = argInt(args, 1)
		}
		if i < 0 || n < 0 || i+n > len(runes) {
			return nil, true, methodException("ArgumentOutOfRangeException",
				"Exception calling \"Remove\" with \"%d\" argument(s): \"Index and count must refer to a location within the string.\nParameter name: count\"", len(args))
		}
		return string(runes[:i]) + string(runes[i+n:]), true, nil
	case "equals":
		if err := need(1, 2); err != nil {
			return nil, true, err
		}
		o, ok := args[0].(string)
		if !ok {
			return false, true, nil
		}
		if len(args) == 2 && strings.Contains(strings.ToLower(object.ToString(args[1])), "ignorecase") {
			return strings.EqualFold(s, o), true, nil
		}
		return s == o, true, nil
	case "compareto":
		if err := need(1); err != nil {
			return nil, true, err
		}
		return object.CompareStrings(s, str(0), true), true, nil
	case "tochararray":
		out := make([]any, len(runes))
		for i, r := range runes {
			out[i] = string(r)
		}
		return out, true, nil
	case "normalize", "clone":
		return s, true, nil
	case "isnormalized":
		return true, true, nil
	}
	return nil, false, nil
}

func toAnyStrings(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// splitAny splits at any of the separator characters, as String.Split(char[]).
func splitAny(s, seps string, limit int) []string {
	var out []string
	start := 0
	for i, r := range s {
		if limit > 0 && len(out) == limit-1 {
			break
		}
		if strings.ContainsRune(seps, r) {
			out = append(out, s[start:i])
			start = i + len(string(r))
		}
	}
	return append(out, s[start:])
}

func (f *frame) arrayMethod(l []any, lname, name string, args []any) (any, bool, error) {
	switch lname {
	case "contains":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		for _, e := range l {
			if object.Equal(e, args[0], true) {
				return true, true, nil
			}
		}
		return false, true, nil
	case "indexof":
		if len(args) < 1 {
			return nil, true, badArgCount(name, len(args))
		}
		for i, e := range l {
			if object.Equal(e, args[0], true) {
				return i, true, nil
			}
		}
		return -1, true, nil
	case "foreach", "where":
		if len(args) < 1 {
			return nil, true, badArgCount(name, len(args))
		}
		sb, ok := args[0].(*ScriptBlock)
		if !ok {
			if lname == "foreach" {
				// .ForEach('Name') gets a property of each element.
				prop := object.ToString(args[0])
				out := []any{}
				for _, e := range l {
					out = append(out, getMember(e, prop))
				}
				return out, true, nil
			}
			return nil, true, badArgCount(name, len(args))
		}
		out := []any{}
		for _, e := range l {
			res, err := f.runDotSourced(sb, e, nil)
			if err != nil {
				return nil, true, err
			}
			if lname == "foreach" {
				out = append(out, res...)
			} else if object.ToBool(unwrapList(res)) {
				out = append(out, e)
				if len(args) > 1 && strings.EqualFold(object.ToString(args[1]), "First") {
					break
				}
			}
		}
		return out, true, nil
	case "clone":
		return append([]any{}, l...), true, nil
	case "getenumerator":
		return l, true, nil
	case "add", "remove", "insert", "removeat", "clear":
		return nil, true, methodException("NotSupportedException",
			"Exception calling \"%s\" with \"%d\" argument(s): \"Collection was of a fixed size.\"", name, len(args))
	}
	return nil, false, nil
}

func hashMethod(h *object.Hashtable, lname, name string, args []any) (any, bool, error) {
	switch lname {
	case "containskey", "contains":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		_, ok := h.Get(args[0])
		return ok, true, nil
	case "containsvalue":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		for _, k := range h.Keys() {
			v, _ := h.Get(k)
			if object.Equal(v, args[0], false) {
				return true, true, nil
			}
		}
		return false, true, nil
	case "add":
		if len(args) != 2 {
			return nil, true, badArgCount(name, len(args))
		}
		if _, dup := h.Get(args[0]); dup {
			k := object.ToString(args[0])
			return nil, true, methodException("ArgumentException",
				"Exception calling \"Add\" with \"2\" argument(s): \"Item has already been added. Key in dictionary: '%s'  Key being added: '%s'\"", k, k)
		}
		h.Set(args[0], args[1])
		return voidResult{}, true, nil
	case "remove":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		h.Delete(args[0])
		return voidResult{}, true, nil
	case "clear":
		for _, k := range append([]any{}, h.Keys()...) {
			h.Delete(k)
		}
		return voidResult{}, true, nil
	case "clone":
		c := object.NewHashtable()
		for _, k := range h.Keys() {
			v, _ := h.Get(k)
			c.Set(k, v)
		}
		return c, true, nil
	case "getenumerator":
		out := make([]any, 0, h.Len())
		for _, k := range h.Keys() {
			v, _ := h.Get(k)
			e := object.New("System.Collections.DictionaryEntry")
			e.Add("Name", k).Add("Key", k).Add("Value", v)
			out = append(out, e)
		}
		return out, true, nil
	}
	return nil, false, nil
}

func dateMethod(t time.Time, lname, name string, args []any) (any, bool, error) {
	add := func(unit time.Duration) (any, bool, error) {
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		n, err := argFloat(args, 0)
		if err != nil {
			return nil, true, err
		}
		return t.Add(time.Duration(n * float64(unit))), true, nil
	}
	switch lname {
	case "adddays":
		return add(24 * time.Hour)
	case "addhours":
		return add(time.Hour)
	case "addminutes":
		return add(time.Minute)
	case "addseconds":
		return add(time.Second)
	case "addmilliseconds":
		return add(time.Millisecond)
	case "addticks":
		return add(100)
	case "addmonths", "addyears":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		n, err := argInt(args, 0)
		if err != nil {
			return nil, true, err
		}
		if lname == "addyears" {
			return t.AddDate(n, 0, 0), true, nil
		}
		// .NET clamps to the last day of the month.
		y, m, d := t.Date()
		target := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		last := time.Date(target.Year(), target.Month()+1, 0, 0, 0, 0, 0, t.Location()).Day()
		return target.AddDate(0, 0, min(d, last)-1), true, nil
	case "add":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		d, err := object.Convert(args[0], "timespan")
		if err != nil {
			return nil, true, convErr(err)
		}
		return t.Add(d.(time.Duration)), true, nil
	case "subtract":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		switch y := args[0].(type) {
		case time.Time:
			return t.Sub(y), true, nil
		case time.Duration:
			return t.Add(-y), true, nil
		}
		return nil, true, badArgCount(name, len(args))
	case "tostring":
		if len(args) >= 1 {
			return object.FormatDate(t, object.ToString(args[0])), true, nil
		}
		return object.FormatDate(t, ""), true, nil
	case "touniversaltime":
		return t.UTC(), true, nil
	case "tolocaltime":
		return t.Local(), true, nil
	case "toshortdatestring":
		return object.FormatDate(t, "d"), true, nil
	case "tolongdatestring":
		return object.FormatDate(t, "D"), true, nil
	case "toshorttimestring":
		return object.FormatDate(t, "t"), true, nil
	case "tolongtimestring":
		return object.FormatDate(t, "T"), true, nil
	case "tofiletime", "tofiletimeutc":
		return int((t.UnixNano() / 100) + 116444736000000000), true, nil
	case "isdaylightsavingtime":
		return t.IsDST(), true, nil
	}
	return nil, false, nil
}

func (f *frame) regexMethod(re *regexp.Regexp, lname, name string, args []any) (any, error) {
	if len(args) < 1 {
		return nil, badArgCount(name, len(args))
	}
	s := object.ToString(args[0])
	switch lname {
	case "ismatch":
		return re.MatchString(s), nil
	case "match":
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			o := object.New("System.Text.RegularExpressions.Match")
			o.Base = matchString("")
			o.Add("Groups", []any{}).Add("Success", false).Add("Index", 0).Add("Length", 0).Add("Value", "")
			return o, nil
		}
		return regexMatchObject(re, s, m), nil
	case "matches":
		out := []any{}
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			out = append(out, regexMatchObject(re, s, m))
		}
		return out, nil
	case "replace":
		if len(args) < 2 {
			return nil, badArgCount(name, len(args))
		}
		return ReplaceRegex(re, s, object.ToString(args[1])), nil
	case "split":
		return toAnyStrings(re.Split(s, -1)), nil
	case "tostring":
		return re.String(), nil
	}
	return nil, methodNotFound(re, name)
}

// staticTypeKey normalises a type name for static member lookup.
func staticTypeKey(obj any) string {
	t, ok := obj.(typeValue)
	if !ok {
		return ""
	}
	n := strings.ToLower(t.name)
	n = strings.TrimPrefix(n, "system.")
	switch n {
	case "int32":
		n = "int"
	case "int64":
		n = "long"
	case "boolean":
		n = "bool"
	case "text.regularexpressions.regex":
		n = "regex"
	case "net.ipaddress":
		n = "ipaddress"
	}
	return n
}

func (f *frame) staticMember(obj any, name string, sp syntax.Span) (any, error) {
	key := staticTypeKey(obj)
	lname := strings.ToLower(name)
	switch key + "::" + lname {
	case "decimal::maxvalue":
		return object.DecimalMax, nil
	case "decimal::minvalue":
		return object.DecimalMin, nil
	case "decimal::zero":
		return object.DecimalFromInt(0), nil
	case "decimal::one":
		return object.DecimalFromInt(1), nil
	case "decimal::minusone":
		return object.DecimalFromInt(-1), nil
	case "byte::maxvalue":
		return 255, nil
	case "byte::minvalue", "uint16::minvalue", "uint32::minvalue":
		return 0, nil
	case "int16::maxvalue":
		return math.MaxInt16, nil
	case "int16::minvalue":
		return math.MinInt16, nil
	case "uint16::maxvalue":
		return math.MaxUint16, nil
	case "uint32::maxvalue":
		return int64(math.MaxUint32), nil
	case "char::maxvalue":
		return object.Char(0xFFFF), nil
	case "int::maxvalue":
		return math.MaxInt32, nil
	case "int::minvalue":
		return math.MinInt32, nil
	case "long::maxvalue":
		return int64(math.MaxInt64), nil
	case "long::minvalue":
		return int64(math.MinInt64), nil
	case "double::maxvalue":
		return math.MaxFloat64, nil
	case "double::minvalue":
		return -math.MaxFloat64, nil
	case "double::nan":
		return math.NaN(), nil
	case "double::positiveinfinity":
		return math.Inf(1), nil
	case "double::negativeinfinity":
		return math.Inf(-1), nil
	case "math::pi":
		return math.Pi, nil
	case "math::e":
		return math.E, nil
	case "datetime::now":
		return time.Now(), nil
	case "datetime::utcnow":
		return time.Now().UTC(), nil
	case "datetime::today":
		y, m, d := time.Now().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.Local), nil
	case "datetime::minvalue":
		return time.Date(1, 1, 1, 0, 0, 0, 0, time.Local), nil
	case "datetime::maxvalue":
		return time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.Local), nil
	case "timespan::zero":
		return time.Duration(0), nil
	case "timespan::maxvalue":
		return time.Duration(math.MaxInt64), nil
	case "string::empty":
		return "", nil
	case "environment::newline":
		return "\n", nil
	case "environment::machinename":
		h, _ := os.Hostname()
		return h, nil
	case "environment::username":
		return os.Getenv("USER"), nil
	case "ipaddress::any":
		return netip.IPv4Unspecified(), nil
	case "ipaddress::loopback":
		return netip.MustParseAddr("127.0.0.1"), nil
	case "ipaddress::ipv6any":
		return netip.IPv6Unspecified(), nil
	case "ipaddress::ipv6loopback":
		return netip.IPv6Loopback(), nil
	case "management.automation.actionpreference::stop", "management.automation.actionpreference::continue",
		"management.automation.actionpreference::silentlycontinue":
		return name, nil
	}
	if _, ok := obj.(typeValue); !ok {
		return nil, nil
	}
	return nil, nil
}

func (f *frame) staticMethod(obj any, name string, args []any) (any, error) {
	key := staticTypeKey(obj)
	lname := strings.ToLower(name)
	if t, ok := obj.(typeValue); ok && lname == "new" && strings.HasSuffix(strings.ToLower(t.name), "exception") {
		msg := ""
		if len(args) > 0 {
			msg = object.ToString(args[0])
		}
		return newException(t.name, msg), nil
	}
	one := func() error {
		if len(args) != 1 {
			return badArgCount(name, len(args))
		}
		return nil
	}
	str := func(i int) string { return object.ToString(args[i]) }
	switch key {
	case "convert":
		if r, ok, err := convertMethod(lname, name, args); ok {
			return r, err
		}
	case "math":
		if r, ok, err := decimalMath(lname, name, args); ok {
			return r, err
		}
		switch lname {
		case "max", "min":
			if len(args) != 2 {
				return nil, badArgCount(name, len(args))
			}
			c, err := object.Compare(args[0], args[1], false)
			if err != nil {
				return nil, convErr(err)
			}
			a, b := args[0], args[1]
			if object.IsNumber(a) && object.IsNumber(b) {
				_, aInt := a.(int)
				_, bInt := b.(int)
				if !(aInt && bInt) {
					a, _ = object.ToFloat(a)
					b, _ = object.ToFloat(b)
				}
			}
			if (lname == "max") == (c >= 0) {
				return a, nil
			}
			return b, nil
		case "abs":
			if err := one(); err != nil {
				return nil, err
			}
			if i, ok := args[0].(int); ok {
				if i < 0 {
					return -i, nil
				}
				return i, nil
			}
			x, err := argFloat(args, 0)
			return math.Abs(x), err
		case "round":
			if len(args) < 1 {
				return nil, badArgCount(name, len(args))
			}
			if i, ok := args[0].(int); ok {
				return i, nil
			}
			x, err := argFloat(args, 0)
			if err != nil {
				return nil, err
			}
			digits := 0
			if len(args) > 1 {
				if digits, err = argInt(args, 1); err != nil {
					return nil, err
				}
			}
			if len(args) > 2 && strings.EqualFold(str(2), "AwayFromZero") {
				p := math.Pow(10, float64(digits))
				return math.Round(x*p) / p, nil
			}
			return round(x, digits), nil
		case "floor", "ceiling", "truncate", "sqrt", "log10", "exp", "sin", "cos", "tan", "sign":
			if err := one(); err != nil {
				return nil, err
			}
			if i, ok := args[0].(int); ok && (lname == "floor" || lname == "ceiling" || lname == "truncate") {
				return i, nil
			}
			x, err := argFloat(args, 0)
			if err != nil {
				return nil, err
			}
			switch lname {
			case "floor":
				return math.Floor(x), nil
			case "ceiling":
				return math.Ceil(x), nil
			case "truncate":
				return math.Trunc(x), nil
			case "sqrt":
				return math.Sqrt(x), nil
			case "log10":
				return math.Log10(x), nil
			case "exp":
				return math.Exp(x), nil
			case "sin":
				return math.Sin(x), nil
			case "cos":
				return math.Cos(x), nil
			case "tan":
				return math.Tan(x), nil
			case "sign":
				switch {
				case x > 0:
					return 1, nil
				case x < 0:
					return -1, nil
				}
				return 0, nil
			}
		case "log":
			x, err := argFloat(args, 0)
			if err != nil {
				return nil, err
			}
			if len(args) == 2 {
				b, err := argFloat(args, 1)
				if err != nil {
					return nil, err
				}
				return math.Log(x) / math.Log(b), nil
			}
			return math.Log(x), nil
		case "pow":
			if len(args) != 2 {
				return nil, badArgCount(name, len(args))
			}
			x, err := argFloat(args, 0)
			if err != nil {
				return nil, err
			}
			y, err := argFloat(args, 1)
			if err != nil {
				return nil, err
			}
			return math.Pow(x, y), nil
		}
	case "string":
		switch lname {
		case "isnullorempty":
			if err := one(); err != nil {
				return nil, err
			}
			return args[0] == nil || str(0) == "", nil
		case "isnullorwhitespace":
			if err := one(); err != nil {
				return nil, err
			}
			return strings.TrimSpace(str(0)) == "", nil
		case "join":
			if len(args) < 2 {
				return nil, badArgCount(name, len(args))
			}
			var items []any
			if len(args) == 2 {
				items = object.ToList(args[1])
			} else {
				items = args[1:]
			}
			return join(items, str(0)), nil
		case "concat":
			var b strings.Builder
			for _, a := range args {
				b.WriteString(object.ToString(a))
			}
			return b.String(), nil
		case "format":
			if len(args) < 1 {
				return nil, badArgCount(name, len(args))
			}
			rest := args[1:]
			if len(rest) == 1 {
				if l, ok := rest[0].([]any); ok {
					rest = l
				}
			}
			return formatOp(args[0], rest)
		case "equals":
			if len(args) != 2 {
				return nil, badArgCount(name, len(args))
			}
			return str(0) == str(1), nil
		case "compare":
			if len(args) < 2 {
				return nil, badArgCount(name, len(args))
			}
			ci := len(args) > 2 && object.ToBool(args[2])
			return object.CompareStrings(str(0), str(1), !ci), nil
		}
	case "regex":
		switch lname {
		case "escape":
			if err := one(); err != nil {
				return nil, err
			}
			return regexp.QuoteMeta(str(0)), nil
		case "unescape":
			return strings.ReplaceAll(str(0), `\`, ""), nil
		case "ismatch", "match", "matches", "replace", "split":
			if len(args) < 2 {
				return nil, badArgCount(name, len(args))
			}
			cs := true
			if len(args) > 2 && lname != "replace" || len(args) > 3 {
				cs = !strings.Contains(strings.ToLower(object.ToString(args[len(args)-1])), "ignorecase")
			}
			re, err := compileRegex(str(1), cs)
			if err != nil {
				return nil, err
			}
			rest := append([]any{args[0]}, args[2:]...)
			return f.regexMethod(re, lname, name, rest)
		}
	case "datetime":
		switch lname {
		case "parse":
			if len(args) < 1 {
				return nil, badArgCount(name, len(args))
			}
			return castCall(object.Convert(args[0], "datetime"))
		case "parseexact":
			if len(args) < 2 {
				return nil, badArgCount(name, len(args))
			}
			return parseExact(str(0), str(1))
		case "daysinmonth":
			if len(args) != 2 {
				return nil, badArgCount(name, len(args))
			}
			y, _ := object.ToInt(args[0])
			m, _ := object.ToInt(args[1])
			return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(), nil
		case "isleapyear":
			y, _ := object.ToInt(args[0])
			return y%4 == 0 && (y%100 != 0 || y%400 == 0), nil
		case "specifykind":
			return args[0], nil
		}
	case "timespan":
		unit := map[string]time.Duration{"fromdays": 24 * time.Hour, "fromhours": time.Hour, "fromminutes": time.Minute,
			"fromseconds": time.Second, "frommilliseconds": time.Millisecond, "fromticks": 100}[lname]
		if unit != 0 {
			if err := one(); err != nil {
				return nil, err
			}
			x, err := argFloat(args, 0)
			if err != nil {
				return nil, err
			}
			return time.Duration(x * float64(unit)), nil
		}
		if lname == "parse" {
			if err := one(); err != nil {
				return nil, err
			}
			return castCall(object.Convert(str(0), "timespan"))
		}
	case "int", "long", "double", "bool":
		if lname == "parse" {
			if err := one(); err != nil {
				return nil, err
			}
			if key == "bool" {
				switch strings.ToLower(strings.TrimSpace(str(0))) {
				case "true":
					return true, nil
				case "false":
					return false, nil
				}
				return nil, runtimeError("NotSpecified", "MethodInvocationException", "FormatException",
					"Exception calling \"Parse\" with \"1\" argument(s): \"String was not recognized as a valid Boolean.\"")
			}
			return castCall(object.Convert(str(0), key))
		}
	case "ipaddress":
		switch lname {
		case "parse":
			if err := one(); err != nil {
				return nil, err
			}
			a, err := netip.ParseAddr(strings.TrimSpace(str(0)))
			if err != nil {
				return nil, runtimeError("NotSpecified", "MethodInvocationException", "FormatException",
					"Exception calling \"Parse\" with \"1\" argument(s): \"An invalid IP address was specified.\"")
			}
			return a, nil
		}
	case "guid":
		if lname == "newguid" {
			return newGUID(), nil
		}
	case "char":
		if len(args) == 1 {
			r := []rune(str(0))
			if len(r) != 1 {
				return false, nil
			}
			switch lname {
			case "isdigit":
				return unicode.IsDigit(r[0]), nil
			case "isletter":
				return unicode.IsLetter(r[0]), nil
			case "iswhitespace":
				return unicode.IsSpace(r[0]), nil
			case "isupper":
				return unicode.IsUpper(r[0]), nil
			case "islower":
				return unicode.IsLower(r[0]), nil
			}
		}
	case "io.path":
		switch lname {
		case "combine":
			parts := make([]string, len(args))
			for i := range args {
				parts[i] = str(i)
			}
			return strings.Join(parts, string(os.PathSeparator)), nil
		case "getfilename":
			s := str(0)
			return s[strings.LastIndexAny(s, `/\`)+1:], nil
		case "gettemppath":
			return os.TempDir() + string(os.PathSeparator), nil
		}
	case "environment":
		if lname == "getenvironmentvariable" && len(args) >= 1 {
			v, ok := f.lookupVar("env", str(0))
			if !ok {
				return nil, nil
			}
			return v, nil
		}
	}
	return nil, runtimeError("InvalidOperation", "RuntimeException", "MethodNotFound",
		"Method invocation failed because [%s] does not contain a method named '%s'.", fullTypeName(object.ToString(obj)), name)
}

func castCall(v any, err error) (any, error) {
	if err != nil {
		return nil, runtimeError("NotSpecified", "MethodInvocationException", "FormatException",
			"Exception calling \"Parse\" with \"1\" argument(s): \"%s\"", strings.TrimSuffix(err.Error(), ""))
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

// convertMethod implements System.Convert's common static methods:
// ToInt32/ToInt64/ToByte (with an optional base 2, 8, 10 or 16),
// ToString (with an optional base), ToDouble, ToBoolean, ToDateTime,
// ToChar, ToBase64String and FromBase64String.
func convertMethod(lname, name string, args []any) (any, bool, error) {
	if len(args) == 0 {
		return nil, false, nil
	}
	fail := func(msg string) error {
		return runtimeError("NotSpecified", "MethodInvocationException", "FormatException",
			"Exception calling \"%s\" with \"%d\" argument(s): \"%s\"", name, len(args), msg)
	}
	base := 10
	if len(args) == 2 && lname != "tostring" || len(args) == 2 && object.IsNumber(args[1]) {
		b, err := object.ToInt(args[1])
		if err != nil || (b != 2 && b != 8 && b != 10 && b != 16) {
			return nil, true, runtimeError("NotSpecified", "MethodInvocationException", "ArgumentException",
				"Exception calling \"%s\" with \"2\" argument(s): \"Invalid Base.\"", name)
		}
		base = b
	}
	switch lname {
	case "toint32", "toint64", "toint16", "tobyte", "touint32", "touint64":
		if str, ok := args[0].(string); ok && base != 10 {
			t := strings.TrimSpace(str)
			if base == 16 {
				t = strings.TrimPrefix(strings.TrimPrefix(t, "0x"), "0X")
			}
			n, err := strconv.ParseUint(t, base, 64)
			if err != nil {
				return nil, true, fail("Could not find any recognizable digits.")
			}
			if lname == "toint32" {
				return int(int32(uint32(n))), true, nil
			}
			if lname == "toint64" {
				return int64(n), true, nil
			}
			return int(n), true, nil
		}
		f, err := object.ToFloat(args[0])
		if err != nil {
			return nil, true, fail("Input string was not in a correct format.")
		}
		// Convert rounds half to even, as [int] does.
		n := int(math.RoundToEven(f))
		if lname == "toint64" {
			return int64(n), true, nil
		}
		return n, true, nil
	case "tostring":
		if base != 10 {
			n, err := object.ToInt64(args[0])
			if err != nil {
				return nil, true, fail("Input string was not in a correct format.")
			}
			if n < 0 {
				return strconv.FormatUint(uint64(uint32(int32(n))), base), true, nil
			}
			return strconv.FormatInt(n, base), true, nil
		}
		return object.ToString(args[0]), true, nil
	case "todouble", "todecimal", "tosingle":
		if lname == "todecimal" {
			d, err := object.ToDecimal(args[0])
			if err != nil {
				return nil, true, fail("Input string was not in a correct format.")
			}
			return d, true, nil
		}
		f, err := object.ToFloat(args[0])
		if err != nil {
			return nil, true, fail("Input string was not in a correct format.")
		}
		return f, true, nil
	case "toboolean":
		if str, ok := args[0].(string); ok {
			switch strings.ToLower(strings.TrimSpace(str)) {
			case "true":
				return true, true, nil
			case "false":
				return false, true, nil
			}
			return nil, true, fail("String was not recognized as a valid Boolean.")
		}
		return object.ToBool(args[0]), true, nil
	case "todatetime":
		v, err := object.Convert(args[0], "datetime")
		if err != nil {
			return nil, true, fail("String was not recognized as a valid DateTime.")
		}
		return v, true, nil
	case "tochar":
		v, err := object.Convert(args[0], "char")
		return v, true, err
	case "tobase64string":
		b, ok := args[0].([]byte)
		if !ok {
			list := object.ToList(args[0])
			b = make([]byte, len(list))
			for i, e := range list {
				n, _ := object.ToInt(e)
				b[i] = byte(n)
			}
		}
		return base64.StdEncoding.EncodeToString(b), true, nil
	case "frombase64string":
		b, err := base64.StdEncoding.DecodeString(object.ToString(args[0]))
		if err != nil {
			return nil, true, fail("The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.")
		}
		out := make([]any, len(b))
		for i, c := range b {
			out[i] = int(c)
		}
		return out, true, nil
	}
	return nil, false, nil
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
