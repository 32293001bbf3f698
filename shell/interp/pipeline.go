package interp

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime/debug"
	"strings"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// A pipeline runs on the caller's goroutine with PowerShell's push model:
// every Begin runs first, then each object a stage writes is processed by
// the next stage at once (so objects stream and Write-Host interleaves as
// in PowerShell), then every End runs in order. A stage that wants no more
// input (Select-Object -First) returns ErrPipelineStopped; the stages
// before it are stopped without their End, the rest finish normally.

// pipe is one running pipeline.
type pipe struct {
	f      *frame
	stages []*stage
	out    sink
	// stopAt is the index of the stage that stopped the pipeline, or -1.
	stopAt int
	// outerStopped is set when the pipeline's own output was refused: an
	// enclosing pipeline has stopped.
	outerStopped bool
	// failed is the stage that raised a terminating error.
	failed *stage
}

// stage is one element of a pipeline.
type stage struct {
	p    *pipe
	idx  int
	f    *frame // the caller's frame, with this element's redirections
	node syntax.PipeElem
	// Exactly one of expr and info is set.
	expr syntax.Expr
	info *CmdletInfo
	call *Call
	rt   *cmdRuntime
	bind *binding
	// redirOut receives this element's output instead of the next stage
	// (> file, > $null).
	redirOut func(v any) error
	closers  []func() error
	// itemBound is the Bound map Process gets, filled again for every
	// input object: blocks read Call.Bound only while they run.
	itemBound map[string]any
}

func (f *frame) pipeline(pl *syntax.Pipeline, out sink) error {
	if len(pl.Elems) == 1 {
		if ec, ok := pl.Elems[0].(*syntax.ExprCommand); ok && len(ec.Redirs) == 0 {
			return f.exprStatement(ec.X, out)
		}
	}
	p := &pipe{f: f, out: out, stopAt: -1}
	defer func() {
		for _, st := range p.stages {
			for _, c := range st.closers {
				c()
			}
		}
	}()
	for i, e := range pl.Elems {
		st, err := f.prepareStage(p, i, e)
		if err != nil {
			return st.routeError(err)
		}
		p.stages = append(p.stages, st)
	}
	err := p.run()
	if err != nil && p.failed != nil {
		return p.failed.routeError(err)
	}
	return err
}

// routeError sends a statement-terminating error of a stage whose errors
// are redirected (2>$null, 2> file) to that redirection.
func (st *stage) routeError(err error) error {
	rec, ok := err.(*ErrorRecord)
	if st == nil || !ok || st.f.errSink == nil || rec.fatal || st.f.s.tryDepth > 0 || st.f.preference("ErrorActionPreference") == "stop" {
		return err
	}
	st.f.reportError(rec)
	return nil
}

// exprStatement evaluates an expression used as a statement and writes its
// value, enumerating arrays. Assignments-like expressions (++, [void])
// write nothing.
func (f *frame) exprStatement(x syntax.Expr, out sink) error {
	switch e := x.(type) {
	case *syntax.UnaryExpr:
		if e.Op == "++" || e.Op == "--" {
			_, err := f.expr(x)
			return err
		}
	case *syntax.ConvertExpr:
		if strings.EqualFold(e.Type.Name, "void") {
			_, err := f.expr(e.X)
			return err
		}
	case *syntax.InvokeExpr:
		v, err := f.invoke(e)
		if err != nil {
			return err
		}
		if _, isVoid := v.(voidResult); isVoid {
			return nil
		}
		return writeEnumerated(v, out)
	}
	v, err := f.expr(x)
	if err != nil {
		return err
	}
	return writeEnumerated(v, out)
}

func writeEnumerated(v any, out sink) error {
	if object.IsArray(v) {
		for _, e := range object.ToList(v) {
			if err := out(e); err != nil {
				return err
			}
		}
		return nil
	}
	return out(v)
}

// prepareStage resolves an element's command and binds its arguments.
func (f *frame) prepareStage(p *pipe, i int, e syntax.PipeElem) (*stage, error) {
	g := *f
	st := &stage{p: p, idx: i, f: &g, node: e}
	if err := st.redirect(e.Redirections()); err != nil {
		return nil, err
	}
	st, err := st.prepare(f, e)
	if err != nil && st != nil {
		return st, err
	}
	return st, err
}

