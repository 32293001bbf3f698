package interp

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPipelines(t *testing.T) {
	checkRunTests(t, []runTest{
		{"1..5 | Where-Object { $_ % 2 } | ForEach-Object { $_ * 10 }", "10\n30\n50\n"},
		{"1..5 | ? { $_ -gt 3 }", "4\n5\n"},
		{"1..3 | % { $PSItem }", "1\n2\n3\n"},
		{"Get-Obj a, bb, ccc | Where-Object Length -gt 1 | % Name", "bb\nccc\n"},
		{"Get-Obj a, bb | Where Name -eq 'bb' | % Name", "bb\n"},
		{"Get-Obj a, bb | Where Name -like 'b*' | % Name", "bb\n"},
		{"Get-Obj a, bb | ? Name -Match '^a' | % Name", "a\n"},
		{"Get-Obj a, bb | ? Tags -Contains 'a2' | % Name", "a\n"},
		{"Get-Obj a, bb | ? Length | % Name", "a\nbb\n"},
		{"Get-Obj a, bb | ? Length -In 2, 3 | % Name", "bb\n"},
		{"Get-Obj a | ForEach-Object -MemberName Name", "a\n"},
		{"'a', 'b' | % ToUpper", "A\nB\n"},
		{"'a,b' | % Split ','", "a\nb\n"},
		{"1..3 | % -Begin { 'start' } -Process { $_ } -End { 'end' }", "start\n1\n2\n3\nend\n"},
		{"1..2 | % { 'b' } { $_ } { 'e' }", "b\n1\n2\ne\n"},
		{"$sum = 0; 1..4 | % { $sum += $_ }; $sum", "10\n"},
		{"% { 'no input' }", "no input\n"},
		{"1..10 | Select-First 2", "1\n2\n"},
		{"Select-First 0 | Count-Input", "0\n"},
		{"1..1000000 | Select-First 1", "1\n"},
		{"1..10 | % { $_ } | Select-First 3 | % { $_ * 2 }", "2\n4\n6\n"},
		{"& { 1; 2; 3 } | Select-First 2", "1\n2\n"},
		{"function gen { foreach ($i in 1..100000) { $i } }; gen | Select-First 1", "1\n"},
		{"1..5 | Count-Input", "5\n"},
		{"Count-Input", "0\n"},
		{"@() | Count-Input", "0\n"},
		{"$null | Count-Input", "1\n"},
		{",(1, 2) | Count-Input", "1\n"},
		{"(1, 2), 3 | Count-Input", "2\n"},
		{"Write-Output (1, 2) | Count-Input; Write-Output (1, 2) -NoEnumerate | Count-Input", "2\n1\n"},
		{"1, 2 | Write-Output", "1\n2\n"},
		{"echo a b", "a\nb\n"},
		{"1..3 | Out-Null; 'after'", "after\n"},
		{"$null = 1..3 | % { $_ }; [void](1 + 1); 'x'", "x\n"},
		{"$r = 1..3 | % { $_ }; $r.Count", "3\n"},
		{"$r = Get-Obj; $null -eq $r", "True\n"},
		{"(1..3 | % { $_ }).Count", "3\n"},
		{"Write-Host 'a' 'b'; Write-Host -NoNewline 'c'; Write-Host 'd' -ForegroundColor Red", "a b\ncd\n"},
		{"Write-Host (1, 2, 3) -Separator ','", "1,2,3\n"},
		{"'x' | Write-Host", "x\n"},
		{"Write-Warning 'careful'", "WARNING: careful\n"},
		{"Write-Warning 'careful' -WarningAction SilentlyContinue; 'x'", "x\n"},
		{"Write-Verbose 'v'; Write-Verbose 'shown' -Verbose", "VERBOSE: shown\n"},
		{"$VerbosePreference = 'Continue'; Write-Verbose 'pref'", "VERBOSE: pref\n"},
		{"Set-Variable -Name v -Value 5; $v; Get-Variable v -ValueOnly", "5\n5\n"},
		{"$v = 1; Remove-Variable v; $null -eq $v", "True\n"},
		{"New-Variable nv 3; $nv", "3\n"},
		{"Get-Obj a -OutVariable o | Out-Null; $o.Name; $o.Count", "a\n1\n"},
		{"Fail-Thing x -ErrorVariable ev 2>$null; $ev.Count; $ev[0].Exception.Message", "continued\n1\nThe operation couldn't be performed because object 'x' couldn't be found.\n"},
		{"Fail-Thing x -ErrorAction SilentlyContinue; $?; $Error.Count", "continued\nFalse\n1\n"},
		{"Fail-Thing x -EA Ignore; $Error.Count", "continued\n0\n"},
		{"Fail-Thing x 2>$null; $?", "continued\nFalse\n"},
		{"Get-Nope 2>$null; $?", "False\n"},
		{"Fail-Thing x 2>&1 | % { \"item: $_\" }", "item: The operation couldn't be performed because object 'x' couldn't be found.\nitem: continued\n"},
		{"'ok'; $?", "ok\nTrue\n"},
		{"$Error.Count; Get-Nope 2>$null; Fail-Thing y 2>$null; $Error[0].CategoryInfo.TargetName; $Error.Count", "0\ncontinued\ny\n2\n"},
		{"$ErrorActionPreference = 'SilentlyContinue'; Fail-Thing q; 'x'", "continued\nx\n"},
		{"$e = @{ Name = 'n'; Bindings = '0.0.0.0:25' }; New-Thing @e", "created n in ByName\n"},
		{"$a = @('splat'); New-Thing @a", "created splat in ByName\n"},
	})
}

