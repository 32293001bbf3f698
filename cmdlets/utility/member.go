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
	// The .NET members come from the shell's type registry, with the
	// definitions it documents.
	var ms []member
	listed := map[string]bool{}
	for _, d := range interp.Members(v) {
		ms = append(ms, member{d.Name, d.MemberType, d.Definition})
		listed[strings.ToLower(d.Name)] = true
	}
	switch x := v.(type) {
	case string, *object.Hashtable:
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
	default:
		for _, n := range format.PropertyNames(v) {
			if listed[strings.ToLower(n)] {
				continue
			}
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
