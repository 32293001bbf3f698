package interp

import (
	"io"
	"strings"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// cmdRuntime is the Runtime behind one command's Call.
type cmdRuntime struct {
	f    *frame // the caller's frame (with the element's redirections)
	st   *stage
	span syntax.Span
	dot  bool
	// common holds the common parameters given to the command.
	common commonValues
	// pendingStop is a non-terminating error promoted by -ErrorAction
	// Stop: WriteObject refuses further output and the command's block
	// ends with it as a terminating error.
	pendingStop *ErrorRecord
	outVar      []any
	errVar      []any
	finished    bool
}

var _ Runtime = (*cmdRuntime)(nil)

func (rt *cmdRuntime) name() string { return rt.st.info.Name }

func (rt *cmdRuntime) WriteObject(v any) error {
	if err := rt.f.ctx.Err(); err != nil {
		return err
	}
	if rt.pendingStop != nil {
		return rt.pendingStop
	}
	if rt.common.outVariable != "" {
		rt.outVar = append(rt.outVar, v)
	}
	return rt.st.p.emit(rt.st.idx, v)
}

// errorAction returns the effective error action, lower-case.
func (rt *cmdRuntime) errorAction() string {
	if rt.common.errorAction != "" {
		return rt.common.errorAction
	}
	return rt.f.preference("ErrorActionPreference")
}

func (rt *cmdRuntime) WriteError(err error) {
	if err == nil {
		return
	}
	rec := recordFor(err, rt.st.info)
	rt.f.position(rec, rt.span)
	rt.writeRecord(rec)
}

// writeRecord applies the error action to a non-terminating error.
func (rt *cmdRuntime) writeRecord(rec *ErrorRecord) {
	action := rt.errorAction()
	if action == "ignore" {
		return
	}
	if rt.common.errorVariable != "" {
		rt.errVar = append(rt.errVar, rec)
	}
	switch action {
	case "stop":
		// The error becomes a terminating one: it fails the statement
		// unless a try or trap handles it, so it does not count among the
		// errors written ($? of a statement that handled it stays $true).
		rec.fatal = true
		rt.f.addError(rec)
		if rt.pendingStop == nil {
			rt.pendingStop = rec
		}
	case "silentlycontinue":
		rt.f.addError(rec)
		rt.f.s.errSerial++
	default:
		rt.f.reportError(rec)
	}
}

func (rt *cmdRuntime) WriteWarning(msg string) {
	action := rt.common.warningAction
	if action == "" {
		action = rt.f.preference("WarningPreference")
	}
	switch action {
	case "silentlycontinue", "ignore":
		return
	}
	io.WriteString(rt.f.s.stdout, "WARNING: "+msg+"\n")
}

func (rt *cmdRuntime) WriteVerbose(msg string) {
	on := rt.f.preference("VerbosePreference") == "continue"
	if rt.common.verbose != nil {
		on = *rt.common.verbose
	}
	if on {
		io.WriteString(rt.f.s.stdout, "VERBOSE: "+msg+"\n")
	}
}

func (rt *cmdRuntime) WriteHost(text string, newline bool) {
	if newline {
		text += "\n"
	}
	io.WriteString(rt.f.s.stdout, text)
}

func (rt *cmdRuntime) ShouldProcess(target, action string) bool {
	return rt.ShouldProcessDescription("", target, action)
}

// ShouldProcessDescription is ShouldProcess with the command's own
// description of the change: -WhatIf prints "What if: <description>" and
// the confirmation prompt shows it. An empty description means
// PowerShell's `Performing the operation "<action>" on target "<target>".`
func (rt *cmdRuntime) ShouldProcessDescription(description, target, action string) bool {
	if description == "" {
		description = OperationDescription(target, action)
	}
	whatIf := object.ToBool(mustVar(rt.f, "WhatIfPreference"))
	if rt.common.whatIf != nil {
		whatIf = *rt.common.whatIf
	}
	if whatIf {
		rt.WriteHost("What if: "+description, true)
		return false
	}
	ask := impactLevel(rt.st.info.ConfirmImpact) >= impactLevel(object.ToString(mustVar(rt.f, "ConfirmPreference")))
	if rt.common.confirm != nil {
		ask = *rt.common.confirm
	}
	if ask && rt.f.s.cfg.Confirm != nil {
		return rt.f.s.cfg.Confirm(description)
	}
	return true
}

// OperationDescription is PowerShell's default ShouldProcess text:
// `Performing the operation "<action>" on target "<target>".` (names are
// quoted as they are, without escaping).
func OperationDescription(target, action string) string {
	return `Performing the operation "` + action + `" on target "` + target + `".`
}

// impactLevel orders ConfirmImpact values; $ConfirmPreference = 'None'
// never asks.
func impactLevel(s string) int {
	switch strings.ToLower(s) {
	case "none":
		return 4
	case "low":
		return 1
	case "high":
		return 3
	}
	return 2
}

func mustVar(f *frame, name string) any {
	v, _ := f.lookupVar("", name)
	return v
}

func (rt *cmdRuntime) InvokeScript(sb *ScriptBlock, dollarUnder any, args ...any) ([]any, error) {
	return rt.f.runDotSourced(sb, dollarUnder, args)
}

func (rt *cmdRuntime) GetVariable(name string) (any, bool) {
	scopeName, n := splitScope(name)
	return rt.f.lookupVar(scopeName, n)
}

func (rt *cmdRuntime) SetVariable(name string, v any) {
	scopeName, n := splitScope(name)
	rt.f.setVar(scopeName, n, v)
}

func (rt *cmdRuntime) Session() *Session { return rt.f.s }

// splitScope splits "global:x" into its scope and name.
func splitScope(name string) (string, string) {
	name = strings.TrimPrefix(name, "$")
	if i := strings.IndexByte(name, ':'); i > 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// finish sets -OutVariable and -ErrorVariable once the command is done.
func (rt *cmdRuntime) finish() {
	if rt.finished {
		return
	}
	rt.finished = true
	setListVar := func(spec string, items []any) {
		if spec == "" {
			return
		}
		appendTo := strings.HasPrefix(spec, "+")
		name := strings.TrimPrefix(spec, "+")
		list := append([]any{}, items...)
		if appendTo {
			if old, ok := rt.GetVariable(name); ok && old != nil {
				list = append(append([]any{}, object.ToList(old)...), items...)
			}
		}
		rt.SetVariable(name, list)
	}
	setListVar(rt.common.outVariable, rt.outVar)
	setListVar(rt.common.errorVariable, rt.errVar)
}

// runDotSourced runs a script block's statements in the frame's own scope
// with $_ and $args set for the call, collecting its output (the way
// ForEach-Object and Where-Object run their blocks). return ends the block.
func (f *frame) runDotSourced(sb *ScriptBlock, dollarUnder any, args []any) ([]any, error) {
	var out []any
	err := f.runBlockWith(sb, dollarUnder, args, func(v any) error { out = append(out, v); return nil })
	return out, err
}

// runBlockWith is runDotSourced with output sent to out.
func (f *frame) runBlockWith(sb *ScriptBlock, dollarUnder any, args []any, out sink) error {
	if sb == nil || sb.ast == nil {
		return nil
	}
	g := f.with(out)
	if sb.src != nil {
		g.src = sb.src
	}
	if sb.closure != nil {
		g.sc = newScope(sb.closure)
	}
	sc := g.sc
	oldUnder, hadUnder := sc.vars["_"]
	oldArgs, hadArgs := sc.vars["args"]
	sc.vars["_"] = &variable{name: "_", value: dollarUnder}
	if args == nil {
		args = []any{}
	}
	sc.vars["args"] = &variable{name: "args", value: args}
	defer func() {
		if hadUnder {
			sc.vars["_"] = oldUnder
		} else {
			delete(sc.vars, "_")
		}
		if hadArgs {
			sc.vars["args"] = oldArgs
		} else {
			delete(sc.vars, "args")
		}
	}()
	err := g.runBlockBody(sb.ast)
	if fl, ok := err.(*flow); ok && fl.kind == "return" {
		return nil
	}
	return err
}
