package format

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	twrenderer "github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// tableBatch is how many rows fix a table's column widths when no timer
// does it first (PowerShell 5.1 waits about 300 ms for rows to measure).
const tableBatch = 100

// renderer turns format records into lines. It is not safe for concurrent
// use; Output serialises access.
type renderer struct {
	// usable is the longest line: one less than the width, because a line
	// that fills the console makes it wrap (PowerShell does the same).
	usable int
	emit   func(string) error
	tbl    *tableState
	list   bool
	wide   *wideState
	// blankRun counts the blank lines just emitted, so a group label
	// after a closed table is not pushed further down.
	blankRun int
}

type tableState struct {
	start   *TableStart
	pending [][]string
	// widths is nil until fixed; a negative width hides the column.
	widths []int
	since  time.Time
	// tw renders rows at the fixed widths. It is made once per table, in
	// streaming mode, because a tablewriter.Table is costly to create or
	// reset (about half a millisecond) and later rows print one by one.
	tw  *tablewriter.Table
	buf bytes.Buffer
}

// writer returns the table's tablewriter, set up for the visible columns:
// no borders or lines, one space of right padding, per-column alignment,
// fixed widths and no wrapping or trimming of the finished cells.
func (t *tableState) writer(vis []int) (*tablewriter.Table, error) {
	if t.tw != nil {
		return t.tw, nil
	}
	widths := tw.NewMapper[int, int]()
	aligns := make([]tw.Align, len(vis))
	for j, i := range vis {
		// tablewriter's width includes the one-space right padding that
		// separates columns.
		widths.Set(j, t.widths[i]+1)
		switch t.start.Columns[i].Align {
		case AlignRight:
			aligns[j] = tw.AlignRight
		case AlignCenter:
			aligns[j] = tw.AlignCenter
		default:
			aligns[j] = tw.AlignLeft
		}
	}
	t.tw = tablewriter.NewTable(&t.buf,
		tablewriter.WithRenderer(twrenderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{ShowHeader: tw.Off, ShowFooter: tw.Off, BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowTop: tw.Off, ShowBottom: tw.Off, ShowHeaderLine: tw.Off, ShowFooterLine: tw.Off},
			},
		})),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithRowAutoFormat(tw.Off),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: " ", Overwrite: true}),
		tablewriter.WithColumnWidths(widths),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		// Streaming renders each appended row at once at the fixed widths.
		tablewriter.WithStreaming(tw.StreamConfig{Enable: true}),
	)
	return t.tw, t.tw.Start()
}

type wideState struct {
	start   *WideStart
	entries []string
	cols    int // 0 until the layout is fixed
	started bool
	colW    int
}

func newRenderer(width int, emit func(string) error) *renderer {
	if width <= 0 {
		width = 120
	}
	usable := width - 1
	if usable < 10 {
		usable = 10
	}
	return &renderer{usable: usable, emit: emit}
}

func (r *renderer) lines(ls ...string) error {
	for _, l := range ls {
		if err := r.emit(l); err != nil {
			return err
		}
		if l == "" {
			r.blankRun++
		} else {
			r.blankRun = 0
		}
	}
	return nil
}

// render handles one record.
func (r *renderer) render(rec Record) error {
	switch x := rec.(type) {
	case *TableStart:
		if err := r.endAll(); err != nil {
			return err
		}
		r.tbl = &tableState{start: x, since: time.Now()}
	case *TableRow:
		if r.tbl == nil {
			// A row without its start (Format-Table output cut short by
			// Select-Object): print it unaligned rather than lose it.
			return r.lines(strings.TrimRight(strings.Join(x.Cells, " "), " "))
		}
		if r.tbl.widths != nil {
			return r.printRows([][]string{x.Cells}, r.tbl.start.Wrap)
		}
		r.tbl.pending = append(r.tbl.pending, x.Cells)
		if !r.tbl.start.AutoSize && len(r.tbl.pending) >= tableBatch {
			return r.fixTable()
		}
	case *TableEnd:
		return r.endTable()
	case *GroupStart:
		if err := r.endAll(); err != nil {
			return err
		}
		// A group starts two blank lines down (FormatStart and GroupStart
		// in Windows PowerShell; a table just closed has written them).
		// The label may end in "\n" for an extra blank line (Get-ChildItem's
		// "Directory:" header has two blank lines under it, -GroupBy one).
		var ls []string
		for i := r.blankRun; i < 2; i++ {
			ls = append(ls, "")
		}
		return r.lines(append(ls, strings.Split(x.Label, "\n")...)...)
	case *GroupEnd:
		return r.endAll()
	case *ListEntry:
		if err := r.endTable(); err != nil {
			return err
		}
		if err := r.endWide(); err != nil {
			return err
		}
		return r.listEntry(x)
	case *ListEnd:
		return r.endList()
	case *WideStart:
		if err := r.endAll(); err != nil {
			return err
		}
		r.wide = &wideState{start: x}
		if !x.AutoSize {
			r.fixWide()
		}
	case *WideEntry:
		if r.wide == nil {
			r.wide = &wideState{start: &WideStart{}}
			r.fixWide()
		}
		r.wide.entries = append(r.wide.entries, x.Text)
		if r.wide.cols > 0 && len(r.wide.entries) >= r.wide.cols {
			return r.printWide(false)
		}
	case *WideEnd:
		return r.endWide()
	case *Text:
		// Out-of-band text: print what the open table holds first, so
		// output keeps its order, and leave the table open.
		if r.tbl != nil && r.tbl.widths == nil && !r.tbl.start.AutoSize {
			if err := r.fixTable(); err != nil {
				return err
			}
		}
		if err := r.endList(); err != nil {
			return err
		}
		// A trailing newline shows as a blank line, as in PowerShell.
		return r.lines(strings.Split(strings.ReplaceAll(x.Text, "\r\n", "\n"), "\n")...)
	}
	return nil
}

