package utility

import (
	"sort"
	"strings"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/wildcard"
)

func init() {
	// Windows PowerShell 5.1's GroupInfo view: a 5-wide Count, a 25-wide Name.
	format.Register("Microsoft.PowerShell.Commands.GroupInfo", format.View{
		Table: []format.Column{{Property: "Count", Width: 5, Align: format.AlignRight}, {Property: "Name", Width: 25}, {Property: "Group"}},
	})
	format.Register("Microsoft.PowerShell.Commands.GroupInfoNoElement", format.View{
		Table: []format.Column{{Property: "Count", Width: 5, Align: format.AlignRight}, {Property: "Name", Width: 25}},
	})
	format.Register("Microsoft.PowerShell.Commands.GenericMeasureInfo", format.View{
		List: []string{"Count", "Average", "Sum", "Maximum", "Minimum", "Property"},
	})
}

func objectCmdlets() []*interp.CmdletInfo {
	return []*interp.CmdletInfo{selectObject(), sortObject(), groupObject(), measureObject(), teeObject(), compareObject()}
}

// ---- Select-Object ----

type selectState struct {
	props    []propSpec
	exclude  []string
	expand   string
	first    int // -1: not given
	last     int
	skip     int
	unique   bool
	seen     map[string]bool
	index    map[int]bool // -Index positions still wanted
	position int
	buffered []any
	emitted  int
	skipped  int
	done     bool
}

