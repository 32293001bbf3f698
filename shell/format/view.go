package format

import (
	"strings"
	"sync"

	"exsh/shell/object"
)

// Align is a column's alignment.
type Align int

const (
	// AlignDefault aligns numbers right and everything else left.
	AlignDefault Align = iota
	AlignLeft
	AlignRight
	AlignCenter
)

// Column is one column of a registered table view.
type Column struct {
	// Header is the column's title; empty means Property.
	Header string
	// Property names the property shown; Expr, when set, computes the value
	// instead (a ScriptBlock in a PowerShell format file).
	Property string
	Expr     func(*object.PSObject) any
	// Width fixes the column's width; 0 sizes it to the content.
	Width int
	Align Align
}

// View is a type's default formatting, as a PowerShell format.ps1xml file
// declares it.
type View struct {
	// Table lists the default table columns. A type with a table view is
	// shown as a table by default.
	Table []Column
	// GroupBy names a property whose changes start a new table under a
	// "    GroupLabel: value" header (Get-ChildItem's "Directory: ...").
	GroupBy    string
	GroupLabel string
	// GroupFormat, when set, is the group header line with %s for the
	// value (Get-Member's "   TypeName: %s"); a trailing "\n" adds a blank
	// line. The default is "    GroupLabel: %s\n".
	GroupFormat string
	// Custom, when set, renders the object as text lines instead of a
	// table or list (Select-String's MatchInfo "path:line:text").
	Custom func(*object.PSObject) string
	// List is the property set Format-List shows by default; empty means
	// every property.
	List []string
	// Wide is the property Format-Wide shows; empty means Name, else the
	// first property.
	Wide string
	// PreferList makes a list the default display even though a table view
	// exists (TimeSpan).
	PreferList bool
}

var views = struct {
	sync.RWMutex
	m map[string]*View
}{m: map[string]*View{}}

// Register sets the view for a type name (case-insensitive), replacing any
// earlier one. Packages register their types' views at init.
func Register(typeName string, v View) {
	views.Lock()
	defer views.Unlock()
	views.m[strings.ToLower(typeName)] = &v
}

// Lookup returns the view of the first type name that has one.
func Lookup(typeNames []string) (*View, bool) {
	views.RLock()
	defer views.RUnlock()
	for _, n := range typeNames {
		if v, ok := views.m[strings.ToLower(n)]; ok {
			return v, true
		}
	}
	return nil, false
}

func init() {
	// PowerShell's hashtable view: a 30-wide Name column.
	Register("System.Collections.DictionaryEntry", View{
		Table: []Column{{Property: "Name", Width: 30}, {Property: "Value", Align: AlignLeft}},
		List:  []string{"Name", "Value"},
	})
	// Get-Variable's PSVariable: the same Name/Value table.
	Register("System.Management.Automation.PSVariable", View{
		Table: []Column{{Property: "Name", Width: 30}, {Property: "Value", Align: AlignLeft}},
	})
	Register("System.TimeSpan", View{
		Table:      []Column{{Property: "Days"}, {Property: "Hours"}, {Property: "Minutes"}, {Property: "Seconds"}, {Property: "Milliseconds"}},
		PreferList: true,
	})
}
