package syntax_test

import (
	"errors"
	"fmt"

	"exsh/shell/syntax"
)

func ExampleParse() {
	sb, err := syntax.Parse("Get-ReceiveConnector -Identity EX01\\Relay|Set-ReceiveConnector -Enabled:$false", "")
	if err != nil {
		panic(err)
	}
	fmt.Println(syntax.Print(sb))
	// Output:
	// Get-ReceiveConnector -Identity EX01\Relay | Set-ReceiveConnector -Enabled:$false
}

// A ParseError says whether more input could complete the statement, as a
// REPL needs to know to show its continuation prompt.
func ExampleParseError() {
	_, err := syntax.Parse("if ($x) {", "lab.ps1")
	var pe *syntax.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe, pe.Incomplete)
	}
	// Output:
	// lab.ps1:1:9: Missing closing '}' in statement block or type definition. true
}
