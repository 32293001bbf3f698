package repl

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type testCatalog struct{}

func (testCatalog) Commands() []*CommandInfo {
	return []*CommandInfo{
		{Name: "Get-ReceiveConnector", Synopsis: "Lists receive connectors", Params: []*ParamInfo{
			{Name: "Identity", Completable: true, Position: 0},
			{Name: "Server", Position: -1},
		}},
		{Name: "Set-ReceiveConnector", Synopsis: "Changes a receive connector", Params: []*ParamInfo{
			{Name: "Identity", Completable: true, Position: 0},
			{Name: "PermissionGroups", Array: true, Position: -1, Values: []string{"None", "AnonymousUsers", "ExchangeUsers", "ExchangeServers", "Partners", "Custom"}},
			{Name: "AuthMechanism", Array: true, Position: -1, Values: []string{"None", "Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer", "ExternalAuthoritative"}},
			{Name: "Enabled", Position: -1},
			{Name: "WhatIf", Switch: true, Position: -1},
		}},
		{Name: "Get-Content", Params: []*ParamInfo{{Name: "Path", Path: true, Position: 0}}},
		{Name: "Get-Help", Params: []*ParamInfo{{Name: "Name", Command: true, Position: 0}}},
		{Name: "Where-Object", Aliases: []string{"?", "where"}, Synopsis: "Selects objects", Params: []*ParamInfo{{Name: "FilterScript", Position: 0}}},
	}
}

func (testCatalog) Variables() []string {
	return []string{"exinstall", "ErrorActionPreference", "true"}
}

func (testCatalog) CompleteValue(ctx context.Context, command, param, prefix string) []string {
	var out []string
	for _, id := range []string{`EX01\Default EX01`, `EX01\Default Frontend EX01`, `EX01\Client Frontend EX01`, `O'Brien's EX01`, `Cost $1 "x"`} {
		if strings.HasPrefix(strings.ToLower(id), strings.ToLower(prefix)) {
			out = append(out, id)
		}
	}
	return out
}

func texts(s []Suggestion) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.Text)
	}
	return out
}

func TestComplete(t *testing.T) {
	tests := []struct {
		text     string
		explicit bool
		want     []string
	}{
		{"Get-Rec", false, []string{"Get-ReceiveConnector"}},
		{"get-rec", false, []string{"Get-ReceiveConnector"}},
		{"", false, nil},
		{"wh", false, []string{"where", "Where-Object"}},
		{"Get-Process | wh", false, []string{"where", "Where-Object"}},
		{"$x = (Get-Rec", false, []string{"Get-ReceiveConnector"}},
		{"Get-ReceiveConnector -Id", false, []string{"-Identity"}},
		{"Get-ReceiveConnector -", false, []string{"-Identity", "-Server", "-ErrorAction"}[:2]},
		{"Set-ReceiveConnector x -PermissionGroups Anon", false, []string{"AnonymousUsers"}},
		{"Set-ReceiveConnector x -PermissionGroups AnonymousUsers,Exchange", false, []string{"ExchangeUsers", "ExchangeServers"}},
		{"Set-ReceiveConnector x -AuthMechanism:Basic", false, []string{"BasicAuth", "BasicAuthRequireTLS"}},
		{"Set-ReceiveConnector x -AuthMechanism ", false, nil},
		{"Set-ReceiveConnector x -AuthMechanism ", true, []string{"None", "Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer", "ExternalAuthoritative"}},
		{"Set-ReceiveConnector x -WhatIf -Auth", false, []string{"-AuthMechanism"}},
		{"Set-ReceiveConnector -Identity x -PermissionGroups None -Wh", false, []string{"-WhatIf"}},
		{"Get-ReceiveConnector EX01\\Default", false, []string{"'EX01\\Default EX01'", "'EX01\\Default Frontend EX01'"}},
		{"Get-ReceiveConnector -Identity 'EX01\\Default Fr", false, []string{"Frontend EX01'"}},
		{"Get-ReceiveConnector -Identity \"EX01\\Cl", false, []string{"EX01\\Client Frontend EX01\""}},
		{"Get-ReceiveConnector 'ex01\\def", false, []string{"EX01\\Default EX01'", "EX01\\Default Frontend EX01'"}},
		{"Get-ReceiveConnector 'O''Br", false, []string{"Brien''s EX01'"}},
		{"Get-ReceiveConnector \"Cost", false, []string{"Cost `$1 `\"x`\"\""}},
		{"$exi", false, []string{"$exinstall"}},
		{"Get-ChildItem \"$exi", false, []string{"$exinstall"}},
		{"'$exi", false, nil},
		{"Get-ReceiveConnector -Server ", true, nil},
		{"Nope-Command -X", false, nil},
		{"Get-Help Set-Rec", false, []string{"Set-ReceiveConnector"}},
		{"Get-Help -Name Get-Rec", false, []string{"Get-ReceiveConnector"}},
	}
	for _, tt := range tests {
		got := texts(Complete(context.Background(), testCatalog{}, tt.text, tt.explicit))
		if tt.text == "Get-ReceiveConnector -" {
			got = got[:min(2, len(got))]
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Complete(%q, %v) = %q, want %q", tt.text, tt.explicit, got, tt.want)
		}
	}
}

