package state

import (
	"net/netip"
	"testing"
)

func TestParseIPRange(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical String(); "" means an error
		lo, hi  string
		size    string
		is4     bool
		wantErr bool
	}{
		{in: "192.168.1.1", want: "192.168.1.1", lo: "192.168.1.1", hi: "192.168.1.1", size: "1", is4: true},
		{in: " 10.0.0.5 ", want: "10.0.0.5", lo: "10.0.0.5", hi: "10.0.0.5", size: "1", is4: true},
		{in: "192.168.1.1-192.168.1.254", want: "192.168.1.1-192.168.1.254", lo: "192.168.1.1", hi: "192.168.1.254", size: "254", is4: true},
		{in: "192.168.1.1 - 192.168.1.2", want: "192.168.1.1-192.168.1.2", lo: "192.168.1.1", hi: "192.168.1.2", size: "2", is4: true},
		{in: "192.168.1.1/24", want: "192.168.1.0/24", lo: "192.168.1.0", hi: "192.168.1.255", size: "256", is4: true},
		{in: "10.0.0.0/8", want: "10.0.0.0/8", lo: "10.0.0.0", hi: "10.255.255.255", size: "16777216", is4: true},
		{in: "0.0.0.0-255.255.255.255", want: "0.0.0.0-255.255.255.255", lo: "0.0.0.0", hi: "255.255.255.255", size: "4294967296", is4: true},
		{in: "0.0.0.0/0", want: "0.0.0.0/0", lo: "0.0.0.0", hi: "255.255.255.255", size: "4294967296", is4: true},
		{in: "fe80::39bd:88f7:6969:d223%11", want: "fe80::39bd:88f7:6969:d223%11", lo: "fe80::39bd:88f7:6969:d223", hi: "fe80::39bd:88f7:6969:d223", size: "1"},
		{in: "2001:0DB8::CD3/60", want: "2001:db8::/60", lo: "2001:db8::", hi: "2001:db8:0:f:ffff:ffff:ffff:ffff", size: "295147905179352825856"},
		{in: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", want: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", lo: "::", hi: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", size: "340282366920938463463374607431768211456"},
		{in: "2001:db8::1-2001:db8::ff", want: "2001:db8::1-2001:db8::ff", lo: "2001:db8::1", hi: "2001:db8::ff", size: "255"},
		{in: "::ffff:10.1.2.3", want: "10.1.2.3", lo: "10.1.2.3", hi: "10.1.2.3", size: "1", is4: true},
		{in: "", wantErr: true},
		{in: "10.0.0.256", wantErr: true},
		{in: "10.0.0.9-10.0.0.1", wantErr: true},
		{in: "10.0.0.1-::1", wantErr: true},
		{in: "10.0.0.0/33", wantErr: true},
		{in: "10.0.0.0/x", wantErr: true},
		{in: "2001:db8::/129", wantErr: true},
		{in: "contoso.com", wantErr: true},
	}
	for _, tt := range tests {
		r, err := ParseIPRange(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseIPRange(%q) = %v, want an error", tt.in, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseIPRange(%q): %v", tt.in, err)
			continue
		}
		if got := r.String(); got != tt.want {
			t.Errorf("ParseIPRange(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if r.Lo.String() != tt.lo || r.Hi.String() != tt.hi {
			t.Errorf("ParseIPRange(%q) = %v..%v, want %v..%v", tt.in, r.Lo, r.Hi, tt.lo, tt.hi)
		}
		if got := r.Size().String(); got != tt.size {
			t.Errorf("ParseIPRange(%q).Size() = %s, want %s", tt.in, got, tt.size)
		}
		if r.Is4() != tt.is4 {
			t.Errorf("ParseIPRange(%q).Is4() = %v", tt.in, r.Is4())
		}
		// The canonical form parses back to the same range.
		back, err := ParseIPRange(r.String())
		if err != nil || !back.Equal(r) || back.String() != r.String() {
			t.Errorf("round trip of %q: %v, %v", r.String(), back, err)
		}
	}
}

