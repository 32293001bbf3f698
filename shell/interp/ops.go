package interp

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"exsh/shell/object"
	"exsh/shell/wildcard"
)

// runtimeError is a statement-terminating error raised by an operator or a
// method, in PowerShell's words.
func runtimeError(category, reason, id, format string, args ...any) *ErrorRecord {
	r := NewError(category, reason, id, "", format, args...)
	r.noActivity = true
	return r
}

func convErr(err error) *ErrorRecord {
	if r, ok := err.(*ErrorRecord); ok {
		return r
	}
	r := runtimeError("InvalidArgument", "RuntimeException", "InvalidCastFromStringToInteger", "%s", err.Error())
	if ce, ok := err.(*object.ConversionError); ok {
		r.FullyQualifiedErrorId = "InvalidArgument"
		switch ce.Type {
		case "System.Int32", "System.Int64":
			r.FullyQualifiedErrorId = "InvalidCastFromStringToInteger"
		case "System.Double", "System.Single":
			r.FullyQualifiedErrorId = "InvalidCastFromStringToDoubleOrSingle"
		case "System.DateTime", "System.TimeSpan":
			// Both convert strings through Parse(string, IFormatProvider).
			if _, isString := ce.Value.(string); isString {
				r.FullyQualifiedErrorId = "InvalidCastParseTargetInvocationWithFormatProvider"
			}
		}
	}
	return r
}

// arith applies + - * / % with PowerShell's conversion rules.
func arith(op string, a, b any) (any, error) {
	switch x := a.(type) {
	case nil:
		switch op {
		case "+":
			return b, nil // $null + x is x
		case "-":
			return arith(op, 0, b)
		case "*", "/", "%":
			if b == nil {
				return nil, nil
			}
			return arith(op, 0, b)
		}
	case string:
		switch op {
		case "+":
			return x + object.ToString(b), nil
		case "*":
			n, err := object.ToInt(b)
			if err != nil {
				return nil, convErr(err)
			}
			if n < 0 {
				return nil, runtimeError("InvalidArgument", "RuntimeException", "ArgumentOutOfRange", "Specified argument was out of the range of valid values.")
			}
			return strings.Repeat(x, n), nil
		}
		n, err := object.ToNumber(x)
		if err != nil {
			return nil, convErr(err)
		}
		return arith(op, n, b)
	case []any:
		switch op {
		case "+":
			out := make([]any, 0, len(x)+1)
			out = append(out, x...)
			if object.IsArray(b) {
				out = append(out, object.ToList(b)...)
			} else {
				out = append(out, b)
			}
			return out, nil
		case "*":
			n, err := object.ToInt(b)
			if err != nil {
				return nil, convErr(err)
			}
			out := make([]any, 0, len(x)*max(n, 0))
			for i := 0; i < n; i++ {
				out = append(out, x...)
			}
			return out, nil
		}
		return nil, opFailed(op, a, b)
	case *object.Hashtable:
		if op == "+" {
			y, ok := b.(*object.Hashtable)
			if !ok {
				return nil, runtimeError("InvalidOperation", "RuntimeException", "AddHashTableToNonHashTable", "A hash table can only be added to another hash table.")
			}
			out := object.NewHashtable()
			for _, k := range x.Keys() {
				v, _ := x.Get(k)
				out.Set(k, v)
			}
			for _, k := range y.Keys() {
				if _, dup := out.Get(k); dup {
					return nil, runtimeError("OperationStopped", "ArgumentException", "System.ArgumentException",
						"Item has already been added. Key in dictionary: '%s'  Key being added: '%s'", object.ToString(k), object.ToString(k))
				}
				v, _ := y.Get(k)
				out.Set(k, v)
			}
			return out, nil
		}
		return nil, opFailed(op, a, b)
	case time.Time:
		switch op {
		case "+":
			if d, ok := b.(time.Duration); ok {
				return x.Add(d), nil
			}
			if object.IsNumber(b) {
				ticks, _ := object.ToInt64(b)
				return x.Add(time.Duration(ticks) * 100), nil
			}
		case "-":
			switch y := b.(type) {
			case time.Time:
				return x.Sub(y), nil
			case time.Duration:
				return x.Add(-y), nil
			}
		}
		return nil, opFailed(op, a, b)
	case time.Duration:
		switch op {
		case "+", "-":
			d, err := object.Convert(b, "timespan")
			if err != nil {
				return nil, opFailed(op, a, b)
			}
			if op == "+" {
				return x + d.(time.Duration), nil
			}
			return x - d.(time.Duration), nil
		}
		return nil, opFailed(op, a, b)
	case bool:
		if x {
			return arith(op, 1, b)
		}
		return arith(op, 0, b)
	case object.Char:
		switch b.(type) {
		case string, object.Char:
			if op == "+" {
				return string(rune(x)) + object.ToString(b), nil
			}
		}
		return arith(op, int(x), b)
	}
	if !object.IsNumber(a) {
		return nil, opFailed(op, a, b)
	}
	na, _ := object.ToNumber(a)
	var nb any
	switch y := b.(type) {
	case nil:
		nb = 0
	case []any, *object.Hashtable, *object.PSObject:
		return nil, opFailed(op, a, b)
	case time.Duration, time.Time:
		return nil, opFailed(op, a, b)
	default:
		n, err := object.ToNumber(y)
		if err != nil {
			return nil, convErr(err)
		}
		nb = n
	}
	if d, ok := a.(object.Decimal); ok {
		na = d
	}
	if d, ok := b.(object.Decimal); ok {
		nb = d
	}
	return numArith(op, na, nb)
}

