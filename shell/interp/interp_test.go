package interp

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"exsh/shell/object"
)

// testCommands are small cmdlets the tests use to exercise binding and
// pipelines, written against the public API as other packages do.
func testCommands() []*CmdletInfo {
	return []*CmdletInfo{
		{
			Name: "Select-First",
			Params: []*ParamInfo{
				{Name: "InputObject", Kind: KindObject, Position: -1, FromPipeline: true},
				{Name: "First", Kind: KindInt, Position: 0},
			},
			Begin: func(c *Call) error { c.State = 0; return nil },
			Process: func(c *Call) error {
				n := c.State.(int)
				if n >= c.Int("First", 1) {
					return ErrPipelineStopped
				}
				c.State = n + 1
				if err := c.WriteObject(c.Input); err != nil {
					return err
				}
				if n+1 >= c.Int("First", 1) {
					return ErrPipelineStopped
				}
				return nil
			},
		},
		{
			// Count-Input counts its input and writes the count at the end.
			Name:   "Count-Input",
			Params: []*ParamInfo{{Name: "InputObject", Kind: KindObject, Position: -1, FromPipeline: true}},
			Begin:  func(c *Call) error { c.State = 0; return nil },
			Process: func(c *Call) error {
				if c.HasInput {
					c.State = c.State.(int) + 1
				}
				return nil
			},
			End: func(c *Call) error { return c.WriteObject(c.State) },
		},
		{
			Name: "Get-Thing",
			Params: []*ParamInfo{
				{Name: "Identity", Kind: KindString, Position: 0, FromPipeline: true, FromPipelineByPropertyName: true},
				{Name: "Count", Kind: KindInt, Position: -1},
				{Name: "Level", Kind: KindEnum, Values: []string{"None", "Verbose"}, Position: -1, TypeName: "Microsoft.Exchange.Data.ProtocolLoggingLevel"},
				{Name: "Size", Kind: KindByteSize, Position: -1},
				{Name: "Timeout", Kind: KindTimeSpan, Position: -1},
				{Name: "Enabled", Kind: KindBool, Position: -1},
				{Name: "Ranges", Kind: KindString, Array: true, Multi: true, Position: -1, Aliases: []string{"RemoteIPRanges"}},
				{Name: "Flags", Kind: KindEnum, Array: true, Values: []string{"Tls", "Integrated", "BasicAuth"}, Position: -1},
				{Name: "Force", Kind: KindSwitch, Position: -1},
				{Name: "When", Kind: KindDateTime, Position: -1},
			},
			Process: func(c *Call) error {
				keys := []string{"Identity", "Count", "Level", "Size", "Timeout", "Enabled", "Ranges", "Flags", "Force", "When"}
				var parts []string
				for _, k := range keys {
					if !c.Has(k) {
						continue
					}
					v := c.Value(k)
					var s string
					switch x := v.(type) {
					case *MultiValue:
						s = "Add=" + object.ToString(x.Add) + ";Remove=" + object.ToString(x.Remove)
					case []any:
						s = "[" + object.ToString(x) + "]"
					case time.Time:
						s = x.Format("2006-01-02T15:04:05")
					default:
						s = object.ToString(v) + ":" + object.ShortTypeName(v)
					}
					parts = append(parts, k+"="+s)
				}
				return c.WriteObject(strings.Join(parts, " "))
			},
		},
		{
			Name: "New-Thing", SupportsShouldProcess: true, DefaultParameterSet: "ByName",
			Params: []*ParamInfo{
				{Name: "Name", Kind: KindString, Position: 0, Mandatory: true, Sets: []string{"ByName"}},
				{Name: "Id", Kind: KindInt, Mandatory: true, Sets: []string{"ById"}, Position: -1},
				{Name: "Bindings", Kind: KindString, Array: true, Position: -1},
			},
			Process: func(c *Call) error {
				target := c.String("Name")
				if c.ParameterSet == "ById" {
					target = object.ToString(c.Value("Id"))
				}
				if !c.ShouldProcess(target, "New thing") {
					return nil
				}
				return c.WriteObject("created " + target + " in " + c.ParameterSet)
			},
		},
		{
			Name:   "Fail-Thing",
			Params: []*ParamInfo{{Name: "Name", Kind: KindString, Position: 0}, {Name: "Terminate", Kind: KindSwitch, Position: -1}},
			Process: func(c *Call) error {
				rec := NewError("ObjectNotFound", "ManagementObjectNotFoundException", "ABC123", c.String("Name"),
					"The operation couldn't be performed because object '%s' couldn't be found.", c.String("Name"))
				if c.Bool("Terminate") {
					return rec
				}
				c.WriteError(rec)
				return c.WriteObject("continued")
			},
		},
		{
			Name:   "Get-Obj",
			Params: []*ParamInfo{{Name: "Name", Kind: KindString, Array: true, Position: 0}},
			Process: func(c *Call) error {
				for _, n := range c.Strings("Name") {
					o := object.New("Test.Obj")
					o.Add("Name", n).Add("Length", len(n)).Add("Tags", []any{n + "1", n + "2"})
					if err := c.WriteObject(o); err != nil {
						return err
					}
				}
				return nil
			},
		},
	}
}

func newTestSession(out, errOut *bytes.Buffer) *Session {
	return NewSession(Config{Stdout: out, Stderr: errOut, Commands: testCommands()})
}

// run runs src in a fresh session and returns stdout followed by stderr.
func run(src string) (string, error) {
	var out, errOut bytes.Buffer
	s := newTestSession(&out, &errOut)
	err := s.Run(context.Background(), src, "")
	return out.String() + errOut.String(), err
}

type runTest struct {
	in, want string
}

func checkRunTests(t *testing.T, tests []runTest) {
	t.Helper()
	for _, tc := range tests {
		got, _ := run(tc.in)
		if got != tc.want {
			t.Errorf("%s\n got: %q\nwant: %q", tc.in, got, tc.want)
		}
	}
}
