package state

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// IPRangeForm says how an IPRange was written; String keeps the form.
type IPRangeForm int

const (
	SingleAddress IPRangeForm = iota // "192.168.1.1", "fe80::1%11"
	LoHiRange                        // "192.168.1.1-192.168.1.254"
	CIDR                             // "192.168.1.0/24", "2001:db8::/60"
)

// IPRange is one value of a receive connector's RemoteIPRanges: a single
// address, an inclusive range or a CIDR block, IPv4 or IPv6. Both ends have
// the same address family; IPv4-mapped IPv6 addresses are stored as IPv4.
type IPRange struct {
	Lo, Hi netip.Addr
	Form   IPRangeForm
	Bits   int    // prefix length when Form is CIDR
	Zone   string // IPv6 zone of a single address, kept for display only
}

// The two ranges every default receive connector accepts from.
var (
	AllIPv4 = IPRange{Lo: netip.AddrFrom4([4]byte{}), Hi: netip.AddrFrom4([4]byte{255, 255, 255, 255}), Form: LoHiRange}
	AllIPv6 = IPRange{Lo: netip.IPv6Unspecified(), Hi: netip.AddrFrom16([16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), Form: LoHiRange}
)

// ParseIPRange parses a RemoteIPRanges value: "10.0.0.5", "10.0.0.1-10.0.0.9",
// "10.0.0.0/24" (host bits are cleared), and the same three for IPv6
// ("fe80::1%11", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
// "2001:db8::cd3/60").
func ParseIPRange(s string) (IPRange, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return IPRange{}, fmt.Errorf("%q is not a valid IP range: empty", s)
	}
	if lo, hi, ok := strings.Cut(in, "-"); ok {
		a, err := parseRangeAddr(strings.TrimSpace(lo))
		if err != nil {
			return IPRange{}, fmt.Errorf("%q is not a valid IP range: %v", s, err)
		}
		b, err := parseRangeAddr(strings.TrimSpace(hi))
		if err != nil {
			return IPRange{}, fmt.Errorf("%q is not a valid IP range: %v", s, err)
		}
		if a.Is4() != b.Is4() {
			return IPRange{}, fmt.Errorf("%q is not a valid IP range: both ends must be IPv4 or both IPv6", s)
		}
		if b.Less(a) {
			return IPRange{}, fmt.Errorf("%q is not a valid IP range: the start address is greater than the end address", s)
		}
		return IPRange{Lo: a, Hi: b, Form: LoHiRange}, nil
	}
	if addr, bits, ok := strings.Cut(in, "/"); ok {
		a, err := parseRangeAddr(addr)
		if err != nil {
			return IPRange{}, fmt.Errorf("%q is not a valid IP range: %v", s, err)
		}
		n, err := strconv.Atoi(bits)
		if err != nil || n < 0 || n > a.BitLen() {
			return IPRange{}, fmt.Errorf("%q is not a valid IP range: bad prefix length %q", s, bits)
		}
		p := netip.PrefixFrom(a, n).Masked()
		return IPRange{Lo: p.Addr(), Hi: lastAddr(p), Form: CIDR, Bits: n}, nil
	}
	a, err := netip.ParseAddr(in)
	if err != nil {
		return IPRange{}, fmt.Errorf("%q is not a valid IP range: %v", s, err)
	}
	zone := a.Zone()
	a = a.WithZone("").Unmap()
	return IPRange{Lo: a, Hi: a, Form: SingleAddress, Zone: zone}, nil
}

func parseRangeAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return a.WithZone("").Unmap(), nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// MustParseIPRange is ParseIPRange for constants; it panics on error.
func MustParseIPRange(s string) IPRange {
	r, err := ParseIPRange(s)
	if err != nil {
		panic(err)
	}
	return r
}

