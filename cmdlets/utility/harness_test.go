package utility

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// fakeRT is the smallest interp.Runtime: it collects output and errors and
// runs "script blocks" that tests map to Go functions.
type fakeRT struct {
	out      []any
	errs     []error
	warnings []string
	host     strings.Builder
	vars     map[string]any
	scripts  map[*interp.ScriptBlock]func(any) []any
	sess     *interp.Session
}

func newRT() *fakeRT {
	return &fakeRT{vars: map[string]any{}, scripts: map[*interp.ScriptBlock]func(any) []any{}}
}

func (r *fakeRT) WriteObject(v any) error { r.out = append(r.out, v); return nil }
func (r *fakeRT) WriteError(err error)    { r.errs = append(r.errs, err) }
func (r *fakeRT) WriteWarning(m string)   { r.warnings = append(r.warnings, m) }
func (r *fakeRT) WriteVerbose(string)     {}
func (r *fakeRT) WriteHost(text string, newline bool) {
	r.host.WriteString(text)
	if newline {
		r.host.WriteByte('\n')
	}
}
func (r *fakeRT) ShouldProcess(target, action string) bool { return true }
func (r *fakeRT) InvokeScript(sb *interp.ScriptBlock, dollarUnder any, args ...any) ([]any, error) {
	f, ok := r.scripts[sb]
	if !ok {
		return nil, errors.New("unknown script block")
	}
	return f(dollarUnder), nil
}
func (r *fakeRT) GetVariable(name string) (any, bool) {
	v, ok := r.vars[strings.ToLower(name)]
	return v, ok
}
func (r *fakeRT) SetVariable(name string, v any) { r.vars[strings.ToLower(name)] = v }
func (r *fakeRT) Session() *interp.Session       { return r.sess }

// script registers a Go function as a script block.
func (r *fakeRT) script(f func(any) []any) *interp.ScriptBlock {
	sb := &interp.ScriptBlock{}
	r.scripts[sb] = f
	return sb
}

func cmdlet(t *testing.T, name string) *interp.CmdletInfo {
	t.Helper()
	for _, ci := range Cmdlets() {
		if strings.EqualFold(ci.Name, name) {
			return ci
		}
	}
	t.Fatalf("no cmdlet %s", name)
	return nil
}

// invoke runs a cmdlet as the interpreter would: Begin, Process per input
// (or once without input), End. It stops early on ErrPipelineStopped.
func invoke(t *testing.T, rt *fakeRT, name string, bound map[string]any, inputs ...any) error {
	t.Helper()
	ci := cmdlet(t, name)
	c := interp.NewCall(context.Background(), ci, rt)
	if bound != nil {
		c.Bound = bound
	}
	c.Width = 120
	if ci.Begin != nil {
		if err := ci.Begin(c); err != nil {
			return err
		}
	}
	if ci.Process != nil {
		if len(inputs) == 0 {
			if err := ci.Process(c); err != nil && !errors.Is(err, interp.ErrPipelineStopped) {
				return err
			}
		}
		for _, in := range inputs {
			c.Input, c.HasInput = in, true
			if err := ci.Process(c); err != nil {
				if errors.Is(err, interp.ErrPipelineStopped) {
					break
				}
				return err
			}
		}
	}
	// End runs even after the cmdlet stopped its upstream (-First).
	c.Input, c.HasInput = nil, false
	if ci.End != nil {
		return ci.End(c)
	}
	return nil
}

func mustInvoke(t *testing.T, rt *fakeRT, name string, bound map[string]any, inputs ...any) []any {
	t.Helper()
	if err := invoke(t, rt, name, bound, inputs...); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := rt.out
	rt.out = nil
	return out
}

func ints(ns ...int) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

func obj(kv ...any) *object.PSObject {
	o := object.New("System.Management.Automation.PSCustomObject", "System.Object")
	for i := 0; i+1 < len(kv); i += 2 {
		o.Add(kv[i].(string), kv[i+1])
	}
	return o
}

func render(vs []any) string { return format.Render(120, vs...) }

func show(v any) string {
	if o, ok := v.(*object.PSObject); ok {
		return o.String()
	}
	if object.IsArray(v) {
		return fmt.Sprintf("%v", object.ToList(v))
	}
	return object.ToString(v)
}

func showAll(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = show(v)
	}
	return strings.Join(parts, " | ")
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs\n--- got ---\n%s--- want ---\n%s", name, got, want)
	}
}
