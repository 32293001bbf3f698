package format

import (
	"io"
	"strings"
	"sync"
	"time"
)

// Printer renders objects and format records into lines: objects are
// formatted with their default view (Out-Default's rules), records are
// rendered as they are. Out-String and Out-File use it directly; Output
// adds a writer and PowerShell's 300 ms wait. A Printer is not safe for
// concurrent use.
type Printer struct {
	f *Formatter
	r *renderer
}

// NewPrinter returns a Printer for lines of at most width-1 columns
// (width 0 means 120) that hands each finished line, without its newline,
// to emit.
func NewPrinter(width int, emit func(line string) error) *Printer {
	return &Printer{f: NewFormatter(Options{Kind: Auto}), r: newRenderer(width, emit)}
}

// SetEnumerationLimit sets $FormatEnumerationLimit for objects formatted
// from now on; a negative value shows every element.
func (p *Printer) SetEnumerationLimit(n int) {
	p.f.limit = n
}

// Write formats and renders one object or record.
func (p *Printer) Write(v any) error {
	for _, rec := range p.f.Format(v) {
		if err := p.r.render(rec); err != nil {
			return err
		}
	}
	return nil
}

// Flush fixes the widths of a table that is still measuring its first
// rows and prints those rows.
func (p *Printer) Flush() error {
	if p.r.pending() {
		return p.r.fixTable()
	}
	return nil
}

// Close ends whatever table, list or wide layout is open.
func (p *Printer) Close() error {
	for _, rec := range p.f.Close() {
		if err := p.r.render(rec); err != nil {
			return err
		}
	}
	return p.r.endAll()
}

// Render formats vs as Out-String does and returns the text, each line
// ending in "\n".
func Render(width int, vs ...any) string {
	var b strings.Builder
	p := NewPrinter(width, func(l string) error {
		b.WriteString(l)
		b.WriteByte('\n')
		return nil
	})
	for _, v := range vs {
		_ = p.Write(v)
	}
	_ = p.Close()
	return b.String()
}

// tableWait is how long a table measures its first rows before printing,
// like Windows PowerShell 5.1's formatter.
const tableWait = 300 * time.Millisecond

// Output is Out-Default: it formats the objects that reach the end of a
// top-level pipeline and writes them to w as they come. A table prints
// once its first rows have been measured (100 rows, or 300 ms after it
// started), so long pipelines show output progressively. Write and Close
// may be called from one goroutine while the timer flushes from another.
type Output struct {
	mu    sync.Mutex
	w     io.Writer
	p     *Printer
	timer *time.Timer
	err   error // first write error; later writes return it
}

// NewOutput returns an Output writing to w with the given width (0 = 120).
func NewOutput(w io.Writer, width int) *Output {
	o := &Output{w: w}
	o.p = NewPrinter(width, o.writeLine)
	return o
}

func (o *Output) writeLine(l string) error {
	if o.err != nil {
		return o.err
	}
	_, o.err = io.WriteString(o.w, l+"\n")
	return o.err
}

// SetEnumerationLimit sets $FormatEnumerationLimit (see Printer).
func (o *Output) SetEnumerationLimit(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.p.SetEnumerationLimit(n)
}

// Write formats and prints one object.
func (o *Output) Write(v any) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.p.Write(v); err != nil {
		return err
	}
	if !o.p.r.pending() {
		o.stopTimer()
		return nil
	}
	waited := time.Since(o.p.r.tbl.since)
	if waited >= tableWait {
		return o.p.Flush()
	}
	if o.timer == nil {
		o.timer = time.AfterFunc(tableWait-waited, o.flushPending)
	}
	return nil
}

func (o *Output) flushPending() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.timer = nil
	_ = o.p.Flush()
}

func (o *Output) stopTimer() {
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
}

// Flush prints the rows of a table that is still measuring them, with
// the widths they give; the rows after them keep those widths, as after
// PowerShell's 300 ms wait. The shell calls it before it shows an error.
func (o *Output) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stopTimer()
	if err := o.p.Flush(); err != nil {
		return err
	}
	return o.err
}

// Close prints what is still buffered and ends the open table or list.
func (o *Output) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stopTimer()
	if err := o.p.Close(); err != nil {
		return err
	}
	return o.err
}
