package utility

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"exsh/shell/format"
	"exsh/shell/interp"
)

// runScript runs a script in a real session with these cmdlets and the
// format package as Out-Default, and returns what it printed.
func runScript(t *testing.T, dir, script string) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	s := interp.NewSession(interp.Config{
		Stdout:    &stdout,
		Stderr:    &stderr,
		Width:     120,
		Commands:  Cmdlets(),
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
	})
	if dir != "" {
		SetLocation(s, dir)
	}
	_ = s.Run(context.Background(), script, "test.ps1")
	return stdout.String(), stderr.String()
}

func TestScripts(t *testing.T) {
	root := fileTree(t)
	tests := []struct {
		name, script string
		want         string
	}{
		{"select first", `1..5 | Select-Object -First 2`, "1\n2\n"},
		{"select last skip", `1..10 | Select-Object -Last 3 -Skip 1`, "7\n8\n9\n"},
		{"sort descending", `3,1,2 | Sort-Object -Descending`, "3\n2\n1\n"},
		{"calculated property", `[pscustomobject]@{Name='a';N=2} | Select-Object Name, @{n='Double';e={$_.N * 2}} | Format-Table -AutoSize | Out-String`,
			"\nName Double\n---- ------\na         4\n\n\n\n"},
		{"sort script block", `'ccc','a','bb' | Sort-Object { $_.Length } | ForEach-Object { $_ }`, "a\nbb\nccc\n"},
		{"group count", `'a','b','a' | Group-Object -NoElement | Sort-Object Count -Descending | Select-Object -First 1 -ExpandProperty Name`, "a\n"},
		{"measure sum", `(1..4 | Measure-Object -Sum).Sum`, "10\n"},
		{"gci sort ft", `Get-ChildItem Logs\FrontEnd\ProtocolLog\SmtpReceive | Sort-Object Name -Descending | Format-Table Name,Length`,
			"\nName                 Length\n----                 ------\nRECV2026112710-1.LOG     97\nRECV2026112709-1.LOG    189\n\n\n"},
		{"get-content tail", `Get-Content notes.txt -Tail 1`, "five\n"},
		{"select-string", `Select-String -Path notes.txt -Pattern 'thr'`, "\nnotes.txt:3:three\n\n\n"},
		{"csv roundtrip", `[pscustomobject]@{A=1;B='x'} | ConvertTo-Csv -NoTypeInformation`, "\"A\",\"B\"\n\"1\",\"x\"\n"},
		{"json", `@{a=1} | ConvertTo-Json -Compress`, "{\"a\":1}\n"},
		{"json from", `('{"Name":"EX01","Ports":[25,587]}' | ConvertFrom-Json).Ports[1]`, "587\n"},
		{"date format", `Get-Date -Date '2026-11-27 09:05:07' -Format 'yyyy-MM-dd HH:mm'`, "2026-11-27 09:05\n"},
		{"location", `Set-Location Logs; (Get-Location).Path -replace '.*[/\\]',''`, "Logs\n"},
		{"pwd follows set-location", `function f { cd Logs }; f; "$PWD" -replace '.*[/\\]',''; $PWD.Path -replace '.*[/\\]',''; $PWD.GetType().Name`, "Logs\nLogs\nPathInfo\n"},
		{"enumeration limit", `$FormatEnumerationLimit = 2; [pscustomobject]@{L = 1..6}`, "\nL        \n-        \n{1, 2...}\n\n\n"},
		{"ft out-host", `[pscustomobject]@{A = 1} | Format-Table | Out-Host; 'after'`, "\nA\n-\n1\n\n\nafter\n"},
		{"test-path", `Test-Path notes.txt; Test-Path nope.txt`, "True\nFalse\n"},
		{"gci pipe gc", `Get-ChildItem notes.txt | Get-Content -TotalCount 1`, "one\n"},
		{"gci pipe sls", `Get-ChildItem Logs -Recurse -Filter *.LOG | Select-String '5.7.54' | ForEach-Object { $_.LineNumber }`, "4\n"},
		{"sls quiet", `if (Get-Content notes.txt | Select-String -Quiet five) { 'yes' }`, "yes\n"},
		{"help parameter", `(Get-Help Select-Object -Parameter First) -match 'Position\?\s+named'`, "True\n"},
		{"gcm alias", `(Get-Command ft).Definition`, "Format-Table\n"},
		{"format list", `[pscustomobject]@{Name='EX01';Count=2} | Format-List`, "\n\nName  : EX01\nCount : 2\n\n\n\n"},
		{"list default", `[pscustomobject]@{A=1;B=2;C=3;D=4;E=5}`, "\n\nA : 1\nB : 2\nC : 3\nD : 4\nE : 5\n\n\n\n"},
		{"import csv where", `[pscustomobject]@{N='a';V=1},[pscustomobject]@{N='b';V=2} | Export-Csv x.csv -NoTypeInformation; Import-Csv x.csv | Where-Object { $_.V -eq '2' } | ForEach-Object { $_.N }`, "b\n"},
		{"json depth", `[pscustomobject]@{A=[pscustomobject]@{B=1}} | ConvertTo-Json`, "{\n    \"A\":  {\n              \"B\":  1\n          }\n}\n"},
		{"new timespan", `(New-TimeSpan -Minutes 90).TotalHours`, "1.5\n"},
		{"credential", `$c = Get-Credential -UserName u -Password (ConvertTo-SecureString 'p' -AsPlainText -Force); $c.UserName`, "u\n"},
		{"measure words", `'a b','c' | Measure-Object -Word | ForEach-Object Words`, "3\n"},
		{"get-member", `'x' | Get-Member -Name Length | ForEach-Object Definition`, "int Length {get;}\n"},
		{"first then measure", `(1..100 | Select-Object -First 2 | Measure-Object).Count`, "2\n"},
		{"get-date display", `Get-Date -Date '2026-11-27 09:05:07'`, "\nFriday, November 27, 2026 9:05:07 AM\n\n\n"},
		{"out-string stream", `[pscustomobject]@{A=1} | Out-String -Stream | Where-Object { $_ -match '^\d' }`, "1\n"},
		{"tee variable", `1,2 | Tee-Object -Variable t | Out-Null; $t.Count`, "2\n"},
		{"compare", `Compare-Object a,b b,c | ForEach-Object { $_.InputObject + $_.SideIndicator }`, "c=>\na<=\n"},
		{"new-object", `(New-Object PSObject -Property @{Name='EX01'}).Name`, "EX01\n"},
		{"select index", `'a','b','c','d' | Select-Object -Index 1,3`, "b\nd\n"},
		{"get-random range", `$r = Get-Random -Minimum 5 -Maximum 6; $r`, "5\n"},
		{"get-random pick", `(1..10 | Get-Random -Count 3 | Measure-Object).Count`, "3\n"},
		{"measure-command", `(Measure-Command { Start-Sleep -Milliseconds 20 }).TotalMilliseconds -ge 20`, "True\n"},
		{"path by value", `'Logs' | Get-ChildItem | ForEach-Object Name`, "FrontEnd\n"},
		{"join-path", `Join-Path 'a\b' 'c\d.txt'`, "a/b/c/d.txt\n"},
		{"split-path", `Split-Path 'C:\Logs\RECV1.LOG' -Leaf; Split-Path 'C:\Logs\RECV1.LOG'; Split-Path /x/y.LOG -LeafBase`, "RECV1.LOG\nC:\\Logs\ny\n"},
		{"new and remove item", `$d = New-Item -ItemType Directory exports; New-Item exports\a.txt -Value hi | Out-Null; Get-Content exports\a.txt; Remove-Item exports -WhatIf; Test-Path exports; Remove-Item exports -Recurse; Test-Path exports`, "hi\nTrue\nFalse\n"},
		{"remove needs recurse", `New-Item -ItemType Directory d2 | Out-Null; New-Item d2/x -Value 1 | Out-Null; Remove-Item d2 -ErrorAction SilentlyContinue; Test-Path d2`, "True\n"},
		{"resolve-path", `(Resolve-Path Logs\*\ProtocolLog -Relative)`, "./Logs/FrontEnd/ProtocolLog\n"},
		{"default table", `[pscustomobject]@{Name='a';Count=1},[pscustomobject]@{Name='bb';Count=22}`,
			"\nName Count\n---- -----\na        1\nbb      22\n\n\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := runScript(t, root, tc.script)
			if got != tc.want {
				t.Errorf("%s\ngot  %q\nwant %q\nstderr: %s", tc.script, got, tc.want, errs)
			}
		})
	}
}