func TestIPRangeContains(t *testing.T) {
	tests := []struct {
		r    string
		addr string
		want bool
	}{
		{"192.168.1.0/24", "192.168.1.0", true},
		{"192.168.1.0/24", "192.168.1.255", true},
		{"192.168.1.0/24", "192.168.2.0", false},
		{"192.168.1.10-192.168.1.20", "192.168.1.9", false},
		{"192.168.1.10-192.168.1.20", "192.168.1.10", true},
		{"192.168.1.10-192.168.1.20", "192.168.1.20", true},
		{"192.168.1.10-192.168.1.20", "192.168.1.21", false},
		{"127.0.0.56", "127.0.0.56", true},
		{"127.0.0.56", "127.0.0.57", false},
		{"0.0.0.0-255.255.255.255", "8.8.8.8", true},
		{"0.0.0.0-255.255.255.255", "::1", false},
		{"0.0.0.0-255.255.255.255", "::ffff:8.8.8.8", true}, // IPv4-mapped counts as IPv4
		{"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1", true},
		{"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "127.0.0.1", false},
		{"fe80::/10", "fe80::1%eth0", true}, // zones ignored
		{"2001:db8::/32", "2001:db9::1", false},
	}
	for _, tt := range tests {
		r := MustParseIPRange(tt.r)
		if got := r.Contains(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("%s.Contains(%s) = %v, want %v", tt.r, tt.addr, got, tt.want)
		}
	}
	if (IPRange{}).Contains(netip.MustParseAddr("1.2.3.4")) {
		t.Error("zero IPRange contains an address")
	}
}

func TestIPRangeRelations(t *testing.T) {
	tests := []struct {
		a, b                              string
		aContainsB, overlaps, partialOver bool
	}{
		{"0.0.0.0-255.255.255.255", "192.168.1.0/24", true, true, false},
		{"192.168.1.0/24", "192.168.1.75", true, true, false},
		{"192.168.1.0/24", "192.168.1.0-192.168.1.255", true, true, false},
		{"192.168.1.0-192.168.1.100", "192.168.1.50-192.168.1.200", false, true, true},
		{"10.0.0.0/8", "192.168.0.0/16", false, false, false},
		{"10.0.0.0/8", "::/0", false, false, false},
	}
	for _, tt := range tests {
		a, b := MustParseIPRange(tt.a), MustParseIPRange(tt.b)
		if got := a.ContainsRange(b); got != tt.aContainsB {
			t.Errorf("%s.ContainsRange(%s) = %v", tt.a, tt.b, got)
		}
		if got := a.Overlaps(b); got != tt.overlaps {
			t.Errorf("%s.Overlaps(%s) = %v", tt.a, tt.b, got)
		}
		if got := a.PartiallyOverlaps(b); got != tt.partialOver {
			t.Errorf("%s.PartiallyOverlaps(%s) = %v", tt.a, tt.b, got)
		}
	}
}

// The documented example: connectors with 0.0.0.0-255.255.255.255,
// 192.168.1.0-192.168.1.255 and 192.168.1.75 on one binding.
func TestMostSpecific(t *testing.T) {
	ranges, err := ParseIPRanges([]string{"0.0.0.0-255.255.255.255", "192.168.1.0-192.168.1.255", "192.168.1.75", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr string
		want int
	}{
		{"192.168.1.75", 2},
		{"192.168.1.100", 1},
		{"10.9.8.7", 0},
		{"::1", 3},
	}
	for _, tt := range tests {
		if got := MostSpecific(ranges, netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("MostSpecific(%s) = %d, want %d", tt.addr, got, tt.want)
		}
	}
	if got := MostSpecific(ranges[1:3], netip.MustParseAddr("8.8.8.8")); got != -1 {
		t.Errorf("MostSpecific with no match = %d, want -1", got)
	}
	if _, err := ParseIPRanges([]string{"10.0.0.1", "nope"}); err == nil {
		t.Error("ParseIPRanges accepted a bad value")
	}
}

func TestParseBinding(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"0.0.0.0:25", "0.0.0.0:25"},
		{"[::]:25", "[::]:25"},
		{"10.10.1.1:2525", "10.10.1.1:2525"},
		{" [2001:db8::1]:587 ", "[2001:db8::1]:587"},
		{"[::ffff:127.0.0.1]:25", "127.0.0.1:25"},
		{"0.0.0.0", ""},
		{"[::]:", ""},
		{"0.0.0.0:0", ""},
		{"0.0.0.0:65536", ""},
		{"::25", ""},
		{"mail.contoso.com:25", ""},
	}
	for _, tt := range tests {
		ap, err := ParseBinding(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseBinding(%q) = %v, want an error", tt.in, ap)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseBinding(%q): %v", tt.in, err)
			continue
		}
		if got := FormatBinding(ap); got != tt.want {
			t.Errorf("ParseBinding(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBindingMatches(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		binding, local string
		matches        bool
		overlap        bool
	}{
		{"0.0.0.0:25", "127.0.0.1:25", true, true},
		{"0.0.0.0:25", "[::1]:25", false, false},
		{"[::]:25", "[::1]:25", true, true},
		{"[::]:25", "127.0.0.1:25", false, false},
		{"10.0.0.1:25", "10.0.0.1:25", true, true},
		{"10.0.0.1:25", "10.0.0.2:25", false, false},
		{"0.0.0.0:25", "127.0.0.1:587", false, false},
	}
	for _, tt := range tests {
		if got := BindingMatches(ap(tt.binding), ap(tt.local)); got != tt.matches {
			t.Errorf("BindingMatches(%s, %s) = %v", tt.binding, tt.local, got)
		}
		if got := BindingsOverlap(ap(tt.binding), ap(tt.local)); got != tt.overlap {
			t.Errorf("BindingsOverlap(%s, %s) = %v", tt.binding, tt.local, got)
		}
	}
}
