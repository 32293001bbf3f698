package interp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"exsh/shell/object"
)

// TestPowerShellDetails covers behaviours checked against Windows
// PowerShell 5.1 that scripts trip over.
func TestPowerShellDetails(t *testing.T) {
	checkRunTests(t, []runTest{
		{"$m = [int]::MaxValue; ($m + 1).GetType().Name; ($m * 2); [byte]::MaxValue", "Double\n4294967294\n255\n"},
		{"'abc'[0].GetType().Name; [int][char]'a'; [char]0x41 + 'b'; [char[]]'hi' | % { $_ }", "Char\n97\nAb\nh\ni\n"},
		{"('ab', 'cde').ToUpper() -join ','", "AB,CDE\n"},
		{"Write-Error 'x' -EA SilentlyContinue; $Error.Count; $Error.Clear(); $Error.Count", "1\n0\n"},
		{"$null -eq $LASTEXITCODE", "True\n"},
		{"try { throw [System.IO.FileNotFoundException]::new('nofile') } catch [System.IO.IOException] { \"io: $($_.Exception.Message)\" }", "io: nofile\n"},
		{"$z = 0; try { 1 / $z } catch [System.DivideByZeroException] { 'div' }", "div\n"},
		{"try { throw 'boom' } catch { $_.Exception.GetType().FullName; $_.GetType().Name }", "System.Management.Automation.RuntimeException\nErrorRecord\n"},
		{"try { Get-Nope } catch { $_.Exception.GetType().Name }", "CommandNotFoundException\n"},
		{"try { try { throw 'x' } catch { throw } } catch { \"outer $_\" }", "outer x\n"},
		{"function outer { function inner { 'in' }; inner }; outer; inner 2>$null; $?", "in\nFalse\n"},
		{"$n = 1; $sb = { $n }.GetNewClosure(); $n = 2; & $sb", "1\n"},
		{"function f { param($a) \"a=$a args=$args\" }; f -b 1", "a=1 args=-b\n"},
		{"function Get-Me { $MyInvocation.MyCommand.Name }; Get-Me", "Get-Me\n"},
		{"function v { [CmdletBinding()] param() Write-Verbose 'details'; 'done' }; v; v -Verbose", "done\nVERBOSE: details\ndone\n"},
		{"$a = 1, (2, 3); \"$a\"", "1 System.Object[]\n"},
		{"$o = [pscustomobject]@{A = 1}; \"$o\"; $o.ToString() + '|'", "@{A=1}\n|\n"},
		{"('a.b' -split '.').Count; 'a.b' -split '.', 0, 'SimpleMatch'", "4\na\nb\n"},
		{"'{0}' -f [datetime]'2026-01-02 08:05:09'", "1/2/2026 8:05:09 AM\n"},
		{"(10l).GetType().Name; ([ordered]@{}).GetType().Name", "Int64\nOrderedDictionary\n"},
		{"Invoke-Command { param($x) $x * 2 } -ArgumentList 21; icm -ScriptBlock { $args[0] } -ArgumentList 'a' -ComputerName EX01", "42\na\n"},
		{"ForEach-Object -InputObject 5 { $_ + 1 }; Where-Object -InputObject 3 { $_ -gt 1 }", "6\n3\n"},
		{"Write-Debug 'hidden'; Write-Debug 'shown' -Debug", "DEBUG: shown\n"},
		{"'abc'.Substring(5) 2>$null; $?", "False\n"},
		{"$s = [System.Management.Automation.PSCredential]; 'x'", "x\n"},
		{"$e = $null; 1, 2 | % { $_ } -OutVariable e | Out-Null; $e.Count", "2\n"},
	})
}

func TestConfirm(t *testing.T) {
	var asked []string
	remove := &CmdletInfo{
		Name: "Remove-Thing", SupportsShouldProcess: true, ConfirmImpact: "High",
		Params: []*ParamInfo{{Name: "Identity", Kind: KindString, Position: 0}},
		Process: func(c *Call) error {
			if c.ShouldProcess(c.String("Identity"), "Remove thing") {
				return c.WriteObject("removed " + c.String("Identity"))
			}
			return nil
		},
	}
	var out bytes.Buffer
	s := NewSession(Config{Stdout: &out, Commands: []*CmdletInfo{remove, testCommands()[3]},
		Confirm: func(p string) bool { asked = append(asked, p); return strings.Contains(p, "yes") }})
	s.Run(context.Background(), "Remove-Thing yes; Remove-Thing no; Remove-Thing quiet -Confirm:$false; New-Thing n; New-Thing m -Confirm", "")
	if got := out.String(); got != "removed yes\nremoved quiet\ncreated n in ByName\n" {
		t.Errorf("output %q", got)
	}
	want := []string{`Performing the operation "Remove thing" on target "yes".`, `Performing the operation "Remove thing" on target "no".`, `Performing the operation "New thing" on target "m".`}
	if strings.Join(asked, "|") != strings.Join(want, "|") {
		t.Errorf("asked %q", asked)
	}
}

