package format

import (
	"fmt"
	"strings"
	"time"

	"exsh/shell/object"
	"exsh/shell/wildcard"
)

// Kind is the layout a Formatter produces.
type Kind int

const (
	// Auto is Out-Default's choice: the type's view, else a table for
	// objects with at most four properties and a list for bigger ones.
	Auto Kind = iota
	Table
	List
	Wide
	// custom is open while objects with a Custom view print as text.
	custom
)

// Field selects one value of an object: a property name (wildcards
// allowed) or, for calculated properties, an Eval function.
type Field struct {
	// Label is the header or list name; empty means Name.
	Label string
	Name  string
	// Eval computes the value (a calculated property's Expression).
	Eval  func(v any) any
	Width int
	Align Align
}

func (f Field) label() string {
	if f.Label != "" {
		return f.Label
	}
	return f.Name
}

// Options configure a Formatter; they mirror Format-Table/List/Wide's
// parameters.
type Options struct {
	Kind Kind
	// Fields are the -Property selection; empty means the default view.
	Fields []Field
	// GroupBy starts a new group whenever its value changes.
	GroupBy          *Field
	AutoSize         bool
	Wrap             bool
	HideTableHeaders bool
	// Columns is Format-Wide's -Column.
	Columns int
	// EnumLimit is $FormatEnumerationLimit; 0 means the default (4), a
	// negative value shows every element.
	EnumLimit int
}

// Formatter turns objects into format records. It keeps the open table or
// list between calls, so a stream of like objects becomes one table and a
// change of shape starts a new one.
type Formatter struct {
	opt   Options
	open  Kind // Auto when nothing is open
	shape string
	cols  []Field
	// group is the label of the open group; inGroup says whether one is open.
	group   string
	inGroup bool
	wideFld string
	limit   int // resolved EnumLimit
}

// NewFormatter returns a Formatter with the given options.
func NewFormatter(opt Options) *Formatter {
	f := &Formatter{opt: opt, limit: opt.EnumLimit}
	if f.limit == 0 {
		f.limit = DefaultEnumerationLimit
	}
	return f
}

// Format returns the records for one object. Arrays are enumerated; format
// records pass through unchanged (closing what is open first).
func (f *Formatter) Format(v any) []Record {
	switch x := v.(type) {
	case nil:
		return nil
	case Record:
		return append(f.Close(), x)
	case *object.Hashtable:
		// A hashtable shows as its entries, as PowerShell enumerates it
		// for display.
		var out []Record
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			e := object.New("System.Collections.DictionaryEntry")
			e.Add("Name", k).Add("Key", k).Add("Value", val)
			out = append(out, f.Format(e)...)
		}
		return out
	case time.Duration:
		if len(f.opt.Fields) == 0 {
			return f.Format(timeSpanObject(x))
		}
	}
	if isCollection(v) {
		var out []Record
		for _, e := range object.ToList(v) {
			out = append(out, f.Format(e)...)
		}
		return out
	}
	if so, ok := structObject(v); ok {
		v = so
	}
	if (f.opt.Kind == List || f.opt.Kind == Table) && len(f.opt.Fields) == 0 {
		// Format-List and Format-Table show a date's properties, as
		// PowerShell does; Out-Default shows the date itself.
		if t, ok := v.(time.Time); ok {
			v = dateObject(t)
		}
	}
	o, isObj := v.(*object.PSObject)
	if !isObj && len(f.opt.Fields) == 0 {
		// Text prints inside an open table or list (out of band), but it
		// ends a run of custom-view objects.
		var out []Record
		if f.open == custom {
			out = f.Close()
		}
		return append(out, f.text(v))
	}
	switch f.opt.Kind {
	case Table:
		if len(f.opt.Fields) > 0 {
			return f.tableRow(v, "explicit", f.opt.Fields)
		}
		if view, ok := Lookup(o.TypeNames); ok && len(view.Table) > 0 {
			return f.viewRow(o, view)
		}
		return f.tableRow(o, propShape(o), allFields(o))
	case List:
		return f.listEntry(v)
	case Wide:
		return f.wideEntry(v)
	}
	// Auto.
	view, ok := Lookup(o.TypeNames)
	switch {
	case ok && view.Custom != nil:
		return f.custom(o, view)
	case ok && len(view.Table) > 0 && !view.PreferList:
		return f.viewRow(o, view)
	case ok && (len(view.List) > 0 || view.PreferList):
		return f.listEntry(o)
	case f.open == Table && f.shape == propShape(o):
		// The open table took its columns from the first object of this
		// type; later ones fill those columns, whatever their properties.
		return f.tableRow(o, propShape(o), allFields(o))
	case f.open == List && f.shape == propShape(o):
		// Likewise a list goes on, each entry with its own properties.
		return f.listEntry(o)
	case len(o.Properties()) == 0:
		// An object without properties shows its text, as PowerShell
		// shows a value type such as ByteQuantifiedSize by ToString().
		if _, ok := o.Base.(fmt.Stringer); ok {
			var out []Record
			if f.open == custom {
				out = f.Close()
			}
			return append(out, f.text(o.String()))
		}
		return nil
	case len(o.Properties()) <= 4:
		return f.tableRow(o, propShape(o), allFields(o))
	}
	out := f.listEntry(o)
	f.shape = propShape(o)
	return out
}