// pending reports whether a table is waiting for its widths to be fixed.
func (r *renderer) pending() bool {
	return r.tbl != nil && r.tbl.widths == nil && !r.tbl.start.AutoSize
}

func (r *renderer) endAll() error {
	if err := r.endTable(); err != nil {
		return err
	}
	if err := r.endWide(); err != nil {
		return err
	}
	return r.endList()
}

func (r *renderer) endList() error {
	if !r.list {
		return nil
	}
	r.list = false
	// GroupEnd and FormatEnd.
	return r.lines("", "")
}

func (r *renderer) endTable() error {
	if r.tbl == nil {
		return nil
	}
	if r.tbl.widths == nil {
		if err := r.fixTable(); err != nil {
			return err
		}
	}
	if r.tbl.tw != nil {
		_ = r.tbl.tw.Close()
	}
	r.tbl = nil
	// GroupEnd and FormatEnd: a table ends with two blank lines.
	return r.lines("", "")
}

// fixTable settles the column widths from the rows seen so far and prints
// the header and those rows; later rows are cut to these widths.
func (r *renderer) fixTable() error {
	t := r.tbl
	cols := t.start.Columns
	want := make([]int, len(cols))
	fixed := make([]bool, len(cols))
	for i, c := range cols {
		if c.Width > 0 && !t.start.AutoSize {
			want[i], fixed[i] = c.Width, true
			continue
		}
		want[i] = runewidth.StringWidth(c.Header)
		for _, row := range t.pending {
			if i < len(row) {
				want[i] = max(want[i], cellWidth(row[i], t.start.Wrap))
			}
		}
	}
	if t.start.View && !t.start.AutoSize {
		unassignFree(want, fixed)
	}
	t.widths = columnWidths(want, r.usable)
	if t.start.AutoSize {
		// -AutoSize sized the columns to their content; those that do
		// not fit are dropped, and 5.1 says how many.
		removed := 0
		for _, w := range t.widths {
			if w < 0 {
				removed++
			}
		}
		if removed > 0 {
			if err := r.lines(fmt.Sprintf("WARNING: %d columns do not fit into the display and were removed.", removed)); err != nil {
				return err
			}
		}
	}
	if err := r.lines(""); err != nil {
		return err
	}
	if !t.start.HideHeaders {
		head := make([]string, len(cols))
		dash := make([]string, len(cols))
		for i, c := range cols {
			head[i] = c.Header
			// The dashes are as long as the header, or the column when
			// the header is wider (it then wraps).
			dash[i] = strings.Repeat("-", min(runewidth.StringWidth(c.Header), max(t.widths[i], 0)))
		}
		// Headers always wrap, as 5.1's TableWriter writes them.
		if err := r.printRows([][]string{head}, true); err != nil {
			return err
		}
		if err := r.printRows([][]string{dash}, false); err != nil {
			return err
		}
	}
	rows := t.pending
	t.pending = nil
	return r.printRows(rows, t.start.Wrap)
}

// unassignFree marks the columns of a view that have no width (the
// hashtable's Value, Get-ChildItem's Name) as unassigned (0), so
// columnWidths gives them the room the fixed columns leave, as Windows
// PowerShell's table writer does without -AutoSize; the cells are then
// padded to it. A view none of whose columns has a width keeps the
// content widths (5.1 measures the first rows then).
func unassignFree(want []int, fixed []bool) {
	var free []int
	for i := range want {
		if !fixed[i] {
			free = append(free, i)
		}
	}
	if len(free) == 0 || len(free) == len(want) {
		return
	}
	for _, i := range free {
		want[i] = 0
	}
}

