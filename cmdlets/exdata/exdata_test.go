package exdata

import (
	"net/netip"
	"testing"

	"exsh/shell/object"
	"exsh/state"
)

func prop(t *testing.T, v any, name string) any {
	t.Helper()
	o, ok := v.(*object.PSObject)
	if !ok {
		t.Fatalf("%v is not an object", v)
	}
	p, ok := o.Get(name)
	if !ok {
		t.Fatalf("%s has no property %s", o.TypeName(), name)
	}
	return p
}

func call(t *testing.T, v any, name string, args ...any) any {
	t.Helper()
	o := v.(*object.PSObject)
	r, ok, err := o.Base.(value).CallMethod(name, args)
	if !ok || err != nil {
		t.Fatalf("%s.%s(): handled %v, %v", o.TypeName(), name, ok, err)
	}
	return r
}

func TestByteQuantifiedSize(t *testing.T) {
	b := ByteQuantifiedSize(36 << 20)
	if got := object.ToString(b); got != "36 MB (37,748,736 bytes)" {
		t.Errorf("text %q", got)
	}
	if object.TypeName(b) != ByteQuantifiedSizeType {
		t.Errorf("type %s", object.TypeName(b))
	}
	for _, tt := range []struct {
		method string
		args   []any
		want   int64
	}{
		{"ToBytes", nil, 37748736},
		{"tokb", nil, 36864},
		{"ToMB", nil, 36},
		{"ToGB", nil, 0},
		{"ToTB", nil, 0},
		{"RoundUpToUnit", []any{"GB"}, 1},
		{"RoundUpToUnit", []any{"MB"}, 36},
	} {
		if got := call(t, b, tt.method, tt.args...); got != tt.want {
			t.Errorf("%s(%v) = %v, want %d", tt.method, tt.args, got, tt.want)
		}
	}
	if _, ok, _ := b.Base.(value).CallMethod("ToPB", nil); ok {
		t.Error("ToPB handled")
	}
	if _, _, err := b.Base.(value).CallMethod("ToMB", []any{1}); err == nil {
		t.Error("ToMB(1) accepted")
	}
}

