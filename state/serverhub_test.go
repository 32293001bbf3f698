package state

import (
	"net/netip"
	"testing"
)

func TestHubBinding(t *testing.T) {
	tests := []struct {
		name    string
		addr    string
		offset  int
		binding string
		want    string // "" means not reachable
	}{
		{"IPv4 wildcard on an IPv4 server", "127.0.0.12", 0, "0.0.0.0:2525", "127.0.0.12:2525"},
		{"the offset is added", "127.0.0.12", 10000, "0.0.0.0:2525", "127.0.0.12:12525"},
		{"IPv6 wildcard is not listened on", "127.0.0.12", 0, "[::]:2525", ""},
		{"explicit binding to the server's address", "127.0.0.12", 0, "127.0.0.12:2526", "127.0.0.12:2526"},
		{"explicit binding to another address", "127.0.0.12", 0, "127.0.0.1:2525", ""},
		{"IPv4 wildcard on an IPv6 server listens on its address", "::1", 0, "0.0.0.0:2525", "[::1]:2525"},
		{"IPv6 wildcard on an IPv6 server is not listened on", "::1", 0, "[::]:2525", ""},
		{"explicit IPv6 binding to the server's address", "::1", 5, "[::1]:2525", "[::1]:2530"},
		{"a mapped address is its IPv4 address", "::ffff:127.0.0.12", 0, "127.0.0.12:2525", "127.0.0.12:2525"},
		{"an offset past the last port", "127.0.0.12", 65000, "0.0.0.0:2525", ""},
		{"a negative offset below the first port", "127.0.0.12", -2525, "0.0.0.0:2525", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := HubBinding(netip.MustParseAddr(tt.addr), tt.offset, netip.MustParseAddrPort(tt.binding))
			if tt.want == "" {
				if ok {
					t.Fatalf("HubBinding = %v, want not reachable", got)
				}
				return
			}
			if !ok || got.String() != tt.want {
				t.Fatalf("HubBinding = %v, %v; want %s", got, ok, tt.want)
			}
		})
	}
}

func TestPickServerHub(t *testing.T) {
	hub := func(server, name string, enabled bool, groups Flags, bindings ...string) *ReceiveConnector {
		return &ReceiveConnector{Server: server, Name: name, Guid: server + "/" + name, Enabled: enabled,
			TransportRole: "HubTransport", PermissionGroups: groups, Bindings: bindings}
	}
	fe := func(server, name string, bindings ...string) *ReceiveConnector {
		return &ReceiveConnector{Server: server, Name: name, Guid: server + "/" + name, Enabled: true,
			TransportRole: "FrontendTransport", PermissionGroups: Flags{"ExchangeServers"}, Bindings: bindings}
	}
	servers := Flags{"ExchangeUsers", "ExchangeServers", "ExchangeLegacyServers"}
	ex02 := &ExchangeServer{Name: "EX02", IPAddress: "127.0.0.12", PortOffset: 100}
	ex03v6 := &ExchangeServer{Name: "EX03", IPAddress: "::1"}
	defaults := []*ReceiveConnector{
		fe("EX02", "Default Frontend EX02", "0.0.0.0:25", "[::]:25"),
		hub("EX02", "Client Proxy EX02", true, servers, "[::]:465", "0.0.0.0:465"),
		hub("EX02", "Default EX02", true, servers, "[::]:2525", "0.0.0.0:2525"),
		hub("EX01", "Default EX01", true, servers, "0.0.0.0:2525"),
	}
	tests := []struct {
		name      string
		srv       *ExchangeServer
		rcs       []*ReceiveConnector
		preferred string
		want      string // connector's Guid, then " " and the address; "" for none
		port      int
	}{
		{"Default S on its address plus the offset", ex02, defaults, "Default EX02", "EX02/Default EX02 127.0.0.12:2625", 2525},
		{"Client Proxy S when asked for", ex02, defaults, "Client Proxy EX02", "EX02/Client Proxy EX02 127.0.0.12:565", 465},
		{"the preferred name is the server's own connector only", ex02, defaults, "Default EX01", "EX02/Client Proxy EX02 127.0.0.12:565", 465},
		{"an IPv6 server: the IPv4 wildcard listens on its address", ex03v6, []*ReceiveConnector{
			hub("EX03", "Default EX03", true, servers, "[::]:2525", "0.0.0.0:2525"),
		}, "Default EX03", "EX03/Default EX03 [::1]:2525", 2525},
		{"an IPv6 server bound only to the IPv6 wildcard is not reachable", ex03v6, []*ReceiveConnector{
			hub("EX03", "Default EX03", true, servers, "[::]:2525"),
		}, "Default EX03", "", 0},
		{"disabled Default S: another connector granting ExchangeServers", ex02, []*ReceiveConnector{
			hub("EX02", "Default EX02", false, servers, "0.0.0.0:2525"),
			hub("EX02", "Relay", true, Flags{"AnonymousUsers"}, "0.0.0.0:2600"),
			hub("EX02", "Servers", true, Flags{"ExchangeServers"}, "0.0.0.0:2601"),
		}, "Default EX02", "EX02/Servers 127.0.0.12:2701", 2601},
		{"Default S is taken without ExchangeServers (its logon then fails as in Exchange)", ex02, []*ReceiveConnector{
			hub("EX02", "Servers", true, Flags{"ExchangeServers"}, "0.0.0.0:2601"),
			hub("EX02", "Default EX02", true, Flags{"AnonymousUsers"}, "0.0.0.0:2525"),
		}, "Default EX02", "EX02/Default EX02 127.0.0.12:2625", 2525},
		{"Default S not listening on the address: the next connector", ex02, []*ReceiveConnector{
			hub("EX02", "Default EX02", true, servers, "[::]:2525", "127.0.0.1:2525"),
			hub("EX02", "Servers", true, Flags{"ExchangeServers"}, "127.0.0.12:2601"),
		}, "Default EX02", "EX02/Servers 127.0.0.12:2701", 2601},
		{"the first binding that listens on the address", ex02, []*ReceiveConnector{
			hub("EX02", "Default EX02", true, servers, "[::]:2525", "10.0.0.1:2524", "127.0.0.12:2526", "0.0.0.0:2525"),
		}, "Default EX02", "EX02/Default EX02 127.0.0.12:2626", 2526},
		{"a Front End connector is not a hub", ex02, []*ReceiveConnector{
			fe("EX02", "Default EX02", "0.0.0.0:2525"),
		}, "Default EX02", "", 0},
		{"another server's connectors do not count", ex02, []*ReceiveConnector{
			hub("EX01", "Default EX01", true, servers, "0.0.0.0:2525"),
		}, "Default EX02", "", 0},
		{"a server without an address", &ExchangeServer{Name: "EX02"}, defaults, "Default EX02", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := PickServerHub(tt.srv, tt.rcs, tt.preferred)
			got := ""
			if ok {
				got = h.Connector.Guid + " " + h.Addr.String()
			}
			if got != tt.want || ok && h.Port != tt.port {
				t.Fatalf("PickServerHub = %q port %d; want %q port %d", got, h.Port, tt.want, tt.port)
			}
		})
	}
}