func TestBinding(t *testing.T) {
	checkRunTests(t, []runTest{
		{"Get-Thing EX01\\Relay", "Identity=EX01\\Relay:String\n"},
		{"Get-Thing -Identity 'EX01\\Default Frontend'", "Identity=EX01\\Default Frontend:String\n"},
		{"Get-Thing -Iden x -Cou 3", "Identity=x:String Count=3:Int32\n"},
		{"Get-Thing -Count:5", "Count=5:Int32\n"},
		{"Get-Thing -Count '7'", "Count=7:Int32\n"},
		{"Get-Thing -Level verbose", "Level=Verbose:String\n"},
		{"Get-Thing -Size 36MB; Get-Thing -Size '36 MB (37,748,736 bytes)'; Get-Thing -Size unlimited; Get-Thing -Size 1.5GB", "Size=36 MB (37,748,736 bytes):ByteQuantifiedSize\nSize=36 MB (37,748,736 bytes):ByteQuantifiedSize\nSize=Unlimited:ByteQuantifiedSize\nSize=1.5 GB (1,610,612,736 bytes):ByteQuantifiedSize\n"},
		{"Get-Thing -Size 10MB | % { $_ }; Get-Thing -Size '512KB'", "Size=10 MB (10,485,760 bytes):ByteQuantifiedSize\nSize=512 KB (524,288 bytes):ByteQuantifiedSize\n"},
		{"Get-Thing -Timeout 2.00:00:00; Get-Thing -Timeout '00:05:00'", "Timeout=2.00:00:00:TimeSpan\nTimeout=00:05:00:TimeSpan\n"},
		{"Get-Thing -Enabled $false; Get-Thing -Enabled:$true; Get-Thing -Enabled 1", "Enabled=False:Boolean\nEnabled=True:Boolean\nEnabled=True:Boolean\n"},
		{"Get-Thing -Ranges 192.168.1.10-192.168.1.20,10.0.0.0/24", "Ranges=[192.168.1.10-192.168.1.20 10.0.0.0/24]\n"},
		{"Get-Thing -RemoteIPRanges 10.0.0.1", "Ranges=[10.0.0.1]\n"},
		{"Get-Thing -Ranges @{Add = '10.0.0.5'; Remove = '10.0.0.1', '10.0.0.2'}", "Ranges=Add=10.0.0.5;Remove=10.0.0.1 10.0.0.2\n"},
		{"Get-Thing -Flags tls, basicauth; Get-Thing -Flags 'Tls, Integrated'", "Flags=[Tls BasicAuth]\nFlags=[Tls Integrated]\n"},
		{"Get-Thing -Force; Get-Thing -Force:$false", "Force=True:Boolean\nForce=False:Boolean\n"},
		{"Get-Thing -When '2026-11-27 09:30'", "When=2026-11-27T09:30:00\n"},
		{"'a', 'b' | Get-Thing", "Identity=a:String\nIdentity=b:String\n"},
		{"Get-Obj a | Get-Thing", "Identity=@{Name=a; Length=1; Tags=a1 a2}:String\n"},
		{"[pscustomobject]@{Identity = 'p'; Count = 2} | Get-Thing", "Identity=p:String\n"},
		{"New-Thing x; New-Thing -Id 5", "created x in ByName\ncreated 5 in ById\n"},
		{"New-Thing x -WhatIf; 'after'", "What if: Performing the operation \"New thing\" on target \"x\".\nafter\n"},
		{"New-Thing x -Confirm:$false", "created x in ByName\n"},
		{"$WhatIfPreference = $true; New-Thing x", "What if: Performing the operation \"New thing\" on target \"x\".\n"},
		{"Get-Thing -Level Foo", "Get-Thing : Cannot bind parameter 'Level'. Cannot convert value \"Foo\" to type \"Microsoft.Exchange.Data.ProtocolLoggingLevel\". Error: \"Unable to match the identifier name Foo to a valid enumerator name. Specify one of the following enumerator names and try again:\nNone, Verbose\"\nAt line:1 char:18\n+ Get-Thing -Level Foo\n+                  ~~~\n    + CategoryInfo          : InvalidArgument: (:) [Get-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : CannotConvertArgumentNoMessage,Get-Thing\n"},
		{"Get-Thing -Foo 1", "Get-Thing : A parameter cannot be found that matches parameter name 'Foo'.\nAt line:1 char:11\n+ Get-Thing -Foo 1\n+           ~~~~\n    + CategoryInfo          : InvalidArgument: (:) [Get-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : NamedParameterNotFound,Get-Thing\n"},
		{"Get-Thing -F x", "Get-Thing : Parameter cannot be processed because the parameter name 'F' is ambiguous. Possible matches include: -Flags -Force.\nAt line:1 char:11\n+ Get-Thing -F x\n+           ~~\n    + CategoryInfo          : InvalidArgument: (:) [Get-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : AmbiguousParameter,Get-Thing\n"},
		{"Get-Thing -Count abc", "Get-Thing : Cannot bind parameter 'Count'. Cannot convert value \"abc\" to type \"System.Int32\". Error: \"Input string was not in a correct format.\"\nAt line:1 char:18\n+ Get-Thing -Count abc\n+                  ~~~\n    + CategoryInfo          : InvalidArgument: (:) [Get-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : CannotConvertArgumentNoMessage,Get-Thing\n"},
		{"Get-Thing -Count", "Get-Thing : Missing an argument for parameter 'Count'. Specify a parameter of type 'System.Int32' and try again.\nAt line:1 char:11\n+ Get-Thing -Count\n+           ~~~~~~\n    + CategoryInfo          : InvalidArgument: (:) [Get-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : MissingArgument,Get-Thing\n"},
		{"Get-Thing a b", "Get-Thing : A positional parameter cannot be found that accepts argument 'b'.\nAt line:1 char:13\n+ Get-Thing a b\n+             ~\n    + CategoryInfo          : InvalidArgument: (:) [Get-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : PositionalParameterNotFound,Get-Thing\n"},
		{"Get-Thing -Count 1 -Count 2", "Get-Thing : Cannot bind parameter because parameter 'Count' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\".\nAt line:1 char:20\n+ Get-Thing -Count 1 -Count 2\n+                    ~~~~~~\n    + CategoryInfo          : InvalidArgument: (:) [Get-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : ParameterAlreadyBound,Get-Thing\n"},
		{"New-Thing", "New-Thing : Cannot process command because of one or more missing mandatory parameters: Name.\nAt line:1 char:1\n+ New-Thing\n+ ~~~~~~~~~\n    + CategoryInfo          : InvalidArgument: (:) [New-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : MissingMandatoryParameter,New-Thing\n"},
		{"New-Thing -Name a -Id 1", "New-Thing : Parameter set cannot be resolved using the specified named parameters.\nAt line:1 char:1\n+ New-Thing -Name a -Id 1\n+ ~~~~~~~~~~~~~~~~~~~~~~~\n    + CategoryInfo          : InvalidArgument: (:) [New-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : AmbiguousParameterSet,New-Thing\n"},
		{"Get-Thing -Enabled yes", "Get-Thing : Cannot process argument transformation on parameter 'Enabled'. Cannot convert value \"System.String\" to type \"System.Boolean\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.\nAt line:1 char:20\n+ Get-Thing -Enabled yes\n+                    ~~~\n    + CategoryInfo          : InvalidData: (:) [Get-Thing], ParameterBindingArgumentTransformationException\n    + FullyQualifiedErrorId : ParameterArgumentTransformationError,Get-Thing\n"},
		{"Get-Thing -ErrorAction Bogus", "Get-Thing : Cannot bind parameter 'ErrorAction'. Cannot convert value \"Bogus\" to type \"System.Management.Automation.ActionPreference\". Error: \"Unable to match the identifier name Bogus to a valid enumerator name. Specify one of the following enumerator names and try again:\nSilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend\"\nAt line:1 char:24\n+ Get-Thing -ErrorAction Bogus\n+                        ~~~~~\n    + CategoryInfo          : InvalidArgument: (:) [Get-Thing], ParameterBindingException\n    + FullyQualifiedErrorId : CannotConvertArgumentNoMessage,Get-Thing\n"},
		{"Fail-Thing n", "continued\nFail-Thing : The operation couldn't be performed because object 'n' couldn't be found.\nAt line:1 char:1\n+ Fail-Thing n\n+ ~~~~~~~~~~~~\n    + CategoryInfo          : ObjectNotFound: (n:String) [Fail-Thing], ManagementObjectNotFoundException\n    + FullyQualifiedErrorId : ABC123,Fail-Thing\n"},
	})
}

