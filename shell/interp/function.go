package interp

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// function is a function or filter defined in script, or a script block
// invoked as a command; it is a command like any other, through its
// generated CmdletInfo, so binding is shared with cmdlets.
type function struct {
	name   string
	filter bool
	body   *syntax.ScriptBlock
	params []*syntax.Param
	src    *source
	info   *CmdletInfo
	// simple functions (no [CmdletBinding()] or [Parameter()]) receive
	// unbound arguments in $args.
	simple bool
	// types are the parameters' type constraints by name.
	types map[string]string
	// closure is the captured scope of a GetNewClosure() block.
	closure *scope
	// script is the file of a script file's body ("" otherwise): it sets
	// $PSScriptRoot and $PSCommandPath.
	script string
}

// fnState is one call of a function, kept in Call.State.
type fnState struct {
	fr    *frame
	input []any
}

var fnInfos sync.Map // *CmdletInfo -> *function

// functionOf returns the script function behind a command, or nil.
func (s *Session) functionOf(info *CmdletInfo) *function {
	if fn, ok := fnInfos.Load(info); ok {
		return fn.(*function)
	}
	return nil
}

// defineFunction runs a function definition statement.
func (s *Session) defineFunction(def *syntax.FunctionDef, src *source, f *frame) {
	params := def.Params
	if def.Body.Param != nil {
		params = def.Body.Param.Params
	}
	fn := s.newFunction(def.Name, def.Filter, def.Body, params, src, f)
	// A function lives in the scope that defines it.
	if f.sc.funcs == nil {
		f.sc.funcs = map[string]*function{}
	}
	f.sc.funcs[strings.ToLower(def.Name)] = fn
}

// scriptBlockInfo returns the command that runs a script block (& $sb).
func (s *Session) scriptBlockInfo(sb *ScriptBlock) *CmdletInfo {
	if sb.info != nil {
		return sb.info
	}
	var params []*syntax.Param
	if sb.ast.Param != nil {
		params = sb.ast.Param.Params
	}
	f := &frame{s: s, sc: s.global, src: sb.src}
	fn := s.newFunction("", false, sb.ast, params, sb.src, f)
	fn.closure = sb.closure
	sb.info = fn.info
	return sb.info
}