// Close returns the records that end whatever is open.
func (f *Formatter) Close() []Record {
	var out []Record
	switch f.open {
	case Table:
		out = append(out, &TableEnd{})
	case List:
		out = append(out, &ListEnd{})
	case Wide:
		out = append(out, &WideEnd{})
	case custom:
		// GroupEnd and FormatEnd: two blank lines.
		out = append(out, &Text{Text: "\n"})
	}
	if f.inGroup {
		out = append(out, &GroupEnd{})
	}
	f.open, f.shape, f.inGroup, f.cols = Auto, "", false, nil
	return out
}

func (f *Formatter) text(v any) Record {
	if t, ok := v.(time.Time); ok {
		// DateTime's default view: the long date, set off by blank lines.
		return &Text{Text: "\n" + t.Format("Monday, January 2, 2006 3:04:05 PM") + "\n\n"}
	}
	return &Text{Text: scalar(v)}
}

func (f *Formatter) viewRow(o *object.PSObject, view *View) []Record {
	fields := make([]Field, len(view.Table))
	for i, c := range view.Table {
		fields[i] = columnField(c)
	}
	// Views registered from one View value share their Table, and objects
	// shown through them share a table (files and directories in one
	// Get-ChildItem listing).
	shape := fmt.Sprintf("view:%p", &view.Table[0])
	if view.GroupBy == "" || f.opt.GroupBy != nil {
		return f.tableRow(o, shape, fields)
	}
	header := view.GroupFormat
	if header == "" {
		label := view.GroupLabel
		if label == "" {
			label = view.GroupBy
		}
		header = "    " + label + ": %s\n"
	}
	gv, _ := Member(o, view.GroupBy)
	return f.tableRowGrouped(o, shape, fields, fmt.Sprintf(header, Value(gv, f.limit)))
}

func columnField(c Column) Field {
	fl := Field{Label: c.Header, Name: c.Property, Width: c.Width, Align: c.Align}
	if fl.Label == "" {
		fl.Label = c.Property
	}
	if c.Expr != nil {
		expr := c.Expr
		fl.Eval = func(v any) any {
			if o, ok := v.(*object.PSObject); ok {
				return expr(o)
			}
			return nil
		}
	}
	return fl
}

func allFields(o *object.PSObject) []Field {
	fields := make([]Field, 0, len(o.Properties()))
	for _, p := range o.Properties() {
		fields = append(fields, Field{Name: p.Name})
	}
	return fields
}

// propShape identifies objects without a view by their type name: as in
// Windows PowerShell 5.1, the first object's properties make the table's
// columns, and later objects of the same type fill them (a property they
// lack is an empty cell) however their own properties differ. An object
// of another type starts a new table.
func propShape(o *object.PSObject) string {
	return "props\x00" + o.TypeName()
}

// tableRow adds v to the open table, opening a new one (and a new group)
// when the shape or the -GroupBy value changed.
func (f *Formatter) tableRow(v any, shape string, fields []Field) []Record {
	if f.opt.GroupBy != nil {
		gv := f.value(v, *f.opt.GroupBy)
		return f.tableRowGrouped(v, shape, fields, "   "+f.opt.GroupBy.label()+": "+Value(gv, f.limit))
	}
	var out []Record
	if f.open != Table || f.shape != shape {
		out = append(out, f.Close()...)
		out = append(out, f.startTable(v, shape, fields))
	}
	return append(out, f.row(v))
}

