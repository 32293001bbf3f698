package format

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"exsh/shell/object"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func init() {
	Register("Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector", View{
		Table: []Column{{Property: "Identity"}, {Property: "Bindings"}, {Property: "Enabled"}},
	})
}

func receiveConnector(identity string, bindings []any, enabled bool) *object.PSObject {
	o := object.New("Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector")
	o.Add("RunspaceId", "4f3c1a9e-0000-0000-0000-000000000000")
	o.Add("AuthMechanism", "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer")
	o.Add("Bindings", bindings)
	o.Add("Enabled", enabled)
	o.Add("Identity", identity)
	o.Add("MaxMessageSize", FormatByteSize(37748736))
	return o
}

func pscustom(kv ...any) *object.PSObject {
	o := object.New("System.Management.Automation.PSCustomObject")
	for i := 0; i+1 < len(kv); i += 2 {
		o.Add(kv[i].(string), kv[i+1])
	}
	return o
}

// records formats vs with opt and returns the records, for rendering.
func records(opt Options, vs ...any) []any {
	f := NewFormatter(opt)
	var out []any
	for _, v := range vs {
		for _, r := range f.Format(v) {
			out = append(out, r)
		}
	}
	for _, r := range f.Close() {
		out = append(out, r)
	}
	return out
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s: output differs\n--- got ---\n%s--- want ---\n%s", name, got, want)
	}
}

func TestReceiveConnectorTable(t *testing.T) {
	got := Render(120,
		receiveConnector(`EX01\Default EX01`, []any{"0.0.0.0:2525", "[::]:2525"}, true),
		receiveConnector(`EX01\Client Frontend EX01`, []any{"[::]:587", "0.0.0.0:587"}, true),
	)
	want := "\n" +
		"Identity                  Bindings                  Enabled\n" +
		"--------                  --------                  -------\n" +
		"EX01\\Default EX01         {0.0.0.0:2525, [::]:2525} True   \n" +
		"EX01\\Client Frontend EX01 {[::]:587, 0.0.0.0:587}   True   \n" +
		"\n\n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	checkGolden(t, "receiveconnector_table", got)
}

func TestGolden(t *testing.T) {
	date := time.Date(2026, 11, 27, 9, 5, 7, 0, time.UTC)
	rc := receiveConnector(`EX01\Default Frontend EX01`, []any{"0.0.0.0:25", "[::]:25"}, true)
	longText := "The quick brown fox jumps over the lazy dog and keeps running across the whole field until the line must wrap somewhere sensible."
	cases := []struct {
		name  string
		width int
		in    []any
	}{
		{"small_objects_table", 120, []any{
			pscustom("Name", "alpha", "Count", 3, "Enabled", true, "When", date),
			pscustom("Name", "beta", "Count", 12345, "Enabled", false, "When", nil),
		}},
		{"big_object_list", 120, []any{
			pscustom("Name", "alpha", "Count", 3, "Enabled", true, "When", date, "Size", FormatByteSize(37748736), "Timeout", 5*time.Minute, "Age", 48*time.Hour),
			pscustom("Name", "beta", "Count", 4, "Enabled", false, "When", date, "Size", FormatByteSize(0), "Timeout", time.Second, "Age", time.Duration(0)),
		}},
		{"multivalue_limit", 120, []any{
			pscustom("Name", "many", "Values", []any{"a", "b", "c", "d", "e", "f"}),
			pscustom("Name", "none", "Values", []any{}),
			pscustom("Name", "one", "Values", []any{"x"}),
		}},
		{"shape_change", 120, []any{
			pscustom("A", 1, "B", 2),
			pscustom("A", 3, "B", 4),
			"a string in between",
			// Same type: fills the first object's columns (an empty row).
			pscustom("C", "x"),
			// Another type: a new table.
			object.New("Selected.System.String").Add("Length", 3),
			42,
		}},
		{"truncate_narrow", 40, []any{
			pscustom("Identity", `EX01\A very long connector name indeed`, "Bindings", []any{"0.0.0.0:2525", "[::]:2525"}, "Enabled", true),
			pscustom("Identity", `EX01\Short`, "Bindings", []any{"10.0.0.5:25"}, "Enabled", false),
		}},
		// A list started by a big object goes on for later objects of its
		// type, each with its own properties.
		{"list_shape_of_first_object", 120, []any{
			pscustom("A", 1, "B", 2, "C", 3, "D", 4, "E", 5),
			pscustom("B", 2),
		}},
		// 5.1 trims the last column to fit, then hides it and trims the
		// one before; a right-aligned cell keeps its end, and a header
		// wider than its column wraps.
		{"truncate_last", 40, []any{
			pscustom("Name", "EX01", "Count", 12345678, "Message", "a long message that will not fit in forty columns"),
		}},
		{"truncate_right_aligned", 40, []any{
			pscustom("Name", strings.Repeat("x", 30), "Number", int64(1234567890123)),
		}},
		{"truncate_header_wraps", 40, []any{
			pscustom("Name", strings.Repeat("x", 36), "Enabled", true),
		}},
		{"hashtable", 120, []any{func() any {
			h := object.NewHashtable()
			h.Set("Server", "EX01")
			h.Set("Port", 2525)
			return h
		}()}},
		{"timespan", 120, []any{2*24*time.Hour + 3*time.Hour + 4*time.Minute + 5*time.Second}},
		{"datetime", 120, []any{date}},
		{"list_wrap", 60, []any{records(Options{Kind: List}, pscustom("Name", "wrap", "Message", longText))}},
		{"rc_list_view", 120, []any{records(Options{Kind: List}, rc)}},
		{"ft_property_wildcard", 120, []any{records(Options{Kind: Table, Fields: []Field{{Name: "Ident*"}, {Name: "MaxMessageSize"}}}, rc)}},
		{"ft_calculated", 120, []any{records(Options{Kind: Table, Fields: []Field{
			{Name: "Name"},
			{Label: "Double", Eval: func(v any) any { c, _ := Member(v, "Count"); return c.(int) * 2 }, Width: 10},
			{Label: "Centre", Eval: func(v any) any { return "mid" }, Width: 9, Align: AlignCenter},
		}}, pscustom("Name", "a", "Count", 1), pscustom("Name", "b", "Count", 21))}},
		{"ft_groupby", 120, []any{records(Options{Kind: Table, GroupBy: &Field{Name: "Status"}, Fields: []Field{{Name: "Name"}, {Name: "Status"}}},
			pscustom("Name", "q1", "Status", "Ready"), pscustom("Name", "q2", "Status", "Ready"), pscustom("Name", "q3", "Status", "Retry"))}},
		{"ft_wrap", 50, []any{records(Options{Kind: Table, Wrap: true}, pscustom("Name", "wrap", "Message", longText))}},
		{"ft_autosize_hide", 120, []any{records(Options{Kind: Table, AutoSize: true, HideTableHeaders: true}, pscustom("Name", "a", "N", 1), pscustom("Name", "bbbbbb", "N", 100))}},
		{"date_list", 120, []any{records(Options{Kind: List}, date)}},
		{"format_wide", 40, []any{records(Options{Kind: Wide}, pscustom("Name", "one"), pscustom("Name", "two"), pscustom("Name", "three"), pscustom("Name", "a-much-longer-name-than-fits"), pscustom("Name", "five"))}},
		{"format_wide_autosize", 40, []any{records(Options{Kind: Wide, AutoSize: true}, pscustom("Name", "one"), pscustom("Name", "two"), pscustom("Name", "three"), pscustom("Name", "four"), pscustom("Name", "five"))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var vs []any
			for _, v := range tc.in {
				if rs, ok := v.([]any); ok {
					vs = append(vs, rs...)
				} else {
					vs = append(vs, v)
				}
			}
			checkGolden(t, tc.name, Render(tc.width, vs...))
		})
	}
}

