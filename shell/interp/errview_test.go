package interp

import (
	"strings"
	"testing"

	"exsh/shell/syntax"
)

func TestFormatParseErrorUnderline(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{"Write-Output a && Write-Output b", "+                ~~\n"},
		{"if ($true)", "+          ~\n"},
		{"1 +", "+    ~\n"},
		{"1 xyz", "+   ~~~\n"},
	} {
		_, err := syntax.Parse(tc.src, "")
		pe, ok := err.(*syntax.ParseError)
		if !ok {
			t.Fatalf("%q: err = %v, want a ParseError", tc.src, err)
		}
		lines := strings.SplitAfter(FormatParseError(pe, tc.src), "\n")
		if len(lines) < 3 {
			t.Fatalf("%q: %q", tc.src, lines)
		}
		if lines[2] != tc.want {
			t.Errorf("%q: underline %q, want %q", tc.src, lines[2], tc.want)
		}
	}
}

// Errors from the remote session (with a computer name) show as a remote
// session shows them; a Remote command's binding errors and other local
// errors, and every local command's, keep the local shape.
func TestRemoteErrorView(t *testing.T) {
	remote := &CmdletInfo{
		Name:   "Get-Widget",
		Remote: true,
		Params: []*ParamInfo{{Name: "Identity", Kind: KindString, Position: 0}},
		Process: func(c *Call) error {
			e := NewError("NotSpecified", "ManagementObjectNotFoundException", "NotFound,Contoso.GetWidget", "",
				"Widget '%s' wasn't found.", c.String("Identity"))
			if c.String("Identity") != "bare" {
				e.ComputerName = "srv01.contoso.com"
			}
			c.WriteError(e)
			return nil
		},
	}
	local := &CmdletInfo{Name: "Get-Local", Process: func(c *Call) error {
		return NewError("NotSpecified", "RuntimeException", "Failed,Get-Local", "", "It failed.")
	}}
	tests := []struct{ script, want string }{
		{"Get-Widget w1", "Widget 'w1' wasn't found.\n" +
			"    + CategoryInfo          : NotSpecified: (:) [Get-Widget], ManagementObjectNotFoundException\n" +
			"    + FullyQualifiedErrorId : NotFound,Contoso.GetWidget\n" +
			"    + PSComputerName        : srv01.contoso.com\n"},
		// Without a computer name the error came from the local proxy.
		{"Get-Widget bare", "Get-Widget : Widget 'bare' wasn't found.\nAt line:1 char:1\n"},
		{"Get-Widget -Nope 1", "Get-Widget : A parameter cannot be found that matches parameter name 'Nope'.\n" +
			"At line:1 char:12\n"},
		{"Get-Local", "Get-Local : It failed.\nAt line:1 char:1\n+ Get-Local\n+ ~~~~~~~~~\n"},
		{"try { Get-Widget w2 -ErrorAction Stop } catch { $_.OriginInfo.PSComputerName; $_.InvocationInfo.PositionMessage -eq '' }",
			"srv01.contoso.com\nTrue\n"},
	}
	for _, tt := range tests {
		var out strings.Builder
		s := NewSession(Config{Stdout: &out, Stderr: &out, Commands: []*CmdletInfo{remote, local}})
		s.Run(t.Context(), tt.script, "")
		if got := out.String(); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s:\n%s\nwant prefix\n%s", tt.script, got, tt.want)
		}
	}
}
