package format

import (
	"slices"
	"strings"
	"testing"
)

// TestColumnWidths follows Windows PowerShell 5.1's ColumnWidthManager:
// unassigned (0) columns share what is left, and a table that is too wide
// loses width from its last visible column first.
func TestColumnWidths(t *testing.T) {
	for _, tc := range []struct {
		name   string
		want   []int
		usable int
		got    []int
	}{
		{"fits", []int{5, 10}, 119, []int{5, 10}},
		{"fits exactly", []int{59, 59}, 119, []int{59, 59}},
		{"last column shrinks", []int{112, 8}, 119, []int{112, 6}},
		{"last column shrinks to one", []int{117, 8}, 119, []int{117, 1}},
		{"last column hidden", []int{118, 8}, 119, []int{118, -1}},
		{"hide the last, then shrink the one before", []int{30, 100, 10}, 119, []int{30, 88, -1}},
		{"hide two columns", []int{38, 25, 7}, 39, []int{38, -1, -1}},
		{"hide, then shrink the next to the left", []int{20, 25, 30}, 39, []int{20, 18, -1}},
		{"first column cut to the width", []int{200}, 119, []int{119}},
		{"unassigned gets the rest", []int{30, 0}, 119, []int{30, 88}},
		{"unassigned shared", []int{10, 0, 0}, 20, []int{10, 4, 4}},
		{"unassigned shared, leftmost first", []int{10, 0, 0}, 21, []int{10, 5, 4}},
		{"unassigned at its minimum, then trimmed", []int{60, 60, 0}, 119, []int{60, 58, -1}},
	} {
		if got := columnWidths(tc.want, tc.usable); !slices.Equal(got, tc.got) {
			t.Errorf("%s: columnWidths(%v, %d) = %v, want %v", tc.name, tc.want, tc.usable, got, tc.got)
		}
	}
}

func TestCutAligned(t *testing.T) {
	for _, tc := range []struct {
		s     string
		w     int
		align Align
		want  string
	}{
		{"abcdefgh", 6, AlignLeft, "abc..."},
		{"abcdefgh", 6, AlignRight, "...fgh"},
		{"abcdefgh", 3, AlignLeft, "abc"},
		{"abcdefgh", 3, AlignRight, "fgh"},
		{"abc", 6, AlignRight, "abc"},
		{"one\ntwo", 10, AlignLeft, "one..."},
		{"one\ntwo", 10, AlignRight, "one..."},
	} {
		if got := cutAligned(tc.s, tc.w, tc.align); got != tc.want {
			t.Errorf("cutAligned(%q, %d, %v) = %q, want %q", tc.s, tc.w, tc.align, got, tc.want)
		}
	}
}

// TestOutputWidth checks that an Output cuts a table to the width it was
// made with (0 meaning 120): each statement of an interactive shell makes
// its Output at the terminal's width then, so a resize moves the cut.
func TestOutputWidth(t *testing.T) {
	for _, tc := range []struct{ width, line int }{{0, 119}, {120, 119}, {80, 79}, {41, 40}, {200, 199}} {
		var b strings.Builder
		o := NewOutput(&b, tc.width)
		if err := o.Write(pscustom("Name", "x", "Text", strings.Repeat("a", 300))); err != nil {
			t.Fatal(err)
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		var row string
		for l := range strings.SplitSeq(b.String(), "\n") {
			if len(l) > tc.line {
				t.Errorf("width %d: line of %d columns: %q", tc.width, len(l), l)
			}
			if strings.HasPrefix(l, "x ") {
				row = l
			}
		}
		want := "x    " + strings.Repeat("a", tc.line-8) + "..."
		if row != want {
			t.Errorf("width %d: row %q, want %q", tc.width, row, want)
		}
	}
}
