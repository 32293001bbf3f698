package state

import (
	"net/netip"
	"strings"
)

// ServerHub is where the Transport service of a server of an organisation
// of several servers takes mail from the others (SPEC section 8): one of
// its hub receive connectors and the address to dial.
type ServerHub struct {
	Connector *ReceiveConnector
	// Addr is the server's IPAddress and the binding's port plus the
	// server's PortOffset.
	Addr netip.AddrPort
	// Port is the binding's port as configured, before the offset.
	Port int
}

// PickServerHub chooses the connector another server hands mail to srv
// over, among rcs (connectors of any server; only srv's enabled
// HubTransport connectors count): the one named preferred ("Default EX02",
// "Client Proxy EX02"), else the first that grants ExchangeServers, in the
// order of rcs, taking the first of them that listens on the server's
// address (HubBinding). false when srv has no address or no such connector
// listens.
func PickServerHub(srv *ExchangeServer, rcs []*ReceiveConnector, preferred string) (ServerHub, bool) {
	addr, err := netip.ParseAddr(srv.IPAddress)
	if err != nil {
		return ServerHub{}, false
	}
	addr = addr.Unmap()
	try := func(rc *ReceiveConnector) (ServerHub, bool) {
		if !rc.Enabled || !strings.EqualFold(rc.Server, srv.Name) || !strings.EqualFold(rc.TransportRole, "HubTransport") {
			return ServerHub{}, false
		}
		for _, s := range rc.Bindings {
			b, err := ParseBinding(s)
			if err != nil {
				continue
			}
			if ap, ok := HubBinding(addr, srv.PortOffset, b); ok {
				return ServerHub{Connector: rc, Addr: ap, Port: int(b.Port())}, true
			}
		}
		return ServerHub{}, false
	}
	for _, rc := range rcs {
		if strings.EqualFold(rc.Name, preferred) {
			if h, ok := try(rc); ok {
				return h, true
			}
		}
	}
	for _, rc := range rcs {
		if !strings.EqualFold(rc.Name, preferred) && rc.PermissionGroups.Has("ExchangeServers") {
			if h, ok := try(rc); ok {
				return h, true
			}
		}
	}
	return ServerHub{}, false
}

// HubBinding is where another server reaches binding b of a server whose
// -IPAddress is addr and -PortOffset offset, as such a server listens
// (SPEC section 8): the IPv4 wildcard on addr (of either family), an
// explicit binding to addr itself there; false for the IPv6 wildcard,
// which a server with an address does not listen on, for a binding to
// another address, which is not the server's to be reached at (a loopback
// address there would be the dialling server's own), and for a port the
// offset pushes past 65535.
func HubBinding(addr netip.Addr, offset int, b netip.AddrPort) (netip.AddrPort, bool) {
	a := b.Addr().Unmap()
	switch {
	case a.IsUnspecified() && a.Is4():
	case a == addr.Unmap():
	default:
		return netip.AddrPort{}, false
	}
	port := int(b.Port()) + offset
	if port < 1 || port > 65535 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), true
}
