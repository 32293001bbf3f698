package utility

import (
	"sort"
	"strings"

	"exsh/cmdlets/exdata"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

const typeMemberDefinition = "Microsoft.PowerShell.Commands.MemberDefinition"

func init() {
	format.Register(typeMemberDefinition, format.View{
		Table:       []format.Column{{Property: "Name"}, {Property: "MemberType"}, {Property: "Definition"}},
		GroupBy:     "TypeName",
		GroupFormat: "   TypeName: %s",
	})
}

type member struct {
	name, kind, definition string
}

// commonMethods are System.Object's methods, which every object has.
var commonMethods = []member{
	{"Equals", "Method", "bool Equals(System.Object obj)"},
	{"GetHashCode", "Method", "int GetHashCode()"},
	{"GetType", "Method", "type GetType()"},
	{"ToString", "Method", "string ToString()"},
}

var stringMethods = []member{
	{"Clone", "Method", "System.Object Clone()"},
	{"CompareTo", "Method", "int CompareTo(System.Object value), int CompareTo(string strB)"},
	{"Contains", "Method", "bool Contains(string value)"},
	{"EndsWith", "Method", "bool EndsWith(string value), bool EndsWith(string value, System.StringComparison comparisonType)"},
	{"IndexOf", "Method", "int IndexOf(char value), int IndexOf(string value), int IndexOf(string value, int startIndex)"},
	{"Insert", "Method", "string Insert(int startIndex, string value)"},
	{"LastIndexOf", "Method", "int LastIndexOf(char value), int LastIndexOf(string value)"},
	{"PadLeft", "Method", "string PadLeft(int totalWidth), string PadLeft(int totalWidth, char paddingChar)"},
	{"PadRight", "Method", "string PadRight(int totalWidth), string PadRight(int totalWidth, char paddingChar)"},
	{"Remove", "Method", "string Remove(int startIndex, int count), string Remove(int startIndex)"},
	{"Replace", "Method", "string Replace(char oldChar, char newChar), string Replace(string oldValue, string newValue)"},
	{"Split", "Method", "string[] Split(Params char[] separator), string[] Split(char[] separator, int count)"},
	{"StartsWith", "Method", "bool StartsWith(string value), bool StartsWith(string value, System.StringComparison comparisonType)"},
	{"Substring", "Method", "string Substring(int startIndex), string Substring(int startIndex, int length)"},
	{"ToCharArray", "Method", "char[] ToCharArray()"},
	{"ToLower", "Method", "string ToLower()"},
	{"ToUpper", "Method", "string ToUpper()"},
	{"Trim", "Method", "string Trim(Params char[] trimChars), string Trim()"},
	{"TrimEnd", "Method", "string TrimEnd(Params char[] trimChars)"},
	{"TrimStart", "Method", "string TrimStart(Params char[] trimChars)"},
	{"Chars", "ParameterizedProperty", "char Chars(int index) {get;}"},
	{"Length", "Property", "int Length {get;}"},
}

var dateMethods = []member{
	{"Add", "Method", "datetime Add(timespan value)"},
	{"AddDays", "Method", "datetime AddDays(double value)"},
	{"AddHours", "Method", "datetime AddHours(double value)"},
	{"AddMilliseconds", "Method", "datetime AddMilliseconds(double value)"},
	{"AddMinutes", "Method", "datetime AddMinutes(double value)"},
	{"AddMonths", "Method", "datetime AddMonths(int months)"},
	{"AddSeconds", "Method", "datetime AddSeconds(double value)"},
	{"AddYears", "Method", "datetime AddYears(int value)"},
	{"Subtract", "Method", "timespan Subtract(datetime value), datetime Subtract(timespan value)"},
	{"ToLocalTime", "Method", "datetime ToLocalTime()"},
	{"ToLongDateString", "Method", "string ToLongDateString()"},
	{"ToShortDateString", "Method", "string ToShortDateString()"},
	{"ToUniversalTime", "Method", "datetime ToUniversalTime()"},
}

var hashtableMethods = []member{
	{"Add", "Method", "void Add(System.Object key, System.Object value)"},
	{"Clear", "Method", "void Clear()"},
	{"Contains", "Method", "bool Contains(System.Object key)"},
	{"ContainsKey", "Method", "bool ContainsKey(System.Object key)"},
	{"ContainsValue", "Method", "bool ContainsValue(System.Object value)"},
	{"Remove", "Method", "void Remove(System.Object key)"},
}

// shortType is the type name Get-Member writes in definitions.
func shortType(v any) string {
	if v == nil {
		return "object"
	}
	if mv, ok := exdata.MultiValuedTypeName(v); ok {
		return mv
	}
	switch n := object.TypeName(v); n {
	case "System.String":
		return "string"
	case "System.Int32":
		return "int"
	case "System.Int64":
		return "long"
	case "System.Boolean":
		return "bool"
	case "System.Double":
		return "double"
	case "System.DateTime":
		return "datetime"
	case "System.TimeSpan":
		return "timespan"
	case "System.Object[]":
		return "Object[]"
	case "System.Collections.Hashtable":
		return "hashtable"
	default:
		return genericName(n)
	}
}

// genericName writes a generic type's full name as PowerShell writes it in
// a definition: "X`2[[Y, assembly...],[Z, assembly...]]" is "X[Y,Z]".
func genericName(n string) string {
	i := strings.Index(n, "`")
	if i < 0 {
		return n
	}
	open := strings.Index(n[i:], "[[")
	if open < 0 {
		return n
	}
	var args []string
	for _, a := range strings.Split(n[i+open+1:], "],[") {
		a = strings.Trim(a, "[]")
		if j := strings.IndexByte(a, ','); j >= 0 {
			a = a[:j]
		}
		args = append(args, strings.TrimSpace(a))
	}
	return n[:i] + "[" + strings.Join(args, ",") + "]"
}

func membersOf(v any) []member {
	ms := append([]member(nil), commonMethods...)
	switch x := v.(type) {
	case string:
		ms = append(ms, stringMethods...)
	case *object.PSObject:
		note := x.Base == nil
		access := "{get;set;}"
		if methods, ok := exdata.Members(x); ok {
			// One of Exchange's value types: its methods, read-only
			// properties.
			for _, m := range methods {
				ms = append(ms, member{m.Name, "Method", m.Definition})
			}
			access = "{get;}"
		}
		for _, p := range x.Properties() {
			if note {
				val := "null"
				if p.Value != nil {
					val = format.Value(p.Value, format.DefaultEnumerationLimit)
					if object.IsArray(p.Value) {
						val = object.TypeName(p.Value)
					}
				}
				ms = append(ms, member{p.Name, "NoteProperty", shortType(p.Value) + " " + p.Name + "=" + val})
			} else {
				ms = append(ms, member{p.Name, "Property", shortType(p.Value) + " " + p.Name + " " + access})
			}
		}
	case *object.Hashtable:
		ms = append(ms, hashtableMethods...)
		ms = append(ms, member{"Count", "Property", "int Count {get;}"}, member{"Keys", "Property", "System.Collections.ICollection Keys {get;}"},
			member{"Values", "Property", "System.Collections.ICollection Values {get;}"})
	default:
		if _, ok := v.(interface{ Year() int }); ok {
			ms = append(ms, dateMethods...)
		}
		for _, n := range format.PropertyNames(v) {
			val, _ := format.Member(v, n)
			ms = append(ms, member{n, "Property", shortType(val) + " " + n + " {get;}"})
		}
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].kind != ms[j].kind {
			return ms[i].kind < ms[j].kind
		}
		return strings.ToLower(ms[i].name) < strings.ToLower(ms[j].name)
	})
	return ms
}

