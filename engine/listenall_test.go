package engine_test

import (
	"net"
	"net/netip"
	"strconv"
	"testing"

	"exsh/engine/enginetest"
)

// With -ListenAll, a connector's two wildcard bindings 0.0.0.0:25 and
// [::]:25 both listen, each on its own socket, as on Windows. On Linux
// an IPv6 wildcard socket without IPV6_V6ONLY also takes IPv4, and the
// second listener would fail with "address already in use". The test
// listens on free ports for its own duration and connects through
// loopback only.
func TestListenAllBothWildcards(t *testing.T) {
	ipv6 := hasIPv6Loopback()
	e := enginetest.Start(t, enginetest.Options{ListenAll: true})

	var v4, v6 int
	for _, ep := range e.Service.Endpoints() {
		b, err := netip.ParseAddrPort(ep.Binding)
		if err != nil || !b.Addr().IsUnspecified() {
			continue
		}
		if b.Addr().Is6() && !ipv6 {
			continue // no IPv6 here: [::] cannot listen
		}
		if b.Addr().Is4() {
			v4++
		} else {
			v6++
		}
		want := netip.AddrPortFrom(b.Addr(), uint16(e.Service.ListenPort(int(b.Port())))).String()
		if ep.Listen != want || ep.Err != nil {
			t.Errorf("%s: %s listens on %q (%v), want %q", ep.Connector, ep.Binding, ep.Listen, ep.Err, want)
		}
	}
	if v4 == 0 || ipv6 && v6 == 0 {
		t.Fatalf("default connectors: %d 0.0.0.0 and %d [::] bindings, want both", v4, v6)
	}

	hosts := []string{"127.0.0.1"}
	if ipv6 {
		hosts = append(hosts, "::1")
	} else {
		t.Log("no IPv6 loopback: only the IPv4 wildcards are checked")
	}
	for _, bindingPort := range []int{25, 587, 717, 2525, 465} {
		for _, host := range hosts {
			d := enginetest.Dial(t, net.JoinHostPort(host, strconv.Itoa(e.Service.ListenPort(bindingPort))))
			d.Expect(`~^220 EX01\.contoso\.com `)
			d.Do("EHLO client.fabrikam.com", "~^250 ")
			d.Do("QUIT", "~^221 ")
			d.Closed()
		}
	}
}

// hasIPv6Loopback reports whether this machine can listen on ::1.
func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