func selectObject() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Select-Object",
		Aliases:  []string{"select"},
		Module:   ModuleUtility,
		Synopsis: "Selects objects or object properties.",
		Description: "The Select-Object cmdlet selects specified properties of an object or set of objects. " +
			"It can also select unique objects, a specified number of objects, or objects in a specified " +
			"position in an array. Calculated properties are given as hashtables @{Name=...; Expression={...}}.",
		Params: params(
			inputObject("Specifies objects to send to the cmdlet through the pipeline."),
			param("Property", interp.KindObject, "Specifies the properties to select: names (wildcards are permitted), or calculated properties @{Name=...; Expression=...}.").at(0).array(),
			param("ExcludeProperty", interp.KindString, "Specifies the properties that this cmdlet excludes from the operation. Wildcards are permitted.").array(),
			param("ExpandProperty", interp.KindString, "Specifies a property to select, and indicates that an attempt should be made to expand that property. Arrays are enumerated."),
			param("Unique", interp.KindSwitch, "Specifies that if a subset of the input objects has identical properties and values, only a single member of the subset will be selected."),
			param("First", interp.KindInt, "Specifies the number of objects to select from the beginning of an array of input objects."),
			param("Last", interp.KindInt, "Specifies the number of objects to select from the end of an array of input objects."),
			param("Skip", interp.KindInt, "Skips (does not select) the specified number of items. With -Last, it counts from the end."),
			param("Index", interp.KindInt, "Selects objects from an array based on their index values (0-based).").array(),
		),
		Examples: []interp.Example{
			{Code: "Get-ReceiveConnector | Select-Object Name, Bindings, @{n='Port';e={$_.Bindings[0].Port}}", Remarks: "Selects two properties and a calculated one."},
			{Code: "Get-Queue | Sort-Object MessageCount -Descending | Select-Object -First 3", Remarks: "Shows the three longest queues."},
		},
		OutputType: "System.Management.Automation.PSObject",
		Begin: func(c *interp.Call) error {
			st := &selectState{first: -1, last: -1, skip: intParam(c, "Skip", 0), unique: c.Bool("Unique"), expand: c.String("ExpandProperty"), seen: map[string]bool{}}
			if c.Has("First") {
				st.first = intParam(c, "First", 0)
			}
			if c.Has("Last") {
				st.last = intParam(c, "Last", 0)
			}
			st.exclude = strs(c, "ExcludeProperty")
			if c.Has("Index") {
				st.index = map[int]bool{}
				for _, v := range list(c, "Index") {
					if n, err := object.ToInt(v); err == nil {
						st.index[n] = true
					}
				}
			}
			props, err := parseProps(list(c, "Property"), selectKeys)
			if err != nil {
				return err
			}
			if len(props) == 0 && len(st.exclude) > 0 {
				props = []propSpec{{name: "*"}}
			}
			st.props = props
			c.State = st
			return nil
		},
		Process: func(c *interp.Call) error {
			st := c.State.(*selectState)
			v, ok := input(c)
			if !ok || st.done {
				return nil
			}
			if st.index != nil {
				pos := st.position
				st.position++
				if !st.index[pos] {
					return nil
				}
				delete(st.index, pos)
				if err := st.emit(c, v); err != nil {
					return err
				}
				if len(st.index) == 0 {
					st.done = true
					return interp.ErrPipelineStopped
				}
				return nil
			}
			if st.last >= 0 || st.unique {
				st.buffered = append(st.buffered, v)
				return nil
			}
			if st.skipped < st.skip {
				st.skipped++
				return nil
			}
			if st.first >= 0 && st.emitted >= st.first {
				st.done = true
				return interp.ErrPipelineStopped
			}
			st.emitted++
			if err := st.emit(c, v); err != nil {
				return err
			}
			if st.first >= 0 && st.emitted >= st.first {
				// Nothing more is wanted: stop the commands upstream, as
				// Select-Object -First does in PowerShell 3 and later.
				st.done = true
				return interp.ErrPipelineStopped
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*selectState)
			if st.last < 0 && !st.unique {
				return nil
			}
			items := st.buffered
			st.buffered = nil
			if st.unique {
				// Select-Object -Unique compares case-sensitively, unlike Sort-Object.
				var kept []any
				for _, v := range items {
					p, err := st.project(c, v)
					if err != nil {
						return err
					}
					for _, pv := range p {
						k := uniqueKey(pv)
						if !st.seen[k] {
							st.seen[k] = true
							kept = append(kept, pv)
						}
					}
				}
				items = kept
				st.props, st.expand = nil, ""
			}
			if st.last >= 0 {
				end := len(items) - st.skip
				if end < 0 {
					end = 0
				}
				start := max(0, end-st.last)
				items = items[start:end]
			} else if st.skip > 0 {
				items = items[min(st.skip, len(items)):]
			}
			if st.first >= 0 && len(items) > st.first {
				items = items[:st.first]
			}
			for _, v := range items {
				if err := st.emit(c, v); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func uniqueKey(v any) string {
	if o, ok := v.(*object.PSObject); ok && o.Base == nil {
		var b strings.Builder
		for _, p := range o.Properties() {
			b.WriteString(p.Name)
			b.WriteByte(0)
			b.WriteString(object.ToString(p.Value))
			b.WriteByte(1)
		}
		return b.String()
	}
	return object.TypeName(v) + "\x00" + object.ToString(v)
}

func (st *selectState) emit(c *interp.Call, v any) error {
	out, err := st.project(c, v)
	if err != nil {
		c.WriteError(err)
		return nil
	}
	return writeAll(c, out)
}

// project applies -Property and -ExpandProperty to one object.
func (st *selectState) project(c *interp.Call, v any) ([]any, error) {
	if len(st.props) == 0 && st.expand == "" {
		return []any{v}, nil
	}
	var sel *object.PSObject
	if len(st.props) > 0 {
		sel = object.New(append([]string{"Selected." + typeNamesOf(v)[0]}, "System.Management.Automation.PSCustomObject", "System.Object")...)
		for _, p := range st.props {
			if !p.calculated() && wildcard.HasWildcard(p.name) {
				for _, n := range format.PropertyNames(v) {
					if wildcard.Match(p.name, n) && !excluded(n, st.exclude) {
						val, _ := format.Member(v, n)
						sel.Add(n, val)
					}
				}
				continue
			}
			if !p.calculated() && excluded(p.name, st.exclude) {
				continue
			}
			val, err := p.eval(c, v)
			if err != nil {
				return nil, err
			}
			sel.Add(p.name, val)
		}
	}
	if st.expand == "" {
		return []any{sel}, nil
	}
	val, ok := format.Member(v, st.expand)
	if !ok {
		return nil, propertyNotFound(st.expand, "SelectObjectCommand")
	}
	items := object.ToList(val)
	if sel != nil {
		// The selected properties are added to each expanded object.
		for i, it := range items {
			if o, ok := it.(*object.PSObject); ok {
				for _, p := range sel.Properties() {
					o.Add(p.Name, p.Value)
				}
				items[i] = o
			}
		}
	}
	return items, nil
}

func excluded(name string, patterns []string) bool {
	for _, p := range patterns {
		if wildcard.Match(p, name) {
			return true
		}
	}
	return false
}

// ---- Sort-Object ----

type sortState struct {
	items []any
}

func sortObject() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Sort-Object",
		Aliases:  []string{"sort"},
		Module:   ModuleUtility,
		Synopsis: "Sorts objects by property values.",
		Description: "The Sort-Object cmdlet sorts objects in ascending or descending order based on object property values. " +
			"Properties may be names, script blocks, or hashtables @{Expression=...; Descending=$true}. The sort is stable.",
		Params: params(
			inputObject("Specifies the objects to sort."),
			param("Property", interp.KindObject, "Specifies the property names, script blocks or hashtables that the sort uses. Wildcards are permitted.").at(0).array(),
			param("Descending", interp.KindSwitch, "Indicates that the objects are sorted in descending order."),
			param("Unique", interp.KindSwitch, "Indicates that duplicates are eliminated; only the first of each set of equal objects is returned."),
			param("CaseSensitive", interp.KindSwitch, "Indicates that the sort is case-sensitive."),
		),
		Examples: []interp.Example{
			{Code: "Get-Queue | Sort-Object MessageCount -Descending", Remarks: "Sorts queues by the number of messages, largest first."},
			{Code: "Get-ChildItem | Sort-Object @{e='Length';Descending=$true}, Name", Remarks: "Sorts files by size, then by name."},
		},
		Begin: func(c *interp.Call) error {
			c.State = &sortState{}
			return nil
		},
		Process: func(c *interp.Call) error {
			if v, ok := input(c); ok {
				st := c.State.(*sortState)
				st.items = append(st.items, v)
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*sortState)
			specs, err := parseProps(list(c, "Property"), sortKeys)
			if err != nil {
				return err
			}
			sorted, err := sortItems(c, st.items, specs, c.Bool("Descending"), c.Bool("CaseSensitive"), c.Bool("Unique"))
			if err != nil {
				return err
			}
			return writeAll(c, sorted)
		},
	}
}