func TestCompleteDescriptions(t *testing.T) {
	got := Complete(context.Background(), testCatalog{}, "?", false)
	if len(got) != 1 || got[0].Text != "?" || got[0].Description != "Alias of Where-Object" {
		t.Errorf("alias: %+v", got)
	}
	got = Complete(context.Background(), testCatalog{}, "Get-Rec", false)
	if got[0].Description != "Lists receive connectors" {
		t.Errorf("description: %+v", got)
	}
}

func TestCompletePaths(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lab.ps1"), nil, 0o644)
	os.Mkdir(filepath.Join(dir, "labs"), 0o755)
	got := texts(Complete(context.Background(), testCatalog{}, "Get-Content "+dir+"/la", false))
	want := []string{dir + "/lab.ps1", dir + "/labs/"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths: %q, want %q", got, want)
	}
}

func TestNextKey(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"Get-Queue\r", 9},
		{"\rabc", 1},
		{"\x1b[A rest", 3},
		{"\x1b[3~", 4},
		{"\x1bOP", 3},
		{"\x1bb", 2},
		{"\x1b", 1},
		{"\t", 1},
		{"héllo\x03", 6},
		{"h\xc3", 1},
		{"\xc3", 0},
	}
	for _, tt := range tests {
		if got := nextKey([]byte(tt.in)); got != tt.want {
			t.Errorf("nextKey(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestRunLines(t *testing.T) {
	in := strings.NewReader("a\nb {\nc\n}\n\nexit 3\nnever\n")
	var ran []string
	incomplete := func(s string) bool { return strings.Count(s, "{") > strings.Count(s, "}") }
	code := RunLines(context.Background(), in, incomplete, func(ctx context.Context, src string) (int, bool) {
		ran = append(ran, src)
		if strings.HasPrefix(src, "exit ") {
			return 3, true
		}
		return 0, false
	})
	if code != 3 || !reflect.DeepEqual(ran, []string{"a", "b {\nc\n}", "exit 3"}) {
		t.Errorf("code %d, ran %q", code, ran)
	}
}

func TestHistoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	for i := 0; i < 25; i++ {
		appendHistory(path, strings.Repeat("x", i+1))
	}
	appendHistory(path, "   ")
	got := loadHistory(path, 10)
	if len(got) != 10 || got[9] != strings.Repeat("x", 25) {
		t.Fatalf("history: %q", got)
	}
	// Past twice the size the file is trimmed.
	if b, _ := os.ReadFile(path); strings.Count(string(b), "\n") != 10 {
		t.Errorf("history file not trimmed: %d lines", strings.Count(string(b), "\n"))
	}
}
