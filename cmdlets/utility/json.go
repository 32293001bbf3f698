package utility

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

// jsonNode is a value ready to print: the conversion (depth, types) is
// done first, the layout second, so -Compress and the pretty form agree.
type jsonNode struct {
	kind   byte // 'o' object, 'a' array, 'v' scalar (raw JSON text)
	keys   []string
	values []*jsonNode
	raw    string
}

// toJSONNode converts v with PowerShell 5.1's rules: objects and
// hashtables become objects until depth runs out, then their string form;
// dates become "\/Date(ms)\/"; enums and other typed values their string.
func toJSONNode(v any, depth int) *jsonNode {
	switch x := v.(type) {
	case nil:
		return &jsonNode{kind: 'v', raw: "null"}
	case bool:
		return &jsonNode{kind: 'v', raw: strconv.FormatBool(x)}
	case string:
		return &jsonNode{kind: 'v', raw: jsonString(x)}
	case time.Time:
		return &jsonNode{kind: 'v', raw: fmt.Sprintf(`"\/Date(%d)\/"`, x.UnixMilli())}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return &jsonNode{kind: 'v', raw: jsonString(object.FormatFloat(x))}
		}
		return &jsonNode{kind: 'v', raw: object.FormatFloat(x)}
	case *object.Hashtable:
		if depth < 0 {
			return &jsonNode{kind: 'v', raw: jsonString("System.Collections.Hashtable")}
		}
		n := &jsonNode{kind: 'o'}
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			n.keys = append(n.keys, object.ToString(k))
			n.values = append(n.values, toJSONNode(val, depth-1))
		}
		return n
	case time.Duration:
		if depth < 0 {
			return &jsonNode{kind: 'v', raw: jsonString(object.FormatTimeSpan(x))}
		}
		n := &jsonNode{kind: 'o'}
		for _, name := range format.PropertyNames(x) {
			val, _ := format.Member(x, name)
			n.keys = append(n.keys, name)
			n.values = append(n.values, toJSONNode(val, depth-1))
		}
		return n
	case *object.PSObject:
		if depth < 0 || len(x.Properties()) == 0 {
			return &jsonNode{kind: 'v', raw: jsonString(x.String())}
		}
		n := &jsonNode{kind: 'o'}
		for _, p := range x.Properties() {
			n.keys = append(n.keys, p.Name)
			n.values = append(n.values, toJSONNode(p.Value, depth-1))
		}
		return n
	case *interp.ScriptBlock:
		return &jsonNode{kind: 'v', raw: jsonString(x.String())}
	}
	if object.IsArray(v) {
		n := &jsonNode{kind: 'a'}
		for _, e := range object.ToList(v) {
			// Arrays do not use up depth; their elements are at the
			// array's own level.
			n.values = append(n.values, toJSONNode(e, depth))
		}
		return n
	}
	if object.IsNumber(v) {
		if _, isStringer := v.(fmt.Stringer); !isStringer {
			return &jsonNode{kind: 'v', raw: object.ToString(v)}
		}
	}
	return &jsonNode{kind: 'v', raw: jsonString(object.ToString(v))}
}

// jsonString quotes s as .NET's JavaScriptSerializer (Windows PowerShell
// 5.1) does, which also escapes <, >, & and ' as \u00XX.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '<', '>', '&', '\'':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (n *jsonNode) compact(b *strings.Builder) {
	switch n.kind {
	case 'v':
		b.WriteString(n.raw)
	case 'a':
		b.WriteByte('[')
		for i, v := range n.values {
			if i > 0 {
				b.WriteByte(',')
			}
			v.compact(b)
		}
		b.WriteByte(']')
	case 'o':
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonString(k))
			b.WriteByte(':')
			n.values[i].compact(b)
		}
		b.WriteByte('}')
	}
}

// pretty writes Windows PowerShell 5.1's layout: members indented four
// columns past the column of their opening bracket, "name":  value with
// two spaces, and closing brackets under the opening ones.
func (n *jsonNode) pretty(b *strings.Builder, col int) {
	switch n.kind {
	case 'v':
		b.WriteString(n.raw)
	case 'a', 'o':
		open, closing := "[", "]"
		if n.kind == 'o' {
			open, closing = "{", "}"
		}
		b.WriteString(open)
		b.WriteByte('\n')
		inner := strings.Repeat(" ", col+4)
		count := len(n.values)
		if count == 0 {
			b.WriteByte('\n')
		}
		for i, v := range n.values {
			b.WriteString(inner)
			c := col + 4
			if n.kind == 'o' {
				key := jsonString(n.keys[i]) + ":  "
				b.WriteString(key)
				c += utf8.RuneCountInString(key)
			}
			v.pretty(b, c)
			if i < count-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat(" ", col))
		b.WriteString(closing)
	}
}

