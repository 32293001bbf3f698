package interp

import (
	"reflect"
	"strings"
	"unicode"

	"exsh/shell/object"
)

// System.String's instance methods. System.Char has the same ones, on
// the one-character string.
var stringMethods = Methods{
	"ToUpper":          strFunc(strings.ToUpper),
	"ToUpperInvariant": strFunc(strings.ToUpper),
	"ToLower":          strFunc(strings.ToLower),
	"ToLowerInvariant": strFunc(strings.ToLower),
	"Trim":             strTrim(strings.Trim),
	"TrimStart":        strTrim(strings.TrimLeft),
	"TrimEnd":          strTrim(strings.TrimRight),
	"Substring": func(c *MethodCall) (any, error) {
		if err := c.Need(1, 2); err != nil {
			return nil, err
		}
		runes := []rune(thisString(c))
		start, err := c.Int(0)
		if err != nil {
			return nil, err
		}
		n := len(runes) - start
		if len(c.Args) == 2 {
			if n, err = c.Int(1); err != nil {
				return nil, err
			}
		}
		if start < 0 || start > len(runes) || n < 0 || start+n > len(runes) {
			param := "startIndex"
			msg := "startIndex cannot be larger than length of string."
			if len(c.Args) == 2 {
				param, msg = "length", "Index and length must refer to a location within the string."
			}
			return nil, c.Throw("ArgumentOutOfRangeException", msg+"\nParameter name: "+param)
		}
		return string(runes[start : start+n]), nil
	},
	"Split": func(c *MethodCall) (any, error) {
		s := thisString(c)
		if len(c.Args) == 0 {
			return toAnyStrings(strings.Fields(s)), nil
		}
		seps := ""
		for _, e := range object.ToList(c.Args[0]) {
			seps += object.ToString(e)
		}
		limit := -1
		if len(c.Args) > 1 {
			if n, err := object.ToInt(c.Args[1]); err == nil {
				limit = n
			}
		}
		if seps == "" {
			return toAnyStrings(strings.Fields(s)), nil
		}
		return toAnyStrings(splitAny(s, seps, limit)), nil
	},
	"Replace": func(c *MethodCall) (any, error) {
		if err := c.Need(2); err != nil {
			return nil, err
		}
		return strings.ReplaceAll(thisString(c), c.String(0), c.String(1)), nil
	},
	"Contains": func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		return strings.Contains(thisString(c), c.String(0)), nil
	},
	"StartsWith": strAffix(strings.HasPrefix),
	"EndsWith":   strAffix(strings.HasSuffix),
	"IndexOf": func(c *MethodCall) (any, error) {
		if err := c.Need(1, 2); err != nil {
			return nil, err
		}
		runes := []rune(thisString(c))
		from := 0
		if len(c.Args) == 2 {
			from, _ = object.ToInt(c.Args[1])
		}
		if from > len(runes) {
			from = len(runes)
		}
		rest := string(runes[from:])
		i := strings.Index(rest, c.String(0))
		if i >= 0 {
			i = len([]rune(rest[:i])) + from
		}
		return i, nil
	},
	"LastIndexOf": func(c *MethodCall) (any, error) {
		if err := c.Need(1, 2); err != nil {
			return nil, err
		}
		s := thisString(c)
		i := strings.LastIndex(s, c.String(0))
		if i >= 0 {
			i = len([]rune(s[:i]))
		}
		return i, nil
	},
	"PadLeft":  strPad(true),
	"PadRight": strPad(false),
	"Insert": func(c *MethodCall) (any, error) {
		if err := c.Need(2); err != nil {
			return nil, err
		}
		runes := []rune(thisString(c))
		i, err := c.Int(0)
		if err != nil {
			return nil, err
		}
		if i < 0 || i > len(runes) {
			return nil, c.Throw("ArgumentOutOfRangeException", "Specified argument was out of the range of valid values.\nParameter name: startIndex")
		}
		return string(runes[:i]) + c.String(1) + string(runes[i:]), nil
	},
	"Remove": func(c *MethodCall) (any, error) {
		if err := c.Need(1, 2); err != nil {
			return nil, err
		}
		runes := []rune(thisString(c))
		i, err := c.Int(0)
		if err != nil {
			return nil, err
		}
		n := len(runes) - i
		if len(c.Args) == 2 {
			n, _ = c.Int(1)
		}
		if i < 0 || n < 0 || i+n > len(runes) {
			return nil, c.Throw("ArgumentOutOfRangeException", "Index and count must refer to a location within the string.\nParameter name: count")
		}
		return string(runes[:i]) + string(runes[i+n:]), nil
	},
	"Equals": func(c *MethodCall) (any, error) {
		if err := c.Need(1, 2); err != nil {
			return nil, err
		}
		o, ok := c.Args[0].(string)
		if !ok {
			return false, nil
		}
		if len(c.Args) == 2 && strings.Contains(strings.ToLower(c.String(1)), "ignorecase") {
			return strings.EqualFold(thisString(c), o), nil
		}
		return thisString(c) == o, nil
	},
	"CompareTo": func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		return object.CompareStrings(thisString(c), c.String(0), true), nil
	},
	"ToCharArray": func(c *MethodCall) (any, error) {
		runes := []rune(thisString(c))
		out := make([]any, len(runes))
		for i, r := range runes {
			out[i] = string(r)
		}
		return out, nil
	},
	"Normalize":    func(c *MethodCall) (any, error) { return thisString(c), nil },
	"Clone":        func(c *MethodCall) (any, error) { return thisString(c), nil },
	"IsNormalized": func(c *MethodCall) (any, error) { return true, nil },
}

