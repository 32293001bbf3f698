package interp

import (
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"strings"

	"exsh/shell/object"
)

// The members every object has (System.Object's), and the shell's other
// instance types: Regex, ScriptBlock, PSCredential, IPAddress, Type.
func init() {
	objectType = &DotNetType{Name: "System.Object", Definitions: map[string]string{
		"Equals":      "bool Equals(System.Object obj)",
		"GetHashCode": "int GetHashCode()",
		"GetType":     "type GetType()",
		"ToString":    "string ToString()",
	}}
	objectType.Methods = mergeMethods(nil, Methods{
		"ToString": func(c *MethodCall) (any, error) {
			v := c.This
			if len(c.Args) >= 1 && object.IsNumber(v) {
				return object.FormatValue(v, c.String(0)), nil
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
		},
		"GetType": func(c *MethodCall) (any, error) { return typeValue{typeNameOf(c.This)}, nil },
		"Equals": func(c *MethodCall) (any, error) {
			if err := c.Need(1); err != nil {
				return nil, err
			}
			return object.Equal(c.This, c.Args[0], false) && object.TypeName(c.This) == object.TypeName(c.Args[0]), nil
		},
		"CompareTo": func(c *MethodCall) (any, error) {
			if err := c.Need(1); err != nil {
				return nil, err
			}
			n, err := object.Compare(c.This, c.Args[0], true)
			if err != nil {
				return nil, runtimeError("NotSpecified", "MethodInvocationException", "ArgumentException", "%s", err.Error())
			}
			return n, nil
		},
		"GetHashCode": func(c *MethodCall) (any, error) { return len(object.ToString(c.This)), nil },
		"PSObject":    func(c *MethodCall) (any, error) { return nil, nil },
	})

	regexInstance := func(c *MethodCall) (*regexp.Regexp, []any) { return c.This.(*regexp.Regexp), c.Args }
	RegisterType(&DotNetType{
		Name:    "System.Text.RegularExpressions.Regex",
		Aliases: []string{"regex"},
		GoType:  reflect.TypeFor[*regexp.Regexp](),
		Methods: Methods{
			"IsMatch": regexMethod(regexInstance),
			"Match":   regexMethod(regexInstance),
			"Matches": regexMethod(regexInstance),
			"Replace": regexMethod(regexInstance),
			"Split":   regexMethod(regexInstance),
			"ToString": func(c *MethodCall) (any, error) {
				return c.This.(*regexp.Regexp).String(), nil
			},
		},
		Static: Methods{
			"Escape": func(c *MethodCall) (any, error) {
				if err := c.Need(1); err != nil {
					return nil, err
				}
				return regexp.QuoteMeta(c.String(0)), nil
			},
			"Unescape": func(c *MethodCall) (any, error) {
				if err := c.AtLeast(1); err != nil {
					return nil, err
				}
				return strings.ReplaceAll(c.String(0), `\`, ""), nil
			},
			"IsMatch": regexMethod(regexStatic),
			"Match":   regexMethod(regexStatic),
			"Matches": regexMethod(regexStatic),
			"Replace": regexMethod(regexStatic),
			"Split":   regexMethod(regexStatic),
		},
	})

	RegisterType(&DotNetType{
		Name:   "System.Management.Automation.ScriptBlock",
		GoType: reflect.TypeFor[*ScriptBlock](),
		Methods: Methods{
			"Invoke":           scriptBlockInvoke(false),
			"InvokeReturnAsIs": scriptBlockInvoke(true),
			"GetNewClosure": func(c *MethodCall) (any, error) {
				x := c.This.(*ScriptBlock)
				return &ScriptBlock{text: x.text, ast: x.ast, src: x.src, closure: c.f.sc.snapshot(c.f.s.global)}, nil
			},
		},
		Properties: Properties{"Ast": func(v any) any { return v.(*ScriptBlock).text }},
	})

	RegisterType(&DotNetType{
		Name:   "System.Management.Automation.PSCredential",
		GoType: reflect.TypeFor[*Credential](),
		Methods: Methods{
			"GetNetworkCredential": func(c *MethodCall) (any, error) {
				x := c.This.(*Credential)
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
			},
		},
	})

	RegisterType(&DotNetType{
		Name:       "System.Security.SecureString",
		GoType:     reflect.TypeFor[*SecureString](),
		Properties: Properties{"Length": func(v any) any { return len([]rune(v.(*SecureString).Plain)) }},
	})

	RegisterType(&DotNetType{
		Name:    "System.Net.IPAddress",
		Aliases: []string{"ipaddress"},
		GoType:  reflect.TypeFor[netip.Addr](),
		Methods: Methods{
			"GetAddressBytes": func(c *MethodCall) (any, error) {
				var out []any
				for _, b := range c.This.(netip.Addr).AsSlice() {
					out = append(out, int(b))
				}
				return out, nil
			},
		},
		Properties: Properties{
			"AddressFamily": func(v any) any {
				if v.(netip.Addr).Is4() {
					return "InterNetwork"
				}
				return "InterNetworkV6"
			},
			"IPAddressToString": func(v any) any { return v.(netip.Addr).String() },
		},
		Static: Methods{
			"Parse": func(c *MethodCall) (any, error) {
				if err := c.Need(1); err != nil {
					return nil, err
				}
				a, err := netip.ParseAddr(strings.TrimSpace(c.String(0)))
				if err != nil {
					return nil, c.Throw("FormatException", "An invalid IP address was specified.")
				}
				return a, nil
			},
		},
		StaticProperties: Properties{
			"Any":          func(any) any { return netip.IPv4Unspecified() },
			"Loopback":     func(any) any { return netip.MustParseAddr("127.0.0.1") },
			"IPv6Any":      func(any) any { return netip.IPv6Unspecified() },
			"IPv6Loopback": func(any) any { return netip.IPv6Loopback() },
		},
	})

	RegisterType(&DotNetType{
		Name:   "System.RuntimeType",
		GoType: reflect.TypeFor[typeValue](),
		Properties: Properties{
			"Name": func(v any) any {
				n := fullTypeName(v.(typeValue).name)
				return n[strings.LastIndexByte(n, '.')+1:]
			},
			"FullName": func(v any) any { return fullTypeName(v.(typeValue).name) },
		},
	})

	RegisterType(&DotNetType{Name: "System.Guid", Static: Methods{
		"NewGuid": func(c *MethodCall) (any, error) { return newGUID(), nil },
	}})

	RegisterType(&DotNetType{Name: "System.IO.Path", Static: Methods{
		"Combine": func(c *MethodCall) (any, error) {
			parts := make([]string, len(c.Args))
			for i := range c.Args {
				parts[i] = c.String(i)
			}
			return strings.Join(parts, string(os.PathSeparator)), nil
		},
		"GetFileName": func(c *MethodCall) (any, error) {
			if err := c.Need(1); err != nil {
				return nil, err
			}
			s := c.String(0)
			return s[strings.LastIndexAny(s, `/\`)+1:], nil
		},
		"GetTempPath": func(c *MethodCall) (any, error) { return os.TempDir() + string(os.PathSeparator), nil },
	}})

	RegisterType(&DotNetType{
		Name: "System.Environment",
		Static: Methods{
			"GetEnvironmentVariable": func(c *MethodCall) (any, error) {
				if len(c.Args) < 1 {
					return nil, ErrNoOverload
				}
				v, ok := c.f.lookupVar("env", c.String(0))
				if !ok {
					return nil, nil
				}
				return v, nil
			},
		},
		StaticProperties: Properties{
			"NewLine": func(any) any { return "\n" },
			"MachineName": func(any) any {
				h, _ := os.Hostname()
				return h
			},
			"UserName": func(any) any { return os.Getenv("USER") },
		},
	})

	pref := func(name string) func(any) any { return func(any) any { return name } }
	RegisterType(&DotNetType{Name: "System.Management.Automation.ActionPreference", StaticProperties: Properties{
		"Stop": pref("Stop"), "Continue": pref("Continue"), "SilentlyContinue": pref("SilentlyContinue"),
	}})

}

func scriptBlockInvoke(asIs bool) Method {
	return func(c *MethodCall) (any, error) {
		out, err := c.f.invokeScriptBlock(c.This.(*ScriptBlock), c.Args)
		if err != nil {
			return nil, err
		}
		if asIs {
			return unwrapList(out), nil
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	}
}

// regexStatic is a static Regex method's regex and its remaining
// arguments: [regex]::Match(input, pattern[, options]).
func regexStatic(c *MethodCall) (*regexp.Regexp, []any) { return nil, c.Args }

// regexMethod is Regex.IsMatch, Match, Matches, Replace and Split, on an
// instance or static; get gives the regex (nil: compile it from the
// pattern argument) and the arguments after the pattern.
func regexMethod(get func(c *MethodCall) (*regexp.Regexp, []any)) Method {
	return func(c *MethodCall) (any, error) {
		lname := strings.ToLower(c.Name)
		re, args := get(c)
		if re == nil {
			if len(args) < 2 {
				return nil, badArgCount(c.Name, len(args))
			}
			cs := true
			if len(args) > 2 && lname != "replace" || len(args) > 3 {
				cs = !strings.Contains(strings.ToLower(object.ToString(args[len(args)-1])), "ignorecase")
			}
			var err error
			if re, err = compileRegex(object.ToString(args[1]), cs); err != nil {
				return nil, err
			}
			args = append([]any{args[0]}, args[2:]...)
		}
		if len(args) < 1 {
			return nil, badArgCount(c.Name, len(args))
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
				return nil, badArgCount(c.Name, len(args))
			}
			return ReplaceRegex(re, s, object.ToString(args[1])), nil
		}
		return toAnyStrings(re.Split(s, -1)), nil
	}
}