func TestFormatByteSize(t *testing.T) {
	for n, want := range map[int64]string{
		37748736:   "36 MB (37,748,736 bytes)",
		0:          "0 B (0 bytes)",
		10240:      "10 KB (10,240 bytes)",
		2146435072: "1.999 GB (2,146,435,072 bytes)",
		1073741824: "1 GB (1,073,741,824 bytes)",
		-1:         "Unlimited",
		1536:       "1.5 KB (1,536 bytes)",
	} {
		if got := FormatByteSize(n); got != want {
			t.Errorf("FormatByteSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{true, "True"},
		{[]any{}, "{}"},
		{[]any{1, 2, 3, 4, 5}, "{1, 2, 3, 4...}"},
		{[]string{"a", "b"}, "{a, b}"},
		{5 * time.Minute, "00:05:00"},
		{48 * time.Hour, "2.00:00:00"},
		{time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), "1/2/2026 3:04:05 PM"},
		{1.5, "1.5"},
		{pscustom("a", 1, "b", "x"), "@{a=1; b=x}"},
		{authFlags{"Tls", "BasicAuth"}, "Tls, BasicAuth"},
	}
	for _, tc := range tests {
		if got := Value(tc.in, DefaultEnumerationLimit); got != tc.want {
			t.Errorf("Value(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestOutputStreams checks that a table prints before the pipeline ends,
// once its first rows have waited long enough, and that later rows keep
// the widths fixed then.
func TestOutputStreams(t *testing.T) {
	var buf syncBuffer
	o := NewOutput(&buf, 80)
	if err := o.Write(pscustom("Name", "a", "Value", 1)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(buf.String(), "Name") {
		if time.Now().After(deadline) {
			t.Fatal("table header not printed before Close")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := o.Write(pscustom("Name", "a much longer name", "Value", 22)); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	want := "\nName Value\n---- -----\na        1\na...    22\n\n\n"
	if got := buf.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// authFlags is a flags enum kept as a list, as the org cmdlets produce.
type authFlags []string

func (a authFlags) String() string { return strings.Join(a, ", ") }

func BenchmarkOutputRows(b *testing.B) {
	for i := 0; i < b.N; i++ {
		o := NewOutput(io.Discard, 120)
		for j := 0; j < 2000; j++ {
			_ = o.Write(pscustom("Name", "row", "Count", j, "Enabled", j%2 == 0))
		}
		_ = o.Close()
	}
}