func TestRobustness(t *testing.T) {
	checkRunTests(t, []runTest{
		{"function f { f }; f; 'after'", "The script failed due to call depth overflow.\nAt line:1 char:14\n+ function f { f }; f; 'after'\n+              ~\n    + CategoryInfo          : InvalidOperation: (:) [], ScriptCallDepthException\n    + FullyQualifiedErrorId : CallDepthOverflow\n"},
	})
	panicky := &CmdletInfo{Name: "Get-Panic", Process: func(c *Call) error { panic("boom") }}
	var out, errOut bytes.Buffer
	s := NewSession(Config{Stdout: &out, Stderr: &errOut, Commands: []*CmdletInfo{panicky}})
	s.Run(context.Background(), "Get-Panic; 'still here'", "")
	if out.String() != "still here\n" || !strings.Contains(errOut.String(), "Get-Panic : Internal error in Get-Panic: boom") {
		t.Errorf("panic handling: %q %q", out.String(), errOut.String())
	}
}

// TestShouldProcessDescription covers a command's own -WhatIf and
// confirmation text, and PowerShell's quoting (names are not escaped).
func TestShouldProcessDescription(t *testing.T) {
	var asked []string
	remove := &CmdletInfo{
		Name: "Remove-Conn", SupportsShouldProcess: true, ConfirmImpact: "High",
		Params: []*ParamInfo{{Name: "Identity", Kind: KindString, Position: 0}},
		Process: func(c *Call) error {
			id := c.String("Identity")
			if c.ShouldProcessDescription(`Removing Receive connector "`+id+`".`, id, "Removing Receive connector") {
				return c.WriteObject("removed " + id)
			}
			return nil
		},
	}
	plain := &CmdletInfo{
		Name: "Set-Conn", SupportsShouldProcess: true,
		Params: []*ParamInfo{{Name: "Identity", Kind: KindString, Position: 0}},
		Process: func(c *Call) error {
			if c.ShouldProcess(c.String("Identity"), "Set") {
				return c.WriteObject("set")
			}
			return nil
		},
	}
	var out bytes.Buffer
	s := NewSession(Config{Stdout: &out, Commands: []*CmdletInfo{remove, plain},
		Confirm: func(p string) bool { asked = append(asked, p); return false }})
	s.Run(context.Background(), `Remove-Conn 'EX01\Relay' -WhatIf; Set-Conn 'EX01\Relay' -WhatIf; Remove-Conn 'EX01\A'; Remove-Conn 'EX01\B' -Confirm:$false`, "")
	want := "What if: Removing Receive connector \"EX01\\Relay\".\n" +
		"What if: Performing the operation \"Set\" on target \"EX01\\Relay\".\n" +
		"removed EX01\\B\n"
	if got := out.String(); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if len(asked) != 1 || asked[0] != `Removing Receive connector "EX01\A".` {
		t.Errorf("asked %q", asked)
	}
	// Without a host to ask (scripts, -Command), ConfirmImpact High goes ahead.
	out.Reset()
	s = NewSession(Config{Stdout: &out, Commands: []*CmdletInfo{remove}})
	s.Run(context.Background(), `Remove-Conn x`, "")
	if out.String() != "removed x\n" {
		t.Errorf("non-interactive: %q", out.String())
	}
}

// TestRememberAnswers covers a confirmation asked again inside
// RememberAnswers (a store running a change's function again): the admin
// is asked once and the answer holds for the same question only, until it
// is forgotten.
func TestRememberAnswers(t *testing.T) {
	var asked []string
	answer := true
	remove := &CmdletInfo{
		Name: "Remove-Conn", SupportsShouldProcess: true, ConfirmImpact: "High",
		Params: []*ParamInfo{{Name: "Identity", Kind: KindString, Position: 0, FromPipeline: true}},
		Process: func(c *Call) error {
			id := c.String("Identity")
			desc := `Removing Receive connector "` + id + `".`
			forget := c.RememberAnswers()
			var got []bool
			for range 2 { // the first run, and the store's second
				got = append(got, c.ShouldProcessDescription(desc, id, "Removing Receive connector"))
				inner := c.RememberAnswers() // nested: changes nothing
				inner()
				got = append(got, c.ShouldProcess(id, "Remove"))
			}
			got = append(got, c.ShouldProcessDescription(`Removing Send connector "`+id+`".`, id, "Removing Send connector"))
			forget()
			got = append(got, c.ShouldProcessDescription(desc, id, "Removing Receive connector"))
			return c.WriteObject(fmt.Sprintf("%s %v", id, got))
		},
	}
	var out bytes.Buffer
	s := NewSession(Config{Stdout: &out, Commands: []*CmdletInfo{remove},
		Confirm: func(p string) bool { asked = append(asked, p); answer = !answer; return !answer }})
	s.Run(context.Background(), `'A', 'B' | Remove-Conn`, "")
	// Confirm answers yes, no, yes, ... in turn.
	want := "A [true false true false true false]\nB [true false true false true false]\n"
	if got := out.String(); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	wantAsked := []string{
		`Removing Receive connector "A".`, `Performing the operation "Remove" on target "A".`, `Removing Send connector "A".`, `Removing Receive connector "A".`,
		`Removing Receive connector "B".`, `Performing the operation "Remove" on target "B".`, `Removing Send connector "B".`, `Removing Receive connector "B".`,
	}
	if strings.Join(asked, "|") != strings.Join(wantAsked, "|") {
		t.Errorf("asked %q,\nwant %q", asked, wantAsked)
	}
}

