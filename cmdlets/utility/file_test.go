package utility

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"exsh/shell/interp"
	"exsh/shell/object"
)

// fileTree makes a small Exchange-like log tree and returns its root.
func fileTree(t *testing.T) string {
	t.Helper()
	time.Local = time.UTC // dates in goldens must not depend on the machine
	root := t.TempDir()
	logs := filepath.Join(root, "Logs", "FrontEnd", "ProtocolLog", "SmtpReceive")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		filepath.Join(logs, "RECV2026112709-1.LOG"): "#Software: Microsoft Exchange Server\n#Fields: date-time,data\n2026-11-27T09:00:00.000Z,EHLO client\n2026-11-27T09:00:01.000Z,550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain\n",
		filepath.Join(logs, "RECV2026112710-1.LOG"): "#Software: Microsoft Exchange Server\n2026-11-27T10:00:00.000Z,250 2.6.0 Queued mail for delivery\n",
		filepath.Join(root, "notes.txt"):            "one\ntwo\nthree\nfour\nfive\n",
	}
	stamp := time.Date(2026, 11, 27, 9, 5, 0, 0, time.UTC)
	for p, text := range files {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, stamp, stamp)
	}
	for _, d := range []string{logs, filepath.Dir(logs), filepath.Join(root, "Logs", "FrontEnd"), filepath.Join(root, "Logs")} {
		os.Chtimes(d, stamp, stamp)
	}
	return root
}

func TestGetContent(t *testing.T) {
	root := fileTree(t)
	rt := newRT()
	rt.vars["pwd"] = root
	tests := []struct {
		bound map[string]any
		want  string
	}{
		{map[string]any{"Path": []any{"notes.txt"}}, "one | two | three | four | five"},
		{map[string]any{"Path": []any{"notes.txt"}, "TotalCount": int64(2)}, "one | two"},
		{map[string]any{"Path": []any{"notes.txt"}, "Tail": 2}, "four | five"},
		{map[string]any{"Path": []any{"NOTES.TXT"}, "Raw": true}, "one\ntwo\nthree\nfour\nfive\n"},
		{map[string]any{"Path": []any{`Logs\FrontEnd\ProtocolLog\SmtpReceive\RECV*10-1.LOG`}}, "#Software: Microsoft Exchange Server | 2026-11-27T10:00:00.000Z,250 2.6.0 Queued mail for delivery"},
	}
	for _, tc := range tests {
		if got := showAll(mustInvoke(t, rt, "Get-Content", tc.bound)); got != tc.want {
			t.Errorf("Get-Content %v = %q, want %q", tc.bound, got, tc.want)
		}
	}
	mustInvoke(t, rt, "Get-Content", map[string]any{"Path": []any{"missing.txt"}})
	if len(rt.errs) != 1 || !strings.Contains(rt.errs[0].Error(), "because it does not exist") {
		t.Errorf("errors: %v", rt.errs)
	}

	mustInvoke(t, rt, "Set-Content", map[string]any{"Path": []any{"new.txt"}, "Value": []any{"a", 1}})
	mustInvoke(t, rt, "Add-Content", map[string]any{"Path": []any{"new.txt"}}, "b")
	if got := showAll(mustInvoke(t, rt, "Get-Content", map[string]any{"Path": []any{"new.txt"}})); got != "a | 1 | b" {
		t.Errorf("Set/Add-Content gave %q", got)
	}
}

func TestGetChildItem(t *testing.T) {
	root := fileTree(t)
	rt := newRT()
	rt.vars["pwd"] = root
	out := mustInvoke(t, rt, "Get-ChildItem", map[string]any{"Recurse": true})
	text := strings.ReplaceAll(render(out), root, "<root>")
	checkGolden(t, "gci_recurse", text)

	out = mustInvoke(t, rt, "Get-ChildItem", map[string]any{"Path": []any{"Logs/FrontEnd/ProtocolLog/SmtpReceive"}, "Filter": "*.log"})
	if len(out) != 2 {
		t.Fatalf("got %d items", len(out))
	}
	out = mustInvoke(t, rt, "Get-ChildItem", map[string]any{"Recurse": true, "File": true, "Name": true})
	if got := showAll(out); got != "notes.txt | Logs/FrontEnd/ProtocolLog/SmtpReceive/RECV2026112709-1.LOG | Logs/FrontEnd/ProtocolLog/SmtpReceive/RECV2026112710-1.LOG" {
		t.Errorf("-Name: %s", got)
	}
	// Sort-Object by a FileInfo property and Format-Table Name,Length.
	files := mustInvoke(t, rt, "Get-ChildItem", map[string]any{"Path": []any{`Logs\*\*\SmtpReceive\*`}})
	sorted := mustInvoke(t, rt, "Sort-Object", map[string]any{"Property": []any{"Name"}, "Descending": true}, files...)
	recs := mustInvoke(t, rt, "Format-Table", map[string]any{"Property": []any{"Name", "Length"}}, sorted...)
	checkGolden(t, "gci_sort_ft", render(recs))
}