func TestErrors(t *testing.T) {
	checkRunTests(t, []runTest{
		{"Get-Foo", "Get-Foo : The term 'Get-Foo' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\nAt line:1 char:1\n+ Get-Foo\n+ ~~~~~~~\n    + CategoryInfo          : ObjectNotFound: (Get-Foo:String) [], CommandNotFoundException\n    + FullyQualifiedErrorId : CommandNotFoundException\n"},
		{"'a'\nGet-Foo -x 1; 'b'", "a\nb\nGet-Foo : The term 'Get-Foo' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\nAt line:2 char:1\n+ Get-Foo -x 1; 'b'\n+ ~~~~~~~\n    + CategoryInfo          : ObjectNotFound: (Get-Foo:String) [], CommandNotFoundException\n    + FullyQualifiedErrorId : CommandNotFoundException\n"},
		{"throw 'boom'; 'after'", "boom\nAt line:1 char:1\n+ throw 'boom'; 'after'\n+ ~~~~~~~~~~~~\n    + CategoryInfo          : OperationStopped: (boom:String) [], RuntimeException\n    + FullyQualifiedErrorId : boom\n"},
		{"Write-Error 'bad'; 'after'", "after\nWrite-Error 'bad'; 'after' : bad\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException\n    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException\n"},
		{"function f { Write-Error 'inner' }\nf", "f : inner\nAt line:2 char:1\n+ f\n+ ~\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException\n    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException,f\n"},
		{"Write-Error 'e' -ErrorAction Stop; 'not reached'", "Write-Error 'e' -ErrorAction Stop; 'not reached' : e\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException\n    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException\n"},
		{"Fail-Thing x -Terminate; 'next'", "next\nFail-Thing : The operation couldn't be performed because object 'x' couldn't be found.\nAt line:1 char:1\n+ Fail-Thing x -Terminate; 'next'\n+ ~~~~~~~~~~~~~~~~~~~~~~~\n    + CategoryInfo          : ObjectNotFound: (x:String) [Fail-Thing], ManagementObjectNotFoundException\n    + FullyQualifiedErrorId : ABC123,Fail-Thing\n"},
		{"$ErrorActionPreference = 'Stop'; Fail-Thing x -Terminate; 'next'", "Fail-Thing : The operation couldn't be performed because object 'x' couldn't be found.\nAt line:1 char:34\n+ $ErrorActionPreference = 'Stop'; Fail-Thing x -Terminate; 'next'\n+                                  ~~~~~~~~~~~~~~~~~~~~~~~\n    + CategoryInfo          : ObjectNotFound: (x:String) [Fail-Thing], ManagementObjectNotFoundException\n    + FullyQualifiedErrorId : ABC123,Fail-Thing\n"},
		{"Fail-Thing x -ErrorAction Stop; 'next'", "Fail-Thing : The operation couldn't be performed because object 'x' couldn't be found.\nAt line:1 char:1\n+ Fail-Thing x -ErrorAction Stop; 'next'\n+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n    + CategoryInfo          : ObjectNotFound: (x:String) [Fail-Thing], ManagementObjectNotFoundException\n    + FullyQualifiedErrorId : ABC123,Fail-Thing\n"},
		{"if (", "At line:1 char:5\n+ if (\n+     ~\nMissing condition in if statement after 'if ('.\n    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException\n    + FullyQualifiedErrorId : IfStatementMissingCondition\n"},
		{"'a' | ", "At line:1 char:6\n+ 'a' | \n+      ~\nAn empty pipe element is not allowed.\n    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException\n    + FullyQualifiedErrorId : EmptyPipeElement\n"},
	})
}