type sortKey struct {
	v    any
	keys []any
}

func sortItems(c *interp.Call, items []any, specs []propSpec, desc, cs, unique bool) ([]any, error) {
	// Wildcard names expand against the first object, as PowerShell does.
	if len(items) > 0 {
		var expanded []propSpec
		for _, p := range specs {
			if !p.calculated() && wildcard.HasWildcard(p.name) {
				for _, n := range format.PropertyNames(items[0]) {
					if wildcard.Match(p.name, n) {
						q := p
						q.name = n
						expanded = append(expanded, q)
					}
				}
				continue
			}
			expanded = append(expanded, p)
		}
		specs = expanded
	}
	keyed := make([]sortKey, len(items))
	for i, v := range items {
		keyed[i].v = v
		if len(specs) == 0 {
			keyed[i].keys = []any{v}
			continue
		}
		for _, p := range specs {
			k, err := p.eval(c, v)
			if err != nil {
				return nil, err
			}
			keyed[i].keys = append(keyed[i].keys, k)
		}
	}
	descOf := func(j int) bool {
		if j < len(specs) && specs[j].descending != nil {
			return *specs[j].descending
		}
		return desc
	}
	cmp := func(a, b sortKey) int {
		for j := range a.keys {
			r := compareValues(a.keys[j], b.keys[j], cs)
			if r != 0 {
				if descOf(j) {
					return -r
				}
				return r
			}
		}
		return 0
	}
	sort.SliceStable(keyed, func(i, j int) bool { return cmp(keyed[i], keyed[j]) < 0 })
	out := make([]any, 0, len(keyed))
	for i, k := range keyed {
		if unique && i > 0 && cmp(keyed[i-1], k) == 0 {
			continue
		}
		out = append(out, k.v)
	}
	return out, nil
}