func opFailed(op string, a, b any) *ErrorRecord {
	name := map[string]string{"+": "op_Addition", "-": "op_Subtraction", "*": "op_Multiply", "/": "op_Division", "%": "op_Modulus"}[op]
	return runtimeError("InvalidOperation", "RuntimeException", "MethodNotFound",
		"Method invocation failed because [%s] does not contain a method named '%s'.", object.TypeName(a), name)
}

// numArith does arithmetic on two numbers (int or float64): integer
// results stay integers unless they overflow or a division is inexact.
func numArith(op string, a, b any) (any, error) {
	_, aDec := a.(object.Decimal)
	_, bDec := b.(object.Decimal)
	if aDec || bDec {
		return decimalArith(op, a, b)
	}
	ai, aInt := a.(int)
	bi, bInt := b.(int)
	if aInt && bInt {
		r, err := intArith(op, ai, bi)
		if err != nil || r != nil {
			return r, err
		}
	}
	return floatArith(op, a, b, aInt && bInt)
}

// decimalArith does arithmetic where either operand is a Decimal: the
// other converts to Decimal (a double to its 15 significant digits), and
// System.Decimal's rules give the result and its scale.
func decimalArith(op string, a, b any) (any, error) {
	da, err := object.ToDecimal(a)
	if err != nil {
		return nil, convErr(err)
	}
	db, err := object.ToDecimal(b)
	if err != nil {
		return nil, convErr(err)
	}
	var r object.Decimal
	switch op {
	case "+":
		r, err = da.Add(db)
	case "-":
		r, err = da.Sub(db)
	case "*":
		r, err = da.Mul(db)
	case "/":
		r, err = da.Div(db)
	case "%":
		r, err = da.Mod(db)
	default:
		return nil, fmt.Errorf("unknown operator %s", op)
	}
	switch {
	case errors.Is(err, object.ErrDivideByZero):
		return nil, divByZero()
	case err != nil:
		return nil, runtimeError("NotSpecified", "RuntimeException", "RuntimeException", "%s", err.Error())
	}
	return r, nil
}