// cellWidth is the width a cell asks for: its longest line when wrapping,
// else its first line (plus room for "..." when more lines follow).
func cellWidth(s string, wrap bool) int {
	ls := strings.Split(s, "\n")
	if wrap {
		w := 0
		for _, l := range ls {
			w = max(w, runewidth.StringWidth(l))
		}
		return w
	}
	w := runewidth.StringWidth(ls[0])
	if len(ls) > 1 {
		w += 3
	}
	return w
}

// minColumnWidth is the narrowest a column may be shrunk to before it is
// hidden (ScreenInfo.minimumColumnWidth in 5.1's TableWriter).
const minColumnWidth = 1

// columnWidths fits a table's columns in usable columns (with one space
// between columns) as Windows PowerShell 5.1's ColumnWidthManager does.
// A width of 0 is unassigned: such columns share the room the others
// leave (starting from minColumnWidth, extra columns going to the
// leftmost first). When the table is too wide it is trimmed from the
// right: the last visible column shrinks by the excess, or is hidden
// (width -1) when that would leave it narrower than minColumnWidth, and
// the next column to its left is tried. Columns to the left of the last
// visible one keep their widths.
func columnWidths(want []int, usable int) []int {
	w := append([]int(nil), want...)
	var free []int
	for i, x := range w {
		if x <= 0 {
			free = append(free, i)
			w[i] = minColumnWidth
		}
	}
	if avail := usable - tableWidth(w); avail >= 0 {
		for k := 0; avail > 0 && len(free) > 0; k = (k + 1) % len(free) {
			w[free[k]]++
			avail--
		}
		return w
	}
	trimToFit(w, usable)
	return w
}

// trimToFit is 5.1's ColumnWidthManager.TrimToFit: while the table is
// wider than usable, shrink the last visible column by the excess, or hide
// it when it would be narrower than minColumnWidth.
func trimToFit(w []int, usable int) {
	for {
		excess := tableWidth(w) - usable
		if excess <= 0 {
			return
		}
		last := len(w) - 1
		for i, x := range w {
			if x < 0 {
				last = i - 1
				break
			}
		}
		if last < 0 {
			return
		}
		if nw := w[last] - excess; nw >= minColumnWidth {
			w[last] = nw
		} else {
			w[last] = -1
		}
	}
}

// tableWidth is the width of the visible columns and the spaces between
// them.
func tableWidth(w []int) int {
	sum, n := 0, 0
	for _, x := range w {
		if x > 0 {
			sum += x
			n++
		}
	}
	return sum + max(n-1, 0)
}

// printRows prints table rows (cells as given) at the fixed widths,
// wrapping cells that are too wide or cutting them. tablewriter pads and
// aligns; cutting and wrapping happen here so the marker is PowerShell's
// "..." and widths are exactly ours.
func (r *renderer) printRows(rows [][]string, wrap bool) error {
	t := r.tbl
	var vis []int
	for i, w := range t.widths {
		if w > 0 {
			vis = append(vis, i)
		}
	}
	if len(vis) == 0 || len(rows) == 0 {
		return nil
	}
	var physical [][]string
	for _, row := range rows {
		cellLines := make([][]string, len(vis))
		height := 1
		for j, i := range vis {
			cell := ""
			if i < len(row) {
				cell = row[i]
			}
			if wrap {
				cellLines[j] = wrapText(cell, t.widths[i])
			} else {
				cellLines[j] = []string{cutAligned(cell, t.widths[i], t.start.Columns[i].Align)}
			}
			height = max(height, len(cellLines[j]))
		}
		for k := 0; k < height; k++ {
			line := make([]string, len(vis))
			for j := range vis {
				if k < len(cellLines[j]) {
					line[j] = cellLines[j][k]
				}
			}
			physical = append(physical, line)
		}
	}
	tbl, err := t.writer(vis)
	if err != nil {
		return err
	}
	t.buf.Reset()
	for _, row := range physical {
		if err := tbl.Append(row); err != nil {
			return err
		}
	}
	out := strings.Split(strings.TrimSuffix(t.buf.String(), "\n"), "\n")
	for i := range out {
		// Every cell is padded to its column width, the last one's too
		// (as PowerShell pads); only the separator after the last column
		// goes.
		out[i] = strings.TrimSuffix(out[i], " ")
	}
	return r.lines(out...)
}

