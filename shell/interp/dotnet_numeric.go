package interp

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"

	"exsh/shell/object"
)

// constant is a static property with a fixed value.
func constant(v any) func(any) any { return func(any) any { return v } }

// parseNumber is Int32.Parse and its kin: the string converted as a cast
// to key would.
func parseNumber(key string) Method {
	return func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		return castCall(object.Convert(c.String(0), key))
	}
}

// mathFloat is a [math] method of one double argument; an int argument
// is returned as it is when keepInt is set (Floor, Ceiling, Truncate).
func mathFloat(fn func(float64) float64, keepInt bool) Method {
	return func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		if i, ok := c.Args[0].(int); ok && keepInt {
			return i, nil
		}
		x, err := c.Float(0)
		if err != nil {
			return nil, err
		}
		return fn(x), nil
	}
}

// withDecimal calls the System.Decimal overload of a [math] method when an
// argument is a decimal, else fn.
func withDecimal(fn Method) Method {
	return func(c *MethodCall) (any, error) {
		if r, ok, err := decimalMath(strings.ToLower(c.Name), c.Name, c.Args); ok {
			return r, err
		}
		return fn(c)
	}
}

func mathMaxMin(c *MethodCall) (any, error) {
	if err := c.Need(2); err != nil {
		return nil, err
	}
	n, err := object.Compare(c.Args[0], c.Args[1], false)
	if err != nil {
		return nil, convErr(err)
	}
	a, b := c.Args[0], c.Args[1]
	if object.IsNumber(a) && object.IsNumber(b) {
		_, aInt := a.(int)
		_, bInt := b.(int)
		if !(aInt && bInt) {
			a, _ = object.ToFloat(a)
			b, _ = object.ToFloat(b)
		}
	}
	if strings.EqualFold(c.Name, "max") == (n >= 0) {
		return a, nil
	}
	return b, nil
}

var mathMethods = Methods{
	"Max": withDecimal(mathMaxMin),
	"Min": withDecimal(mathMaxMin),
	"Abs": withDecimal(func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		if i, ok := c.Args[0].(int); ok {
			if i < 0 {
				return -i, nil
			}
			return i, nil
		}
		x, err := c.Float(0)
		return math.Abs(x), err
	}),
	"Round": withDecimal(func(c *MethodCall) (any, error) {
		if err := c.AtLeast(1); err != nil {
			return nil, err
		}
		if i, ok := c.Args[0].(int); ok {
			return i, nil
		}
		x, err := c.Float(0)
		if err != nil {
			return nil, err
		}
		digits := 0
		if len(c.Args) > 1 {
			if digits, err = c.Int(1); err != nil {
				return nil, err
			}
		}
		if len(c.Args) > 2 && strings.EqualFold(c.String(2), "AwayFromZero") {
			p := math.Pow(10, float64(digits))
			return math.Round(x*p) / p, nil
		}
		return round(x, digits), nil
	}),
	"Floor":    withDecimal(mathFloat(math.Floor, true)),
	"Ceiling":  withDecimal(mathFloat(math.Ceil, true)),
	"Truncate": withDecimal(mathFloat(math.Trunc, true)),
	"Sqrt":     mathFloat(math.Sqrt, false),
	"Log10":    mathFloat(math.Log10, false),
	"Exp":      mathFloat(math.Exp, false),
	"Sin":      mathFloat(math.Sin, false),
	"Cos":      mathFloat(math.Cos, false),
	"Tan":      mathFloat(math.Tan, false),
	"Sign": withDecimal(func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		x, err := c.Float(0)
		if err != nil {
			return nil, err
		}
		switch {
		case x > 0:
			return 1, nil
		case x < 0:
			return -1, nil
		}
		return 0, nil
	}),
	"Log": func(c *MethodCall) (any, error) {
		if err := c.AtLeast(1); err != nil {
			return nil, err
		}
		x, err := c.Float(0)
		if err != nil {
			return nil, err
		}
		if len(c.Args) == 2 {
			b, err := c.Float(1)
			if err != nil {
				return nil, err
			}
			return math.Log(x) / math.Log(b), nil
		}
		return math.Log(x), nil
	},
	"Pow": func(c *MethodCall) (any, error) {
		if err := c.Need(2); err != nil {
			return nil, err
		}
		x, err := c.Float(0)
		if err != nil {
			return nil, err
		}
		y, err := c.Float(1)
		if err != nil {
			return nil, err
		}
		return math.Pow(x, y), nil
	},
}

