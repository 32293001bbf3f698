package opath

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type status int

func (s status) String() string { return [...]string{"Active", "Ready", "Retry", "Suspended"}[s] }

type byteSize int64

func (b byteSize) String() string { return "size" }

func queueProps() map[string]any {
	return map[string]any{
		"Identity":      "EX01\\3",
		"DeliveryType":  "SmtpDeliveryToMailbox",
		"Status":        status(2),
		"MessageCount":  12,
		"Velocity":      0.5,
		"NextHopDomain": "mailbox database 0471695037",
		"LastError":     nil,
		"IsEnabled":     true,
		"Size":          byteSize(5 << 20),
		"DateReceived":  time.Date(2026, 11, 27, 10, 0, 0, 0, time.Local),
		"Timeout":       5 * time.Minute,
		"Recipients":    []any{"chris@contoso.com", "michelle@fabrikam.com"},
		"Empty":         []any{},
		"Subject":       "Quarterly report",
	}
}

func getter(m map[string]any) Getter {
	return func(p string) (any, bool) {
		for k, v := range m {
			if strings.EqualFold(k, p) {
				return v, true
			}
		}
		return nil, false
	}
}

func TestMatch(t *testing.T) {
	get := getter(queueProps())
	tests := []struct {
		filter string
		want   bool
	}{
		{"MessageCount -gt 0", true},
		{"MessageCount -gt 12", false},
		{"MessageCount -ge 12", true},
		{"MessageCount -lt '13'", true},
		{"MessageCount -le 11", false},
		{"messagecount -EQ 12", true},
		{"MessageCount -eq 1,2", false},
		{"MessageCount -ne 12", false},
		{"MessageCount -eq 'twelve'", false},
		{"Status -eq 'Retry'", true},
		{"Status -eq 'retry'", true},
		{"Status -eq Retry", true},
		{"Status -eq \"Retry\"", true},
		{"Status -ne 'Retry'", false},
		{"Status -eq 2", true},
		{"Status -like 'Re*'", true},
		{"Status -notlike 'Re*'", false},
		{"DeliveryType -eq 'SmtpDeliveryToMailbox' -and MessageCount -ge 10", true},
		{"DeliveryType -eq 'DnsConnectorDelivery' -and MessageCount -ge 10", false},
		{"DeliveryType -eq 'DnsConnectorDelivery' -or MessageCount -ge 10", true},
		{"-not (MessageCount -gt 0)", false},
		{"-not MessageCount -gt 100", true},
		{"!(MessageCount -gt 100)", true},
		{"(Status -eq 'Ready' -or Status -eq 'Retry') -and MessageCount -gt 0", true},
		{"Status -eq 'Ready' -or Status -eq 'Retry' -and MessageCount -gt 100", false},
		{"Status -eq 'Retry' -or Status -eq 'Ready' -and MessageCount -gt 100", true},
		{"NextHopDomain -like 'mailbox database*'", true},
		{"NextHopDomain -like 'MAILBOX*'", true},
		{"NextHopDomain -like '*0471695037'", true},
		{"NextHopDomain -like 'mailbox'", false},
		{"NextHopDomain -like 'mailbox database 047169503?'", true},
		{"NextHopDomain -like '[lm]ailbox*'", true},
		{"NextHopDomain -gt 'a'", true},
		{"LastError -eq $null", true},
		{"LastError -ne $null", false},
		{"Subject -ne $null", true},
		{"Missing -eq $null", true},
		{"LastError -eq ''", true},
		{"IsEnabled -eq $true", true},
		{"IsEnabled -eq $false", false},
		{"IsEnabled -eq 'True'", true},
		{"IsEnabled -ne $true", false},
		{"Velocity -gt 0", true},
		{"Velocity -eq 0.5", true},
		{"Size -gt 1MB", true},
		{"Size -lt '10 MB'", true},
		{"Size -eq 5242880", true},
		{"Size -lt unlimited", true},
		{"DateReceived -gt '11/27/2026 9:00'", true},
		{"DateReceived -lt '2026-11-27T09:00:00'", false},
		{"DateReceived -gt 'not a date'", false},
		{"Timeout -eq '00:05:00'", true},
		{"Timeout -gt '00:10:00'", false},
		{"Recipients -eq 'michelle@fabrikam.com'", true},
		{"Recipients -like '*@fabrikam.com'", true},
		{"Recipients -ne 'michelle@fabrikam.com'", false},
		{"Recipients -notlike '*@tailspintoys.com'", true},
		{"Empty -eq $null", true},
		{"Identity -eq 'EX01\\3'", true},
		{"Subject -eq 'It''s'", false},
		{"Subject -like '*report'", true},
		{"{MessageCount -gt 0}", true},
	}
	for _, tt := range tests {
		m, err := Compile(tt.filter)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.filter, err)
			continue
		}
		if got := m(get); got != tt.want {
			t.Errorf("%q = %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		filter string
		pos    int
	}{
		{"", 1},
		{"MessageCount", 13},
		{"MessageCount -gt", 17},
		{"MessageCount -gtx 0", 14},
		{"MessageCount -contains 0", 14},
		{"MessageCount -gt 0 -and", 24},
		{"(MessageCount -gt 0", 20},
		{"MessageCount -gt 0)", 19},
		{"Status -eq 'Retry", 12},
		{"Status -eq $foo", 12},
		{"Status -eq 'a' 'b'", 16},
		{"-and Status -eq 'a'", 1},
		{"'Status' -eq 'a'", 1},
		{"9abc -eq 1", 1},
	}
	for _, tt := range tests {
		_, err := Compile(tt.filter)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Compile(%q) error = %v, want *Error", tt.filter, err)
			continue
		}
		if e.Pos != tt.pos || e.Property != "" {
			t.Errorf("Compile(%q) error at %d (%q), want syntax error at %d", tt.filter, e.Pos, e.Property, tt.pos)
		}
		if !strings.HasPrefix(e.Error(), "Invalid filter syntax. For a description of the filter parameter syntax see the command help.\n\"") {
			t.Errorf("message = %q", e.Error())
		}
	}
}

