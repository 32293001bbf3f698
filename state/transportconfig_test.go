package state

import (
	"testing"
	"time"
)

func TestParseSizeLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"", Unlimited, true},
		{"Unlimited", Unlimited, true},
		{"25 MB (26,214,400 bytes)", 26214400, true},
		{"100 B (100 bytes)", 100, true},
		{"26214400", 26214400, true},
		{"25MB", 0, false},
	} {
		got, ok := ParseSizeLimit(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseSizeLimit(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestEffectiveComponentState(t *testing.T) {
	req := func(pairs ...string) map[string]ComponentRequest {
		m := map[string]ComponentRequest{}
		for i := 0; i+1 < len(pairs); i += 2 {
			m[pairs[i]] = ComponentRequest{State: pairs[i+1], Timestamp: time.Unix(0, 0)}
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		states []*ServerComponentState
		want   string
	}{
		{"untouched", nil, ComponentActive},
		{"draining", []*ServerComponentState{{Component: "HubTransport", Requesters: req("Maintenance", ComponentDraining)}}, ComponentDraining},
		{"every requester must agree", []*ServerComponentState{{Component: "HubTransport", Requesters: req("Maintenance", ComponentActive, "HealthApi", ComponentInactive)}}, ComponentInactive},
		{"back to active", []*ServerComponentState{{Component: "HubTransport", Requesters: req("Maintenance", ComponentActive)}}, ComponentActive},
		{"server-wide offline", []*ServerComponentState{{Component: "ServerWideOffline", Requesters: req("Maintenance", ComponentInactive)}}, ComponentInactive},
		{"another component", []*ServerComponentState{{Component: "FrontendTransport", Requesters: req("Maintenance", ComponentInactive)}}, ComponentActive},
	} {
		if got := EffectiveComponentState(tc.states, "HubTransport"); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