func (st *stage) prepare(f *frame, e syntax.PipeElem) (*stage, error) {
	i := st.idx
	switch e := e.(type) {
	case *syntax.ExprCommand:
		st.expr = e.X
		return st, nil
	case *syntax.Command:
		info, dot, err := f.resolveCommand(e)
		if err != nil {
			return st, err
		}
		args, err := f.commandArgs(e)
		if err != nil {
			return st, err
		}
		if askedHelp(args) {
			// `<command> -?` is Get-Help <command>.
			if help := f.s.lookupCommand(f.sc, "Get-Help"); help != nil {
				args = []rawArg{{value: info.Name, hasValue: true, span: e.Span}}
				info = help
			}
		}
		st.info = info
		rt := &cmdRuntime{f: st.f, st: st, span: e.Span, dot: dot}
		st.rt = rt
		c := NewCall(f.ctx, info, rt)
		c.Stdout = f.s.stdout
		c.Width = f.s.width
		c.Terminal = f.s.terminal
		st.call = c
		b, err := f.s.bindArgs(info, args, i > 0)
		if err != nil {
			rec := recordFor(err, info)
			st.f.position(rec, e.Span)
			return st, rec
		}
		st.bind = b
		rt.common = b.common
		c.ParameterSet = b.set
		return st, nil
	}
	return nil, errors.New("internal error: a pipeline element of an unknown kind")
}

// askedHelp reports whether the arguments hold -?.
func askedHelp(args []rawArg) bool {
	for _, a := range args {
		if a.named && a.name == "?" {
			return true
		}
	}
	return false
}

// redirect applies an element's redirections to the stage.
func (st *stage) redirect(rs []*syntax.Redirect) error {
	for _, r := range rs {
		var target any
		if r.Target != nil {
			v, err := st.f.expr(r.Target)
			if err != nil {
				return err
			}
			target = v
		}
		toNull := r.Target != nil && target == nil
		var w *os.File
		if !r.Merge && !toNull {
			flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
			if r.Append {
				flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
			}
			file, err := os.OpenFile(object.ToString(target), flags, 0o644)
			if err != nil {
				rec := NewError("OpenError", "IOException", "FileOpenFailure", object.ToString(target), "%s", err.Error())
				rec.noActivity = true
				st.f.position(rec, r.Span)
				return rec
			}
			w = file
			st.closers = append(st.closers, file.Close)
		}
		switch r.Stream {
		case 1, 0:
			switch {
			case toNull:
				st.redirOut = func(any) error { return nil }
			case w != nil:
				out := st.f.s.newOutput(w)
				st.redirOut = out.Write
				st.closers = append([]func() error{out.Close}, st.closers...)
			}
			if r.Stream == 0 {
				st.redirectErrors(toNull, w, false)
			}
		case 2:
			st.redirectErrors(toNull, w, r.Merge)
		default:
			// Warning, verbose and other streams: only discarding is supported.
		}
	}
	return nil
}

func (st *stage) redirectErrors(toNull bool, w *os.File, merge bool) {
	switch {
	case toNull:
		st.f.errSink = func(*ErrorRecord) {}
	case merge:
		st.f.errSink = func(rec *ErrorRecord) { st.p.emit(st.idx, rec) }
	case w != nil:
		st.f.errSink = func(rec *ErrorRecord) { w.WriteString(FormatError(rec)) }
	}
}

