package object

import (
	"strings"
	"testing"
)

type goEnum int

func (goEnum) String() string   { return "Member" }
func (goEnum) EnumType() string { return "System.DayOfWeek" }

type goSize int64

func (goSize) String() string { return "1 KB" }

type goRecord struct{ Name string }

type goNamed struct{}

func (goNamed) DotNetTypeName() string { return "Microsoft.Exchange.Data.Fqdn" }

// TestTypeNameNeverGo: whatever Go value reaches the shell, GetType() and
// Get-Member name a .NET type, never a Go one.
func TestTypeNameNeverGo(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{goEnum(1), "System.DayOfWeek"},
		{goNamed{}, "Microsoft.Exchange.Data.Fqdn"},
		{goSize(1024), "System.Int64"},
		{int64(5), "System.Int64"},
		{goRecord{"x"}, "System.Object"},
		{&goRecord{"x"}, "System.Object"},
		{[]goRecord{{"x"}}, "System.Object[]"},
		{[]byte("x"), "System.Byte[]"},
		{map[string]int{}, "System.Collections.Hashtable"},
		{uint8(3), "System.Int32"},
		{struct{ A int }{1}, "System.Object"},
	} {
		got := TypeName(tt.v)
		if got != tt.want {
			t.Errorf("TypeName(%#v) = %q, want %q", tt.v, got, tt.want)
		}
		if strings.Contains(got, "object.") || strings.Contains(got, "go") {
			t.Errorf("TypeName(%#v) = %q names a Go type", tt.v, got)
		}
	}
}