// TestExitStatus checks the pwsh -Command exit status rule.
func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"'ok'", 0},
		{"Get-Nope", 1},
		{"Get-Nope; 'ok'", 0},
		{"'ok'; Fail-Thing x", 1},
		{"throw 'x'", 1},
		{"exit 7", 7},
		{"exit", 0},
		{"function f { exit 4 }; f; 'no'", 4},
		{"if (", 1},
	} {
		var out, errOut bytes.Buffer
		s := newTestSession(&out, &errOut)
		err := s.Run(context.Background(), tc.in, "")
		if got := s.ExitStatus(err); got != tc.want {
			t.Errorf("%s: exit status %d, want %d (err %v)", tc.in, got, tc.want, err)
		}
	}
}

func TestInvokeAndVariables(t *testing.T) {
	var out, errOut bytes.Buffer
	s := NewSession(Config{Stdout: &out, Stderr: &errOut, Variables: map[string]any{"Seed": 41}})
	got, err := s.Invoke(context.Background(), "$Seed + 1; 'two'")
	if err != nil || len(got) != 2 || got[0] != 42 || got[1] != "two" {
		t.Fatalf("Invoke = %v, %v", got, err)
	}
	if _, err := s.Invoke(context.Background(), "$kept = 'yes'"); err != nil {
		t.Fatal(err)
	}
	if v, ok := s.GetVar("kept"); !ok || v != "yes" {
		t.Errorf("GetVar(kept) = %v, %v", v, ok)
	}
	s.SetVar("fromGo", 3)
	got, _ = s.Invoke(context.Background(), "$fromGo * 2")
	if len(got) != 1 || got[0] != 6 {
		t.Errorf("SetVar: got %v", got)
	}
	if s.LookupCommand("WHERE") == nil || s.LookupCommand("%") == nil || s.LookupCommand("nope") != nil {
		t.Error("LookupCommand by alias failed")
	}
	s.Invoke(context.Background(), "function My-Func { 'f' }")
	if s.LookupCommand("my-func") == nil || len(s.Functions()) != 1 {
		t.Error("function not registered as a command")
	}
	if out.Len() != 0 {
		t.Errorf("Invoke printed %q", out.String())
	}
}

func TestCancel(t *testing.T) {
	var out, errOut bytes.Buffer
	s := newTestSession(&out, &errOut)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Run(ctx, "while ($true) { $i++ }", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("cancellation too slow")
	}
}

func TestScriptFilePositions(t *testing.T) {
	var out, errOut bytes.Buffer
	s := newTestSession(&out, &errOut)
	s.Run(context.Background(), "'x'\n  Get-Nope", "C:\\lab\\check.ps1")
	if !strings.Contains(errOut.String(), "At C:\\lab\\check.ps1:2 char:3\n") {
		t.Errorf("stderr: %q", errOut.String())
	}
}
