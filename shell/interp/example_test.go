package interp_test

import (
	"context"
	"fmt"
	"os"

	"exsh/shell/interp"
)

// A session runs scripts against the commands it is given; objects that
// reach the end of a pipeline are printed, errors go to Stderr in
// PowerShell's error view.
func ExampleSession_Run() {
	greet := &interp.CmdletInfo{
		Name: "Get-Greeting",
		Params: []*interp.ParamInfo{
			{Name: "Name", Kind: interp.KindString, Position: 0, Mandatory: true, FromPipeline: true},
		},
		Process: func(c *interp.Call) error {
			return c.WriteObject("Hello, " + c.String("Name"))
		},
	}
	s := interp.NewSession(interp.Config{Stdout: os.Stdout, Stderr: os.Stdout, Commands: []*interp.CmdletInfo{greet}})
	err := s.Run(context.Background(), `
'EX01', 'EX02' | Get-Greeting | Where-Object { $_ -like '*2' }
$n = 36MB / 1MB
"{0} MB" -f $n
`, "")
	fmt.Println(err, s.ExitStatus(err))
	// Output:
	// Hello, EX02
	// 36 MB
	// <nil> 0
}

// Invoke collects the output objects instead of printing them.
func ExampleSession_Invoke() {
	s := interp.NewSession(interp.Config{})
	out, err := s.Invoke(context.Background(), `1..5 | ForEach-Object { $_ * $_ } | Where-Object { $_ -gt 5 }`)
	fmt.Println(out, err)
	// Output:
	// [9 16 25] <nil>
}
