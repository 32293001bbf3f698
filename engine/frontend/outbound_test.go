package frontend

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"exsh/state"
)

// The outbound proxy resolves MX hosts and named smart hosts with its
// LookupNetIP (a lab's DNS), never with the system's resolver when one is
// given.
func TestOutboundTargetsUseLookupNetIP(t *testing.T) {
	asked := map[string]bool{}
	p := &OutboundProxy{
		LookupMX: func(_ context.Context, domain string) ([]*net.MX, error) {
			return []*net.MX{{Host: "mail." + domain + ".", Pref: 10}}, nil
		},
		LookupNetIP: func(_ context.Context, host string) ([]netip.Addr, error) {
			asked[host] = true
			return []netip.Addr{netip.MustParseAddr("127.0.0.9")}, nil
		},
	}
	org := &Org{Server: &state.ExchangeServer{Name: "EX01"}, Fqdn: "EX01.contoso.com"}
	for _, tt := range []struct {
		c    *state.SendConnector
		host string
	}{
		{&state.SendConnector{DNSRoutingEnabled: true}, "mail.fabrikam.com"},
		{&state.SendConnector{SmartHosts: []string{"relay.fabrikam.com"}, Port: 587}, "relay.fabrikam.com"},
	} {
		got, rep := p.targets(context.Background(), org, tt.c, "fabrikam.com")
		if rep != nil {
			t.Fatalf("%s: %v", tt.host, rep)
		}
		port := uint16(25)
		if tt.c.Port != 0 {
			port = uint16(tt.c.Port)
		}
		if len(got) != 1 || got[0].host != tt.host || got[0].addr != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.9"), port) || !asked[tt.host] {
			t.Errorf("%s: targets %+v, asked %v", tt.host, got, asked)
		}
	}
}