// cutAligned is cut for a table cell: a right-aligned cell keeps its end
// ("...f"), as 5.1's TableWriter cuts it.
func cutAligned(s string, w int, align Align) string {
	if align != AlignRight {
		return cut(s, w)
	}
	s = strings.ReplaceAll(s, "\r", "")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + "..."
	}
	s = strings.ReplaceAll(s, "\t", " ")
	if runewidth.StringWidth(s) <= w {
		return s
	}
	keep := w - 3
	if keep <= 0 {
		keep = w
	}
	r := []rune(s)
	start := len(r)
	for start > 0 && runewidth.StringWidth(string(r[start-1:])) <= keep {
		start--
	}
	tail := string(r[start:])
	if w > 3 {
		return "..." + tail
	}
	return tail
}

// cut shortens s to w display columns, ending in "..." as Windows
// PowerShell 5.1 does; only the first line of a multi-line value shows.
func cut(s string, w int) string {
	s = strings.ReplaceAll(s, "\r", "")
	more := false
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s, more = s[:i], true
	}
	s = strings.ReplaceAll(s, "\t", " ")
	sw := runewidth.StringWidth(s)
	if sw <= w && !more {
		return s
	}
	if w <= 3 {
		return runewidth.Truncate(s, w, "")
	}
	if more && sw+3 <= w {
		return s + "..."
	}
	return runewidth.Truncate(s, w-3, "") + "..."
}

// wrapText breaks s into lines of at most w display columns, at spaces
// where it can and inside words where it must.
func wrapText(s string, w int) []string {
	if w <= 0 {
		return []string{s}
	}
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
		para = strings.ReplaceAll(para, "\t", " ")
		if runewidth.StringWidth(para) <= w {
			out = append(out, para)
			continue
		}
		line := ""
		for _, word := range strings.Split(para, " ") {
			cand := word
			if line != "" {
				cand = line + " " + word
			}
			if runewidth.StringWidth(cand) <= w {
				line = cand
				continue
			}
			if line != "" {
				out = append(out, line)
			}
			for runewidth.StringWidth(word) > w {
				head := runewidth.Truncate(word, w, "")
				if head == "" {
					head = string([]rune(word)[:1])
				}
				out = append(out, head)
				word = word[len(head):]
			}
			line = word
		}
		out = append(out, line)
	}
	return out
}

func (r *renderer) listEntry(e *ListEntry) error {
	labelW := 0
	for _, f := range e.Fields {
		labelW = max(labelW, runewidth.StringWidth(f.Name))
	}
	var ls []string
	if !r.list {
		// A list starts two blank lines down (FormatStart and GroupStart).
		r.list = true
		ls = append(ls, "", "")
	}
	avail := r.usable - labelW - 3
	indent := strings.Repeat(" ", labelW+3)
	for _, f := range e.Fields {
		prefix := f.Name + strings.Repeat(" ", labelW-runewidth.StringWidth(f.Name)) + " : "
		var vl []string
		if avail >= 10 {
			vl = wrapText(f.Value, avail)
		} else {
			vl = strings.Split(f.Value, "\n")
		}
		for k, l := range vl {
			// "Label : " keeps its space when the value is empty.
			if k == 0 {
				ls = append(ls, prefix+l)
			} else {
				ls = append(ls, indent+l)
			}
		}
	}
	// Each entry ends with a blank line.
	return r.lines(append(ls, "")...)
}

// fixWide settles a Format-Wide's column count and width.
func (r *renderer) fixWide() {
	wd := r.wide
	n := wd.start.Columns
	if n <= 0 && wd.start.AutoSize {
		longest := 1
		for _, e := range wd.entries {
			longest = max(longest, runewidth.StringWidth(e))
		}
		n = max(1, (r.usable+1)/(longest+1))
	}
	if n <= 0 {
		n = 2
	}
	wd.cols = n
	wd.colW = max(1, (r.usable+1)/n)
}

func (r *renderer) printWide(all bool) error {
	wd := r.wide
	var ls []string
	if !wd.started {
		wd.started = true
		ls = append(ls, "")
	}
	for len(wd.entries) >= wd.cols || (all && len(wd.entries) > 0) {
		k := min(wd.cols, len(wd.entries))
		var b strings.Builder
		for _, e := range wd.entries[:k] {
			c := cut(e, wd.colW-1)
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", wd.colW-runewidth.StringWidth(c)))
		}
		ls = append(ls, strings.TrimRight(b.String(), " "))
		wd.entries = wd.entries[k:]
	}
	return r.lines(ls...)
}

func (r *renderer) endWide() error {
	wd := r.wide
	if wd == nil {
		return nil
	}
	if wd.cols == 0 {
		r.fixWide()
	}
	if err := r.printWide(true); err != nil {
		return err
	}
	r.wide = nil
	return r.lines("")
}