func (s *Session) newFunction(name string, filter bool, body *syntax.ScriptBlock, params []*syntax.Param, src *source, f *frame) *function {
	fn := &function{name: name, filter: filter, body: body, params: params, src: src, simple: true, types: map[string]string{}}
	info := &CmdletInfo{Name: name}
	if name == "" {
		info.Name = "<ScriptBlock>"
	}
	for _, a := range body.Attrs {
		if strings.EqualFold(a.Name, "CmdletBinding") {
			fn.simple = false
			for _, na := range a.Named {
				v := attrValue(f, na)
				switch strings.ToLower(na.Name) {
				case "supportsshouldprocess":
					info.SupportsShouldProcess = object.ToBool(v)
				case "defaultparametersetname":
					info.DefaultParameterSet = object.ToString(v)
				}
			}
		}
	}
	explicitPos := false
	for _, p := range params {
		for _, a := range p.Attrs {
			if strings.EqualFold(a.Name, "Parameter") {
				fn.simple = false
				for _, na := range a.Named {
					if strings.EqualFold(na.Name, "Position") {
						explicitPos = true
					}
				}
			}
		}
	}
	pos := 0
	for _, p := range params {
		pi := &ParamInfo{Name: p.Name, Kind: KindObject, Position: -1}
		var setNames []string
		for _, a := range p.Attrs {
			if a.IsType {
				fn.types[strings.ToLower(p.Name)] = a.Name
				kindFromType(pi, a.Name)
				continue
			}
			switch strings.ToLower(a.Name) {
			case "parameter":
				for _, na := range a.Named {
					v := attrValue(f, na)
					switch strings.ToLower(na.Name) {
					case "mandatory":
						pi.Mandatory = object.ToBool(v)
					case "position":
						if n, err := object.ToInt(v); err == nil {
							pi.Position = n
						}
					case "valuefrompipeline":
						pi.FromPipeline = object.ToBool(v)
					case "valuefrompipelinebypropertyname":
						pi.FromPipelineByPropertyName = object.ToBool(v)
					case "valuefromremainingarguments":
						pi.Remaining = object.ToBool(v)
						pi.Array = true
					case "parametersetname":
						setNames = append(setNames, object.ToString(v))
					case "helpmessage":
						pi.Help = object.ToString(v)
					}
				}
			case "alias":
				for _, x := range a.Args {
					v, _ := f.expr(x)
					for _, e := range object.ToList(v) {
						pi.Aliases = append(pi.Aliases, object.ToString(e))
					}
				}
			case "validateset":
				var vals []string
				for _, x := range a.Args {
					v, _ := f.expr(x)
					for _, e := range object.ToList(v) {
						vals = append(vals, object.ToString(e))
					}
				}
				pi.Validate = validateSet(vals)
			case "validatenotnullorempty", "validatenotnull":
				pi.Validate = func(v any) error {
					if v == nil || v == "" || object.IsArray(v) && len(object.ToList(v)) == 0 {
						return fmt.Errorf("The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
					}
					return nil
				}
			case "validaterange":
				if len(a.Args) == 2 {
					lo, _ := f.expr(a.Args[0])
					hi, _ := f.expr(a.Args[1])
					pi.Validate = func(v any) error {
						for _, e := range object.ToList(v) {
							if c, _ := object.Compare(e, lo, false); c < 0 {
								return fmt.Errorf("The %s argument is less than the minimum allowed range of %s. Supply an argument that is greater than or equal to %s and then try the command again.", object.ToString(e), object.ToString(lo), object.ToString(lo))
							}
							if c, _ := object.Compare(e, hi, false); c > 0 {
								return fmt.Errorf("The %s argument is greater than the maximum allowed range of %s. Supply an argument that is less than or equal to %s and then try the command again.", object.ToString(e), object.ToString(hi), object.ToString(hi))
							}
						}
						return nil
					}
				}
			case "validatepattern":
				if len(a.Args) >= 1 {
					pv, _ := f.expr(a.Args[0])
					pattern := object.ToString(pv)
					pi.Validate = func(v any) error {
						re, err := compileRegex(pattern, false)
						if err != nil {
							return err
						}
						for _, e := range object.ToList(v) {
							if !re.MatchString(object.ToString(e)) {
								return fmt.Errorf("The argument %q does not match the %q pattern. Supply an argument that matches %q and try the command again.", object.ToString(e), pattern, pattern)
							}
						}
						return nil
					}
				}
			}
		}
		pi.Sets = setNames
		if !explicitPos && pi.Kind != KindSwitch && !pi.Remaining {
			pi.Position = pos
			pos++
		}
		info.Params = append(info.Params, pi)
	}
	info.Begin = fn.begin
	info.Process = fn.process
	info.End = fn.end
	fn.info = info
	fnInfos.Store(info, fn)
	return fn
}

func prefOf(on bool) string {
	if on {
		return "Continue"
	}
	return "SilentlyContinue"
}

func canonicalPref(lower string) string {
	for _, p := range actionPreferences {
		if strings.EqualFold(p, lower) {
			return p
		}
	}
	return lower
}

func validateSet(vals []string) func(v any) error {
	return func(v any) error {
		for _, e := range object.ToList(v) {
			s := object.ToString(e)
			ok := false
			for _, x := range vals {
				if strings.EqualFold(x, s) {
					ok = true
					break
				}
			}
			if !ok {
				return fmt.Errorf("The argument %q does not belong to the set %q specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.", s, strings.Join(vals, ","))
			}
		}
		return nil
	}
}

func attrValue(f *frame, na *syntax.NamedArg) any {
	if na.Value == nil {
		return true
	}
	v, err := f.expr(na.Value)
	if err != nil {
		return nil
	}
	return v
}

// kindFromType maps a parameter's type constraint to a ParamKind.
func kindFromType(pi *ParamInfo, typ string) {
	t := strings.ToLower(strings.TrimPrefix(strings.ToLower(typ), "system."))
	if strings.HasSuffix(t, "[]") {
		pi.Array = true
		t = strings.TrimSuffix(t, "[]")
	}
	pi.TypeName = fullTypeName(typ)
	switch t {
	case "string":
		pi.Kind = KindString
	case "int", "int32", "byte", "int16":
		pi.Kind = KindInt
	case "long", "int64":
		pi.Kind = KindInt64
	case "double", "float", "single", "decimal":
		pi.Kind = KindDouble
	case "bool", "boolean":
		pi.Kind = KindBool
	case "switch", "management.automation.switchparameter":
		pi.Kind = KindSwitch
	case "datetime":
		pi.Kind = KindDateTime
	case "timespan":
		pi.Kind = KindTimeSpan
	case "scriptblock", "management.automation.scriptblock":
		pi.Kind = KindScriptBlock
	case "hashtable", "collections.hashtable":
		pi.Kind = KindHashtable
	case "securestring", "security.securestring":
		pi.Kind = KindSecureString
	case "pscredential", "management.automation.pscredential":
		pi.Kind = KindCredential
	default:
		pi.Kind = KindObject
	}
}

func (fn *function) runtime(c *Call) *cmdRuntime { return c.rt.(*cmdRuntime) }

func (fn *function) begin(c *Call) error {
	rt := fn.runtime(c)
	caller := rt.f
	sc := caller.sc
	switch {
	case fn.closure != nil:
		sc = newScope(fn.closure)
	case !rt.dot:
		sc = newScope(caller.sc)
	}
	if fn.script != "" {
		if rt.dot {
			// A dot-sourced script runs in its caller's scope, whose own
			// $PSScriptRoot and $PSCommandPath come back when it ends.
			rt.st.closers = append(rt.st.closers, sc.keep("PSCommandPath", "PSScriptRoot"))
		}
		sc.set("PSCommandPath", fn.script)
		sc.set("PSScriptRoot", filepath.Dir(fn.script))
	}
	if caller.callDepth >= maxCallDepth {
		r := runtimeError("InvalidOperation", "ScriptCallDepthException", "CallDepthOverflow", "The script failed due to call depth overflow.")
		r.fatal = true
		return r
	}
	fr := &frame{
		s: caller.s, ctx: c.Ctx, sc: sc, src: fn.src, errSink: caller.errSink,
		out: c.WriteObject, callDepth: caller.callDepth + 1,
		fn: &fnCall{name: c.Info.Name, pos: rt.span, src: caller.src},
	}
	c.State = &fnState{fr: fr}
	bound := object.NewHashtable()
	for _, p := range c.Info.Params {
		v, ok := c.Bound[p.Name]
		if ok {
			bound.Set(p.Name, v)
		}
		if err := fn.setParam(fr, p, v, ok); err != nil {
			return err
		}
	}
	extra := []any{}
	if b := rt.st.bind; b != nil && b.extra != nil {
		extra = b.extra
	}
	sc.set("args", extra)
	sc.set("PSBoundParameters", bound)
	// Common parameters of an advanced function set its preferences.
	cv := rt.common
	if cv.verbose != nil {
		sc.set("VerbosePreference", prefOf(*cv.verbose))
	}
	if cv.debug != nil {
		sc.set("DebugPreference", prefOf(*cv.debug))
	}
	if cv.errorAction != "" {
		sc.set("ErrorActionPreference", canonicalPref(cv.errorAction))
	}
	if cv.warningAction != "" {
		sc.set("WarningPreference", canonicalPref(cv.warningAction))
	}
	if cv.whatIf != nil {
		sc.set("WhatIfPreference", *cv.whatIf)
	}
	sc.set("PSCmdlet", newPSCmdlet(c))
	sc.set("MyInvocation", myInvocation(c, rt))
	if fn.body.Named && fn.body.Begin != nil {
		return fn.run(fr, fn.body.Begin)
	}
	return nil
}

// setParam sets a parameter variable: the bound value, or the default.
func (fn *function) setParam(fr *frame, p *ParamInfo, v any, bound bool) error {
	typ := fn.types[strings.ToLower(p.Name)]
	if !bound {
		for _, sp := range fn.params {
			if strings.EqualFold(sp.Name, p.Name) && sp.Default != nil {
				dv, err := fr.expr(sp.Default)
				if err != nil {
					return err
				}
				v = dv
			}
		}
	}
	if p.Kind == KindSwitch {
		v = object.ToBool(v)
		fr.sc.vars[strings.ToLower(p.Name)] = &variable{name: p.Name, value: v}
		return nil
	}
	if typ != "" && object.CanonicalType(typ) != "" && object.CanonicalType(typ) != "object" {
		if v == nil && (object.CanonicalType(typ) == "string[]" || object.CanonicalType(typ) == "int[]" || object.CanonicalType(typ) == "array") {
			fr.sc.vars[strings.ToLower(p.Name)] = &variable{name: p.Name, value: nil, typ: typ}
			return nil
		}
		c, err := object.Convert(v, typ)
		if err != nil {
			return convErr(err)
		}
		fr.sc.vars[strings.ToLower(p.Name)] = &variable{name: p.Name, value: c, typ: typ}
		return nil
	}
	fr.sc.vars[strings.ToLower(p.Name)] = &variable{name: p.Name, value: v}
	return nil
}

func (fn *function) process(c *Call) error {
	st := c.State.(*fnState)
	fr := st.fr
	hasProcess := fn.filter || fn.body.Named && fn.body.Process != nil
	if !hasProcess {
		if c.HasInput {
			st.input = append(st.input, c.Input)
		}
		return nil
	}
	if c.HasInput {
		// Re-set parameters bound from this input object.
		for _, p := range c.Info.Params {
			if v, ok := c.Bound[p.Name]; ok && (p.FromPipeline || p.FromPipelineByPropertyName) {
				if err := fn.setParam(fr, p, v, true); err != nil {
					return err
				}
			}
		}
	}
	fr.sc.set("_", c.Input)
	stmts := fn.body.Process
	if fn.filter && !fn.body.Named {
		stmts = fn.body.Body
	}
	return fn.run(fr, stmts)
}

func (fn *function) end(c *Call) error {
	st := c.State.(*fnState)
	fr := st.fr
	input := st.input
	if input == nil {
		input = []any{}
	}
	fr.sc.set("input", input)
	if fn.filter && !fn.body.Named {
		return nil
	}
	return fn.run(fr, fn.body.Body)
}

// run runs one block of the function; return ends it.
func (fn *function) run(fr *frame, stmts []syntax.Stmt) error {
	err := fr.runStmts(stmts)
	if fl, ok := err.(*flow); ok && fl.kind == "return" {
		return nil
	}
	return err
}

// invokeScriptBlock runs $sb.Invoke(args): the block as a command with
// positional arguments, collecting its output.
func (f *frame) invokeScriptBlock(sb *ScriptBlock, args []any) ([]any, error) {
	return f.invokeScriptBlockInput(sb, args, nil)
}

// invokeScriptBlockInput is invokeScriptBlock with pipeline input ($input).
func (f *frame) invokeScriptBlockInput(sb *ScriptBlock, args []any, input []any) ([]any, error) {
	info := f.s.scriptBlockInfo(sb)
	var raw []rawArg
	for _, a := range args {
		raw = append(raw, rawArg{value: a, hasValue: true})
	}
	b, err := f.s.bindArgs(info, raw, false)
	if err != nil {
		return nil, err
	}
	var out []any
	p := &pipe{f: f, out: func(v any) error { out = append(out, v); return nil }, stopAt: -1}
	g := *f
	st := &stage{p: p, f: &g, info: info}
	st.rt = &cmdRuntime{f: st.f, st: st, common: b.common}
	st.bind = b
	st.call = NewCall(f.ctx, info, st.rt)
	st.call.Stdout = f.s.stdout
	st.call.Width = f.s.width
	st.call.Terminal = f.s.terminal
	p.stages = []*stage{st}
	if input == nil {
		if err := p.run(); err != nil {
			return out, err
		}
		return out, nil
	}
	if err := st.begin(); err != nil {
		return out, err
	}
	for _, v := range input {
		if err := st.process(v, true); err != nil {
			return out, err
		}
	}
	if err := st.end(); err != nil {
		return out, err
	}
	p.finishVariables()
	return out, nil
}

// psCmdlet is $PSCmdlet in an advanced function.
type psCmdlet struct{ c *Call }

func newPSCmdlet(c *Call) *object.PSObject {
	o := object.New("System.Management.Automation.PSScriptCmdlet")
	o.Base = psCmdlet{c}
	o.Add("ParameterSetName", c.ParameterSet)
	return o
}

func (p psCmdlet) String() string { return p.c.Info.Name }

// psCmdletMethods are the methods of $PSCmdlet that CallMethod implements.
var psCmdletMethods = []string{"ShouldProcess", "ShouldContinue", "WriteError", "ThrowTerminatingError", "WriteObject", "WriteVerbose", "WriteWarning"}

// HasMethod reports whether $PSCmdlet has the method name.
func (psCmdlet) HasMethod(name string) bool {
	for _, m := range psCmdletMethods {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}

// CallMethod implements $PSCmdlet's methods.
func (p psCmdlet) CallMethod(name string, args []any) (any, bool, error) {
	str := func(i int) string {
		if i < len(args) {
			return object.ToString(args[i])
		}
		return ""
	}
	switch strings.ToLower(name) {
	case "shouldprocess":
		target, action := str(0), p.c.Info.Name
		if len(args) > 1 {
			action = str(1)
		}
		return p.c.ShouldProcess(target, action), true, nil
	case "shouldcontinue":
		return true, true, nil
	case "writeerror":
		if len(args) == 1 {
			if r, ok := args[0].(*ErrorRecord); ok {
				p.c.WriteError(r)
				return nil, true, nil
			}
			p.c.WriteError(fmt.Errorf("%s", str(0)))
		}
		return nil, true, nil
	case "throwterminatingerror":
		if len(args) == 1 {
			if r, ok := args[0].(*ErrorRecord); ok {
				return nil, true, r
			}
		}
		return nil, true, fmt.Errorf("%s", str(0))
	case "writeobject":
		if len(args) != 1 {
			return nil, true, badArgCount(name, len(args))
		}
		return nil, true, p.c.WriteObject(args[0])
	case "writeverbose":
		p.c.WriteVerbose(str(0))
		return nil, true, nil
	case "writewarning":
		p.c.WriteWarning(str(0))
		return nil, true, nil
	}
	return nil, false, nil
}

func myInvocation(c *Call, rt *cmdRuntime) *object.PSObject {
	o := object.New("System.Management.Automation.InvocationInfo")
	line := ""
	if rt.f.src != nil {
		line = rt.f.src.line(rt.span.Start.Line)
	}
	cmd := object.New("System.Management.Automation.FunctionInfo")
	cmd.Base = commandName(c.Info.Name)
	cmd.Add("Name", c.Info.Name).Add("CommandType", "Function")
	o.Add("MyCommand", cmd).Add("ScriptLineNumber", rt.span.Start.Line).Add("Line", line).
		Add("InvocationName", c.Info.Name).Add("PipelineLength", len(rt.st.p.stages)).Add("PipelinePosition", rt.st.idx+1)
	return o
}

// commandName prints as a command's name ($MyInvocation.MyCommand).
type commandName string

func (n commandName) String() string { return string(n) }
