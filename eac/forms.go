package eac

import (
	"net/http"
	"strconv"
	"strings"
)

// field is one control of an EAC dialog, bound to one cmdlet parameter.
// A dialog sends only what the user changed, as the EAC does, so the
// command line it logs is the one an admin would type.
type field struct {
	Tab     string // the dialog tab it is on ("general", "security", ...)
	Section string // a heading shown above it, "" for none
	Label   string
	Param   string // the cmdlet parameter
	// Kind: text, number (an integer), mb (a size in MB), check (a
	// boolean), select (one of Options), lines (a list, one per line),
	// flag (one member Flag of a flags parameter such as AuthMechanism),
	// password (never shown; sent only when filled in).
	Kind    string
	Flag    string
	Options []string
	Value   string
	Checked bool
	Hint    string
	Labels  map[string]string // what the EAC shows for an option, when not its value
}

// OptionLabel is the text shown for an option of a select or radio field.
func (f field) OptionLabel(o string) string {
	if l, ok := f.Labels[o]; ok {
		return l
	}
	return o
}

// Name is the form input's name.
func (f field) Name() string {
	if f.Kind == "flag" {
		return f.Param + "." + f.Flag
	}
	return f.Param
}

// splitList reads a list control: one value per line (or commas).
func splitList(s string) []string {
	var out []string
	for _, ln := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if ln = strings.TrimSpace(ln); ln != "" {
			out = append(out, ln)
		}
	}
	return out
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// apply reads the posted form and adds to c every parameter whose value
// differs from the field's current value. all adds every field that has a
// value (a new object). It returns the fields with the posted values, to
// show again when the cmdlet refuses the change.
func apply(c *command, fields []field, r *http.Request, all bool) []field {
	out := make([]field, len(fields))
	flagsBefore := map[string][]string{}
	flagsAfter := map[string][]string{}
	var flagOrder []string
	for i, f := range fields {
		posted := r.PostFormValue(f.Name())
		nf := f
		switch f.Kind {
		case "static":
		case "check":
			on := posted != ""
			nf.Checked = on
			if on != f.Checked || all && on {
				c.Bool(f.Param, on)
			}
		case "flag":
			on := posted != ""
			nf.Checked = on
			if _, ok := flagsBefore[f.Param]; !ok {
				flagOrder = append(flagOrder, f.Param)
				flagsBefore[f.Param] = []string{}
				flagsAfter[f.Param] = []string{}
			}
			if f.Checked {
				flagsBefore[f.Param] = append(flagsBefore[f.Param], f.Flag)
			}
			if on {
				flagsAfter[f.Param] = append(flagsAfter[f.Param], f.Flag)
			}
		case "lines":
			nf.Value = posted
			after := splitList(posted)
			if !sameList(after, splitList(f.Value)) || all && len(after) > 0 {
				c.List(f.Param, after)
			}
		case "password":
			if posted != "" {
				c.Secret(f.Param, posted)
			}
		case "number", "mb":
			posted = strings.TrimSpace(posted)
			nf.Value = posted
			if posted == f.Value && !(all && posted != "") {
				break
			}
			n, err := strconv.ParseInt(posted, 10, 64)
			switch {
			case strings.EqualFold(posted, "unlimited"):
				c.Str(f.Param, "unlimited")
			case f.Kind == "mb" && err == nil:
				c.Raw("-" + f.Param + " " + strconv.FormatInt(n, 10) + "MB")
			case f.Kind == "mb":
				c.Str(f.Param, posted+"MB")
			case err == nil:
				c.Int(f.Param, n)
			default:
				c.Str(f.Param, posted)
			}
		default: // text, select
			nf.Value = posted
			if posted != f.Value || all && posted != "" {
				c.Str(f.Param, posted)
			}
		}
		out[i] = nf
	}
	for _, p := range flagOrder {
		before, after := flagsBefore[p], flagsAfter[p]
		if sameList(before, after) && !all {
			continue
		}
		if len(after) == 0 {
			after = []string{"None"}
		}
		c.List(p, after)
	}
	return out
}

// tabs lists the distinct tabs of fields, in order.
func tabs(fields []field) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range fields {
		if !seen[f.Tab] {
			seen[f.Tab] = true
			out = append(out, f.Tab)
		}
	}
	return out
}