// intArith does integer arithmetic; it returns nil when the result needs
// a double: an overflow (Int32 operands overflow at 32 bits, as
// PowerShell's [int] does) or an inexact division.
func intArith(op string, ai, bi int) (any, error) {
	small := fitsInt32(ai) && fitsInt32(bi)
	fits := func(r int) bool { return !small || fitsInt32(r) }
	{
		switch op {
		case "+":
			s := ai + bi
			if (s > ai) == (bi > 0) && fits(s) {
				return s, nil
			}
		case "-":
			s := ai - bi
			if (s < ai) == (bi > 0) && fits(s) {
				return s, nil
			}
		case "*":
			if ai == 0 || bi == 0 {
				return 0, nil
			}
			p := ai * bi
			if p/bi == ai && !(ai == -1 && bi == math.MinInt) && !(bi == -1 && ai == math.MinInt) && fits(p) {
				return p, nil
			}
		case "/":
			if bi == 0 {
				return nil, divByZero()
			}
			if ai%bi == 0 {
				return ai / bi, nil
			}
		case "%":
			if bi == 0 {
				return nil, divByZero()
			}
			return ai % bi, nil
		}
	}
	return nil, nil
}

func fitsInt32(i int) bool { return i >= math.MinInt32 && i <= math.MaxInt32 }

func floatArith(op string, a, b any, bothInt bool) (any, error) {
	af, _ := object.ToFloat(a)
	bf, _ := object.ToFloat(b)
	switch op {
	case "+":
		return af + bf, nil
	case "-":
		return af - bf, nil
	case "*":
		return af * bf, nil
	case "/":
		if bf == 0 && bothInt {
			return nil, divByZero()
		}
		return af / bf, nil
	case "%":
		return math.Mod(af, bf), nil
	}
	return nil, fmt.Errorf("unknown operator %s", op)
}

func divByZero() *ErrorRecord {
	r := runtimeError("NotSpecified", "RuntimeException", "RuntimeException", "Attempted to divide by zero.")
	r.inner = "DivideByZeroException"
	return r
}

// bitwise applies -band -bor -bxor -shl -shr.
func bitwise(op string, a, b any) (any, error) {
	x, err := object.ToInt64(a)
	if err != nil {
		return nil, convErr(err)
	}
	y, err := object.ToInt64(b)
	if err != nil {
		return nil, convErr(err)
	}
	switch op {
	case "-band":
		return int(x & y), nil
	case "-bor":
		return int(x | y), nil
	case "-bxor":
		return int(x ^ y), nil
	case "-shl":
		return int(x << uint(y&63)), nil
	case "-shr":
		return int(x >> uint(y&63)), nil
	}
	return nil, nil
}

// splitOp parses a comparison operator into its base name and case
// sensitivity: "-cmatch" -> ("match", true).
func splitOp(op string) (base string, cs bool) {
	op = strings.TrimPrefix(op, "-")
	if len(op) > 2 && (op[0] == 'c' || op[0] == 'i') {
		if _, ok := comparisonBases[op[1:]]; ok {
			return op[1:], op[0] == 'c'
		}
	}
	return op, false
}

var comparisonBases = map[string]bool{
	"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true, "like": true, "notlike": true,
	"match": true, "notmatch": true, "contains": true, "notcontains": true, "in": true, "notin": true,
	"replace": true, "split": true,
}

func compileRegex(pattern string, cs bool) (*regexp.Regexp, error) {
	re, err := regexCache.get(pattern, cs, object.CompileRegex)
	if err != nil {
		return nil, runtimeError("InvalidOperation", "RuntimeException", "InvalidRegularExpression",
			"The regular expression pattern %s is not valid.", pattern)
	}
	return re, nil
}

// like is -like: whether s matches the wildcard pattern; an invalid
// pattern ("[abc") is an error, as in PowerShell.
func like(s, pattern string, caseSensitive bool) (bool, error) {
	p, err := wildcardCache.get(pattern, caseSensitive, wildcard.Compile)
	if err != nil {
		return false, runtimeError("InvalidArgument", "WildcardPatternException", "WildcardPattern_Invalid", "%s", err.Error())
	}
	return p.Match(s), nil
}

