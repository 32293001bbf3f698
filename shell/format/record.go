package format

// Record is a piece of formatted output: what Format-Table, Format-List and
// Format-Wide write to the pipeline and the Out-* commands render. Like
// PowerShell's FormatStartData/FormatEntryData, records carry finished cell
// text, so rendering needs no access to the original objects.
type Record interface{ formatRecord() }

// TableColumn is a column of a table being rendered.
type TableColumn struct {
	Header string
	// Width fixes the column width; 0 means "size to the content seen".
	Width int
	// Align is AlignLeft, AlignRight or AlignCenter (never AlignDefault).
	Align Align
}

// TableStart opens a table.
type TableStart struct {
	Columns     []TableColumn
	HideHeaders bool
	// Wrap wraps long cells onto more lines instead of cutting them.
	Wrap bool
	// AutoSize sizes columns from every row (the renderer waits for
	// TableEnd); otherwise widths are fixed from the first rows.
	AutoSize bool
	// View says the columns come from a registered view: without
	// -AutoSize, its columns without a width share the room the others
	// leave (the hashtable's Value, Get-ChildItem's Name).
	View bool
}

// TableRow is one object's row; Cells has one entry per column.
type TableRow struct{ Cells []string }

// TableEnd closes the table opened by the last TableStart.
type TableEnd struct{}

// GroupStart opens a group (Format-Table -GroupBy, Get-ChildItem's
// directories); Label is the whole header line, indentation included. A
// trailing "\n" in Label adds a blank line under it.
type GroupStart struct{ Label string }

// GroupEnd closes a group.
type GroupEnd struct{}

// ListField is one "Name : Value" line of a list entry.
type ListField struct{ Name, Value string }

// ListEntry is one object of a Format-List.
type ListEntry struct{ Fields []ListField }

// ListEnd ends a run of list entries.
type ListEnd struct{}

// WideStart opens a Format-Wide layout.
type WideStart struct {
	// Columns is the number of columns; 0 with AutoSize fits as many as the
	// widest entry allows, 0 without AutoSize means 2.
	Columns  int
	AutoSize bool
}

// WideEntry is one item of a Format-Wide.
type WideEntry struct{ Text string }

// WideEnd closes a Format-Wide layout.
type WideEnd struct{}

// Text is output printed as is (a string, a number, a date), one line per
// line of Text.
type Text struct{ Text string }

func (*TableStart) formatRecord() {}
func (*TableRow) formatRecord()   {}
func (*TableEnd) formatRecord()   {}
func (*GroupStart) formatRecord() {}
func (*GroupEnd) formatRecord()   {}
func (*ListEntry) formatRecord()  {}
func (*ListEnd) formatRecord()    {}
func (*WideStart) formatRecord()  {}
func (*WideEntry) formatRecord()  {}
func (*WideEnd) formatRecord()    {}
func (*Text) formatRecord()       {}

// IsRecord reports whether v is a format record.
func IsRecord(v any) bool { _, ok := v.(Record); return ok }
