package interp

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