// resolveCommand finds the command an element calls. dot reports
// dot-sourcing (". { }"): the body runs in the caller's scope.
func (f *frame) resolveCommand(c *syntax.Command) (*CmdletInfo, bool, error) {
	var nameVal any
	if sl, ok := c.Name.(*syntax.StringLit); ok {
		nameVal = sl.Value
	} else {
		v, err := f.expr(c.Name)
		if err != nil {
			return nil, false, err
		}
		nameVal = v
	}
	switch v := nameVal.(type) {
	case *ScriptBlock:
		return f.s.scriptBlockInfo(v), c.Invoke == ".", nil
	case *CmdletInfo:
		return v, false, nil
	}
	name := object.ToString(nameVal)
	if info := f.s.lookupCommand(f.sc, name); info != nil {
		return info, false, nil
	}
	if path, ok := f.scriptFile(name); ok {
		info, err := f.s.scriptFileInfo(path)
		if err != nil {
			return nil, false, err
		}
		return info, c.Invoke == ".", nil
	}
	rec := &ErrorRecord{
		Message: fmt.Sprintf("The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program. "+
			"Check the spelling of the name, or if a path was included, verify that the path is correct and try again.", name),
		Category:              "ObjectNotFound",
		Reason:                "CommandNotFoundException",
		TargetName:            name,
		FullyQualifiedErrorId: "CommandNotFoundException",
		invocation:            name,
		noActivity:            true,
	}
	f.position(rec, syntax.Span{Start: c.Name.Pos(), Stop: c.Name.End()})
	return nil, false, rec
}

// commandArgs evaluates a command's arguments, expanding @splats.
func (f *frame) commandArgs(c *syntax.Command) ([]rawArg, error) {
	args := make([]rawArg, 0, len(c.Args))
	for _, a := range c.Args {
		switch a := a.(type) {
		case *syntax.ParamArg:
			ra := rawArg{name: a.Name, named: true, span: a.Span}
			if a.Colon {
				v, err := f.expr(a.Value)
				if err != nil {
					return nil, err
				}
				ra.value, ra.hasValue = v, true
			}
			args = append(args, ra)
		case *syntax.ArgExpr:
			if v, ok := a.X.(*syntax.VarExpr); ok && v.Splat {
				val, _ := f.lookupVar(v.Scope, v.Name)
				switch s := val.(type) {
				case *object.Hashtable:
					for _, k := range s.Keys() {
						kv, _ := s.Get(k)
						args = append(args, rawArg{name: object.ToString(k), named: true, value: kv, hasValue: true, span: a.Span})
					}
				default:
					for _, e := range object.ToList(val) {
						args = append(args, rawArg{value: e, hasValue: true, span: a.Span})
					}
				}
				continue
			}
			v, err := f.expr(a.X)
			if err != nil {
				return nil, err
			}
			args = append(args, rawArg{value: v, hasValue: true, span: a.Span, bare: isBare(a.X)})
		}
	}
	return args, nil
}

func isBare(x syntax.Expr) bool {
	switch x := x.(type) {
	case *syntax.StringLit:
		return x.Bare
	case *syntax.ExpandString:
		return x.Bare
	}
	return false
}

func (p *pipe) run() error {
	for _, st := range p.stages {
		if st.info == nil {
			continue
		}
		if err := st.f.s.checkMandatory(st.bind, st.bind.bound, st.idx > 0); err != nil {
			rec := recordFor(err, st.info)
			st.f.position(rec, st.rt.span)
			return rec
		}
	}
	for _, st := range p.stages {
		if err := st.begin(); err != nil {
			return p.fail(err)
		}
	}
	err := p.stages[0].start()
	if err != nil {
		if errors.Is(err, ErrPipelineStopped) && !p.outerStopped && p.stopAt < 0 {
			p.stopAt = 0 // the first command stopped itself
		}
		if !errors.Is(err, ErrPipelineStopped) || p.outerStopped {
			return p.fail(err)
		}
	}
	from := 0
	if p.stopAt >= 0 {
		from = p.stopAt
	}
	for _, st := range p.stages[from:] {
		if err := st.end(); err != nil {
			if errors.Is(err, ErrPipelineStopped) && !p.outerStopped && p.stopAt >= 0 {
				continue
			}
			return p.fail(err)
		}
	}
	p.finishVariables()
	return nil
}

// fail ends a pipeline with a terminating error.
func (p *pipe) fail(err error) error {
	p.finishVariables()
	if errors.Is(err, ErrPipelineStopped) && !p.outerStopped {
		return nil
	}
	return err
}

// finishVariables sets -OutVariable and -ErrorVariable of every stage.
func (p *pipe) finishVariables() {
	for _, st := range p.stages {
		if st.rt != nil {
			st.rt.finish()
		}
	}
}

