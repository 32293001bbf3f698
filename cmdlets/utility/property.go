package utility

import (
	"strings"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

// propSpec is one entry of a -Property list: a name (wildcards allowed), a
// script block, or a calculated property @{Name=...; Expression=...}.
type propSpec struct {
	name string // label, or property name / pattern
	// script computes the value; field names a property instead (an
	// Expression given as a string).
	script *interp.ScriptBlock
	field  string
	width  int
	align  format.Align
	// descending is set by Sort-Object's @{Expression=...; Descending=$true};
	// nil means the cmdlet's default.
	descending *bool
}

func (p propSpec) calculated() bool { return p.script != nil || p.field != "" }

// hashKeys are the calculated-property keys each cmdlet accepts; PowerShell
// accepts any unambiguous prefix ("n", "e", "l").
var (
	selectKeys = []string{"name", "label", "expression"}
	formatKeys = []string{"name", "label", "expression", "width", "alignment", "formatstring"}
	sortKeys   = []string{"expression", "ascending", "descending"}
	groupKeys  = []string{"expression"}
)

func matchKey(key string, allowed []string) (string, error) {
	k := strings.ToLower(key)
	var found []string
	for _, a := range allowed {
		if a == k {
			return a, nil
		}
		if strings.HasPrefix(a, k) {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", interp.NewError("InvalidArgument", "NotSupportedException", "IllegalKey", key,
			"The %s key is not valid.", key)
	}
	return "", interp.NewError("InvalidArgument", "NotSupportedException", "AmbiguousKey", key,
		"The %s key is ambiguous. Possible matches include: %s.", key, strings.Join(found, ", "))
}

// parseProps turns -Property arguments into specs.
func parseProps(vals []any, allowed []string) ([]propSpec, error) {
	var out []propSpec
	for _, v := range vals {
		switch x := v.(type) {
		case *interp.ScriptBlock:
			out = append(out, propSpec{name: x.String(), script: x})
		case *object.Hashtable:
			p, err := parseHash(x, allowed)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		case nil:
		default:
			out = append(out, propSpec{name: object.ToString(x)})
		}
	}
	return out, nil
}

func parseHash(h *object.Hashtable, allowed []string) (propSpec, error) {
	var p propSpec
	hasExpr := false
	for _, k := range h.Keys() {
		key, err := matchKey(object.ToString(k), allowed)
		if err != nil {
			return p, err
		}
		v, _ := h.Get(k)
		switch key {
		case "name", "label":
			p.name = object.ToString(v)
		case "expression":
			hasExpr = true
			if sb, ok := v.(*interp.ScriptBlock); ok {
				p.script = sb
			} else {
				p.field = object.ToString(v)
			}
		case "width":
			n, err := object.ToInt(v)
			if err != nil || n <= 0 {
				return p, interp.NewError("InvalidArgument", "ArgumentException", "WidthOutOfRange", "",
					"The width value must be greater than zero.")
			}
			p.width = n
		case "alignment":
			switch strings.ToLower(object.ToString(v)) {
			case "left":
				p.align = format.AlignLeft
			case "right":
				p.align = format.AlignRight
			case "center":
				p.align = format.AlignCenter
			default:
				return p, interp.NewError("InvalidArgument", "ArgumentException", "IllegalAlignment", "",
					"The value of the alignment key is not valid. Valid values are: Left, Center, Right.")
			}
		case "ascending":
			d := !object.ToBool(v)
			p.descending = &d
		case "descending":
			d := object.ToBool(v)
			p.descending = &d
		}
	}
	if !hasExpr {
		return p, interp.NewError("InvalidArgument", "NotSupportedException", "KeyNotFound", "",
			"The Expression key is missing.")
	}
	if p.name == "" {
		switch {
		case p.script != nil:
			p.name = p.script.String()
		default:
			p.name = p.field
		}
	}
	return p, nil
}

// eval computes a spec's value for v.
func (p propSpec) eval(c *interp.Call, v any) (any, error) {
	switch {
	case p.script != nil:
		out, err := c.InvokeScript(p.script, v)
		if err != nil {
			return nil, err
		}
		return single(out), nil
	case p.field != "":
		val, _ := format.Member(v, p.field)
		return val, nil
	}
	val, _ := format.Member(v, p.name)
	return val, nil
}

// formatFields turns specs into format fields; script errors leave the
// cell empty, as in PowerShell.
func formatFields(c *interp.Call, specs []propSpec) []format.Field {
	out := make([]format.Field, 0, len(specs))
	for _, p := range specs {
		f := format.Field{Name: p.name, Width: p.width, Align: p.align}
		if p.calculated() {
			spec := p
			f.Label = p.name
			f.Eval = func(v any) any {
				val, err := spec.eval(c, v)
				if err != nil {
					return nil
				}
				return val
			}
		}
		out = append(out, f)
	}
	return out
}

// typeNamesOf returns v's type names, most derived first.
func typeNamesOf(v any) []string {
	if o, ok := v.(*object.PSObject); ok {
		if len(o.TypeNames) > 0 {
			return o.TypeNames
		}
		return []string{"System.Management.Automation.PSCustomObject", "System.Object"}
	}
	n := object.TypeName(v)
	if n == "System.Object" {
		return []string{n}
	}
	return []string{n, "System.Object"}
}

func propertyNotFound(name, class string) error {
	return interp.NewError("InvalidArgument", "PSArgumentException", errorID("ExpandPropertyNotFound", class), name,
		"Property %q cannot be found.", name)
}
