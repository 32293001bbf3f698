// Package nexthop finds where a send connector's mail goes: its smart
// hosts, or the recipient domain's MX hosts (the domain itself when it
// has none), each resolved to its addresses in order. The Transport
// service sending through a connector and the Front End proxying for it
// (Outbound Proxy Frontend) both use it, so they agree on every host; each
// then maps the port its own way.
package nexthop

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sort"
	"strings"

	"exsh/engine/replies"
	"exsh/state"
)

// Replies for a destination that cannot be resolved.
var (
	// NoDNS: no resolver was given. exsh never asks the real DNS.
	NoDNS = replies.Reply{Code: 451, Enhanced: "4.4.0", Text: "DNS query failed. exsh makes no DNS lookups: give the send connector smart hosts (Set-SendConnector -SmartHosts <host> -DNSRoutingEnabled $false); inside a lab, the lab's DNS answers"}
	// DNSFailed: a lookup failed, or no host had an address.
	DNSFailed = replies.Reply{Code: 451, Enhanced: "4.4.0", Text: "DNS query failed"}
	// NonExistentDomain: the domain has neither MX records nor an address.
	NonExistentDomain = replies.Reply{Code: 554, Enhanced: "5.4.4", Text: "SMTPSEND.DNS.NonExistentDomain; nonexistent domain"}
)

// Resolver resolves hosts. A nil LookupMX makes no MX lookup at all (a
// DNS-routed connector then gets NoDNS); a nil LookupNetIP uses the
// system's resolver for host names (smart hosts given by name).
type Resolver struct {
	LookupMX    func(ctx context.Context, domain string) ([]*net.MX, error)
	LookupNetIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// IsSelf reports whether a host name names this server
	// ("localhost", its name or FQDN); such a host is Self.
	IsSelf func(name string) bool
	Self   netip.Addr
}

// Host is one address to try, with the host name it came from as
// configured or found in MX ("[127.0.0.1]", "mx1.fabrikam.com").
type Host struct {
	Name string
	Addr netip.Addr
}

// DNSRouted reports whether mail through c to a queue of deliveryType goes
// to the domain's MX hosts rather than to c's smart hosts.
func DNSRouted(c *state.SendConnector, deliveryType string) bool {
	if len(c.SmartHosts) == 0 {
		return true
	}
	return c.DNSRoutingEnabled && deliveryType == state.DeliveryDnsConnector
}

// Hosts lists the addresses mail for domain through c goes to, in order.
// A reply says why there is none.
func (r Resolver) Hosts(ctx context.Context, c *state.SendConnector, deliveryType, domain string) ([]Host, *replies.Reply) {
	var names []string
	if !DNSRouted(c, deliveryType) {
		names = append(names, c.SmartHosts...)
	} else {
		if r.LookupMX == nil {
			return nil, &NoDNS
		}
		mxs, err := r.LookupMX(ctx, domain)
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			if len(mxs) == 0 {
				// No MX: the domain itself (implicit MX), if it exists.
				if _, err := r.lookupIP(ctx, domain); err != nil {
					return nil, &NonExistentDomain
				}
			}
		case err != nil:
			return nil, &DNSFailed
		}
		sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Pref < mxs[j].Pref })
		for _, mx := range mxs {
			names = append(names, strings.TrimSuffix(mx.Host, "."))
		}
		if len(names) == 0 {
			names = []string{domain}
		}
	}
	var out []Host
	for _, h := range names {
		h = strings.TrimSpace(h)
		name := strings.Trim(h, "[]")
		if a, err := netip.ParseAddr(name); err == nil {
			out = append(out, Host{h, a.Unmap()})
			continue
		}
		if r.IsSelf != nil && r.IsSelf(name) {
			out = append(out, Host{h, r.Self})
			continue
		}
		ips, err := r.lookupIP(ctx, name)
		if err != nil {
			continue
		}
		for _, a := range ips {
			out = append(out, Host{h, a.Unmap()})
		}
	}
	if len(out) == 0 {
		return nil, &DNSFailed
	}
	return out, nil
}

func (r Resolver) lookupIP(ctx context.Context, name string) ([]netip.Addr, error) {
	if r.LookupNetIP != nil {
		return r.LookupNetIP(ctx, name)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", name)
}
