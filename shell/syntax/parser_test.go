package syntax

import (
	"reflect"
	"strings"
	"testing"
)

// sameTree reports whether two trees are equal, ignoring positions and
// the source text kept for script blocks.
func sameTree(a, b any) bool {
	return equalNodes(reflect.ValueOf(a), reflect.ValueOf(b))
}

func equalNodes(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNodes(a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type() != b.Type() {
			return false
		}
		for i := 0; i < a.NumField(); i++ {
			f := a.Type().Field(i)
			if f.Type == spanType || (a.Type() == reflect.TypeOf(ScriptBlockExpr{}) && f.Name == "Text") {
				continue
			}
			if !equalNodes(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !equalNodes(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// parseTests are sources that must parse; several spellings of one
// program must give the same tree, and printsAs is the canonical form.
var parseTests = []struct {
	srcs     []string
	printsAs string
}{
	{[]string{"Get-ReceiveConnector", "  Get-ReceiveConnector  ", "Get-ReceiveConnector;"}, "Get-ReceiveConnector"},
	{[]string{"Get-ReceiveConnector -Identity EX01\\Relay", "Get-ReceiveConnector  -Identity   EX01\\Relay"}, "Get-ReceiveConnector -Identity EX01\\Relay"},
	{[]string{"Set-X -Bindings 0.0.0.0:25", "Set-X `\n  -Bindings 0.0.0.0:25"}, "Set-X -Bindings 0.0.0.0:25"},
	{[]string{"Set-X -R 192.168.1.10-192.168.1.20,10.0.0.0/24", "Set-X -R 192.168.1.10-192.168.1.20, 10.0.0.0/24"}, "Set-X -R 192.168.1.10-192.168.1.20,10.0.0.0/24"},
	{[]string{"Set-X -MaxMessageSize 36MB"}, "Set-X -MaxMessageSize 36MB"},
	{[]string{"Set-X -Enabled:$false", "Set-X -Enabled: $false"}, "Set-X -Enabled:$false"},
	{[]string{"a | b | c", "a|b|c", "a |\n b |\n c"}, "a | b | c"},
	{[]string{"$x = 1 + 2 * 3", "$x=1+2*3", "$x =\n 1 +\n 2 * 3"}, "$x = 1 + 2 * 3"},
	{[]string{"$a -eq 1 -and $b -ne 2", "$a -EQ 1 -AND $b -NE 2"}, "$a -eq 1 -and $b -ne 2"},
	{[]string{"1..10", "1 .. 10"}, "1 .. 10"},
	{[]string{"$h = @{a = 1; b = 'x'}", "$h = @{\n a = 1\n b = 'x'\n}", "$h = @{a=1;b='x';}"}, "$h = @{a = 1; b = 'x'}"},
	{[]string{"$x.Name"}, "$x.Name"},
	{[]string{"$x.Foo(1, 2).Bar", "$x.Foo( 1 ,\n 2 ).Bar"}, "$x.Foo(1, 2).Bar"},
	{[]string{"[int]::MaxValue"}, "[int]::MaxValue"},
	{[]string{"[int]$x", "[int] $x"}, "[int]$x"},
	{[]string{"if ($a) { 1 } elseif ($b) { 2 } else { 3 }", "if ($a) {1}\nelseif ($b) {2}\nelse {3}"}, "if ($a) {\n    1\n} elseif ($b) {\n    2\n} else {\n    3\n}"},
	{[]string{"foreach ($i in 1..3) { $i }", "foreach($i in 1..3){$i}"}, "foreach ($i in 1 .. 3) {\n    $i\n}"},
	{[]string{"for ($i = 0; $i -lt 3; $i++) { }", "for($i=0;$i -lt 3;$i++){}"}, "for ($i = 0; $i -lt 3; $i++) {\n}"},
	{[]string{"while ($true) { break }"}, "while ($true) {\n    break\n}"},
	{[]string{"do { 1 } until ($x)", "do {1}\nuntil ($x)"}, "do {\n    1\n} until ($x)"},
	{[]string{"switch -regex ($x) { 'a' { 1 } default { 2 } }"}, "switch -regex ($x) {\n    'a' {\n        1\n    }\n    default {\n        2\n    }\n}"},
	{[]string{"function f($a, $b = 2) { $a }", "function f ($a,$b=2) {$a}"}, "function f($a, $b = 2) {\n    $a\n}"},
	{[]string{"function f { [CmdletBinding()] param([Parameter(Mandatory)][string]$n) }"}, "function f {\n    [CmdletBinding()]\n    param([Parameter(Mandatory)][string]$n)\n}"},
	{[]string{"try { 1 } catch [System.Exception] { 2 } finally { 3 }"}, "try {\n    1\n} catch [System.Exception] {\n    2\n} finally {\n    3\n}"},
	{[]string{"throw 'x'", "throw   'x'"}, "throw 'x'"},
	{[]string{"'a' # comment", "<# block #> 'a'", "'a' <# c #>"}, "'a'"},
	{[]string{"$x++"}, "$x++"},
	{[]string{"-not $a", "-NOT $a"}, "-not $a"},
	{[]string{"!$a"}, "!$a"},
	{[]string{"@(1, 2)", "@(1,2)"}, "@(1, 2)"},
	{[]string{"$(1; 2)", "$(1\n2)"}, "$(1; 2)"},
	{[]string{"& $sb 1"}, "& $sb 1"},
	{[]string{"Get-X 2>$null", "Get-X 2> $null"}, "Get-X 2>$null"},
	{[]string{"Get-X > out.txt"}, "Get-X >out.txt"},
	{[]string{"Get-X 2>&1 | Y"}, "Get-X 2>&1 | Y"},
	{[]string{"%{ $_ }", "% { $_ }"}, "% {\n    $_\n}"},
	{[]string{":outer foreach ($a in $b) { continue outer }"}, ":outer foreach ($a in $b) {\n    continue outer\n}"},
	{[]string{"$a, $b = 1, 2"}, "$a, $b = 1, 2"},
	{[]string{"[pscustomobject]@{a = 1}"}, "[pscustomobject]@{a = 1}"},
	{[]string{"\"a $x $($y.Name) ${z}\""}, "\"a $x $($y.Name) ${z}\""},
	{[]string{"Get-X -Name \"EX01\\$name\""}, "Get-X -Name \"EX01\\$name\""},
	{[]string{"Get-X EX01\\$name"}, "Get-X EX01\\$name"},
	{[]string{"0x1F + 1.5e3 + 10KB"}, "0x1F + 1.5e3 + 10KB"},
	{[]string{"$env:PATH; $global:x; ${my var}"}, "$env:PATH\n$global:x\n${my var}"},
	{[]string{"@splat"}, "@splat"},
	{[]string{"Get-X @params -Force"}, "Get-X @params -Force"},
	{[]string{"1, 2 + 3"}, "1, 2 + 3"},
	{[]string{"-split 'a b'", "-split'a b'"}, "-split 'a b'"},
	{[]string{"$x = & { 1 }"}, "$x = & {\n    1\n}"},
	{[]string{"filter f { $_ }"}, "filter f {\n    $_\n}"},
	{[]string{"$x[0][1]", "$x[0][1]"}, "$x[0][1]"},
	{[]string{"$x.'a b'"}, "$x.'a b'"},
	{[]string{"Write-Host(\"a\")"}, "Write-Host (\"a\")"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTests {
		var first *ScriptBlock
		for _, src := range tc.srcs {
			sb, err := Parse(src, "")
			if err != nil {
				t.Errorf("Parse(%q): %v", src, err)
				continue
			}
			if first == nil {
				first = sb
			} else if !sameTree(first, sb) {
				t.Errorf("%q and %q parse differently:\n%s\n%s", tc.srcs[0], src, Print(first), Print(sb))
			}
		}
		if first == nil {
			continue
		}
		if got := Print(first); got != tc.printsAs {
			t.Errorf("Print(%q) = %q, want %q", tc.srcs[0], got, tc.printsAs)
		}
		again, err := Parse(Print(first), "")
		if err != nil || !sameTree(first, again) {
			t.Errorf("%q does not round-trip: %v", tc.srcs[0], err)
		}
	}
}

func TestArgumentMode(t *testing.T) {
	sb, err := Parse("New-ReceiveConnector -Name 'Relay' -Bindings 0.0.0.0:25 -RemoteIPRanges 192.168.1.10-192.168.1.20,10.0.0.0/24 -MaxMessageSize 36MB -Port -1 2+2", "")
	if err != nil {
		t.Fatal(err)
	}
	cmd := sb.Body[0].(*Pipeline).Elems[0].(*Command)
	if n := cmd.Name.(*StringLit); n.Value != "New-ReceiveConnector" || !n.Bare {
		t.Errorf("name = %#v", n)
	}
	wantKinds := []string{"-Name", "'Relay'", "-Bindings", "0.0.0.0:25", "-RemoteIPRanges", "array", "-MaxMessageSize", "37748736", "-Port", "-1", "2+2"}
	if len(cmd.Args) != len(wantKinds) {
		t.Fatalf("%d args, want %d", len(cmd.Args), len(wantKinds))
	}
	for i, a := range cmd.Args {
		var got string
		switch a := a.(type) {
		case *ParamArg:
			got = "-" + a.Name
		case *ArgExpr:
			switch x := a.X.(type) {
			case *StringLit:
				got = x.Raw
			case *NumberLit:
				got = fmtInt(x.Value.(int))
			case *ArrayLit:
				got = "array"
			case *ExpandString:
				got = x.Raw
			}
		}
		if got != wantKinds[i] {
			t.Errorf("arg %d = %q, want %q", i, got, wantKinds[i])
		}
	}
}

func fmtInt(n int) string {
	if n < 0 {
		return "-" + fmtInt(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return fmtInt(n/10) + string(rune('0'+n%10))
}

func TestPositions(t *testing.T) {
	sb, err := Parse("'a'\n  Get-X -Y 1 | Z", "f.ps1")
	if err != nil {
		t.Fatal(err)
	}
	pl := sb.Body[1].(*Pipeline)
	cmd := pl.Elems[0].(*Command)
	if p := cmd.Pos(); p.Line != 2 || p.Col != 3 || p.Offset != 6 {
		t.Errorf("command at %+v", p)
	}
	if e := cmd.End(); e.Line != 2 || e.Col != 13 {
		t.Errorf("command ends at %+v", e)
	}
	if p := pl.Elems[1].Pos(); p.Col != 16 {
		t.Errorf("second element at %+v", p)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		src        string
		msg        string
		line, col  int
		incomplete bool
	}{
		{"if ($a) { 1", "Missing closing '}' in statement block or type definition.", 1, 9, true},
		{"function f {", "Missing closing '}' in statement block or type definition.", 1, 12, true},
		{"$x = (1 + 2", "Missing closing ')' in expression.", 1, 12, true},
		{"'abc", "The string is missing the terminator: '.", 1, 5, true},
		{"\"abc", "The string is missing the terminator: \".", 1, 5, true},
		{"@'\nabc", "The string is missing the terminator: '@.", 2, 4, true},
		{"Get-X |", "An empty pipe element is not allowed.", 1, 8, true},
		{"Get-X `", "Missing character after the escape character '`'.", 1, 8, true},
		{"Get-X | | Y", "An empty pipe element is not allowed.", 1, 7, false},
		{"$x = -", "Missing expression after unary operator '-'.", 1, 7, true},
		{"1 +", "You must provide a value expression following the '+' operator.", 1, 4, true},
		{"1 + )", "You must provide a value expression following the '+' operator.", 1, 5, false},
		{"$x = 1 x", "Unexpected token 'x' in expression or statement.", 1, 8, false},
		{"1 -foo 2", "Unexpected token '-foo' in expression or statement.", 1, 3, false},
		{"}", "Unexpected token '}' in expression or statement.", 1, 1, false},
		{"$h = @{ a }", "Missing '=' operator after key in hash literal.", 1, 11, false},
		{"$h = @{ a = 1", "The hash literal was incomplete.", 1, 14, true},
		{"foreach ($x) {}", "Missing 'in' after variable in foreach loop.", 1, 12, false},
		{"try { 1 }", "The Try statement is missing its Catch or Finally block.", 1, 10, true},
		{"$a[", "Array index expression is missing or not valid.", 1, 4, true},
		{"[int", "Missing ] at end of type token.", 1, 5, true},
		{"1 = 2", "The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.", 1, 1, false},
		{"do { }", "Missing while or until keyword in do loop.", 1, 7, true},
		{"$x.", "Missing property name after reference operator.", 1, 4, true},
		{"$x.Foo(1,", "Missing ')' in method call.", 1, 10, true},
		{"<# open", "Missing the terminator '#>' for the block comment.", 1, 8, true},
		{"if ($true)", "Missing statement block after if ( condition ).", 1, 10, true},
		{"if ($true)\n\n", "Missing statement block after if ( condition ).", 1, 10, true},
		{"if ($true) x", "Missing statement block after if ( condition ).", 1, 10, false},
		{"if (1) {} elseif ($a)", "Missing statement block after elseif ( condition ).", 1, 21, true},
	} {
		_, err := Parse(tc.src, "")
		pe, ok := err.(*ParseError)
		if !ok {
			t.Errorf("%q: err = %v, want a ParseError", tc.src, err)
			continue
		}
		if pe.Msg != tc.msg || pe.Line != tc.line || pe.Col != tc.col || pe.Incomplete != tc.incomplete {
			t.Errorf("%q: got %d:%d %q incomplete=%v, want %d:%d %q incomplete=%v",
				tc.src, pe.Line, pe.Col, pe.Msg, pe.Incomplete, tc.line, tc.col, tc.msg, tc.incomplete)
		}
	}
}

// TestParseErrorExtents checks how much of the line each error covers:
// PowerShell underlines the error token's extent.
func TestParseErrorExtents(t *testing.T) {
	for _, tc := range []struct {
		src         string
		col, length int
	}{
		{"Write-Output a && Write-Output b", 16, 2},
		{"1 2", 3, 1},
		{"1 -foo 2", 3, 4},
		{"$x = 1 xyz", 8, 3},
		{"if ($true)", 10, 1},
		{"1 'abc'", 3, 5},
		{`1 "a""b"`, 3, 6},
		{"1 'it''s'", 3, 7},
		{"1 +", 4, 0},
		{"(1 + 2", 7, 0},
	} {
		_, err := Parse(tc.src, "")
		pe, ok := err.(*ParseError)
		if !ok {
			t.Errorf("%q: err = %v, want a ParseError", tc.src, err)
			continue
		}
		if pe.Col != tc.col || pe.Length != tc.length {
			t.Errorf("%q: col %d length %d, want col %d length %d", tc.src, pe.Col, pe.Length, tc.col, tc.length)
		}
	}
}

func TestParseErrorString(t *testing.T) {
	_, err := Parse("'x", "lab.ps1")
	if got := err.Error(); got != "lab.ps1:1:3: The string is missing the terminator: '." {
		t.Errorf("Error() = %q", got)
	}
}

func TestWalk(t *testing.T) {
	sb, err := Parse("if ($a) { Get-X -N $b | % { $_.Name } } else { @{k = $c} }", "")
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	Walk(sb, func(n Node) bool {
		if v, ok := n.(*VarExpr); ok {
			vars = append(vars, v.Name)
		}
		return true
	})
	if got := strings.Join(vars, ","); got != "a,b,_,c" {
		t.Errorf("variables in order: %s", got)
	}
}