// limitOutput records what reaches an Output and the enumeration limit it
// was given for each object.
type limitOutput struct {
	w     *bytes.Buffer
	limit int
}

func (o *limitOutput) SetEnumerationLimit(n int) { o.limit = n }
func (o *limitOutput) Write(v any) error {
	fmt.Fprintf(o.w, "[%d] %s\n", o.limit, object.ToString(v))
	return nil
}
func (o *limitOutput) Close() error { return nil }

// TestOutputContract checks that Out-Default, Out-Host and the top-level
// output use Config.NewOutput with $FormatEnumerationLimit, and that
// commands get the host writer in Call.Stdout.
func TestOutputContract(t *testing.T) {
	var out bytes.Buffer
	var stdoutSeen []bool
	probe := &CmdletInfo{Name: "Get-Probe", Process: func(c *Call) error {
		stdoutSeen = append(stdoutSeen, c.Stdout == io.Writer(&out) && c.Width == 100)
		return nil
	}}
	s := NewSession(Config{Stdout: &out, Width: 100, Commands: []*CmdletInfo{probe},
		NewOutput: func(w io.Writer, width int) Output { return &limitOutput{w: &out} }})
	s.Run(context.Background(), `'a'; $FormatEnumerationLimit = 2; 'b' | Out-Host; function f { Get-Probe }; Get-Probe; f; $FormatEnumerationLimit = -1; 'c' | Out-Default`, "")
	if got, want := out.String(), "[4] a\n[2] b\n[-1] c\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if len(stdoutSeen) != 2 || !stdoutSeen[0] || !stdoutSeen[1] {
		t.Errorf("Call.Stdout/Width not set: %v", stdoutSeen)
	}
}

// TestSetWidth checks that a width set between scripts reaches the next
// script's output and its commands' Call.Width (a resized terminal), and
// that 0 keeps the width.
func TestSetWidth(t *testing.T) {
	var out bytes.Buffer
	var seen []string
	probe := &CmdletInfo{Name: "Get-Probe", Process: func(c *Call) error {
		seen = append(seen, fmt.Sprintf("call %d", c.Width))
		return nil
	}}
	s := NewSession(Config{Stdout: &out, Commands: []*CmdletInfo{probe},
		NewOutput: func(w io.Writer, width int) Output {
			seen = append(seen, fmt.Sprintf("output %d", width))
			return &limitOutput{w: &out}
		}})
	check := func(width int) {
		t.Helper()
		seen = nil
		if err := s.Run(context.Background(), `function f { Get-Probe }; Get-Probe; f; 'x' | Out-Host`, ""); err != nil {
			t.Fatal(err)
		}
		w := fmt.Sprint(width)
		want := "output " + w + ", call " + w + ", call " + w + ", output " + w
		if got := strings.Join(seen, ", "); got != want || s.Width() != width {
			t.Errorf("Width() %d, saw %s; want %d, %s", s.Width(), got, width, want)
		}
	}
	check(120)
	s.SetWidth(80)
	check(80)
	s.SetWidth(0)
	check(80)
	s.SetWidth(200)
	check(200)
}

// TestTypedArraysAndDecimal covers [int[]] and the other typed array casts
// and constraints, and [decimal] with the d suffix.
func TestTypedArraysAndDecimal(t *testing.T) {
	checkRunTests(t, []runTest{
		{"([int[]](1,'2')).GetType().Name", "Int32[]\n"},
		{"$a = [int[]]('3', '1', '2'); $a[0] + $a[1] + $a[2]; $a.GetType().Name", "6\nInt32[]\n"},
		{"[int[]]$a = '1', '2'; $a.GetType().Name; $a += 3; $a.GetType().Name; ($a + 4).GetType().Name", "Int32[]\nInt32[]\nObject[]\n"},
		{"[int[]]$a = 1, 2; $a[0] = '7'; $a[0].GetType().Name", "Int32\n"},
		{"([string[]](1, 2)).GetType().FullName; [string[]](1, 2) -is [string[]]; @(1) -is [int[]]", "System.String[]\nTrue\nFalse\n"},
		{"([long[]]1).GetType().Name; ([double[]]'1.5')[0]", "Int64[]\n1.5\n"},
		{"(1.5d).GetType().FullName; 2.5d; (1.5d + 1).GetType().Name; 0.1d + 0.2d; ([decimal]'3').GetType().Name; 1.5d -is [decimal]", "System.Decimal\n2.5\nDecimal\n0.3\nDecimal\nTrue\n"},
		{"(0x1d).GetType().Name; 0x1d", "Int32\n29\n"},
		{"([pscustomobject]@{A = 1})[0].A; ([pscustomobject]@{A = 2})[-1].A", "1\n2\n"},
	})
}