func (f *Formatter) tableRowGrouped(v any, shape string, fields []Field, label string) []Record {
	var out []Record
	if f.open != Table || f.shape != shape || !f.inGroup || f.group != label {
		out = append(out, f.Close()...)
		out = append(out, &GroupStart{Label: label})
		f.inGroup, f.group = true, label
		out = append(out, f.startTable(v, shape, fields))
	}
	return append(out, f.row(v))
}

func (f *Formatter) startTable(v any, shape string, fields []Field) Record {
	f.open, f.shape = Table, shape
	f.cols = expandFields(fields, v)
	ts := &TableStart{HideHeaders: f.opt.HideTableHeaders, Wrap: f.opt.Wrap, AutoSize: f.opt.AutoSize,
		View: strings.HasPrefix(shape, "view:")}
	for _, c := range f.cols {
		align := c.Align
		if align == AlignDefault {
			align = AlignLeft
			if isNumeric(f.value(v, c)) || strings.HasPrefix(shape, "props") && isRightAligned(f.value(v, c)) {
				align = AlignRight
			}
		}
		ts.Columns = append(ts.Columns, TableColumn{Header: c.label(), Width: c.Width, Align: align})
	}
	return ts
}

func (f *Formatter) row(v any) Record {
	cells := make([]string, len(f.cols))
	for i, c := range f.cols {
		cells[i] = Value(f.value(v, c), f.limit)
	}
	return &TableRow{Cells: cells}
}

func (f *Formatter) value(v any, fl Field) any {
	if fl.Eval != nil {
		return fl.Eval(v)
	}
	val, _ := Member(v, fl.Name)
	return val
}

func (f *Formatter) listEntry(v any) []Record {
	var out []Record
	if f.open != List {
		out = append(out, f.Close()...)
		f.open = List
	}
	fields := f.opt.Fields
	if len(fields) == 0 {
		if o, ok := v.(*object.PSObject); ok {
			if view, ok := Lookup(o.TypeNames); ok && len(view.List) > 0 {
				for _, n := range view.List {
					fields = append(fields, Field{Name: n})
				}
			} else {
				fields = allFields(o)
			}
		}
	}
	e := &ListEntry{}
	for _, fl := range expandFields(fields, v) {
		e.Fields = append(e.Fields, ListField{Name: fl.label(), Value: Value(f.value(v, fl), f.limit)})
	}
	return append(out, e)
}

func (f *Formatter) wideEntry(v any) []Record {
	var out []Record
	if f.open != Wide {
		out = append(out, f.Close()...)
		f.open = Wide
		f.wideFld = ""
		if o, ok := v.(*object.PSObject); ok {
			if view, ok := Lookup(o.TypeNames); ok && view.Wide != "" {
				f.wideFld = view.Wide
			} else if p := o.Property("Name"); p != nil {
				f.wideFld = p.Name
			} else if ps := o.Properties(); len(ps) > 0 {
				f.wideFld = ps[0].Name
			}
		}
		out = append(out, &WideStart{Columns: f.opt.Columns, AutoSize: f.opt.AutoSize})
	}
	var val any = v
	switch {
	case len(f.opt.Fields) > 0:
		val = f.value(v, expandFirst(f.opt.Fields[0], v))
	case f.wideFld != "":
		val, _ = Member(v, f.wideFld)
	}
	return append(out, &WideEntry{Text: Value(val, f.limit)})
}

func expandFirst(fl Field, v any) Field {
	if ex := expandFields([]Field{fl}, v); len(ex) > 0 {
		return ex[0]
	}
	return fl
}

// expandFields replaces wildcard names by the matching properties of v, in
// the object's order; a name without wildcards stays even if v lacks it
// (its cells are empty), as in PowerShell.
func expandFields(fields []Field, v any) []Field {
	var out []Field
	for _, fl := range fields {
		if fl.Eval != nil || !wildcard.HasWildcard(fl.Name) {
			out = append(out, fl)
			continue
		}
		for _, n := range PropertyNames(v) {
			if wildcard.Match(fl.Name, n) {
				out = append(out, Field{Name: n, Width: fl.Width, Align: fl.Align})
			}
		}
	}
	return out
}

// custom prints an object through its view's Custom function; a run of
// such objects is set off by blank lines, as PowerShell's custom controls are.
func (f *Formatter) custom(o *object.PSObject, view *View) []Record {
	var out []Record
	if f.open != custom {
		out = append(out, f.Close()...)
		f.open = custom
		out = append(out, &Text{})
	}
	return append(out, &Text{Text: view.Custom(o)})
}