func TestScriptErrors(t *testing.T) {
	root := fileTree(t)
	_, errs := runScript(t, root, `Get-Content missing.txt`)
	if !strings.Contains(errs, "Cannot find path") {
		t.Errorf("stderr: %q", errs)
	}
}

// TestTranscript runs an admin-style script and compares everything it
// printed with a golden transcript.
func TestTranscript(t *testing.T) {
	root := fileTree(t)
	script := `
$queues = @(
    [pscustomobject]@{Identity='EX01\Submission'; DeliveryType='Undefined'; Status='Ready'; MessageCount=0}
    [pscustomobject]@{Identity='EX01\Unreachable'; DeliveryType='Unreachable'; Status='Ready'; MessageCount=3}
    [pscustomobject]@{Identity='EX01\1'; DeliveryType='SmtpDeliveryToMailbox'; Status='Retry'; MessageCount=12}
)
$queues | Sort-Object MessageCount -Descending | Format-Table Identity, Status, MessageCount -AutoSize
$queues | Group-Object Status
$queues | Measure-Object MessageCount -Sum -Maximum
$queues[2] | Format-List *
Get-ChildItem Logs -Recurse -File | Select-Object Name, Length
Select-String -Path Logs\FrontEnd\ProtocolLog\SmtpReceive\*.LOG -Pattern '5\.7\.54'
$queues | ConvertTo-Json -Compress
$queues[0] | Get-Member -MemberType NoteProperty
`
	out, errs := runScript(t, root, script)
	if errs != "" {
		t.Errorf("stderr:\n%s", errs)
	}
	checkGolden(t, "transcript", strings.ReplaceAll(out, root, "<root>"))
}