func TestCheck(t *testing.T) {
	known := []string{"Identity", "Status", "MessageCount"}
	f, err := CompileFor("status -eq 'Ready' -and messagecount -gt 0", known)
	if err != nil {
		t.Fatal(err)
	}
	if !f(getter(map[string]any{"Status": "Ready", "MessageCount": 1})) {
		t.Error("filter did not match")
	}
	_, err = CompileFor("Status -eq 'Ready' -and Colour -eq 'red'", known)
	want := "\"Colour\" is not a recognized filterable property. For a list of recognized filterable properties, see the command help.\n" +
		"\"Status -eq 'Ready' -and Colour -eq 'red'\" at position 25."
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	bind := BindMessage("Filter", err)
	if !strings.HasPrefix(bind, `Cannot bind parameter 'Filter' to the target. Exception setting "Filter": "`) {
		t.Errorf("BindMessage = %q", bind)
	}
}

func TestProperties(t *testing.T) {
	f, err := Parse("A -eq 1 -and (B -like 'x*' -or -not C -eq $null)")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Properties(), ","); got != "A,B,C" {
		t.Errorf("Properties = %s", got)
	}
	if got, want := f.String(), "(A -eq '1' -and (B -like 'x*' -or -not (C -eq $null)))"; got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
}

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"10", 10, true}, {"-1", -1, true}, {"1,000", 0, false}, {"1.5", 1.5, true},
		{"10KB", 10240, true}, {"1 mb", 1 << 20, true}, {"0x10", 16, true},
		{"5.117 KB (5,240 bytes)", 5240, true},
		{"abc", 0, false}, {"", 0, false}, {"inf", 0, false}, {"NaN", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseQuantity(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseQuantity(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*c", "abbbc", true}, {"a*c", "abbb", false},
		{"?b?", "abc", true}, {"?b?", "ab", false}, {"*@contoso.com", "Chris@Contoso.com", true},
		{"[a-c]x", "bx", true}, {"[a-c]x", "dx", false}, {"a`*", "a*", true}, {"a`*", "ab", false},
		{"**a", "a", true},
		// An unclosed [ is an invalid pattern, as in PowerShell: it
		// matches nothing, itself included; `[ is a literal bracket.
		{"[", "[", false}, {"`[", "[", true},
	}
	for _, tt := range tests {
		if got := Wildcard(tt.p, tt.s); got != tt.want {
			t.Errorf("Wildcard(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

// FuzzParse checks that parsing never panics, that the canonical form
// parses to the same canonical form, and that matching never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"MessageCount -gt 0",
		"Status -eq 'Retry'",
		"DeliveryType -eq 'SmtpDeliveryToMailbox' -and MessageCount -ge 10",
		"-not (FromAddress -like '*@contoso.com') -or Subject -eq $null",
		"(A -eq 1 -or B -ne \"x\") -and C -notlike 'y*'",
		"Size -gt 1MB",
		"{Status -eq Ready}",
	} {
		f.Add(s)
	}
	get := getter(queueProps())
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) returned %T", s, err)
			}
			_ = e.Error()
			return
		}
		canon := flt.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q -> %q", canon, again.String())
		}
		flt.Match(get)
	})
}
