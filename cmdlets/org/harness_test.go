package org

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/statetest"
)

// fakeRuntime records what a cmdlet writes; it stands in for the
// interpreter so each cmdlet can be driven with already-bound parameters.
type fakeRuntime struct {
	objs    []any
	errs    []error
	warns   []string
	host    []string
	decline bool     // ShouldProcess answers no (a declined -Confirm)
	asked   []string // the questions ShouldProcess was asked, "action|target"
	vars    map[string]any
}

func (f *fakeRuntime) WriteObject(v any) error { f.objs = append(f.objs, v); return nil }
func (f *fakeRuntime) WriteError(err error)    { f.errs = append(f.errs, err) }
func (f *fakeRuntime) WriteWarning(msg string) { f.warns = append(f.warns, msg) }
func (f *fakeRuntime) WriteVerbose(string)     {}
func (f *fakeRuntime) WriteHost(text string, newline bool) {
	f.host = append(f.host, text)
}

// ShouldProcess answers as the interpreter does: $WhatIfPreference prints
// PowerShell's What if line and declines.
func (f *fakeRuntime) ShouldProcess(target, action string) bool {
	f.asked = append(f.asked, action+"|"+target)
	if w, _ := f.vars["WhatIfPreference"].(bool); w {
		f.host = append(f.host, fmt.Sprintf("What if: Performing the operation \"%s\" on target \"%s\".", action, target))
		return false
	}
	return !f.decline
}
func (f *fakeRuntime) InvokeScript(*interp.ScriptBlock, any, ...any) ([]any, error) {
	return nil, nil
}
func (f *fakeRuntime) GetVariable(name string) (any, bool) { v, ok := f.vars[name]; return v, ok }
func (f *fakeRuntime) SetVariable(name string, v any)      { f.vars[name] = v }
func (f *fakeRuntime) Session() *interp.Session            { return nil }

// lab is a set-up store with the organisation cmdlets bound to it.
type lab struct {
	t     *testing.T
	store state.Store
	deps  *cmdlets.Deps
	cmds  map[string]*interp.CmdletInfo
}

var testNow = time.Date(2026, 3, 4, 10, 20, 30, 0, time.UTC)

func newLab(t *testing.T) *lab {
	t.Helper()
	st := statetest.MustOpenSetUp(t)
	d := &cmdlets.Deps{Store: st, DataPath: t.TempDir(), Now: func() time.Time { return testNow }, PasswordCost: bcrypt.MinCost}
	l := &lab{t: t, store: st, deps: d, cmds: map[string]*interp.CmdletInfo{}}
	for _, c := range Cmdlets(d) {
		l.cmds[strings.ToLower(c.Name)] = c
	}
	return l
}

// result is what one cmdlet call produced.
type result struct {
	objs  []any
	errs  []error
	warns []string
	host  []string
	err   error // terminating error
}

func (r result) obj(i int) *object.PSObject { return r.objs[i].(*object.PSObject) }

// errText returns the first error's message, or "".
func (r result) errText() string {
	if r.err != nil {
		return r.err.Error()
	}
	if len(r.errs) > 0 {
		return r.errs[0].Error()
	}
	return ""
}

// record returns the first error record.
func (r result) record() *interp.ErrorRecord {
	var e error = r.err
	if e == nil && len(r.errs) > 0 {
		e = r.errs[0]
	}
	rec, _ := e.(*interp.ErrorRecord)
	return rec
}

// run calls a cmdlet with bound parameters given as name, value pairs.
func (l *lab) run(name string, kv ...any) result {
	return l.runWith(&fakeRuntime{vars: map[string]any{}}, name, kv...)
}

func (l *lab) runWith(rt *fakeRuntime, name string, kv ...any) result {
	l.t.Helper()
	info := l.cmds[strings.ToLower(name)]
	if info == nil {
		l.t.Fatalf("no cmdlet %s", name)
	}
	c := interp.NewCall(context.Background(), info, rt)
	for i := 0; i+1 < len(kv); i += 2 {
		c.Bound[kv[i].(string)] = kv[i+1]
	}
	if info.Process == nil {
		l.t.Fatalf("%s has no Process", name)
	}
	err := info.Process(c)
	return result{objs: rt.objs, errs: rt.errs, warns: rt.warns, host: rt.host, err: err}
}

// ok runs a cmdlet and fails the test on any error.
func (l *lab) ok(name string, kv ...any) result {
	l.t.Helper()
	r := l.run(name, kv...)
	if r.err != nil || len(r.errs) > 0 {
		l.t.Fatalf("%s: unexpected error: %s", name, r.errText())
	}
	return r
}

// fails runs a cmdlet that must fail, checks the store did not change, and
// returns the error text.
func (l *lab) fails(name string, kv ...any) result {
	l.t.Helper()
	before := l.snapshot()
	r := l.run(name, kv...)
	if r.err == nil && len(r.errs) == 0 {
		l.t.Fatalf("%s: expected an error", name)
	}
	if after := l.snapshot(); after != before {
		l.t.Fatalf("%s failed but changed the store:\nbefore %s\nafter  %s", name, before, after)
	}
	return r
}

// snapshot serialises every organisation record, so tests can compare the
// whole store before and after a failed command.
func (l *lab) snapshot() string {
	l.t.Helper()
	var all []any
	statetest.View(l.t, l.store, func(tx state.Tx) error {
		org, _ := tx.Org()
		srvs, _ := tx.Servers()
		rcs, _ := tx.ReceiveConnectors()
		scs, _ := tx.SendConnectors()
		ads, _ := tx.AcceptedDomains()
		rs, _ := tx.Recipients()
		dbs, _ := tx.MailboxDatabases()
		hub, _ := tx.TransportService("EX01", "Hub")
		fe, _ := tx.TransportService("EX01", "FrontEnd")
		tc, _ := tx.TransportConfig()
		cs, _ := tx.ServerComponentStates("EX01")
		all = append(all, org, srvs, rcs, scs, ads, rs, dbs, hub, fe, tc, cs)
		for _, rc := range rcs {
			perms, _ := tx.ADPermissions(rc.Guid)
			all = append(all, perms)
		}
		return nil
	})
	b, err := json.Marshal(all)
	if err != nil {
		l.t.Fatal(err)
	}
	return string(b)
}

func (l *lab) receiveConnector(server, name string) *state.ReceiveConnector {
	l.t.Helper()
	var rc *state.ReceiveConnector
	statetest.View(l.t, l.store, func(tx state.Tx) error {
		var err error
		rc, err = tx.ReceiveConnectorByName(server, name)
		return err
	})
	return rc
}

func list(vs ...any) []any { return vs }

func multi(add, remove []any) *interp.MultiValue { return &interp.MultiValue{Add: add, Remove: remove} }

func secure(s string) *interp.SecureString { return &interp.SecureString{Plain: s} }

func wantErr(t *testing.T, r result, want string) {
	t.Helper()
	if got := r.errText(); got != want {
		t.Fatalf("error:\n got  %s\n want %s", got, want)
	}
}

func wantErrContains(t *testing.T, r result, want string) {
	t.Helper()
	if got := r.errText(); !strings.Contains(got, want) {
		t.Fatalf("error:\n got  %s\n want it to contain %s", got, want)
	}
}

func propText(t *testing.T, o *object.PSObject, name string) string {
	t.Helper()
	v, ok := o.Get(name)
	if !ok {
		t.Fatalf("object has no property %s", name)
	}
	return object.ToString(v)
}
