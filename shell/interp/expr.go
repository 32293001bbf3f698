package interp

import (
	"strings"
	"time"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// typeValue is a type literal used as a value: [int], [datetime].
type typeValue struct{ name string }

func (t typeValue) String() string { return fullTypeName(t.name) }

// fullTypeName returns the .NET full name for a type literal's name.
func fullTypeName(name string) string {
	switch object.CanonicalType(name) {
	case "int":
		return "System.Int32"
	case "long":
		return "System.Int64"
	case "double":
		return "System.Double"
	case "string":
		return "System.String"
	case "bool":
		return "System.Boolean"
	case "datetime":
		return "System.DateTime"
	case "timespan":
		return "System.TimeSpan"
	case "array":
		return "System.Object[]"
	case "hashtable":
		return "System.Collections.Hashtable"
	case "pscustomobject":
		return "System.Management.Automation.PSCustomObject"
	case "regex":
		return "System.Text.RegularExpressions.Regex"
	case "scriptblock":
		return "System.Management.Automation.ScriptBlock"
	case "object":
		return "System.Object"
	}
	return name
}

func (f *frame) expr(x syntax.Expr) (any, error) {
	switch x := x.(type) {
	case *syntax.NumberLit:
		if isDecimalLiteral(x.Raw) {
			// The literal's text gives the places: 1.50d is 1.50.
			if d, ok := object.ParseDecimal(x.Raw[:len(x.Raw)-1]); ok {
				return d, nil
			}
			d, err := object.ToDecimal(x.Value)
			if err != nil {
				return nil, f.at(convErr(err), x.Span)
			}
			return d, nil
		}
		return x.Value, nil
	case *syntax.StringLit:
		return x.Value, nil
	case *syntax.ExpandString:
		return f.expand(x.Parts)
	case *syntax.VarExpr:
		v, _ := f.lookupVar(x.Scope, x.Name)
		return v, nil
	case *syntax.ArrayLit:
		out := make([]any, len(x.Elems))
		for i, e := range x.Elems {
			v, err := f.expr(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *syntax.UnaryExpr:
		return f.unary(x)
	case *syntax.BinaryExpr:
		return f.binary(x)
	case *syntax.ConvertExpr:
		return f.convert(x)
	case *syntax.TypeLit:
		return typeValue{x.Name}, nil
	case *syntax.ParenExpr:
		return f.stmtValue(x.X)
	case *syntax.SubExpr:
		out, err := f.collect(func(g *frame) error { return g.runStmts(x.Stmts) })
		if err != nil {
			return nil, err
		}
		return unwrapList(out), nil
	case *syntax.ArrayExpr:
		out, err := f.collect(func(g *frame) error { return g.runStmts(x.Stmts) })
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	case *syntax.HashLit:
		return f.hashLit(x)
	case *syntax.ScriptBlockExpr:
		return &ScriptBlock{text: x.Text, ast: x.Block, src: f.src}, nil
	case *syntax.MemberExpr:
		obj, err := f.expr(x.X)
		if err != nil {
			return nil, err
		}
		name, err := f.memberName(x.Member)
		if err != nil {
			return nil, err
		}
		if x.Static {
			return f.staticMember(obj, name, x.Span)
		}
		return getMember(obj, name), nil
	case *syntax.InvokeExpr:
		v, err := f.invoke(x)
		if _, isVoid := v.(voidResult); isVoid {
			v = nil
		}
		return v, err
	case *syntax.IndexExpr:
		obj, err := f.expr(x.X)
		if err != nil {
			return nil, err
		}
		idx, err := f.expr(x.Index)
		if err != nil {
			return nil, err
		}
		v, err := index(obj, idx)
		if rec, ok := err.(*ErrorRecord); ok {
			f.position(rec, x.Span)
		}
		return v, err
	}
	return nil, nil
}

func (f *frame) memberName(m syntax.Expr) (string, error) {
	if s, ok := m.(*syntax.StringLit); ok {
		return s.Value, nil
	}
	v, err := f.expr(m)
	if err != nil {
		return "", err
	}
	return object.ToString(v), nil
}

// expand evaluates the parts of an expandable string.
func (f *frame) expand(parts []syntax.Expr) (string, error) {
	if len(parts) == 1 {
		if s, ok := parts[0].(*syntax.StringLit); ok {
			return s.Value, nil
		}
	}
	var b strings.Builder
	for _, p := range parts {
		if s, ok := p.(*syntax.StringLit); ok {
			b.WriteString(s.Value)
			continue
		}
		v, err := f.expr(p)
		if err != nil {
			return "", err
		}
		b.WriteString(f.expandString(v))
	}
	return b.String(), nil
}

// expandString converts a value inside a string: arrays are joined with $OFS.
func (f *frame) expandString(v any) string {
	if l, ok := v.([]any); ok {
		sep := " "
		if ofs, ok := f.lookupVar("", "OFS"); ok && ofs != nil {
			sep = object.ToString(ofs)
		}
		parts := make([]string, len(l))
		for i, e := range l {
			if object.IsArray(e) {
				parts[i] = object.TypeName(e)
			} else {
				parts[i] = object.ToString(e)
			}
		}
		return strings.Join(parts, sep)
	}
	return object.ToString(v)
}

func (f *frame) hashLit(x *syntax.HashLit) (any, error) {
	h := object.NewHashtable()
	for _, kv := range x.Pairs {
		k, err := f.expr(kv.Key)
		if err != nil {
			return nil, err
		}
		if _, dup := h.Get(k); dup {
			rec := runtimeError("InvalidOperation", "RuntimeException", "DuplicateKeyInHashLiteral",
				"Duplicate keys '%s' are not allowed in hash literals.", object.ToString(k))
			f.position(rec, x.Span)
			return nil, rec
		}
		v, err := f.stmtValue(kv.Value)
		if err != nil {
			return nil, err
		}
		h.Set(k, v)
	}
	return h, nil
}

func (f *frame) unary(x *syntax.UnaryExpr) (any, error) {
	switch x.Op {
	case "++", "--":
		get, set, err := f.lvalue(x.X)
		if err != nil {
			return nil, err
		}
		old, err := get()
		if err != nil {
			return nil, err
		}
		op := "+"
		if x.Op == "--" {
			op = "-"
		}
		nv, err := arith(op, old, 1)
		if err != nil {
			return nil, f.at(err, x.Span)
		}
		if old == nil {
			nv, _ = arith(op, 0, 1)
		}
		if err := set(nv); err != nil {
			return nil, f.at(err, x.Span)
		}
		if x.Postfix {
			return old, nil
		}
		return nv, nil
	}
	v, err := f.expr(x.X)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "!", "-not":
		return !object.ToBool(v), nil
	case ",":
		return []any{v}, nil
	case "-":
		if d, ok := v.(time.Duration); ok {
			return -d, nil
		}
		r, err := arith("-", 0, v)
		return r, f.at(err, x.Span)
	case "+":
		n, err := object.ToNumber(v)
		if err != nil {
			return nil, f.at(convErr(err), x.Span)
		}
		return n, nil
	case "-bnot":
		n, err := object.ToInt64(v)
		if err != nil {
			return nil, f.at(convErr(err), x.Span)
		}
		return int(^n), nil
	case "-split", "-isplit", "-csplit":
		return splitUnary(v), nil
	case "-join":
		return join(v, ""), nil
	}
	return nil, nil
}

// at adds a position to an operator error.
func (f *frame) at(err error, sp syntax.Span) error {
	if err == nil {
		return nil
	}
	if rec, ok := err.(*ErrorRecord); ok {
		f.position(rec, sp)
		return rec
	}
	return err
}

func (f *frame) binary(x *syntax.BinaryExpr) (any, error) {
	a, err := f.expr(x.X)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "-and":
		if !object.ToBool(a) {
			return false, nil
		}
		b, err := f.expr(x.Y)
		return err == nil && object.ToBool(b), err
	case "-or":
		if object.ToBool(a) {
			return true, nil
		}
		b, err := f.expr(x.Y)
		return err == nil && object.ToBool(b), err
	}
	b, err := f.expr(x.Y)
	if err != nil {
		return nil, err
	}
	var r any
	switch x.Op {
	case "+", "-", "*", "/", "%":
		r, err = arith(x.Op, a, b)
	case "..":
		r, err = rangeOp(a, b)
	case "-f":
		r, err = formatOp(a, b)
	case "-xor":
		r = object.ToBool(a) != object.ToBool(b)
	case "-band", "-bor", "-bxor", "-shl", "-shr":
		r, err = bitwise(x.Op, a, b)
	case "-is", "-isnot":
		t, ok := b.(typeValue)
		name := object.ToString(b)
		if ok {
			name = t.name
		}
		r = isType(a, name) == (x.Op == "-is")
	case "-as":
		t, ok := b.(typeValue)
		name := object.ToString(b)
		if ok {
			name = t.name
		}
		c, cerr := f.castTo(a, name)
		if cerr != nil {
			r = nil
		} else {
			r = c
		}
	case "-join":
		r = join(a, object.ToString(b))
	default:
		base, _ := splitOp(x.Op)
		switch base {
		case "replace":
			r, err = replaceOp(x.Op, a, b)
		case "split":
			r, err = splitBinary(x.Op, a, b)
		default:
			var m *object.Hashtable
			r, err = compare(x.Op, a, b, &m)
			if m != nil && err == nil && r == true {
				f.sc.set("Matches", m)
			}
		}
	}
	return r, f.at(err, x.Span)
}

// isType implements -is.
func isType(v any, name string) bool {
	if v == nil {
		return false
	}
	switch object.CanonicalType(name) {
	case "object":
		return true
	case "int":
		switch v.(type) {
		case int:
			return object.TypeName(v) == "System.Int32"
		}
		return false
	case "long":
		switch v.(type) {
		case int, int64:
			return object.TypeName(v) == "System.Int64"
		}
		return false
	case "double":
		_, ok := v.(float64)
		return ok
	case "decimal":
		_, ok := v.(object.Decimal)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "bool":
		_, ok := v.(bool)
		return ok
	case "datetime":
		_, ok := v.(time.Time)
		return ok
	case "timespan":
		_, ok := v.(time.Duration)
		return ok
	case "array":
		return object.IsArray(v)
	case "string[]", "int[]", "long[]", "double[]", "decimal[]", "bool[]", "datetime[]":
		l, ok := v.([]any)
		return ok && object.ElementType(l) == object.CanonicalTypeName(strings.TrimSuffix(object.CanonicalType(name), "[]"))
	case "hashtable":
		_, ok := v.(*object.Hashtable)
		return ok
	case "pscustomobject":
		_, ok := v.(*object.PSObject)
		return ok
	case "scriptblock":
		_, ok := v.(*ScriptBlock)
		return ok
	}
	low := strings.ToLower(name)
	switch low {
	case "valuetype", "system.valuetype":
		switch v.(type) {
		case int, int64, float64, bool, time.Time, time.Duration:
			return true
		}
		return false
	case "errorrecord", "system.management.automation.errorrecord":
		_, ok := v.(*ErrorRecord)
		return ok
	}
	if o, ok := v.(*object.PSObject); ok {
		for _, t := range o.TypeNames {
			lt := strings.ToLower(t)
			if lt == low || strings.HasSuffix(lt, "."+low) {
				return true
			}
		}
	}
	return strings.EqualFold(object.TypeName(v), name) || strings.EqualFold(object.ShortTypeName(v), name)
}

func (f *frame) convert(x *syntax.ConvertExpr) (any, error) {
	name := x.Type.Name
	switch strings.ToLower(name) {
	case "ordered":
		if _, ok := x.X.(*syntax.HashLit); !ok {
			rec := runtimeError("InvalidArgument", "RuntimeException", "OrderedAttributeOnlyOnHashLiteralNode",
				"The ordered attribute can be specified only on a hash literal node.")
			f.position(rec, x.Span)
			return nil, rec
		}
	case "pscustomobject":
		if hl, ok := x.X.(*syntax.HashLit); ok {
			o := object.New()
			for _, kv := range hl.Pairs {
				k, err := f.expr(kv.Key)
				if err != nil {
					return nil, err
				}
				v, err := f.stmtValue(kv.Value)
				if err != nil {
					return nil, err
				}
				o.Add(object.ToString(k), v)
			}
			return o, nil
		}
	}
	v, err := f.expr(x.X)
	if err != nil {
		return nil, err
	}
	r, err := f.castTo(v, name)
	return r, f.at(err, x.Span)
}

// castTo converts v to a named type as a cast does.
func (f *frame) castTo(v any, name string) (any, error) {
	low := strings.ToLower(name)
	switch low {
	case "scriptblock", "system.management.automation.scriptblock":
		if sb, ok := v.(*ScriptBlock); ok {
			return sb, nil
		}
		sb, err := NewScriptBlock(object.ToString(v))
		if err != nil {
			return nil, runtimeError("InvalidArgument", "RuntimeException", "InvalidCastParseException", "%s", err.Error())
		}
		return sb, nil
	case "psobject", "pscustomobject", "object":
		if o, ok := v.(*object.PSObject); ok || low == "object" {
			return o, nil
		}
	case "securestring", "system.security.securestring":
		if s, ok := v.(*SecureString); ok {
			return s, nil
		}
	case "char[]":
		var out []any
		for _, r := range object.ToString(v) {
			out = append(out, string(r))
		}
		return out, nil
	case "system.collections.arraylist", "collections.arraylist", "system.collections.generic.list[string]", "system.collections.generic.list[object]", "system.collections.generic.list[psobject]":
		return append([]any{}, object.ToList(v)...), nil
	case "mailaddress", "system.net.mail.mailaddress", "guid", "system.guid", "version", "system.version", "uri", "system.uri", "xml":
		return object.ToString(v), nil
	}
	if object.CanonicalType(name) == "" {
		rec := runtimeError("InvalidOperation", "RuntimeException", "TypeNotFound", "Unable to find type [%s].", name)
		rec.TargetName = name
		rec.Category = "InvalidOperation"
		return nil, rec
	}
	r, err := object.Convert(v, name)
	if err != nil {
		return nil, convErr(err)
	}
	return r, nil
}

// lvalue returns accessors for an assignable expression.
func (f *frame) lvalue(x syntax.Expr) (get func() (any, error), set func(any) error, err error) {
	switch x := x.(type) {
	case *syntax.VarExpr:
		return func() (any, error) {
				v, _ := f.lookupVar(x.Scope, x.Name)
				return v, nil
			}, func(v any) error {
				return f.setVar(x.Scope, x.Name, v)
			}, nil
	case *syntax.ConvertExpr:
		vx, ok := x.X.(*syntax.VarExpr)
		if !ok {
			break
		}
		return func() (any, error) {
				v, _ := f.lookupVar(vx.Scope, vx.Name)
				return v, nil
			}, func(v any) error {
				return f.at(f.constrainVar(vx.Scope, vx.Name, x.Type.Name, v), x.Span)
			}, nil
	case *syntax.MemberExpr:
		obj, err := f.expr(x.X)
		if err != nil {
			return nil, nil, err
		}
		name, err := f.memberName(x.Member)
		if err != nil {
			return nil, nil, err
		}
		return func() (any, error) { return getMember(obj, name), nil },
			func(v any) error { return setMember(obj, name, v) }, nil
	case *syntax.IndexExpr:
		obj, err := f.expr(x.X)
		if err != nil {
			return nil, nil, err
		}
		idx, err := f.expr(x.Index)
		if err != nil {
			return nil, nil, err
		}
		return func() (any, error) { return index(obj, idx) },
			func(v any) error { return setIndex(obj, idx, v) }, nil
	}
	rec := runtimeError("InvalidOperation", "RuntimeException", "InvalidLeftHandSide",
		"The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.")
	f.position(rec, syntax.Span{Start: x.Pos(), Stop: x.End()})
	return nil, nil, rec
}

func (f *frame) assign(st *syntax.AssignStmt) error {
	if al, ok := st.Target.(*syntax.ArrayLit); ok && st.Op == "=" {
		v, err := f.stmtValue(st.Value)
		if err != nil {
			return err
		}
		list := object.ToList(v)
		for i, t := range al.Elems {
			_, set, err := f.lvalue(t)
			if err != nil {
				return err
			}
			var item any
			switch {
			case i == len(al.Elems)-1 && len(list) > i+1:
				item = append([]any{}, list[i:]...)
			case i < len(list):
				item = list[i]
			}
			if err := set(item); err != nil {
				return f.at(err, st.Span)
			}
		}
		return nil
	}
	get, set, err := f.lvalue(st.Target)
	if err != nil {
		return err
	}
	v, err := f.stmtValue(st.Value)
	if err != nil {
		return err
	}
	if st.Op != "=" {
		cur, err := get()
		if err != nil {
			return err
		}
		v, err = arith(st.Op[:1], cur, v)
		if err != nil {
			return f.at(err, st.Span)
		}
	}
	return f.at(set(v), st.Span)
}

// isDecimalLiteral reports whether a number literal has the d (Decimal)
// suffix: 1.5d, 10D, but not the hex digit of 0x1d.
func isDecimalLiteral(raw string) bool {
	r := strings.ToLower(strings.TrimLeft(raw, "+-"))
	return strings.HasSuffix(r, "d") && !strings.HasPrefix(r, "0x")
}
