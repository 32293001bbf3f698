package utility

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"exsh/shell/format"
	"exsh/shell/object"
)

func connectors() []any {
	mk := func(name string, b []any, enabled bool) *object.PSObject {
		o := object.New("Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector", "System.Object")
		o.Add("Name", name).Add("Identity", `EX01\`+name).Add("Bindings", b).Add("Enabled", enabled).Add("MaxMessageSize", format.FormatByteSize(37748736))
		return o
	}
	return []any{
		mk("Default EX01", []any{"0.0.0.0:2525", "[::]:2525"}, true),
		mk("Client Frontend EX01", []any{"[::]:587", "0.0.0.0:587"}, true),
	}
}

func TestFormatCmdletsOutString(t *testing.T) {
	rt := newRT()
	label := object.NewHashtable()
	label.Set("Label", "Port")
	label.Set("Expression", rt.script(func(v any) []any {
		b, _ := v.(*object.PSObject).Get("Bindings")
		s := object.ToString(object.ToList(b)[0])
		return []any{s[strings.LastIndexByte(s, ':')+1:]}
	}))
	label.Set("Width", 6)
	label.Set("Alignment", "Right")
	recs := mustInvoke(t, rt, "Format-Table", map[string]any{"Property": []any{"Name", "Bind*", label}, "AutoSize": true}, connectors()...)
	for _, r := range recs {
		if !format.IsRecord(r) {
			t.Fatalf("Format-Table wrote %T, want format records", r)
		}
	}
	text := mustInvoke(t, rt, "Out-String", nil, recs...)
	if len(text) != 1 {
		t.Fatalf("Out-String wrote %d objects", len(text))
	}
	checkGolden(t, "ft_outstring", text[0].(string))

	recs = mustInvoke(t, rt, "Format-List", map[string]any{"Property": []any{"*"}}, connectors()[0])
	lines := mustInvoke(t, rt, "Out-String", map[string]any{"Stream": true}, recs...)
	checkGolden(t, "fl_stream", strings.Join(toStrings(lines), "\n")+"\n")

	recs = mustInvoke(t, rt, "Format-Wide", map[string]any{"Column": 3}, connectors()...)
	checkGolden(t, "fw", mustInvoke(t, rt, "Out-String", nil, recs...)[0].(string))

	// Out-File renders like Out-String.
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	mustInvoke(t, rt, "Out-File", map[string]any{"FilePath": path}, connectors()...)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := render(connectors()); string(data) != want {
		t.Errorf("Out-File wrote\n%s\nwant\n%s", data, want)
	}
	mustInvoke(t, rt, "Out-File", map[string]any{"FilePath": path, "Append": true}, "tail")
	if got, _ := readText(path); !strings.HasSuffix(got, "\ntail\n") {
		t.Errorf("appended text: %q", got)
	}
	// -Encoding Unicode writes UTF-16 with a byte order mark; reading detects it.
	mustInvoke(t, rt, "Out-File", map[string]any{"FilePath": path, "Encoding": "Unicode"}, "Zürich")
	if raw, _ := os.ReadFile(path); len(raw) < 2 || raw[0] != 0xFF || raw[1] != 0xFE {
		t.Errorf("no UTF-16 BOM: % x", raw)
	}
	if got, _ := readText(path); got != "Zürich\n" {
		t.Errorf("UTF-16 read back %q", got)
	}
}

func toStrings(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = object.ToString(v)
	}
	return out
}

// TestCsvHashtable checks that a hashtable is written with its CLR
// properties, as Windows PowerShell 5.1 does, not its keys.
func TestCsvHashtable(t *testing.T) {
	h := object.NewHashtable()
	h.Set("a", 1)
	h.Set("b", 2)
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"hashtable", h, `"IsReadOnly","IsFixedSize","IsSynchronized","Keys","Values","SyncRoot","Count"` + "\n" +
			`"False","False","False","System.Collections.Hashtable+KeyCollection","System.Collections.Hashtable+ValueCollection","System.Object","2"`},
		{"property holding a hashtable", obj("H", h), `"H"` + "\n" + `"System.Collections.Hashtable"`},
	} {
		lines := mustInvoke(t, newRT(), "ConvertTo-Csv", map[string]any{"NoTypeInformation": true}, tc.in)
		if got := strings.Join(toStrings(lines), "\n"); got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestCsv(t *testing.T) {
	rt := newRT()
	dir := t.TempDir()
	rt.vars["pwd"] = dir
	in := []any{obj("Name", "a,b", "Say", `he said "hi"`, "List", []any{1, 2}, "Null", nil), obj("Name", "c", "Say", "x", "List", nil, "Null", true)}
	lines := mustInvoke(t, rt, "ConvertTo-Csv", nil, in...)
	want := "#TYPE System.Management.Automation.PSCustomObject\n" +
		`"Name","Say","List","Null"` + "\n" +
		`"a,b","he said ""hi""","System.Object[]",""` + "\n" +
		`"c","x","","True"`
	if got := strings.Join(toStrings(lines), "\n"); got != want {
		t.Errorf("ConvertTo-Csv:\n%s\nwant\n%s", got, want)
	}
	mustInvoke(t, rt, "Export-Csv", map[string]any{"Path": "x.csv", "NoTypeInformation": true}, in...)
	mustInvoke(t, rt, "Export-Csv", map[string]any{"Path": "x.csv", "NoTypeInformation": true, "Append": true}, obj("Say", "z", "Name", "d"))
	out := mustInvoke(t, rt, "Import-Csv", map[string]any{"Path": []any{"x.csv"}})
	if got := showAll(out); got != `@{Name=a,b; Say=he said "hi"; List=System.Object[]; Null=} | @{Name=c; Say=x; List=; Null=True} | @{Name=d; Say=z; List=; Null=}` {
		t.Errorf("Import-Csv: %s", got)
	}
	// Windows PowerShell 5.1 keeps #TYPE in the type names.
	mustInvoke(t, rt, "Export-Csv", map[string]any{"Path": "t.csv"}, in[0])
	out = mustInvoke(t, rt, "Import-Csv", map[string]any{"Path": []any{"t.csv"}})
	if tn := out[0].(*object.PSObject).TypeNames[0]; tn != "CSV:System.Management.Automation.PSCustomObject" {
		t.Errorf("type name %q", tn)
	}
	// An Exchange protocol log, read the way admins do.
	log := []any{
		"#Software: Microsoft Exchange Server",
		"#Version: 15.0.0.0",
		"#Log-type: SMTP Receive Protocol Log",
		"#Date: 2026-11-27T09:00:04.113Z",
		"#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context",
		`2026-11-27T09:00:04.113Z,EX01\Default Frontend EX01,08DC1,0,127.0.0.1:25,127.0.0.56:50000,+,,`,
		`2026-11-27T09:00:04.120Z,EX01\Default Frontend EX01,08DC1,1,127.0.0.1:25,127.0.0.56:50000,>,"220 EX01.contoso.com Microsoft ESMTP MAIL Service ready",`,
	}
	skipped := mustInvoke(t, rt, "Select-Object", map[string]any{"Skip": 5}, log...)
	header := strings.Split(strings.TrimPrefix(log[4].(string), "#Fields: "), ",")
	var hdr []any
	for _, h := range header {
		hdr = append(hdr, h)
	}
	out = mustInvoke(t, rt, "ConvertFrom-Csv", map[string]any{"Header": hdr}, skipped...)
	if len(out) != 2 {
		t.Fatalf("ConvertFrom-Csv: %d objects", len(out))
	}
	if v, _ := out[1].(*object.PSObject).Get("data"); v != "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready" {
		t.Errorf("data = %q", v)
	}
	if v, _ := out[0].(*object.PSObject).Get("remote-endpoint"); v != "127.0.0.56:50000" {
		t.Errorf("remote-endpoint = %q", v)
	}
}

func TestJSON(t *testing.T) {
	rt := newRT()
	nested := obj("Level1", obj("Level2", obj("Level3", obj("Deep", 1))))
	h := object.NewHashtable()
	h.Set("Server", "EX01")
	h.Set("Ports", []any{25, 587})
	h.Set("Empty", []any{})
	in := obj("Name", "Default <Frontend> & 'x'", "Enabled", true, "Size", 37748736, "Ratio", 0.5, "None", nil,
		"When", time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), "Config", h, "Nested", nested,
		"List", []any{obj("a", 1), obj("a", 2)})
	out := mustInvoke(t, rt, "ConvertTo-Json", nil, in)
	checkGolden(t, "json_pretty", out[0].(string)+"\n")
	out = mustInvoke(t, rt, "ConvertTo-Json", map[string]any{"Compress": true, "Depth": 1}, obj("a", 1), obj("b", obj("c", obj("d", 1))))
	if got := out[0].(string); got != `[{"a":1},{"b":{"c":"@{d=1}"}}]` {
		t.Errorf("compressed: %s", got)
	}
	back := mustInvoke(t, rt, "ConvertFrom-Json", nil, "{", `  "Zeta": 1, "Alpha": [1, "two", {"x": null}],`, `  "When": "\/Date(1795770000000)\/", "Big": 12345678901, "F": 1.5, "T": true`, "}")
	o := back[0].(*object.PSObject)
	if got := showAll([]any{o}); got != "@{Zeta=1; Alpha=1 two @{x=}; When=11/27/2026 09:00:00; Big=12345678901; F=1.5; T=True}" {
		t.Errorf("ConvertFrom-Json: %s", got)
	}
	// A JSON array is one pipeline object in Windows PowerShell 5.1.
	back = mustInvoke(t, rt, "ConvertFrom-Json", nil, `[1,2,3]`)
	if len(back) != 1 || len(object.ToList(back[0])) != 3 {
		t.Errorf("array: %v", back)
	}
}