func TestSizeComparisons(t *testing.T) {
	size := ByteQuantifiedSize(36 << 20)
	unlimited := UnlimitedByteSize(-1)
	limited := UnlimitedByteSize(35 << 20)
	for _, tt := range []struct {
		a, b any
		want int
	}{
		{size, 10 << 20, 1},
		{size, 36 << 20, 0},
		{size, int64(40 << 20), -1},
		{size, "36MB", 0},
		{size, "1GB", -1},
		{size, ByteQuantifiedSize(1), 1},
		{size, unlimited, -1},
		{size, limited, 1},
		{unlimited, 1 << 40, 1},
		{unlimited, "Unlimited", 0},
		{unlimited, UnlimitedByteSize(-1), 0},
		{limited, 35 << 20, 0},
		{limited, unlimited, -1},
		{limited, 10 << 20, 1},
		{UnlimitedInt(5000), 1000, 1},
		{UnlimitedInt(-1), 1000, 1},
	} {
		got, err := object.Compare(tt.a, tt.b, false)
		if err != nil || got != tt.want {
			t.Errorf("Compare(%v, %v) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
		if eq := object.Equal(tt.a, tt.b, false); eq != (tt.want == 0) {
			t.Errorf("Equal(%v, %v) = %v", tt.a, tt.b, eq)
		}
	}
	if _, err := object.Compare(size, "lots", false); err == nil {
		t.Error("a size compared with text that is no size")
	}
	if v := prop(t, unlimited, "Value"); v != nil {
		t.Errorf("unlimited Value %v", v)
	}
	if v := prop(t, limited, "Value"); object.ToString(v) != "35 MB (36,700,160 bytes)" {
		t.Errorf("Value %v", v)
	}
	if object.ToString(UnlimitedInt(-1)) != "Unlimited" || object.ToString(UnlimitedInt(20)) != "20" {
		t.Error("Unlimited<int> text")
	}
}

func TestIPBinding(t *testing.T) {
	for _, tt := range []struct {
		in, text, family string
		addr             netip.Addr
		port             int
	}{
		{"0.0.0.0:25", "0.0.0.0:25", "InterNetwork", netip.MustParseAddr("0.0.0.0"), 25},
		{"[::]:587", "[::]:587", "InterNetworkV6", netip.IPv6Unspecified(), 587},
		{" 10.1.1.1:2525 ", "10.1.1.1:2525", "InterNetwork", netip.MustParseAddr("10.1.1.1"), 2525},
	} {
		b := IPBinding(tt.in)
		if object.ToString(b) != tt.text || object.TypeName(b) != IPBindingType {
			t.Errorf("%q: %s %q", tt.in, object.TypeName(b), object.ToString(b))
		}
		if got := prop(t, b, "Port"); got != tt.port {
			t.Errorf("%q Port %v", tt.in, got)
		}
		if got := prop(t, b, "Address"); got != tt.addr {
			t.Errorf("%q Address %v", tt.in, got)
		}
		f := prop(t, b, "AddressFamily")
		if object.ToString(f) != tt.family || object.TypeName(f) != "System.Net.Sockets.AddressFamily" {
			t.Errorf("%q AddressFamily %s %v", tt.in, object.TypeName(f), f)
		}
		if !object.Equal(b, tt.text, false) {
			t.Errorf("%q does not equal its text", tt.in)
		}
	}
	if IPBinding("nonsense") != "nonsense" {
		t.Error("bad binding not kept as text")
	}
}

func TestIPRange(t *testing.T) {
	for _, tt := range []struct {
		in, lo, hi, format string
		cidr               any
		size               any
	}{
		{"192.168.5.10", "192.168.5.10", "192.168.5.10", "SingleAddress", nil, int64(1)},
		{"10.0.0.7/24", "10.0.0.0", "10.0.0.255", "CIDR", 24, int64(256)},
		{"172.16.0.1-172.16.0.20", "172.16.0.1", "172.16.0.20", "LoHi", nil, int64(20)},
		{"0.0.0.0-255.255.255.255", "0.0.0.0", "255.255.255.255", "LoHi", nil, int64(1) << 32},
		{"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "LoHi", nil, 3.402823669209385e+38},
	} {
		r := IPRange(tt.in)
		if object.TypeName(r) != IPRangeType {
			t.Fatalf("%q: %v", tt.in, r)
		}
		if got := object.ToString(prop(t, r, "LowerBound")); got != tt.lo {
			t.Errorf("%q LowerBound %s", tt.in, got)
		}
		if got := object.ToString(prop(t, r, "UpperBound")); got != tt.hi {
			t.Errorf("%q UpperBound %s", tt.in, got)
		}
		if got := prop(t, r, "RangeFormat"); object.ToString(got) != tt.format {
			t.Errorf("%q RangeFormat %v", tt.in, got)
		}
		if got := prop(t, r, "CIDRLength"); got != tt.cidr {
			t.Errorf("%q CIDRLength %v", tt.in, got)
		}
		if got := prop(t, r, "Size"); got != tt.size {
			t.Errorf("%q Size %v (%T)", tt.in, got, got)
		}
	}
	if got := object.ToString(IPRange("10.0.0.7/24")); got != "10.0.0.0/24" {
		t.Errorf("text %q", got)
	}
}

func TestAddressSpace(t *testing.T) {
	for _, tt := range []struct {
		in, text, typ, address string
		cost                   int
		domain                 any
		sub                    bool
	}{
		{"*", "SMTP:*;1", "SMTP", "*", 1, "*", true},
		{"fabrikam.com;2", "SMTP:fabrikam.com;2", "SMTP", "fabrikam.com", 2, "fabrikam.com", false},
		{"SMTP:*.fabrikam.com;5", "SMTP:*.fabrikam.com;5", "SMTP", "*.fabrikam.com", 5, "*.fabrikam.com", true},
		{"X400:c=US;a= ;p=Contoso;10", "X400:c=US;a= ;p=Contoso;10", "X400", "c=US;a= ;p=Contoso", 10, nil, false},
	} {
		a := AddressSpace(tt.in)
		if object.TypeName(a) != AddressSpaceType || object.ToString(a) != tt.text {
			t.Fatalf("%q: %s %q", tt.in, object.TypeName(a), object.ToString(a))
		}
		if prop(t, a, "Type") != tt.typ || prop(t, a, "Address") != tt.address || prop(t, a, "Cost") != tt.cost ||
			prop(t, a, "Domain") != tt.domain || prop(t, a, "IncludeSubDomains") != tt.sub || prop(t, a, "IsSmtpType") != (tt.typ == "SMTP") {
			t.Errorf("%q: %v", tt.in, a)
		}
	}
}

func TestProxyAddress(t *testing.T) {
	for _, tt := range []struct {
		in, typ, addr, prefix string
		primary               bool
	}{
		{"SMTP:bob@contoso.com", SmtpProxyAddressType, "bob@contoso.com", "SMTP", true},
		{"smtp:bob@fabrikam.com", SmtpProxyAddressType, "bob@fabrikam.com", "SMTP", false},
		{"bob@tailspintoys.com", SmtpProxyAddressType, "bob@tailspintoys.com", "SMTP", false},
		{"X500:/o=Contoso/cn=bob", CustomProxyAddressType, "/o=Contoso/cn=bob", "X500", true},
		{"sip:bob@contoso.com", CustomProxyAddressType, "bob@contoso.com", "SIP", false},
	} {
		p := ProxyAddress(tt.in)
		if object.TypeName(p) != tt.typ {
			t.Fatalf("%q: %s", tt.in, object.TypeName(p))
		}
		if prop(t, p, "AddressString") != tt.addr || prop(t, p, "PrefixString") != tt.prefix || prop(t, p, "IsPrimaryAddress") != tt.primary ||
			object.ToString(prop(t, p, "Prefix")) != tt.prefix {
			t.Errorf("%q: %v", tt.in, p)
		}
		if tt.typ == SmtpProxyAddressType && prop(t, p, "SmtpAddress") != tt.addr {
			t.Errorf("%q SmtpAddress %v", tt.in, prop(t, p, "SmtpAddress"))
		}
		if prop(t, p, "ProxyAddressString") != object.ToString(p) {
			t.Errorf("%q text %q", tt.in, object.ToString(p))
		}
	}
}

func TestField(t *testing.T) {
	for _, tt := range []struct {
		record, field string
		in            any
		typ           string
	}{
		{"ReceiveConnector", "Bindings", []string{"0.0.0.0:25"}, IPBindingType},
		{"ReceiveConnector", "RemoteIPRanges", []string{"10.0.0.0/8"}, IPRangeType},
		{"SendConnector", "AddressSpaces", []string{"*"}, AddressSpaceType},
		{"Recipient", "EmailAddresses", []string{"SMTP:a@contoso.com"}, SmtpProxyAddressType},
		{"ReceiveConnector", "MaxMessageSize", state.ByteSize(1 << 20), ByteQuantifiedSizeType},
		{"SendConnector", "MaxMessageSize", state.ByteSize(1 << 20), UnlimitedByteSizeType},
		{"ReceiveConnector", "MaxInboundConnection", state.Limit(5000), UnlimitedIntType},
		{"Recipient", "ProhibitSendQuota", "Unlimited", UnlimitedByteSizeType},
		{"Recipient", "ProhibitSendQuota", "2 GB (2,147,483,648 bytes)", UnlimitedByteSizeType},
	} {
		v, ok := Field(tt.record, tt.field, tt.in)
		if !ok {
			t.Fatalf("%s.%s kept", tt.record, tt.field)
		}
		if l, isList := v.([]any); isList {
			v = l[0]
		}
		if object.TypeName(v) != tt.typ {
			t.Errorf("%s.%s: %s", tt.record, tt.field, object.TypeName(v))
		}
	}
	if _, ok := Field("ReceiveConnector", "Name", "Relay"); ok {
		t.Error("Name converted")
	}
}