// scalarCompare evaluates one comparison of a scalar left operand.
// matches receives the groups of a successful -match.
func scalarCompare(base string, cs bool, a, b any, matches **object.Hashtable) (bool, error) {
	switch base {
	case "eq":
		return object.Equal(a, b, cs), nil
	case "ne":
		return !object.Equal(a, b, cs), nil
	case "gt", "ge", "lt", "le":
		c, err := object.Compare(a, b, cs)
		if err != nil {
			return false, runtimeError("InvalidOperation", "RuntimeException", "ComparisonFailure", "%s", err.Error())
		}
		switch base {
		case "gt":
			return c > 0, nil
		case "ge":
			return c >= 0, nil
		case "lt":
			return c < 0, nil
		}
		return c <= 0, nil
	case "like", "notlike":
		ok, err := like(object.ToString(a), object.ToString(b), cs)
		return ok == (base == "like"), err
	case "match", "notmatch":
		re, err := compileRegex(object.ToString(b), cs)
		if err != nil {
			return false, err
		}
		s := object.ToString(a)
		m := re.FindStringSubmatchIndex(s)
		if m != nil && matches != nil {
			*matches = matchTable(re, s, m)
		}
		return (m != nil) == (base == "match"), nil
	}
	return false, fmt.Errorf("unknown operator -%s", base)
}

// matchTable builds $Matches from a regexp match.
func matchTable(re *regexp.Regexp, s string, m []int) *object.Hashtable {
	h := object.NewHashtable()
	names := re.SubexpNames()
	// PowerShell lists groups from the highest number down to 0.
	for i := len(names) - 1; i >= 0; i-- {
		if m[2*i] < 0 {
			continue
		}
		v := s[m[2*i]:m[2*i+1]]
		if names[i] != "" {
			h.Set(names[i], v)
		} else {
			h.Set(i, v)
		}
	}
	return h
}

// compare evaluates a comparison operator; with an array on the left it
// filters the array, as PowerShell does.
func compare(op string, a, b any, matches **object.Hashtable) (any, error) {
	base, cs := splitOp(op)
	switch base {
	case "contains", "notcontains":
		found := false
		for _, e := range object.ToList(a) {
			if object.Equal(e, b, cs) {
				found = true
				break
			}
		}
		return found == (base == "contains"), nil
	case "in", "notin":
		found := false
		for _, e := range object.ToList(b) {
			if object.Equal(e, a, cs) {
				found = true
				break
			}
		}
		return found == (base == "in"), nil
	}
	if l, ok := a.([]any); ok {
		out := []any{}
		for _, e := range l {
			ok, err := scalarCompare(base, cs, e, b, nil)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, e)
			}
		}
		return out, nil
	}
	return scalarCompare(base, cs, a, b, matches)
}

// replaceOp implements -replace: b is a pattern or a (pattern,
// replacement) pair.
func replaceOp(op string, a, b any) (any, error) {
	_, cs := splitOp(op)
	pattern, repl := "", ""
	pair := object.ToList(b)
	switch len(pair) {
	case 0:
	case 1:
		pattern = object.ToString(pair[0])
	case 2:
		pattern, repl = object.ToString(pair[0]), object.ToString(pair[1])
	default:
		return nil, runtimeError("InvalidOperation", "RuntimeException", "BadReplaceArgument",
			"The -replace operator allows only two elements to follow it, not %d.", len(pair))
	}
	re, err := compileRegex(pattern, cs)
	if err != nil {
		return nil, err
	}
	one := func(s string) string { return ReplaceRegex(re, s, repl) }
	if l, ok := a.([]any); ok {
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = one(object.ToString(e))
		}
		return out, nil
	}
	return one(object.ToString(a)), nil
}