func init() {
	RegisterType(&DotNetType{Name: "System.Math", Static: mathMethods, StaticProperties: Properties{
		"PI": constant(math.Pi), "E": constant(math.E),
	}})

	RegisterType(&DotNetType{Name: "System.Convert", Static: Methods{
		"ToInt32":          convertMethod(convertToInteger("int32")),
		"ToInt64":          convertMethod(convertToInteger("int64")),
		"ToInt16":          convertMethod(convertToInteger("")),
		"ToByte":           convertMethod(convertToInteger("")),
		"ToUInt32":         convertMethod(convertToInteger("")),
		"ToUInt64":         convertMethod(convertToInteger("")),
		"ToString":         convertMethod(convertToString),
		"ToDouble":         convertMethod(convertToFloat),
		"ToSingle":         convertMethod(convertToFloat),
		"ToDecimal":        convertMethod(convertToDecimal),
		"ToBoolean":        convertMethod(convertToBoolean),
		"ToDateTime":       convertMethod(convertToDateTime),
		"ToChar":           convertMethod(convertToChar),
		"ToBase64String":   convertMethod(convertToBase64),
		"FromBase64String": convertMethod(convertFromBase64),
	}})

	RegisterType(&DotNetType{Name: "System.Int32", Aliases: []string{"int"}, Static: Methods{"Parse": parseNumber("int")},
		StaticProperties: Properties{"MaxValue": constant(math.MaxInt32), "MinValue": constant(math.MinInt32)}})
	RegisterType(&DotNetType{Name: "System.Int64", Aliases: []string{"long"}, Static: Methods{"Parse": parseNumber("long")},
		StaticProperties: Properties{"MaxValue": constant(int64(math.MaxInt64)), "MinValue": constant(int64(math.MinInt64))}})
	RegisterType(&DotNetType{Name: "System.Double", Static: Methods{"Parse": parseNumber("double")},
		StaticProperties: Properties{
			"MaxValue": constant(math.MaxFloat64), "MinValue": constant(-math.MaxFloat64), "NaN": constant(math.NaN()),
			"PositiveInfinity": constant(math.Inf(1)), "NegativeInfinity": constant(math.Inf(-1)),
		}})
	RegisterType(&DotNetType{Name: "System.Boolean", Aliases: []string{"bool"}, Static: Methods{"Parse": func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		switch strings.ToLower(strings.TrimSpace(c.String(0))) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, c.Throw("FormatException", "String was not recognized as a valid Boolean.")
	}}})
	RegisterType(&DotNetType{Name: "System.Decimal", StaticProperties: Properties{
		"MaxValue": constant(object.DecimalMax), "MinValue": constant(object.DecimalMin),
		"Zero": constant(object.DecimalFromInt(0)), "One": constant(object.DecimalFromInt(1)), "MinusOne": constant(object.DecimalFromInt(-1)),
	}})
	RegisterType(&DotNetType{Name: "System.Byte", StaticProperties: Properties{"MaxValue": constant(255), "MinValue": constant(0)}})
	RegisterType(&DotNetType{Name: "System.Int16", StaticProperties: Properties{"MaxValue": constant(math.MaxInt16), "MinValue": constant(math.MinInt16)}})
	RegisterType(&DotNetType{Name: "System.UInt16", StaticProperties: Properties{"MaxValue": constant(math.MaxUint16), "MinValue": constant(0)}})
	RegisterType(&DotNetType{Name: "System.UInt32", StaticProperties: Properties{"MaxValue": constant(int64(math.MaxUint32)), "MinValue": constant(0)}})
}