// thisString is the string a String or Char method is called on.
func thisString(c *MethodCall) string {
	if ch, ok := c.This.(object.Char); ok {
		return string(rune(ch))
	}
	return c.This.(string)
}

func strFunc(fn func(string) string) Method {
	return func(c *MethodCall) (any, error) { return fn(thisString(c)), nil }
}

func strTrim(fn func(s, cutset string) string) Method {
	return func(c *MethodCall) (any, error) {
		cut := " \t\r\n\v\f"
		if len(c.Args) > 0 {
			var b strings.Builder
			for _, a := range c.Args {
				for _, e := range object.ToList(a) {
					b.WriteString(object.ToString(e))
				}
			}
			cut = b.String()
		}
		return fn(thisString(c), cut), nil
	}
}

func strAffix(fn func(s, affix string) bool) Method {
	return func(c *MethodCall) (any, error) {
		if err := c.Need(1, 2); err != nil {
			return nil, err
		}
		a, b := thisString(c), c.String(0)
		if len(c.Args) == 2 && (strings.Contains(strings.ToLower(c.String(1)), "ignorecase") || c.Args[1] == true) {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		return fn(a, b), nil
	}
}

func strPad(left bool) Method {
	return func(c *MethodCall) (any, error) {
		if err := c.Need(1, 2); err != nil {
			return nil, err
		}
		s := thisString(c)
		n, err := c.Int(0)
		if err != nil {
			return nil, err
		}
		pad := " "
		if len(c.Args) == 2 {
			pad = c.String(1)
		}
		runes := []rune(s)
		if len(runes) >= n || pad == "" {
			return s, nil
		}
		fill := strings.Repeat(pad[:1], n-len(runes))
		if left {
			return fill + s, nil
		}
		return s + fill, nil
	}
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

func init() {
	RegisterType(&DotNetType{
		Name:       "System.String",
		GoType:     reflect.TypeFor[string](),
		Methods:    stringMethods,
		Properties: Properties{"Length": func(v any) any { return len([]rune(v.(string))) }},
		Definitions: map[string]string{
			"Clone":       "System.Object Clone()",
			"CompareTo":   "int CompareTo(System.Object value), int CompareTo(string strB)",
			"Contains":    "bool Contains(string value)",
			"EndsWith":    "bool EndsWith(string value), bool EndsWith(string value, System.StringComparison comparisonType)",
			"IndexOf":     "int IndexOf(char value), int IndexOf(string value), int IndexOf(string value, int startIndex)",
			"Insert":      "string Insert(int startIndex, string value)",
			"LastIndexOf": "int LastIndexOf(char value), int LastIndexOf(string value)",
			"PadLeft":     "string PadLeft(int totalWidth), string PadLeft(int totalWidth, char paddingChar)",
			"PadRight":    "string PadRight(int totalWidth), string PadRight(int totalWidth, char paddingChar)",
			"Remove":      "string Remove(int startIndex, int count), string Remove(int startIndex)",
			"Replace":     "string Replace(char oldChar, char newChar), string Replace(string oldValue, string newValue)",
			"Split":       "string[] Split(Params char[] separator), string[] Split(char[] separator, int count)",
			"StartsWith":  "bool StartsWith(string value), bool StartsWith(string value, System.StringComparison comparisonType)",
			"Substring":   "string Substring(int startIndex), string Substring(int startIndex, int length)",
			"ToCharArray": "char[] ToCharArray()",
			"ToLower":     "string ToLower()",
			"ToUpper":     "string ToUpper()",
			"Trim":        "string Trim(Params char[] trimChars), string Trim()",
			"TrimEnd":     "string TrimEnd(Params char[] trimChars)",
			"TrimStart":   "string TrimStart(Params char[] trimChars)",
			"Length":      "int Length {get;}",
		},
		Static: Methods{
			"IsNullOrEmpty": func(c *MethodCall) (any, error) {
				if err := c.Need(1); err != nil {
					return nil, err
				}
				return c.Args[0] == nil || c.String(0) == "", nil
			},
			"IsNullOrWhiteSpace": func(c *MethodCall) (any, error) {
				if err := c.Need(1); err != nil {
					return nil, err
				}
				return strings.TrimSpace(c.String(0)) == "", nil
			},
			"Join": func(c *MethodCall) (any, error) {
				if err := c.AtLeast(2); err != nil {
					return nil, err
				}
				items := c.Args[1:]
				if len(c.Args) == 2 {
					items = object.ToList(c.Args[1])
				}
				return join(items, c.String(0)), nil
			},
			"Concat": func(c *MethodCall) (any, error) {
				var b strings.Builder
				for _, a := range c.Args {
					b.WriteString(object.ToString(a))
				}
				return b.String(), nil
			},
			"Format": func(c *MethodCall) (any, error) {
				if err := c.AtLeast(1); err != nil {
					return nil, err
				}
				rest := c.Args[1:]
				if len(rest) == 1 {
					if l, ok := rest[0].([]any); ok {
						rest = l
					}
				}
				return formatOp(c.Args[0], rest)
			},
			"Equals": func(c *MethodCall) (any, error) {
				if err := c.Need(2); err != nil {
					return nil, err
				}
				return c.String(0) == c.String(1), nil
			},
			"Compare": func(c *MethodCall) (any, error) {
				if err := c.AtLeast(2); err != nil {
					return nil, err
				}
				ci := len(c.Args) > 2 && object.ToBool(c.Args[2])
				return object.CompareStrings(c.String(0), c.String(1), !ci), nil
			},
		},
		StaticProperties: Properties{"Empty": func(any) any { return "" }},
	})

	// A Char has the String methods except the ones comparing it as a
	// character, which are every object's.
	charMethods := Methods{}
	for k, m := range stringMethods {
		switch strings.ToLower(k) {
		case "tostring", "equals", "compareto":
			continue
		}
		charMethods[k] = m
	}
	charTest := func(fn func(rune) bool) Method {
		return func(c *MethodCall) (any, error) {
			if len(c.Args) != 1 {
				return nil, ErrNoOverload
			}
			r := []rune(c.String(0))
			if len(r) != 1 {
				return false, nil
			}
			return fn(r[0]), nil
		}
	}
	RegisterType(&DotNetType{
		Name:    "System.Char",
		GoType:  reflect.TypeFor[object.Char](),
		Methods: charMethods,
		Static: Methods{
			"IsDigit":      charTest(unicode.IsDigit),
			"IsLetter":     charTest(unicode.IsLetter),
			"IsWhiteSpace": charTest(unicode.IsSpace),
			"IsUpper":      charTest(unicode.IsUpper),
			"IsLower":      charTest(unicode.IsLower),
		},
		StaticProperties: Properties{"MaxValue": func(any) any { return object.Char(0xFFFF) }},
	})
}