func TestSelectString(t *testing.T) {
	root := fileTree(t)
	rt := newRT()
	rt.vars["pwd"] = root
	out := mustInvoke(t, rt, "Select-String", map[string]any{"Pattern": []any{"5.7.54"}, "Path": []any{`Logs\FrontEnd\ProtocolLog\SmtpReceive\*.LOG`}})
	if len(out) != 1 {
		t.Fatalf("got %d matches", len(out))
	}
	if got := show(out[0]); got != "Logs/FrontEnd/ProtocolLog/SmtpReceive/RECV2026112709-1.LOG:4:2026-11-27T09:00:01.000Z,550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain" {
		t.Errorf("MatchInfo: %s", got)
	}
	checkGolden(t, "select_string", strings.ReplaceAll(render(out), root, "<root>"))
	// Piped FileInfo objects are searched as files; strings as lines.
	files := mustInvoke(t, rt, "Get-ChildItem", map[string]any{"Path": []any{"Logs/FrontEnd/ProtocolLog/SmtpReceive"}})
	out = mustInvoke(t, rt, "Select-String", map[string]any{"Pattern": []any{"queued"}}, files...)
	if len(out) != 1 {
		t.Errorf("file input: %d matches", len(out))
	}
	out = mustInvoke(t, rt, "Select-String", map[string]any{"Pattern": []any{"b"}, "NotMatch": true}, "abc", "xyz", "b")
	if got := showAll(out); got != "xyz" {
		t.Errorf("NotMatch: %q", got)
	}
	out = mustInvoke(t, rt, "Select-String", map[string]any{"Pattern": []any{"A.C"}, "SimpleMatch": true}, "abc", "a.c")
	if got := showAll(out); got != "a.c" {
		t.Errorf("SimpleMatch: %q", got)
	}
	out = mustInvoke(t, rt, "Select-String", map[string]any{"Pattern": []any{"three"}, "Path": []any{"notes.txt"}, "Context": []any{1}})
	if got := show(out[0]); got != "  notes.txt:2:two\n> notes.txt:3:three\n  notes.txt:4:four" {
		t.Errorf("Context: %q", got)
	}
	out = mustInvoke(t, rt, "Select-String", map[string]any{"Pattern": []any{"zzz"}, "Quiet": true}, "abc")
	if len(out) != 1 || out[0] != false {
		t.Errorf("Quiet: %v", out)
	}
}

func TestPathsAndLocation(t *testing.T) {
	root := fileTree(t)
	rt := newRT()
	rt.vars["pwd"] = root
	for _, tc := range []struct {
		bound map[string]any
		want  bool
	}{
		{map[string]any{"Path": []any{"Logs"}}, true},
		{map[string]any{"Path": []any{"Logs"}, "PathType": "Leaf"}, false},
		{map[string]any{"Path": []any{"notes.txt"}, "PathType": "Leaf"}, true},
		{map[string]any{"Path": []any{`Logs\*\ProtocolLog`}}, true},
		{map[string]any{"Path": []any{"nope"}}, false},
	} {
		out := mustInvoke(t, rt, "Test-Path", tc.bound)
		if len(out) != 1 || out[0] != tc.want {
			t.Errorf("Test-Path %v = %v", tc.bound, out)
		}
	}
	sess := interp.NewSession(interp.Config{})
	rt.sess = sess
	SetLocation(sess, root)
	delete(rt.vars, "pwd")
	if got := Location(sess); got != root {
		t.Fatalf("Location = %q", got)
	}
	mustInvoke(t, rt, "Set-Location", map[string]any{"Path": `Logs\FrontEnd`})
	if got := Location(sess); got != filepath.Join(root, "Logs", "FrontEnd") {
		t.Errorf("after cd: %q", got)
	}
	out := mustInvoke(t, rt, "Get-Location", nil)
	if got := show(out[0]); got != filepath.Join(root, "Logs", "FrontEnd") {
		t.Errorf("Get-Location: %q", got)
	}
	if err := invoke(t, rt, "Set-Location", map[string]any{"Path": "nope"}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("cd nope: %v", err)
	}
	if got := ResolvePath(sess, `..\notes.txt`); got != filepath.Join(root, "Logs", "notes.txt") {
		t.Errorf("ResolvePath: %q", got)
	}
}