type getMemberState struct{ seen map[string]bool }

func getMember() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Get-Member",
		Aliases:  []string{"gm"},
		Module:   ModuleUtility,
		Synopsis: "Gets the properties and methods of objects.",
		Description: "The Get-Member cmdlet gets the members, the properties and methods, of objects. " +
			"Each distinct type in the input is listed once, under a TypeName header.",
		Params: params(
			inputObject("Specifies the object whose members are retrieved."),
			param("Name", interp.KindString, "Specifies the names of one or more members. Wildcards are permitted.").at(0).array(),
			param("MemberType", interp.KindString, "Specifies the member type: Property, NoteProperty, Method, ParameterizedProperty, Properties, Methods, All.").array().alias("Type"),
			param("Force", interp.KindSwitch, "Adds the intrinsic members to the display (accepted)."),
			param("Static", interp.KindSwitch, "Gets only the static members (accepted; exsh objects have none)."),
		),
		Examples: []interp.Example{
			{Code: "Get-ReceiveConnector | Get-Member", Remarks: "Lists the properties of receive connectors."},
			{Code: "Get-Queue | Get-Member -MemberType Property -Name *Count", Remarks: "Lists the counters of a queue."},
		},
		OutputType: typeMemberDefinition,
		Begin:      func(c *interp.Call) error { c.State = &getMemberState{seen: map[string]bool{}}; return nil },
		Process: func(c *interp.Call) error {
			v, ok := input(c)
			if !ok || v == nil {
				return nil
			}
			st := c.State.(*getMemberState)
			tn := typeNamesOf(v)[0]
			if st.seen[strings.ToLower(tn)] || c.Bool("Static") {
				return nil
			}
			st.seen[strings.ToLower(tn)] = true
			names := strs(c, "Name")
			kinds := strs(c, "MemberType")
			for _, m := range membersOf(v) {
				if len(names) > 0 && !excluded(m.name, names) {
					continue
				}
				if len(kinds) > 0 && !memberKindMatch(m.kind, kinds) {
					continue
				}
				o := object.New(typeMemberDefinition, "System.Object")
				o.Add("TypeName", tn).Add("Name", m.name).Add("MemberType", m.kind).Add("Definition", m.definition)
				if err := c.WriteObject(o); err != nil {
					return err
				}
			}
			return nil
		},
		End: func(c *interp.Call) error {
			if len(c.State.(*getMemberState).seen) == 0 && !c.Bool("Static") {
				return interp.NewError("CloseError", "InvalidOperationException", errorID("NoObjectInGetMember", "GetMemberCommand"), "",
					"You must specify an object for the Get-Member cmdlet.")
			}
			return nil
		},
	}
}

func memberKindMatch(kind string, want []string) bool {
	for _, w := range want {
		switch strings.ToLower(w) {
		case "all":
			return true
		case "properties":
			if strings.HasSuffix(kind, "Property") {
				return true
			}
		case "methods":
			if strings.HasSuffix(kind, "Method") {
				return true
			}
		default:
			if strings.EqualFold(w, kind) {
				return true
			}
		}
	}
	return false
}