// ReplaceRegex replaces every match of re in s, expanding .NET
// substitutions in repl: $1, ${name}, $0 and $& (whole match), $$.
func ReplaceRegex(re *regexp.Regexp, s, repl string) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		expandReplacement(&b, re, s, m, repl)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func expandReplacement(b *strings.Builder, re *regexp.Regexp, s string, m []int, repl string) {
	group := func(i int) {
		if i < len(m)/2 && m[2*i] >= 0 {
			b.WriteString(s[m[2*i]:m[2*i+1]])
		}
	}
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '$' || i+1 >= len(repl) {
			b.WriteByte(c)
			continue
		}
		n := repl[i+1]
		switch {
		case n == '$':
			b.WriteByte('$')
			i++
		case n == '&':
			group(0)
			i++
		case n >= '0' && n <= '9':
			j := i + 1
			for j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			// .NET takes the longest group number that exists.
			num := repl[i+1 : j]
			for len(num) > 1 {
				if k, _ := strconv.Atoi(num); k < len(m)/2 {
					break
				}
				num = num[:len(num)-1]
			}
			k, _ := strconv.Atoi(num)
			if k < len(m)/2 {
				group(k)
				i += len(num)
			} else {
				b.WriteByte('$')
			}
		case n == '{':
			end := strings.IndexByte(repl[i:], '}')
			if end < 0 {
				b.WriteByte('$')
				continue
			}
			name := repl[i+2 : i+end]
			if k, err := strconv.Atoi(name); err == nil {
				group(k)
			} else if k := re.SubexpIndex(name); k >= 0 {
				group(k)
			} else {
				b.WriteString(repl[i : i+end+1])
			}
			i += end
		default:
			b.WriteByte('$')
		}
	}
}

// splitBinary implements binary -split: b is a pattern or (pattern, max).
func splitBinary(op string, a, b any) (any, error) {
	_, cs := splitOp(op)
	args := object.ToList(b)
	if len(args) == 0 {
		args = []any{" "}
	}
	pattern := object.ToString(args[0])
	limit := -1
	if len(args) > 1 {
		n, err := object.ToInt(args[1])
		if err != nil {
			return nil, convErr(err)
		}
		if n > 0 {
			limit = n
		}
	}
	if len(args) > 2 {
		// Options: SimpleMatch splits on the literal text; IgnoreCase.
		opts := strings.ToLower(object.ToString(args[2]))
		if strings.Contains(opts, "simplematch") {
			pattern = regexp.QuoteMeta(pattern)
		}
		if strings.Contains(opts, "ignorecase") {
			cs = false
		}
	}
	re, err := compileRegex(pattern, cs)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, e := range object.ToList(a) {
		for _, part := range re.Split(object.ToString(e), limit) {
			out = append(out, part)
		}
	}
	// -split returns a String[], as in PowerShell.
	return object.MarkTyped(out, "System.String"), nil
}

// splitUnary implements unary -split: split on white space, dropping
// empty entries.
func splitUnary(a any) any {
	var out []any
	for _, e := range object.ToList(a) {
		for _, f := range strings.Fields(object.ToString(e)) {
			out = append(out, f)
		}
	}
	return object.MarkTyped(out, "System.String")
}

func join(a any, sep string) string {
	list := object.ToList(a)
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = object.ToString(e)
	}
	return strings.Join(parts, sep)
}

// rangeOp implements a..b (inclusive, counting down when b < a).
func rangeOp(a, b any) (any, error) {
	x, err := object.ToInt(a)
	if err != nil {
		return nil, convErr(err)
	}
	y, err := object.ToInt(b)
	if err != nil {
		return nil, convErr(err)
	}
	n := y - x
	if n < 0 {
		n = -n
	}
	if n > 50_000_000 {
		return nil, runtimeError("InvalidOperation", "RuntimeException", "RangeTooBig", "The range is too big.")
	}
	out := make([]any, 0, n+1)
	if x <= y {
		for i := x; i <= y; i++ {
			out = append(out, i)
		}
	} else {
		for i := x; i >= y; i-- {
			out = append(out, i)
		}
	}
	return out, nil
}

// formatOp implements -f.
func formatOp(a, b any) (any, error) {
	var args []any
	if l, ok := b.([]any); ok {
		args = l
	} else {
		args = []any{b}
	}
	s, err := object.FormatComposite(object.ToString(a), args)
	if err != nil {
		r := runtimeError("InvalidOperation", "RuntimeException", "FormatError", "%s", err.Error())
		r.TargetName = object.ToString(a)
		return nil, r
	}
	return s, nil
}