// convertMethod is a System.Convert method: the value, then for the
// two-argument overloads a base of 2, 8, 10 or 16 (ToString's second
// argument is a base only when it is a number).
func convertMethod(fn func(c *MethodCall, base int) (any, error)) Method {
	return func(c *MethodCall) (any, error) {
		if len(c.Args) == 0 {
			return nil, ErrNoOverload
		}
		base := 10
		if len(c.Args) == 2 && (!strings.EqualFold(c.Name, "ToString") || object.IsNumber(c.Args[1])) {
			b, err := object.ToInt(c.Args[1])
			if err != nil || (b != 2 && b != 8 && b != 10 && b != 16) {
				return nil, c.Throw("ArgumentException", "Invalid Base.")
			}
			base = b
		}
		return fn(c, base)
	}
}

// convertToInteger is ToInt32 and its kin; size "int32" wraps a parsed
// value to 32 bits, "int64" gives an int64.
func convertToInteger(size string) func(c *MethodCall, base int) (any, error) {
	return func(c *MethodCall, base int) (any, error) {
		if str, ok := c.Args[0].(string); ok && base != 10 {
			t := strings.TrimSpace(str)
			if base == 16 {
				t = strings.TrimPrefix(strings.TrimPrefix(t, "0x"), "0X")
			}
			n, err := strconv.ParseUint(t, base, 64)
			if err != nil {
				return nil, c.Throw("FormatException", "Could not find any recognizable digits.")
			}
			switch size {
			case "int32":
				return int(int32(uint32(n))), nil
			case "int64":
				return int64(n), nil
			}
			return int(n), nil
		}
		f, err := object.ToFloat(c.Args[0])
		if err != nil {
			return nil, c.Throw("FormatException", "Input string was not in a correct format.")
		}
		// Convert rounds half to even, as [int] does.
		n := int(math.RoundToEven(f))
		if size == "int64" {
			return int64(n), nil
		}
		return n, nil
	}
}

func convertToString(c *MethodCall, base int) (any, error) {
	if base == 10 {
		return c.String(0), nil
	}
	n, err := object.ToInt64(c.Args[0])
	if err != nil {
		return nil, c.Throw("FormatException", "Input string was not in a correct format.")
	}
	if n < 0 {
		return strconv.FormatUint(uint64(uint32(int32(n))), base), nil
	}
	return strconv.FormatInt(n, base), nil
}

func convertToFloat(c *MethodCall, _ int) (any, error) {
	f, err := object.ToFloat(c.Args[0])
	if err != nil {
		return nil, c.Throw("FormatException", "Input string was not in a correct format.")
	}
	return f, nil
}

func convertToDecimal(c *MethodCall, _ int) (any, error) {
	d, err := object.ToDecimal(c.Args[0])
	if err != nil {
		return nil, c.Throw("FormatException", "Input string was not in a correct format.")
	}
	return d, nil
}

func convertToBoolean(c *MethodCall, _ int) (any, error) {
	if str, ok := c.Args[0].(string); ok {
		switch strings.ToLower(strings.TrimSpace(str)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, c.Throw("FormatException", "String was not recognized as a valid Boolean.")
	}
	return object.ToBool(c.Args[0]), nil
}

func convertToDateTime(c *MethodCall, _ int) (any, error) {
	v, err := object.Convert(c.Args[0], "datetime")
	if err != nil {
		return nil, c.Throw("FormatException", "String was not recognized as a valid DateTime.")
	}
	return v, nil
}

func convertToChar(c *MethodCall, _ int) (any, error) {
	return object.Convert(c.Args[0], "char")
}

func convertToBase64(c *MethodCall, _ int) (any, error) {
	b, ok := c.Args[0].([]byte)
	if !ok {
		list := object.ToList(c.Args[0])
		b = make([]byte, len(list))
		for i, e := range list {
			n, _ := object.ToInt(e)
			b[i] = byte(n)
		}
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func convertFromBase64(c *MethodCall, _ int) (any, error) {
	b, err := base64.StdEncoding.DecodeString(c.String(0))
	if err != nil {
		return nil, c.Throw("FormatException", "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.")
	}
	out := make([]any, len(b))
	for i, ch := range b {
		out[i] = int(ch)
	}
	return out, nil
}