func TestDatesAndSleep(t *testing.T) {
	rt := newRT()
	d := time.Date(2026, 11, 27, 9, 5, 7, 0, time.UTC)
	out := mustInvoke(t, rt, "Get-Date", map[string]any{"Date": d, "Format": "yyyyMMddHH"})
	if out[0] != "2026112709" {
		t.Errorf("-Format: %v", out)
	}
	out = mustInvoke(t, rt, "Get-Date", map[string]any{"Date": d, "UFormat": "%Y-%m-%d %H:%M:%S %A %j"})
	if out[0] != "2026-11-27 09:05:07 Friday 331" {
		t.Errorf("-UFormat: %v", out)
	}
	out = mustInvoke(t, rt, "Get-Date", map[string]any{"Date": d, "Hour": 0, "Minute": 0})
	if !out[0].(time.Time).Equal(time.Date(2026, 11, 27, 0, 0, 7, 0, time.UTC)) {
		t.Errorf("-Hour: %v", out)
	}
	out = mustInvoke(t, rt, "New-TimeSpan", map[string]any{"Hours": 2, "Minutes": 5})
	if out[0] != 2*time.Hour+5*time.Minute {
		t.Errorf("New-TimeSpan: %v", out)
	}
	out = mustInvoke(t, rt, "New-TimeSpan", map[string]any{"Start": d, "End": d.Add(48 * time.Hour)})
	if got := render(out); !strings.Contains(got, "Days              : 2") {
		t.Errorf("TimeSpan display:\n%s", got)
	}
	// Start-Sleep ends when the context is cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	ci := cmdlet(t, "Start-Sleep")
	c := interp.NewCall(ctx, ci, rt)
	c.Bound["Seconds"] = 30.0
	start := time.Now()
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if err := ci.Process(c); !errors.Is(err, context.Canceled) {
		t.Errorf("Start-Sleep: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("Start-Sleep ignored cancellation")
	}
}

func TestCredentials(t *testing.T) {
	rt := newRT()
	if err := invoke(t, rt, "ConvertTo-SecureString", map[string]any{"String": "pw", "AsPlainText": true}); err == nil {
		t.Error("-AsPlainText without -Force should fail")
	}
	out := mustInvoke(t, rt, "ConvertTo-SecureString", map[string]any{"String": "P@ss", "AsPlainText": true, "Force": true})
	ss := out[0].(*interp.SecureString)
	if ss.Plain != "P@ss" {
		t.Fatalf("secure string %q", ss.Plain)
	}
	out = mustInvoke(t, rt, "Get-Credential", map[string]any{"UserName": `CONTOSO\relay`, "Password": ss})
	cred := out[0].(*interp.Credential)
	if cred.UserName != `CONTOSO\relay` || cred.Password != ss {
		t.Errorf("credential %+v", cred)
	}
	if got := render(out); !strings.Contains(got, `CONTOSO\relay System.Security.SecureString`) {
		t.Errorf("credential display:\n%s", got)
	}
	if err := invoke(t, rt, "Get-Credential", map[string]any{"UserName": "x"}); err == nil || !strings.Contains(err.Error(), "cannot prompt") {
		t.Errorf("no password: %v", err)
	}
	out = mustInvoke(t, rt, "New-Object", map[string]any{"TypeName": "System.Management.Automation.PSCredential", "ArgumentList": []any{"u", ss}})
	if out[0].(*interp.Credential).UserName != "u" {
		t.Errorf("New-Object PSCredential: %v", out)
	}
	h := object.NewHashtable()
	h.Set("Name", "EX01")
	out = mustInvoke(t, rt, "New-Object", map[string]any{"TypeName": "PSObject", "Property": h})
	if show(out[0]) != "@{Name=EX01}" {
		t.Errorf("New-Object PSObject: %v", show(out[0]))
	}
}

// Get-Content -Wait writes lines appended later, until cancelled.
func TestGetContentWait(t *testing.T) {
	root := fileTree(t)
	path := filepath.Join(root, "notes.txt")
	rt := &lockedRT{fakeRT: newRT()}
	rt.vars["pwd"] = root
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ci := cmdlet(t, "Get-Content")
	c := interp.NewCall(ctx, ci, rt)
	c.Bound["Path"] = []any{"notes.txt"}
	c.Bound["Tail"] = 1
	c.Bound["Wait"] = true
	done := make(chan error, 1)
	go func() { done <- ci.Process(c) }()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	f.WriteString("six\nsev")
	time.Sleep(2 * followInterval)
	f.WriteString("en\n")
	f.Close()
	deadline := time.Now().Add(5 * time.Second)
	for rt.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Process returned %v", err)
	}
	if got := showAll(rt.snapshot()); got != "five | six | seven" {
		t.Errorf("got %q", got)
	}
}

// lockedRT guards output written from a cmdlet running in another goroutine.
type lockedRT struct {
	*fakeRT
	mu sync.Mutex
}

func (r *lockedRT) WriteObject(v any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fakeRT.WriteObject(v)
}

func (r *lockedRT) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.out)
}

func (r *lockedRT) snapshot() []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]any(nil), r.out...)
}
