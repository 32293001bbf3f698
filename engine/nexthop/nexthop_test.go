package nexthop

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"reflect"
	"testing"

	"exsh/engine/replies"
	"exsh/state"
)

func TestHosts(t *testing.T) {
	notFound := &net.DNSError{Err: "no such host", IsNotFound: true}
	mx := map[string][]*net.MX{
		"fabrikam.com": {{Host: "mx2.fabrikam.com.", Pref: 20}, {Host: "mx1.fabrikam.com.", Pref: 10}},
	}
	ips := map[string][]netip.Addr{
		"mx1.fabrikam.com":  {netip.MustParseAddr("127.0.0.21")},
		"mx2.fabrikam.com":  {netip.MustParseAddr("127.0.0.22"), netip.MustParseAddr("::ffff:127.0.0.23")},
		"tailspintoys.com":  {netip.MustParseAddr("127.0.0.31")},
		"relay.contoso.com": {netip.MustParseAddr("127.0.0.41")},
	}
	r := Resolver{
		LookupMX: func(_ context.Context, d string) ([]*net.MX, error) {
			if d == "broken.example" {
				return nil, errors.New("SERVFAIL")
			}
			if m, ok := mx[d]; ok {
				return m, nil
			}
			return nil, notFound
		},
		LookupNetIP: func(_ context.Context, h string) ([]netip.Addr, error) {
			if a, ok := ips[h]; ok {
				return a, nil
			}
			return nil, notFound
		},
		IsSelf: func(n string) bool { return n == "EX01" },
		Self:   netip.MustParseAddr("127.0.0.11"),
	}
	smart := func(hosts ...string) *state.SendConnector { return &state.SendConnector{SmartHosts: hosts} }
	dns := &state.SendConnector{DNSRoutingEnabled: true}
	a := netip.MustParseAddr
	for _, tc := range []struct {
		name   string
		r      Resolver
		c      *state.SendConnector
		domain string
		want   []Host
		rep    *replies.Reply
	}{
		{"smart hosts by address, name and self", r, smart("[127.0.0.1]", "relay.contoso.com", "EX01", "gone.contoso.com"), "fabrikam.com",
			[]Host{{"[127.0.0.1]", a("127.0.0.1")}, {"relay.contoso.com", a("127.0.0.41")}, {"EX01", a("127.0.0.11")}}, nil},
		{"MX in preference order, mapped addresses unmapped", r, dns, "fabrikam.com",
			[]Host{{"mx1.fabrikam.com", a("127.0.0.21")}, {"mx2.fabrikam.com", a("127.0.0.22")}, {"mx2.fabrikam.com", a("127.0.0.23")}}, nil},
		{"implicit MX", r, dns, "tailspintoys.com", []Host{{"tailspintoys.com", a("127.0.0.31")}}, nil},
		{"nonexistent domain", r, dns, "nowhere.example", nil, &NonExistentDomain},
		{"DNS failure", r, dns, "broken.example", nil, &DNSFailed},
		{"no host has an address", r, smart("gone.contoso.com"), "fabrikam.com", nil, &DNSFailed},
		{"no resolver", Resolver{}, dns, "fabrikam.com", nil, &NoDNS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rep := tc.r.Hosts(context.Background(), tc.c, state.DeliveryDnsConnector, tc.domain)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("hosts %v, want %v", got, tc.want)
			}
			if (rep == nil) != (tc.rep == nil) || rep != nil && *rep != *tc.rep {
				t.Errorf("reply %v, want %v", rep, tc.rep)
			}
		})
	}
}

func TestDNSRouted(t *testing.T) {
	for _, tc := range []struct {
		c    *state.SendConnector
		kind string
		want bool
	}{
		{&state.SendConnector{DNSRoutingEnabled: true}, "", true},
		{&state.SendConnector{SmartHosts: []string{"relay"}}, state.DeliveryDnsConnector, false},
		{&state.SendConnector{SmartHosts: []string{"relay"}, DNSRoutingEnabled: true}, state.DeliveryDnsConnector, true},
		{&state.SendConnector{SmartHosts: []string{"relay"}, DNSRoutingEnabled: true}, state.DeliverySmartHostConnector, false},
	} {
		if got := DNSRouted(tc.c, tc.kind); got != tc.want {
			t.Errorf("DNSRouted(%+v, %q) = %v", tc.c, tc.kind, got)
		}
	}
}
