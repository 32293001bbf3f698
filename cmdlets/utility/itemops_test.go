package utility

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestItemScripts runs Get-Item, Copy-Item, Move-Item, Rename-Item and
// Get-Content -ReadCount in a real session, each case in a fresh tree.
func TestItemScripts(t *testing.T) {
	tests := []struct {
		name, script string
		want         string
		// errs, when set, must appear in the error output; otherwise
		// there must be none.
		errs []string
	}{
		// Get-Item
		{name: "get-item file", script: `$f = Get-Item notes.txt; $f.Name; $f.Length; $f.GetType().FullName; $f.PSIsContainer`,
			want: "notes.txt\n24\nSystem.IO.FileInfo\nFalse\n"},
		{name: "get-item dir", script: `$d = gi Logs\FrontEnd; $d.Name; $d.PSIsContainer; $d.Parent.Name; "$($d.Parent)"`,
			want: "FrontEnd\nTrue\nLogs\nLogs\n"},
		{name: "get-item wildcard", script: `Get-Item Logs/FrontEnd/ProtocolLog/SmtpReceive/*.log | ForEach-Object Name`,
			want: "RECV2026112709-1.LOG\nRECV2026112710-1.LOG\n"},
		{name: "get-item wildcard no match", script: `Get-Item nothing*; 'done'`, want: "done\n"},
		{name: "get-item dot", script: `(Get-Item .).FullName -eq (Get-Location).Path`, want: "True\n"},
		{name: "get-item missing", script: `Get-Item missing.txt`,
			errs: []string{"Cannot find path '", "missing.txt' because it does not exist.", "ObjectNotFound: (", "ItemNotFoundException", "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"}},
		{name: "get-item piped", script: `'notes.txt' | Get-Item | ForEach-Object BaseName`, want: "notes\n"},

		// FileInfo.Directory is a DirectoryInfo; DirectoryName stays a string.
		{name: "directory object", script: `$f = Get-Item Logs\FrontEnd\ProtocolLog\SmtpReceive\RECV2026112709-1.LOG
$f.Directory.Name
$f.Directory.Parent.Name
$f.Directory.Parent.Parent.Name
$f.Directory.GetType().FullName
$f.DirectoryName.GetType().FullName
$f.Directory.FullName -eq $f.DirectoryName
"$($f.Directory)" -eq $f.DirectoryName`,
			want: "SmtpReceive\nProtocolLog\nFrontEnd\nSystem.IO.DirectoryInfo\nSystem.String\nTrue\nTrue\n"},
		{name: "gci directory name", script: `Get-ChildItem Logs -Recurse -File | ForEach-Object { $_.Directory.Name }`, want: "SmtpReceive\nSmtpReceive\n"},
		{name: "group by directory", script: `Get-ChildItem Logs -Recurse -File | Group-Object { $_.Directory.Name } | Sort-Object Name | ForEach-Object { '{0}={1}' -f $_.Name, $_.Count }`,
			want: "SmtpReceive=2\n"},

		{name: "directory shown as path", script: `(Get-Item notes.txt | Select-Object Directory | ConvertTo-Csv -NoTypeInformation)[1] -eq ('"' + (Get-Location).Path + '"')`, want: "True\n"},

		// Get-Content -ReadCount
		{name: "readcount 0 empty file", script: `Set-Content empty.txt -Value @() ; (Get-Content empty.txt -ReadCount 0 | Measure-Object).Count`, want: "0\n"},
		{name: "readcount 0", script: `(Get-Content notes.txt -ReadCount 0 | Measure-Object).Count; $a = Get-Content notes.txt -ReadCount 0; $a.Count; $a[0]; Get-Content notes.txt -ReadCount 0 | ForEach-Object { $_.Count }`, want: "1\n5\none\n5\n"},
		{name: "readcount default", script: `(Get-Content notes.txt | Measure-Object).Count`, want: "5\n"},
		{name: "readcount 2", script: `Get-Content notes.txt -ReadCount 2 | ForEach-Object { $_.Count }`, want: "2\n2\n1\n"},
		{name: "readcount 2 join", script: `Get-Content notes.txt -ReadCount 2 | ForEach-Object { $_ -join '+' }`, want: "one+two\nthree+four\nfive\n"},
		{name: "readcount 0 per file", script: `(Get-Content Logs\FrontEnd\ProtocolLog\SmtpReceive\*.LOG -ReadCount 0 | Measure-Object).Count`, want: "2\n"},
		{name: "readcount with totalcount", script: `(Get-Content notes.txt -ReadCount 0 -TotalCount 3) -join ','`, want: "one,two,three\n"},

		// Copy-Item
		{name: "copy file", script: `Copy-Item notes.txt copy.txt; (Get-Content copy.txt).Count; Test-Path notes.txt`, want: "5\nTrue\n"},
		{name: "copy into dir", script: `New-Item -ItemType Directory out | Out-Null; cp notes.txt out; Test-Path out\notes.txt`, want: "True\n"},
		{name: "copy overwrites", script: `Set-Content old.txt 'x'; copy notes.txt old.txt; (Get-Content old.txt)[0]`, want: "one\n"},
		{name: "copy wildcard", script: `New-Item -ItemType Directory ev | Out-Null; cpi Logs/*/*/SmtpReceive/*.LOG ev; (Get-ChildItem ev).Count`, want: "2\n"},
		{name: "copy passthru", script: `Copy-Item notes.txt n2.txt -PassThru | ForEach-Object { $_.Name; $_.GetType().Name }`, want: "n2.txt\nFileInfo\n"},
		{name: "copy dir without recurse", script: `Copy-Item Logs L2; Test-Path L2; (Get-ChildItem L2).Count`, want: "True\n0\n"},
		{name: "copy dir recurse", script: `Copy-Item Logs L2 -Recurse; (Get-ChildItem L2 -Recurse -File).Count; Copy-Item Logs L2 -Recurse; Test-Path L2\Logs\FrontEnd`, want: "2\nTrue\n"},
		{name: "copy recurse filter", script: `Copy-Item Logs L3 -Recurse -Filter *10-1.LOG; Get-ChildItem L3 -Recurse -File | ForEach-Object Name`, want: "RECV2026112710-1.LOG\n"},
		{name: "copy whatif", script: `Copy-Item notes.txt w.txt -WhatIf; Test-Path w.txt`,
			want: "What if: Performing the operation \"Copy File\" on target \"Item: <root>/notes.txt Destination: <root>/w.txt\".\nFalse\n"},
		{name: "copy missing", script: `Copy-Item nope.txt x.txt`,
			errs: []string{"Cannot find path '", "nope.txt' because it does not exist.", "[Copy-Item], ItemNotFoundException", "PathNotFound,Microsoft.PowerShell.Commands.CopyItemCommand"}},
		{name: "copy onto itself", script: `Copy-Item notes.txt notes.txt`,
			errs: []string{"Cannot overwrite the item ", "notes.txt with itself.", "CopyError,Microsoft.PowerShell.Commands.CopyItemCommand"}},
		{name: "copy to missing dir", script: `Copy-Item notes.txt nodir\x.txt`,
			errs: []string{"Could not find a part of the path '", "DirectoryNotFoundException"}},
		{name: "copy keeps mtime", script: `Copy-Item notes.txt k.txt; (Get-Item k.txt).LastWriteTime -eq (Get-Item notes.txt).LastWriteTime`, want: "True\n"},

		{name: "copy dir onto file", script: `Copy-Item Logs notes.txt -Recurse`,
			errs: []string{"An item with the specified name ", "notes.txt already exists."}},

		// Move-Item
		{name: "move rename", script: `Move-Item notes.txt moved.txt; Test-Path notes.txt; (Get-Content moved.txt).Count`, want: "False\n5\n"},
		{name: "move into dir", script: `New-Item -ItemType Directory arc | Out-Null; mv notes.txt arc; Test-Path arc/notes.txt`, want: "True\n"},
		{name: "move dir", script: `mi Logs Logs2 -PassThru | ForEach-Object Name; (Get-ChildItem Logs2 -Recurse -File).Count`, want: "Logs2\n2\n"},
		{name: "move exists", script: `Set-Content b.txt 'b'; Move-Item notes.txt b.txt; Test-Path notes.txt`, want: "True\n",
			errs: []string{"Cannot create a file when that file already exists.", "MoveFileInfoItemIOError,Microsoft.PowerShell.Commands.MoveItemCommand"}},
		{name: "move force", script: `Set-Content b.txt 'b'; Move-Item notes.txt b.txt -Force; (Get-Content b.txt).Count`, want: "5\n"},
		{name: "move whatif", script: `move notes.txt z.txt -WhatIf; Test-Path notes.txt`,
			want: "What if: Performing the operation \"Move File\" on target \"Item: <root>/notes.txt Destination: <root>/z.txt\".\nTrue\n"},
		{name: "move missing", script: `Move-Item nope.txt x.txt`,
			errs: []string{"nope.txt' because it does not exist.", "PathNotFound,Microsoft.PowerShell.Commands.MoveItemCommand"}},
		{name: "move into itself", script: `Move-Item Logs Logs\FrontEnd`,
			errs: []string{"Destination path cannot be a subdirectory of the source"}},

		// Rename-Item
		{name: "rename", script: `Rename-Item notes.txt n.txt; Test-Path n.txt; Test-Path notes.txt`, want: "True\nFalse\n"},
		{name: "rename passthru", script: `ren Logs Journals -PassThru | ForEach-Object { $_.Name }`, want: "Journals\n"},
		{name: "rename scriptblock", script: `Get-ChildItem Logs -Recurse -File | Rename-Item -NewName { $_.Name -replace '\.LOG$','.txt' }; Get-ChildItem Logs -Recurse -File | ForEach-Object Name`,
			want: "RECV2026112709-1.txt\nRECV2026112710-1.txt\n"},
		{name: "rename same-dir path", script: `rni notes.txt .\n3.txt; Test-Path n3.txt`, want: "True\n"},
		{name: "rename other dir", script: `Rename-Item notes.txt Logs\n.txt; Test-Path notes.txt`, want: "True\n",
			errs: []string{"Cannot rename the specified target, because it represents a path or device name.", "Argument,Microsoft.PowerShell.Commands.RenameItemCommand"}},
		{name: "rename missing", script: `Rename-Item nope.txt x.txt`,
			errs: []string{"Cannot rename because item at 'nope.txt' does not exist.", "PSInvalidOperationException", "InvalidOperation,Microsoft.PowerShell.Commands.RenameItemCommand"}},
		{name: "rename exists", script: `Set-Content b.txt 'b'; Rename-Item notes.txt b.txt`,
			errs: []string{"Cannot create a file when that file already exists.", "RenameItemIOError,Microsoft.PowerShell.Commands.RenameItemCommand"}},
		{name: "rename whatif", script: `Rename-Item notes.txt r.txt -WhatIf; Test-Path notes.txt`,
			want: "What if: Performing the operation \"Rename File\" on target \"Item: <root>/notes.txt Destination: <root>/r.txt\".\nTrue\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := fileTree(t)
			got, errs := runScript(t, root, tc.script)
			got = strings.ReplaceAll(got, root, "<root>")
			if got != tc.want {
				t.Errorf("%s\ngot  %q\nwant %q\nstderr: %s", tc.script, got, tc.want, errs)
			}
			if len(tc.errs) == 0 && errs != "" {
				t.Errorf("%s\nunexpected stderr: %s", tc.script, errs)
			}
			for _, e := range tc.errs {
				if !strings.Contains(errs, e) {
					t.Errorf("%s\nstderr lacks %q:\n%s", tc.script, e, errs)
				}
			}
		})
	}
}

// TestGetItemTable checks that Get-Item's objects format in the FileSystem
// view, grouped under "Directory: <path>", as Get-ChildItem's do.
func TestGetItemTable(t *testing.T) {
	root := fileTree(t)
	got, errs := runScript(t, root, `Get-Item notes.txt; Get-ChildItem Logs\FrontEnd`)
	if errs != "" {
		t.Fatalf("stderr: %s", errs)
	}
	got = strings.ReplaceAll(got, root, "<root>")
	for _, want := range []string{"    Directory: <root>\n", "    Directory: <root>" + string(os.PathSeparator) + filepath.Join("Logs", "FrontEnd") + "\n", "notes.txt", "ProtocolLog", "Mode", "LastWriteTime"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestDirectoryAtRoot checks that the Parent chain ends with $null at the
// root instead of looping.
func TestDirectoryAtRoot(t *testing.T) {
	got, errs := runScript(t, "", `$d = Get-Item /; $null -eq $d.Parent; (Get-Item /tmp).Parent.Name`)
	if got != "True\n/\n" {
		t.Errorf("got %q, stderr %s", got, errs)
	}
}
