package main

import (
	"errors"
	"maps"
	"net/netip"
	"os"
	"reflect"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want options
	}{
		{nil, options{}},
		{[]string{"-Command", "Get-Queue", "|", "ft"}, options{command: "Get-Queue | ft", hasCommand: true}},
		{[]string{"-c", "1+1"}, options{command: "1+1", hasCommand: true}},
		{[]string{"-COMMAND", "-"}, options{command: "-", hasCommand: true}},
		{[]string{"-com", "x", "-NoLogo"}, options{command: "x -NoLogo", hasCommand: true}},
		{[]string{"-NoLogo", "-File", "lab.ps1", "a", "-b"}, options{noLogo: true, file: "lab.ps1", hasFile: true, args: []string{"a", "-b"}}},
		{[]string{"lab.ps1", "x"}, options{file: "lab.ps1", hasFile: true, args: []string{"x"}}},
		{[]string{"-f", "-"}, options{file: "-", hasFile: true}},
		{[]string{"-DataPath", "/tmp/d", "-PortOffset", "20000", "-ListenAll", "-Serve"},
			options{dataPath: "/tmp/d", portOffset: 20000, hasPortOffset: true, listenAll: true, serve: true}},
		{[]string{"-PortOffset:5"}, options{portOffset: 5, hasPortOffset: true}},
		{[]string{"-ServerName", "EX02", "-Domain", "fabrikam.com"}, options{serverName: "EX02", domain: "fabrikam.com"}},
		{[]string{"-nol", "-noni"}, options{noLogo: true, nonInteractive: true}},
		{[]string{"-Serve", "-NoWeb"}, options{serve: true, noWeb: true}},
		{[]string{"-now"}, options{noWeb: true}},
		{[]string{"-Version"}, options{version: true}},
		{[]string{"-v"}, options{version: true}},
		{[]string{"-?"}, options{help: true}},
		{[]string{"/?"}, options{help: true}},
		{[]string{"-h"}, options{help: true}},
		{[]string{"-Serve", "-IPAddress", "127.0.0.11"}, options{serve: true, ipAddress: netip.MustParseAddr("127.0.0.11")}},
		{[]string{"-ipaddress:::1", "-Join", "127.0.0.11:12379"}, options{ipAddress: netip.MustParseAddr("::1"), join: "127.0.0.11:12379"}},
		{[]string{"-IP", "::ffff:127.0.0.12", "-j", "ex01.contoso.com"}, options{ipAddress: netip.MustParseAddr("127.0.0.12"), join: "ex01.contoso.com"}},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
		if err != nil {
			t.Errorf("parseArgs(%q): %v", tt.args, err)
			continue
		}
		if tt.want.args == nil && got.args != nil && len(got.args) == 0 {
			got.args = nil
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("parseArgs(%q) = %+v, want %+v", tt.args, *got, tt.want)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-Bogus"},
		{"-No"},
		{"-Command"},
		{"-File"},
		{"-DataPath"},
		{"-PortOffset", "x"},
		{"-PortOffset", "70000"},
		{"-IPAddress", "ex01"},
		{"-IPAddress", "0.0.0.0"},
		{"-IPAddress"},
		{"-Join", "127.0.0.11"},
		{"-IPAddress", "127.0.0.12", "-Join", ""},
		{"-IPAddress", "127.0.0.12", "-Join", "http://127.0.0.11"},
		{"-Serve", "-Command", "x"},
	} {
		_, err := parseArgs(args)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("parseArgs(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestResolveDataPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"/flag", map[string]string{"EXSH_DATA": "/env"}, "/flag"},
		{"", map[string]string{"EXSH_DATA": "/env", "XDG_DATA_HOME": "/xdg"}, "/env"},
		{"", map[string]string{"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/exsh"},
		{"", map[string]string{"XDG_DATA_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/share/exsh"},
		{"", map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/exsh"},
		{"~/lab", map[string]string{"HOME": "/home/u"}, "/home/u/lab"},
	}
	for _, tt := range tests {
		got, err := resolveDataPath(tt.flag, env(tt.env))
		if err != nil || got != tt.want {
			t.Errorf("resolveDataPath(%q, %v) = %q, %v; want %q", tt.flag, tt.env, got, err, tt.want)
		}
	}
	if got := exinstall("/data"); got != "/data/" {
		t.Errorf("exinstall = %q", got)
	}
	if got := defaultPortOffset(env(map[string]string{"EXSH_PORTOFFSET": "123"})); got != 123 {
		t.Errorf("EXSH_PORTOFFSET: %d", got)
	}
}

func TestSetExchangeEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"no temp", map[string]string{}, map[string]string{"ExchangeInstallPath": "/data/", "TEMP": os.TempDir(), "TMP": os.TempDir()}},
		{"temp kept", map[string]string{"TEMP": "/t", "TMP": "/u"}, map[string]string{"ExchangeInstallPath": "/data/", "TEMP": "/t", "TMP": "/u"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			setExchangeEnvironment("/data", func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				func(k, v string) error { env[k] = v; return nil })
			if !maps.Equal(env, tc.want) {
				t.Errorf("environment = %v, want %v", env, tc.want)
			}
		})
	}
}