// emit sends an object written by stage i to the next stage, or to the
// pipeline's output after the last.
func (p *pipe) emit(i int, v any) error {
	st := p.stages[i]
	if st.redirOut != nil {
		return st.redirOut(v)
	}
	if i == len(p.stages)-1 {
		err := p.out(v)
		if errors.Is(err, ErrPipelineStopped) {
			p.outerStopped = true
		}
		return err
	}
	err := p.stages[i+1].process(v, true)
	if errors.Is(err, ErrPipelineStopped) && p.stopAt < 0 && !p.outerStopped {
		p.stopAt = i + 1
	}
	return err
}

func (st *stage) begin() error {
	if st.info == nil || st.info.Begin == nil {
		return nil
	}
	c := st.call
	c.Bound = st.bind.copyBound()
	return st.terminate(st.safeCall(st.info.Begin, c))
}

// safeCall runs a command block, turning a panic into a terminating
// error so a faulty command cannot take the shell down.
func (st *stage) safeCall(block func(*Call) error, c *Call) (err error) {
	defer func() {
		if r := recover(); r != nil {
			rec := NewError("NotSpecified", "InvalidOperationException", "InternalError", "",
				"Internal error in %s: %v", st.info.Name, r)
			rec.Exception = fmt.Errorf("%v\n%s", r, debug.Stack())
			err = rec
		}
	}()
	return block(c)
}

// start runs the first stage: an expression writes its value; a command
// runs Process once without input.
func (st *stage) start() error {
	if st.expr != nil {
		v, err := st.f.expr(st.expr)
		if err != nil {
			st.p.failed = st
			return err
		}
		return writeEnumerated(v, func(v any) error { return st.p.emit(st.idx, v) })
	}
	return st.process(nil, false)
}

// process runs a command's Process for one input object.
func (st *stage) process(input any, hasInput bool) error {
	if st.p.stopAt >= 0 && st.idx <= st.p.stopAt {
		return ErrPipelineStopped
	}
	if err := st.f.ctx.Err(); err != nil {
		return err
	}
	if st.info == nil {
		// Expressions are only allowed first; nothing to do for input.
		return nil
	}
	c := st.call
	if st.itemBound == nil {
		st.itemBound = st.bind.copyBound()
	} else {
		clear(st.itemBound)
		maps.Copy(st.itemBound, st.bind.bound)
	}
	c.Bound = st.itemBound
	c.Input, c.HasInput = input, hasInput
	if hasInput {
		if err := st.f.s.bindInput(st.bind, c.Bound, input); err != nil {
			rec := recordFor(err, st.info)
			rec.TargetObject = input
			st.rt.WriteError(rec)
			return st.terminate(nil)
		}
	}
	if hasInput {
		if err := st.f.s.checkMandatory(st.bind, c.Bound, false); err != nil {
			st.rt.WriteError(err)
			return st.terminate(nil)
		}
	}
	if st.info.Process == nil {
		return st.terminate(nil)
	}
	return st.terminate(st.safeCall(st.info.Process, c))
}

func (st *stage) end() error {
	if st.info == nil || st.info.End == nil {
		return nil
	}
	c := st.call
	c.Input, c.HasInput = nil, false
	return st.terminate(st.safeCall(st.info.End, c))
}

// terminate turns what a command block returned into the pipeline's
// error: control flow passes through; other errors become error records
// with the command's name and position.
func (st *stage) terminate(err error) error {
	if err == nil {
		if st.rt.pendingStop != nil {
			rec := st.rt.pendingStop
			st.rt.pendingStop = nil
			return rec
		}
		return nil
	}
	if isControl(err) {
		if st.rt.pendingStop != nil && errors.Is(err, ErrPipelineStopped) && !st.p.outerStopped && st.p.stopAt < 0 {
			rec := st.rt.pendingStop
			st.rt.pendingStop = nil
			return rec
		}
		return err
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return &flow{kind: "exit", code: ee.Code}
	}
	rec := recordFor(err, st.info)
	st.f.position(rec, st.rt.span)
	st.p.failed = st
	if st.rt.pendingStop == rec {
		st.rt.pendingStop = nil
	}
	if st.rt.common.errorAction == "stop" {
		rec.fatal = true
	}
	if st.rt.common.errorVariable != "" {
		st.rt.errVar = append(st.rt.errVar, rec)
	}
	return rec
}
