package interp_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"exsh/shell/interp"
	"exsh/shell/object"
)

// quota stands for a value type another package hands to the shell, such
// as a size with Exchange's ToMB()/ToKB()/ToBytes() methods.
type quota int64

func (q quota) String() string { return fmt.Sprintf("%d MB", int64(q)>>20) }

func init() {
	interp.RegisterType(&interp.DotNetType{
		Name:   "Contoso.Data.Quota",
		GoType: reflect.TypeFor[quota](),
		Methods: interp.Methods{
			"ToMB": func(c *interp.MethodCall) (any, error) {
				if err := c.Need(0); err != nil {
					return nil, err
				}
				return int64(c.This.(quota)) >> 20, nil
			},
			"Fits": func(c *interp.MethodCall) (any, error) {
				if err := c.Need(1); err != nil {
					return nil, err
				}
				n, err := c.Int(0)
				if err != nil {
					return nil, err
				}
				if n < 0 {
					return nil, c.Throw("ArgumentOutOfRangeException", "The size cannot be negative.")
				}
				return int64(n) <= int64(c.This.(quota)), nil
			},
			// A ToString overload with a format; without one, the call
			// falls through to every object's ToString.
			"ToString": func(c *interp.MethodCall) (any, error) {
				if len(c.Args) != 1 {
					return nil, interp.ErrNoOverload
				}
				return fmt.Sprintf("%d %s", int64(c.This.(quota))>>20, c.String(0)), nil
			},
		},
		Properties: interp.Properties{
			"IsUnlimited": func(v any) any { return v.(quota) < 0 },
		},
		Static: interp.Methods{
			"FromMB": func(c *interp.MethodCall) (any, error) {
				n, err := c.Int(0)
				return quota(int64(n) << 20), err
			},
		},
		StaticProperties: interp.Properties{
			"Zero": func(any) any { return quota(0) },
		},
		// What Get-Member lists.
		Definitions: map[string]string{
			"ToMB":        "long ToMB()",
			"IsUnlimited": "bool IsUnlimited {get;}",
		},
	})
}

// A package registers the .NET members of the values it gives the shell;
// scripts then call them like any other .NET member.
func ExampleRegisterType() {
	s := interp.NewSession(interp.Config{Stdout: os.Stdout, Stderr: os.Stdout})
	s.SetVar("q", quota(36<<20))
	err := s.Run(context.Background(), `
$q.ToMB()
$q.isunlimited
$q.GetType().FullName
"$q"
$q.ToString('megabytes')
[Contoso.Data.Quota]::FromMB(2).ToMB()
`, "")
	fmt.Println(err)
	// Output:
	// 36
	// False
	// Contoso.Data.Quota
	// 36 MB
	// 36 megabytes
	// 2
	// <nil>
}

func TestRegisteredMembers(t *testing.T) {
	tests := []struct{ script, want string }{
		{`$q.TOMB()`, "36"},
		{`$q.Fits(1MB)`, "True"},
		{`$q.Fits(-1)`, `Exception calling "Fits" with "1" argument(s): "The size cannot be negative."`},
		{`$q.ToMB(1)`, `Cannot find an overload for "ToMB" and the argument count: "1".`},
		{`$q.ToString()`, "36 MB"},
		{`$q.Nope()`, `Method invocation failed because [Contoso.Data.Quota] does not contain a method named 'Nope'.`},
		{`[Contoso.Data.Quota]::Zero.ToMB()`, "0"},
		{`[Contoso.Data.Quota]::Nope(1)`, `Method invocation failed because [Contoso.Data.Quota] does not contain a method named 'Nope'.`},
		{`($q, $q).ToMB() -join ','`, "36,36"},
		// The shell's own types are registered the same way.
		{`'abc'.ToUpper()`, "ABC"},
		{`[math]::Max(2, 3)`, "3"},
		{`[System.IO.Path]::GetFileName('a/b.txt')`, "b.txt"},
		{`[int32]::MaxValue`, "2147483647"},
		{`[byte]::MaxValue`, "255"},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			var out strings.Builder
			s := interp.NewSession(interp.Config{Stdout: &out, Stderr: &out})
			s.SetVar("q", quota(36<<20))
			s.Run(context.Background(), tt.script, "")
			if got := out.String(); !strings.Contains(got, tt.want) {
				t.Errorf("%s:\n%s\nwant %q", tt.script, got, tt.want)
			}
		})
	}
}

func TestMembers(t *testing.T) {
	// Formatting and Get-Member name the value as registered too.
	if got := object.TypeName(quota(1)); got != "Contoso.Data.Quota" {
		t.Errorf("object.TypeName = %q", got)
	}
	var got []string
	for _, m := range interp.Members(quota(1)) {
		got = append(got, m.Name+"="+m.MemberType+":"+m.Definition)
	}
	want := []string{
		"Equals=Method:bool Equals(System.Object obj)", "GetHashCode=Method:int GetHashCode()",
		"GetType=Method:type GetType()", "ToString=Method:string ToString()",
		"IsUnlimited=Property:bool IsUnlimited {get;}", "ToMB=Method:long ToMB()",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Members:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