type toJSONState struct{ items []any }

func convertToJSON() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "ConvertTo-Json",
		Module:   ModuleUtility,
		Synopsis: "Converts an object to a JSON-formatted string.",
		Description: "The ConvertTo-Json cmdlet converts objects to JSON text, laid out as Windows PowerShell 5.1 does. " +
			"Several pipeline objects become one JSON array. Objects deeper than -Depth (default 2) are written as their string form.",
		Params: params(
			inputObject("Specifies the objects to convert to JSON format.").at(0).mandatory(),
			param("Depth", interp.KindInt, "Specifies how many levels of contained objects are included in the JSON representation.").def("2"),
			param("Compress", interp.KindSwitch, "Omits white space and indented formatting in the output string."),
		),
		Examples: []interp.Example{
			{Code: "Get-AcceptedDomain | Select-Object Name, DomainType | ConvertTo-Json", Remarks: "Shows the accepted domains as JSON."},
			{Code: "@{Server='EX01';Ports=25,587} | ConvertTo-Json -Compress", Remarks: "Writes compact JSON."},
		},
		OutputType: "System.String",
		Begin:      func(c *interp.Call) error { c.State = &toJSONState{}; return nil },
		Process: func(c *interp.Call) error {
			if v, ok := input(c); ok {
				st := c.State.(*toJSONState)
				st.items = append(st.items, v)
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*toJSONState)
			if len(st.items) == 0 {
				return nil
			}
			var v any = st.items
			if len(st.items) == 1 {
				v = st.items[0]
			}
			return c.WriteObject(ToJSON(v, intParam(c, "Depth", 2), c.Bool("Compress")))
		},
	}
}

// ToJSON converts v to JSON text as ConvertTo-Json does.
func ToJSON(v any, depth int, compress bool) string {
	n := toJSONNode(v, depth)
	var b strings.Builder
	if compress {
		n.compact(&b)
	} else {
		n.pretty(&b, 0)
	}
	return b.String()
}

type fromJSONState struct{ text strings.Builder }

func convertFromJSON() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "ConvertFrom-Json",
		Module:   ModuleUtility,
		Synopsis: "Converts a JSON-formatted string to a custom object.",
		Description: "The ConvertFrom-Json cmdlet converts JSON text into objects with a property for each field. " +
			"Piped lines (from Get-Content) are joined first. As in Windows PowerShell 5.1, a JSON array is written as one object.",
		Params: params(
			param("InputObject", interp.KindString, "Specifies the JSON strings to convert to JSON objects.").at(0).mandatory().pipe(),
		),
		Examples: []interp.Example{
			{Code: "Get-Content settings.json -Raw | ConvertFrom-Json", Remarks: "Reads a JSON file into an object."},
		},
		OutputType: "System.Management.Automation.PSCustomObject",
		Begin:      func(c *interp.Call) error { c.State = &fromJSONState{}; return nil },
		Process: func(c *interp.Call) error {
			st := c.State.(*fromJSONState)
			v, ok := input(c)
			if !ok {
				return nil
			}
			for _, s := range object.ToList(v) {
				st.text.WriteString(object.ToString(s))
				st.text.WriteByte('\n')
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*fromJSONState)
			text := strings.TrimSpace(st.text.String())
			if text == "" {
				return nil
			}
			vals, err := FromJSON(text)
			if err != nil {
				return interp.NewError("NotSpecified", "ArgumentException", errorID("System.ArgumentException", "ConvertFromJsonCommand"), "",
					"Invalid JSON primitive: %s", err.Error())
			}
			for _, v := range vals {
				if err := c.WriteObject(v); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

var jsonDate = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)

// FromJSON parses JSON text (one or more values) into shell values:
// objects become PSObjects with properties in document order, arrays []any,
// integers int (or int64/float64 when large), and "\/Date(ms)\/" a date.
func FromJSON(text string) ([]any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var out []any
	for {
		v, err := decodeJSON(dec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func decodeJSON(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := object.New("System.Management.Automation.PSCustomObject", "System.Object")
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				o.Add(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		s := t.String()
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i >= math.MinInt32 && i <= math.MaxInt32 {
				return int(i), nil
			}
			return i, nil
		}
		// Windows PowerShell 5.1's JavaScriptSerializer reads
		// non-integral numbers as Decimal, keeping their places.
		if d, ok := object.ParseDecimal(s); ok {
			return d, nil
		}
		return strconv.ParseFloat(s, 64)
	case string:
		if m := jsonDate.FindStringSubmatch(t); m != nil {
			ms, _ := strconv.ParseInt(m[1], 10, 64)
			return time.UnixMilli(ms).UTC(), nil
		}
		return t, nil
	}
	return tok, nil // bool or nil
}
