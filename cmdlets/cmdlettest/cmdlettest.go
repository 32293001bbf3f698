// Package cmdlettest helps the cmdlet packages' tests call a cmdlet
// directly, without a session: a recording interp.Runtime and Invoke.
package cmdlettest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"exsh/shell/interp"
)

// Runtime is an interp.Runtime that records what a cmdlet writes.
type Runtime struct {
	mu       sync.Mutex
	Objects  []any
	Errors   []error
	Warnings []string
	Verbose  []string
	Host     strings.Builder
	Vars     map[string]any
	// Confirms records each ShouldProcess as "action | target"; Decline
	// makes ShouldProcess answer no (as -WhatIf would).
	Confirms []string
	Decline  bool
}

func (r *Runtime) WriteObject(v any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Objects = append(r.Objects, v)
	return nil
}

func (r *Runtime) WriteError(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Errors = append(r.Errors, err)
}

func (r *Runtime) WriteWarning(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Warnings = append(r.Warnings, msg)
}

func (r *Runtime) WriteVerbose(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Verbose = append(r.Verbose, msg)
}

func (r *Runtime) WriteHost(text string, newline bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Host.WriteString(text)
	if newline {
		r.Host.WriteString("\n")
	}
}

func (r *Runtime) ShouldProcess(target, action string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Confirms = append(r.Confirms, action+" | "+target)
	return !r.Decline
}

func (r *Runtime) InvokeScript(sb *interp.ScriptBlock, dollarUnder any, args ...any) ([]any, error) {
	return nil, nil
}

func (r *Runtime) GetVariable(name string) (any, bool) {
	v, ok := r.Vars[strings.ToLower(name)]
	return v, ok
}

func (r *Runtime) SetVariable(name string, v any) { r.Vars[strings.ToLower(name)] = v }
func (r *Runtime) Session() *interp.Session       { return nil }

// Invoke runs a cmdlet once, as the first command of a pipeline, with the
// given bound parameters.
func Invoke(t testing.TB, info *interp.CmdletInfo, bound map[string]any) (*Runtime, error) {
	t.Helper()
	return InvokeRT(t, &Runtime{}, info, bound)
}

// InvokeRT is Invoke with a prepared runtime.
func InvokeRT(t testing.TB, rt *Runtime, info *interp.CmdletInfo, bound map[string]any) (*Runtime, error) {
	t.Helper()
	if rt.Vars == nil {
		rt.Vars = map[string]any{}
	}
	c := interp.NewCall(context.Background(), info, rt)
	for k, v := range bound {
		c.Bound[k] = v
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

// Find returns the named cmdlet of list, failing the test without one.
func Find(t testing.TB, list []*interp.CmdletInfo, name string) *interp.CmdletInfo {
	t.Helper()
	for _, c := range list {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cmdlet %s", name)
	return nil
}

// Strs turns strings into the []any a list parameter binds to.
func Strs(v ...string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
