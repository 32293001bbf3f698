package queue

import (
	"context"
	"strings"
	"sync"
	"testing"

	"exsh/shell/interp"
)

// runtime is an interp.Runtime that records what a cmdlet writes.
type runtime struct {
	mu       sync.Mutex
	objects  []any
	errors   []error
	warnings []string
	verbose  []string
	host     strings.Builder
	vars     map[string]any
	confirms []string
	decline  bool
}

func (r *runtime) WriteObject(v any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.objects = append(r.objects, v)
	return nil
}
func (r *runtime) WriteError(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, err)
}
func (r *runtime) WriteWarning(msg string) { r.warnings = append(r.warnings, msg) }
func (r *runtime) WriteVerbose(msg string) { r.verbose = append(r.verbose, msg) }
func (r *runtime) WriteHost(text string, newline bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.host.WriteString(text)
	if newline {
		r.host.WriteString("\n")
	}
}
func (r *runtime) ShouldProcess(target, action string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.confirms = append(r.confirms, action+" | "+target)
	return !r.decline
}
func (r *runtime) InvokeScript(sb *interp.ScriptBlock, dollarUnder any, args ...any) ([]any, error) {
	return nil, nil
}
func (r *runtime) GetVariable(name string) (any, bool) {
	v, ok := r.vars[strings.ToLower(name)]
	return v, ok
}
func (r *runtime) SetVariable(name string, v any) { r.vars[strings.ToLower(name)] = v }
func (r *runtime) Session() *interp.Session       { return nil }

// invoke runs a cmdlet once, as the first command of a pipeline, with the
// given bound parameters.
func invoke(t *testing.T, info *interp.CmdletInfo, bound map[string]any) (*runtime, error) {
	t.Helper()
	return invokeRT(t, &runtime{vars: map[string]any{}}, info, bound)
}

// invokeRT is invoke with a prepared runtime.
func invokeRT(t *testing.T, rt *runtime, info *interp.CmdletInfo, bound map[string]any) (*runtime, error) {
	t.Helper()
	c := interp.NewCall(context.Background(), info, rt)
	for k, v := range bound {
		c.Bound[k] = v
	}
	if rt.vars == nil {
		rt.vars = map[string]any{}
	}
	for _, step := range []func(*interp.Call) error{info.Begin, info.Process, info.End} {
		if step == nil {
			continue
		}
		if err := step(c); err != nil {
			return rt, err
		}
	}
	return rt, nil
}

func find(t *testing.T, list []*interp.CmdletInfo, name string) *interp.CmdletInfo {
	t.Helper()
	for _, c := range list {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cmdlet %s", name)
	return nil
}
