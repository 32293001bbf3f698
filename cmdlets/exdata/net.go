package exdata

import (
	"math/big"
	"net/netip"
	"strings"

	"exsh/state"
)

// Type names of the address types.
const (
	IPBindingType    = "Microsoft.Exchange.Data.IPBinding"
	IPRangeType      = "Microsoft.Exchange.Data.IPRange"
	AddressSpaceType = "Microsoft.Exchange.Data.AddressSpace"
)

// text is the Base of a value whose methods are System.Object's: it shows,
// and compares, as its text.
type text string

func (t text) String() string { return string(t) }

func (text) CallMethod(string, []any) (any, bool, error) { return noMethod() }

// HasMethod is false: a text value has only the methods every object has.
func (text) HasMethod(string) bool { return false }

// addressFamily is System.Net.Sockets.AddressFamily.
type addressFamily int

const (
	interNetwork   addressFamily = 2
	interNetworkV6 addressFamily = 23
)

func (f addressFamily) String() string {
	if f == interNetworkV6 {
		return "InterNetworkV6"
	}
	return "InterNetwork"
}

// EnumType names the .NET enum.
func (addressFamily) EnumType() string { return "System.Net.Sockets.AddressFamily" }

func familyOf(a netip.Addr) addressFamily {
	if a.Is4() {
		return interNetwork
	}
	return interNetworkV6
}

// IPBinding returns a receive connector binding ("0.0.0.0:25", "[::]:25")
// as Exchange's IPBinding, an IPEndPoint: AddressFamily, Address, Port.
// Text that is not a binding stays text.
func IPBinding(s string) any {
	ap, err := state.ParseBinding(s)
	if err != nil {
		return s
	}
	return newObject(text(state.FormatBinding(ap)),
		[]string{IPBindingType, "System.Net.IPEndPoint", "System.Net.EndPoint", "System.Object"},
		"AddressFamily", familyOf(ap.Addr()), "Address", ap.Addr(), "Port", int(ap.Port()))
}

// rangeFormat is IPRange.Format.
type rangeFormat int

const (
	formatInvalid rangeFormat = iota
	formatCIDR
	formatNetmask
	formatLoHi
	formatSingleAddress
)

func (f rangeFormat) String() string {
	return [...]string{"Invalid", "CIDR", "Netmask", "LoHi", "SingleAddress"}[f]
}

// EnumType names the .NET enum.
func (rangeFormat) EnumType() string { return "Microsoft.Exchange.Data.IPRange+Format" }

// IPRange returns a RemoteIPRanges value as Exchange's IPRange:
// LowerBound, UpperBound, CIDRLength (CIDR form only), RangeFormat and
// Size (the number of addresses). Text that is not a range stays text.
func IPRange(s string) any {
	r, err := state.ParseIPRange(s)
	if err != nil {
		return s
	}
	f := formatLoHi
	var cidr any
	switch r.Form {
	case state.SingleAddress:
		f = formatSingleAddress
	case state.CIDR:
		f = formatCIDR
		cidr = r.Bits
	}
	return newObject(text(r.String()), []string{IPRangeType, "System.Object"},
		"LowerBound", r.Lo, "UpperBound", r.Hi, "CIDRLength", cidr, "RangeFormat", f, "Size", rangeSize(r.Size()))
}

// rangeSize is a range's address count as a shell number: an integer
// when it fits, else a double (the whole IPv6 space).
func rangeSize(n *big.Int) any {
	if n.IsInt64() {
		return n.Int64()
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return f
}

// AddressSpace returns a send connector's address space ("SMTP:*;1") as
// Exchange's AddressSpace: Type, Address, Cost, and for SMTP spaces
// Domain, IncludeSubDomains and IsSmtpType. Text that is not an address
// space stays text.
func AddressSpace(s string) any {
	as, err := state.ParseAddressSpace(s)
	if err != nil {
		return s
	}
	isSMTP := as.Type == "SMTP"
	var domain any
	sub := false
	if isSMTP {
		// Domain is an SmtpDomainWithSubdomains: "*.contoso.com" and
		// "*" include their subdomains.
		domain = as.Domain
		sub = as.Domain == "*" || strings.HasPrefix(as.Domain, "*.")
	}
	return newObject(text(as.String()), []string{AddressSpaceType, "System.Object"},
		"Type", as.Type, "Address", as.Domain, "Cost", as.Cost, "IsSmtpType", isSMTP,
		"Domain", domain, "IncludeSubDomains", sub, "IsLocal", false)
}