// compareValues orders two sort keys: $null first, then PowerShell's
// comparison, falling back to the string forms when types do not compare.
func compareValues(a, b any, cs bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if r, err := object.Compare(a, b, cs); err == nil {
		return r
	}
	return object.CompareStrings(object.ToString(a), object.ToString(b), cs)
}

// ---- Group-Object ----

type groupState struct{ items []any }

func groupObject() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Group-Object",
		Aliases:  []string{"group"},
		Module:   ModuleUtility,
		Synopsis: "Groups objects that contain the same value for specified properties.",
		Description: "The Group-Object cmdlet displays objects in groups based on the value of a specified property. " +
			"It returns a table with one row for each property value and a column that displays the number of items with that value.",
		Params: params(
			inputObject("Specifies the objects to group."),
			param("Property", interp.KindObject, "Specifies the properties, script blocks or hashtables for grouping.").at(0).array(),
			param("NoElement", interp.KindSwitch, "Indicates that this cmdlet omits the members of a group from the results."),
			param("CaseSensitive", interp.KindSwitch, "Indicates that this cmdlet's grouping is case-sensitive."),
			param("AsHashTable", interp.KindSwitch, "Indicates that this cmdlet returns the group as a hash table: keys are the property values, values are the objects."),
			param("AsString", interp.KindSwitch, "Indicates that this cmdlet converts the hash table keys to strings (with -AsHashTable)."),
		),
		Examples: []interp.Example{
			{Code: "Get-MessageTrackingLog | Group-Object EventId", Remarks: "Counts tracking events by type."},
			{Code: "Import-Csv users.csv | Group-Object Department -NoElement", Remarks: "Counts users per department."},
		},
		OutputType: "Microsoft.PowerShell.Commands.GroupInfo",
		Begin:      func(c *interp.Call) error { c.State = &groupState{}; return nil },
		Process: func(c *interp.Call) error {
			if v, ok := input(c); ok {
				st := c.State.(*groupState)
				st.items = append(st.items, v)
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*groupState)
			specs, err := parseProps(list(c, "Property"), groupKeys)
			if err != nil {
				return err
			}
			cs := c.Bool("CaseSensitive")
			type group struct {
				name   string
				values []any
				items  []any
			}
			var groups []*group
			index := map[string]*group{}
			for _, v := range st.items {
				var vals []any
				if len(specs) == 0 {
					vals = []any{v}
				}
				for _, p := range specs {
					k, err := p.eval(c, v)
					if err != nil {
						return err
					}
					vals = append(vals, k)
				}
				parts := make([]string, len(vals))
				for i, x := range vals {
					parts[i] = object.ToString(x)
				}
				name := strings.Join(parts, ", ")
				key := name
				if !cs {
					key = strings.ToLower(name)
				}
				g, ok := index[key]
				if !ok {
					g = &group{name: name, values: vals}
					index[key] = g
					groups = append(groups, g)
				}
				g.items = append(g.items, v)
			}
			if c.Bool("AsHashTable") {
				h := object.NewHashtable()
				for _, g := range groups {
					var k any = g.name
					if !c.Bool("AsString") && len(g.values) == 1 {
						k = g.values[0]
					}
					h.Set(k, single(g.items))
				}
				return c.WriteObject(h)
			}
			for _, g := range groups {
				var o *object.PSObject
				if c.Bool("NoElement") {
					o = object.New("Microsoft.PowerShell.Commands.GroupInfoNoElement", "Microsoft.PowerShell.Commands.GroupInfo", "System.Object")
					o.Add("Values", g.values).Add("Count", len(g.items)).Add("Name", g.name)
				} else {
					o = object.New("Microsoft.PowerShell.Commands.GroupInfo", "System.Object")
					o.Add("Values", g.values).Add("Count", len(g.items)).Add("Group", g.items).Add("Name", g.name)
				}
				if err := c.WriteObject(o); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// ---- Measure-Object ----

type measureStat struct {
	count          int
	sum            float64
	min, max       any
	lines, words   int
	chars          int
	found, numeric bool
}

type measureState struct {
	specs []string
	stats []*measureStat
	text  bool
}

func measureObject() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Measure-Object",
		Aliases:  []string{"measure"},
		Module:   ModuleUtility,
		Synopsis: "Calculates the numeric properties of objects, and the characters, words, and lines in string objects.",
		Description: "The Measure-Object cmdlet calculates the property values of certain types of object: it counts objects, " +
			"and computes the minimum, maximum, sum, and average of numeric values. For text it counts lines, words, and characters.",
		Params: params(
			inputObject("Specifies the objects to be measured."),
			param("Property", interp.KindString, "Specifies one or more properties to measure. Wildcards are permitted.").at(0).array(),
			param("Sum", interp.KindSwitch, "Indicates that the cmdlet displays the sum of the values of the specified properties."),
			param("Average", interp.KindSwitch, "Indicates that the cmdlet displays the average value of the specified properties."),
			param("Maximum", interp.KindSwitch, "Indicates that the cmdlet displays the maximum value of the specified properties."),
			param("Minimum", interp.KindSwitch, "Indicates that the cmdlet displays the minimum value of the specified properties."),
			param("Line", interp.KindSwitch, "Indicates that the cmdlet counts the number of lines in the input object."),
			param("Word", interp.KindSwitch, "Indicates that the cmdlet counts the number of words in the input object."),
			param("Character", interp.KindSwitch, "Indicates that the cmdlet counts the number of characters in the input object."),
			param("IgnoreWhiteSpace", interp.KindSwitch, "Indicates that the cmdlet ignores white space in character counts."),
		),
		Examples: []interp.Example{
			{Code: "Get-Queue | Measure-Object MessageCount -Sum", Remarks: "Counts the messages in all queues."},
			{Code: "Get-Content RECV2026112709-1.LOG | Measure-Object -Line", Remarks: "Counts the lines of a protocol log."},
		},
		OutputType: "Microsoft.PowerShell.Commands.GenericMeasureInfo",
		Begin: func(c *interp.Call) error {
			st := &measureState{specs: strs(c, "Property"), text: c.Bool("Line") || c.Bool("Word") || c.Bool("Character")}
			c.State = st
			return nil
		},
		Process: func(c *interp.Call) error {
			st := c.State.(*measureState)
			v, ok := input(c)
			if !ok {
				return nil
			}
			if st.stats == nil {
				if len(st.specs) == 0 {
					st.specs = []string{""}
				} else {
					var names []string
					for _, p := range st.specs {
						if wildcard.HasWildcard(p) {
							for _, n := range format.PropertyNames(v) {
								if wildcard.Match(p, n) {
									names = append(names, n)
								}
							}
							continue
						}
						names = append(names, p)
					}
					st.specs = names
				}
				for range st.specs {
					st.stats = append(st.stats, &measureStat{})
				}
			}
			for i, p := range st.specs {
				val := v
				if p != "" {
					var found bool
					val, found = format.Member(v, p)
					if !found {
						continue
					}
				}
				if val == nil && p != "" {
					continue
				}
				s := st.stats[i]
				s.found = true
				s.count++
				if st.text {
					str := object.ToString(val)
					s.lines += countLines(str)
					s.words += len(strings.Fields(str))
					if c.Bool("IgnoreWhiteSpace") {
						for _, r := range str {
							if !isSpace(r) {
								s.chars++
							}
						}
					} else {
						s.chars += len([]rune(str))
					}
					continue
				}
				if !(c.Bool("Sum") || c.Bool("Average") || c.Bool("Maximum") || c.Bool("Minimum")) {
					continue
				}
				f, err := object.ToFloat(val)
				if err != nil {
					if c.Bool("Sum") || c.Bool("Average") {
						c.WriteError(interp.NewError("InvalidType", "PSInvalidOperationException", errorID("NonNumericInputObject", "MeasureObjectCommand"), object.ToString(val),
							"Input object %q is not numeric.", object.ToString(val)))
						continue
					}
					// Maximum and Minimum also order strings and dates.
					if s.max == nil || compareValues(val, s.max, false) > 0 {
						s.max = val
					}
					if s.min == nil || compareValues(val, s.min, false) < 0 {
						s.min = val
					}
					continue
				}
				s.numeric = true
				s.sum += f
				if mx, ok := s.max.(float64); !ok || f > mx {
					s.max = f
				}
				if mn, ok := s.min.(float64); !ok || f < mn {
					s.min = f
				}
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*measureState)
			if st.stats == nil {
				st.specs = []string{""}
				st.stats = []*measureStat{{}}
			}
			for i, p := range st.specs {
				s := st.stats[i]
				if p != "" && !s.found {
					c.WriteError(interp.NewError("InvalidArgument", "PSArgumentException", errorID("GenericMeasurePropertyNotFound", "MeasureObjectCommand"), p,
						"The property %q cannot be found in the input for any objects.", p))
					continue
				}
				var prop any
				if p != "" {
					prop = p
				}
				var o *object.PSObject
				if st.text {
					o = object.New("Microsoft.PowerShell.Commands.TextMeasureInfo", "Microsoft.PowerShell.Commands.MeasureInfo", "System.Object")
					o.Add("Lines", optional(c.Bool("Line"), s.lines))
					o.Add("Words", optional(c.Bool("Word"), s.words))
					o.Add("Characters", optional(c.Bool("Character"), s.chars))
					o.Add("Property", prop)
				} else {
					o = object.New("Microsoft.PowerShell.Commands.GenericMeasureInfo", "Microsoft.PowerShell.Commands.MeasureInfo", "System.Object")
					o.Add("Count", s.count)
					var avg any
					if c.Bool("Average") && s.count > 0 && s.numeric {
						avg = s.sum / float64(s.count)
					}
					o.Add("Average", avg)
					o.Add("Sum", optional(c.Bool("Sum"), s.sum))
					o.Add("Maximum", optional(c.Bool("Maximum") && s.max != nil, s.max))
					o.Add("Minimum", optional(c.Bool("Minimum") && s.min != nil, s.min))
					o.Add("Property", prop)
				}
				if err := c.WriteObject(o); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// optional is v when the statistic was asked for, else $null (Measure-Object
// leaves the others empty).
func optional(on bool, v any) any {
	if !on {
		return nil
	}
	return v
}

func countLines(s string) int {
	if s == "" {
		return 0
	}
	n := strings.Count(s, "\n")
	if !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// ---- Tee-Object ----

func teeObject() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:        "Tee-Object",
		Aliases:     []string{"tee"},
		Module:      ModuleUtility,
		Synopsis:    "Saves command output in a file or variable and also sends it down the pipeline.",
		Description: "The Tee-Object cmdlet writes output in two directions: it stores the output in a file or variable and also sends it down the pipeline.",
		Params: params(
			inputObject("Specifies the object to be saved and displayed."),
			param("FilePath", interp.KindString, "Specifies a file that this cmdlet saves the object to.").at(0).alias("Path").sets("File"),
			param("Append", interp.KindSwitch, "Indicates that the cmdlet appends the output to the specified file.").sets("File"),
			param("Variable", interp.KindString, "Specifies a variable that the cmdlet saves the object to.").mandatory().sets("Variable"),
		),
		DefaultParameterSet: "File",
		Examples: []interp.Example{
			{Code: "Get-Queue | Tee-Object -Variable q | Format-Table", Remarks: "Shows the queues and keeps them in $q."},
		},
		Begin: func(c *interp.Call) error {
			c.State = &teeState{}
			return nil
		},
		Process: func(c *interp.Call) error {
			v, ok := input(c)
			if !ok {
				return nil
			}
			st := c.State.(*teeState)
			st.items = append(st.items, v)
			return c.WriteObject(v)
		},
		End: func(c *interp.Call) error {
			st := c.State.(*teeState)
			if c.Has("Variable") {
				c.SetVariable(c.String("Variable"), single(st.items))
				return nil
			}
			text := renderText(st.items, c.Width, enumLimit(c))
			return writeTextFile(c, c.String("FilePath"), text, "", c.Bool("Append"), false)
		},
	}
}

type teeState struct{ items []any }

// ---- Compare-Object ----

type compareState struct{ diff []any }

func compareObject() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Compare-Object",
		Aliases:  []string{"compare", "diff"},
		Module:   ModuleUtility,
		Synopsis: "Compares two sets of objects.",
		Description: "The Compare-Object cmdlet compares two sets of objects: the reference set and the difference set. " +
			"The result shows each value with a SideIndicator: <= for values only in the reference set, => for values only in the difference set, and == with -IncludeEqual.",
		Params: params(
			param("ReferenceObject", interp.KindObject, "Specifies an array of objects used as a reference for comparison.").at(0).array().mandatory(),
			param("DifferenceObject", interp.KindObject, "Specifies the objects that are compared to the reference objects.").at(1).array().mandatory().pipe(),
			param("Property", interp.KindObject, "Specifies an array of properties of the reference and difference objects to compare.").array(),
			param("IncludeEqual", interp.KindSwitch, "Indicates that this cmdlet displays characteristics of compared objects that are equal."),
			param("ExcludeDifferent", interp.KindSwitch, "Indicates that this cmdlet displays only the characteristics of compared objects that are equal."),
			param("PassThru", interp.KindSwitch, "Returns the compared objects instead of InputObject/SideIndicator pairs."),
			param("CaseSensitive", interp.KindSwitch, "Indicates that comparisons should be case-sensitive."),
		),
		Examples: []interp.Example{
			{Code: "Compare-Object (Get-Content before.txt) (Get-Content after.txt)", Remarks: "Shows the lines that differ between two files."},
		},
		Begin: func(c *interp.Call) error { c.State = &compareState{}; return nil },
		Process: func(c *interp.Call) error {
			st := c.State.(*compareState)
			if c.HasInput {
				st.diff = append(st.diff, object.ToList(c.Input)...)
			} else {
				st.diff = append(st.diff, list(c, "DifferenceObject")...)
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*compareState)
			specs, err := parseProps(list(c, "Property"), selectKeys)
			if err != nil {
				return err
			}
			cs := c.Bool("CaseSensitive")
			key := func(v any) (string, []any, error) {
				if len(specs) == 0 {
					s := object.ToString(v)
					if !cs {
						s = strings.ToLower(s)
					}
					return s, nil, nil
				}
				var parts []string
				var vals []any
				for _, p := range specs {
					x, err := p.eval(c, v)
					if err != nil {
						return "", nil, err
					}
					vals = append(vals, x)
					s := object.ToString(x)
					if !cs {
						s = strings.ToLower(s)
					}
					parts = append(parts, s)
				}
				return strings.Join(parts, "\x00"), vals, nil
			}
			ref := list(c, "ReferenceObject")
			used := make([]bool, len(st.diff))
			emit := func(v any, vals []any, side string) error {
				if c.Bool("PassThru") {
					if o, ok := v.(*object.PSObject); ok {
						o.Add("SideIndicator", side)
					}
					return c.WriteObject(v)
				}
				o := object.New("System.Management.Automation.PSCustomObject", "System.Object")
				if len(specs) == 0 {
					o.Add("InputObject", v)
				} else {
					for i, p := range specs {
						o.Add(p.name, vals[i])
					}
				}
				o.Add("SideIndicator", side)
				return c.WriteObject(o)
			}
			var diffKeys []string
			var diffVals [][]any
			for _, d := range st.diff {
				k, vals, err := key(d)
				if err != nil {
					return err
				}
				diffKeys = append(diffKeys, k)
				diffVals = append(diffVals, vals)
			}
			var onlyRef [][2]any
			for _, r := range ref {
				k, vals, err := key(r)
				if err != nil {
					return err
				}
				match := -1
				for j, dk := range diffKeys {
					if !used[j] && dk == k {
						match = j
						break
					}
				}
				if match >= 0 {
					used[match] = true
					if c.Bool("IncludeEqual") || c.Bool("ExcludeDifferent") {
						if err := emit(r, vals, "=="); err != nil {
							return err
						}
					}
					continue
				}
				onlyRef = append(onlyRef, [2]any{r, vals})
			}
			if c.Bool("ExcludeDifferent") {
				return nil
			}
			// PowerShell lists the difference side first.
			for j, d := range st.diff {
				if !used[j] {
					if err := emit(d, diffVals[j], "=>"); err != nil {
						return err
					}
				}
			}
			for _, r := range onlyRef {
				vals, _ := r[1].([]any)
				if err := emit(r[0], vals, "<="); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