// ParseIPRanges parses a list of RemoteIPRanges values.
func ParseIPRanges(values []string) ([]IPRange, error) {
	out := make([]IPRange, 0, len(values))
	for _, v := range values {
		r, err := ParseIPRange(v)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// String renders the range in the form it was written, canonically:
// "192.168.1.5", "192.168.1.1-192.168.1.254", "192.168.1.0/24",
// "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" (IPv6 in full hexadecimal
// groups for the all-addresses range, as the shell shows it).
func (r IPRange) String() string {
	switch r.Form {
	case SingleAddress:
		if r.Zone != "" {
			return r.Lo.WithZone(r.Zone).String()
		}
		return r.Lo.String()
	case CIDR:
		return r.Lo.String() + "/" + strconv.Itoa(r.Bits)
	default:
		return r.Lo.String() + "-" + r.Hi.String()
	}
}

// Is4 reports whether the range holds IPv4 addresses.
func (r IPRange) Is4() bool { return r.Lo.Is4() }

// IsValid reports whether r was produced by ParseIPRange (or is a literal
// with both ends set).
func (r IPRange) IsValid() bool { return r.Lo.IsValid() && r.Hi.IsValid() }

// Contains reports whether a falls inside the range. IPv4-mapped IPv6
// addresses count as IPv4, zones are ignored.
func (r IPRange) Contains(a netip.Addr) bool {
	if !a.IsValid() || !r.IsValid() {
		return false
	}
	a = a.WithZone("").Unmap()
	if a.Is4() != r.Lo.Is4() {
		return false
	}
	return !a.Less(r.Lo) && !r.Hi.Less(a)
}

// ContainsRange reports whether o lies wholly inside r.
func (r IPRange) ContainsRange(o IPRange) bool {
	return r.Is4() == o.Is4() && !o.Lo.Less(r.Lo) && !r.Hi.Less(o.Hi)
}

// Overlaps reports whether r and o share at least one address.
func (r IPRange) Overlaps(o IPRange) bool {
	return r.Is4() == o.Is4() && !r.Hi.Less(o.Lo) && !o.Hi.Less(r.Lo)
}

// PartiallyOverlaps reports whether r and o overlap without one containing
// the other, which Exchange does not allow on one binding.
func (r IPRange) PartiallyOverlaps(o IPRange) bool {
	return r.Overlaps(o) && !r.ContainsRange(o) && !o.ContainsRange(r)
}

// Equal reports whether r and o cover the same addresses.
func (r IPRange) Equal(o IPRange) bool { return r.Lo == o.Lo && r.Hi == o.Hi }

// Size returns the number of addresses in the range (1 for a single
// address). Smaller is more specific.
func (r IPRange) Size() *big.Int {
	lo := new(big.Int).SetBytes(r.Lo.AsSlice())
	hi := new(big.Int).SetBytes(r.Hi.AsSlice())
	n := hi.Sub(hi, lo)
	return n.Add(n, big.NewInt(1))
}

// CompareSpecificity orders ranges from most to least specific: it returns
// a negative number when r holds fewer addresses than o, positive when more,
// and 0 when the same number.
func (r IPRange) CompareSpecificity(o IPRange) int {
	return r.Size().Cmp(o.Size())
}

// MostSpecific returns the index of the smallest range in ranges that
// contains a, or -1 when none does.
func MostSpecific(ranges []IPRange, a netip.Addr) int {
	best := -1
	for i, r := range ranges {
		if !r.Contains(a) {
			continue
		}
		if best < 0 || r.CompareSpecificity(ranges[best]) < 0 {
			best = i
		}
	}
	return best
}

// ParseBinding parses a receive connector binding, "0.0.0.0:25",
// "10.1.1.1:2525" or "[::]:25". The port is required.
func ParseBinding(s string) (netip.AddrPort, error) {
	in := strings.TrimSpace(s)
	ap, err := netip.ParseAddrPort(in)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q is not a valid binding (expected address:port, such as 0.0.0.0:25 or [::]:25): %v", s, err)
	}
	if ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("%q is not a valid binding: the port must be between 1 and 65535", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// FormatBinding renders a binding as the shell shows it: "0.0.0.0:25",
// "[::]:25".
func FormatBinding(ap netip.AddrPort) string { return ap.String() }

// BindingMatches reports whether a connector binding accepts a connection
// that arrived on local: same port, and the same address or a wildcard
// (0.0.0.0 for IPv4, [::] for IPv6) of the same family.
func BindingMatches(binding, local netip.AddrPort) bool {
	if binding.Port() != local.Port() {
		return false
	}
	b, l := binding.Addr().Unmap(), local.Addr().WithZone("").Unmap()
	if b.IsUnspecified() {
		return b.Is4() == l.Is4()
	}
	return b == l
}

// ListensAt reports whether one of conns is bound to port on an address
// that reaches it: the address itself, or a wildcard binding (0.0.0.0,
// [::]) and a loopback address, where wildcards listen in a lab. Only
// such a destination is this server at one of its Exchange ports, whose
// port -PortOffset translates; any other port is used as given.
func ListensAt(conns []*ReceiveConnector, addr netip.Addr, port int) bool {
	a := addr.WithZone("").Unmap()
	for _, c := range conns {
		for _, s := range c.Bindings {
			b, err := ParseBinding(s)
			if err != nil || int(b.Port()) != port {
				continue
			}
			if b.Addr() == a || (b.Addr().IsUnspecified() && a.IsLoopback()) {
				return true
			}
		}
	}
	return false
}

// BindingsOverlap reports whether two bindings can receive the same
// connection: same port, and equal addresses or one a wildcard of the
// other's family.
func BindingsOverlap(a, b netip.AddrPort) bool {
	if a.Port() != b.Port() {
		return false
	}
	x, y := a.Addr().Unmap(), b.Addr().Unmap()
	if x.Is4() != y.Is4() {
		return false
	}
	return x == y || x.IsUnspecified() || y.IsUnspecified()
}
