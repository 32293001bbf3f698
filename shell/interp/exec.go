package interp

import (
	"context"
	"errors"
	"strings"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// sink receives the objects a statement writes to its output.
type sink func(v any) error

// frame is the context statements run in: the scope, where output and
// errors go, and the function being run (for error messages).
type frame struct {
	s   *Session
	ctx context.Context
	sc  *scope
	out sink
	src *source
	// errSink, when set, receives error records instead of the host
	// (2>$null, 2>&1, 2> file).
	errSink func(*ErrorRecord)
	// fn is the function being run, or nil at script level.
	fn *fnCall
	// loopDepth counts enclosing loops, so break outside one ends the script.
	loopDepth int
	// callDepth counts the function calls on the stack.
	callDepth int
}

// maxCallDepth is where deep recursion fails, as PowerShell's does,
// before it could exhaust the Go stack.
const maxCallDepth = 1000

// fnCall describes a running function for error messages.
type fnCall struct {
	name string
	pos  syntax.Span
	src  *source
}

// flow is a break, continue, return or exit unwinding the stack.
type flow struct {
	kind  string // "break", "continue", "return", "exit"
	label string
	code  int
}

func (f *flow) Error() string { return f.kind }

func (f *frame) with(out sink) *frame {
	g := *f
	g.out = out
	return &g
}

// runBlockBody runs a script's or script block's statements (all named
// blocks in order) in the frame.
func (f *frame) runBlockBody(sb *syntax.ScriptBlock) error {
	if sb.Named {
		if err := f.runStmts(sb.Begin); err != nil {
			return err
		}
		if err := f.runStmts(sb.Process); err != nil {
			return err
		}
	}
	return f.runStmts(sb.Body)
}

// runStmts runs statements; a statement-terminating error is reported and
// the next statement runs, unless a try block or $ErrorActionPreference =
// 'Stop' asks for it to propagate.
func (f *frame) runStmts(list []syntax.Stmt) error {
	var traps []*syntax.TrapStmt
	for _, st := range list {
		if t, ok := st.(*syntax.TrapStmt); ok {
			traps = append(traps, t)
		}
	}
	for _, st := range list {
		if _, ok := st.(*syntax.TrapStmt); ok {
			continue
		}
		if err := f.ctx.Err(); err != nil {
			return err
		}
		err := f.runStmt(st)
		if err == nil {
			continue
		}
		rec, ok := err.(*ErrorRecord)
		if !ok {
			return err
		}
		if len(traps) > 0 {
			cont, terr := f.runTrap(traps, rec)
			if terr != nil {
				return terr
			}
			if cont {
				continue
			}
			return nil
		}
		if rec.fatal || f.s.tryDepth > 0 {
			return rec
		}
		if f.preference("ErrorActionPreference") == "stop" {
			rec.fatal = true
			return rec
		}
		f.reportError(rec)
		f.s.lastOK = false
	}
	return nil
}

// runTrap runs the first matching trap for rec. It reports whether
// execution continues with the next statement.
func (f *frame) runTrap(traps []*syntax.TrapStmt, rec *ErrorRecord) (bool, error) {
	for _, t := range traps {
		if t.Type != "" && !catchMatches([]string{t.Type}, rec) {
			continue
		}
		f.addError(rec)
		old, had := f.sc.vars["_"]
		f.sc.set("_", rec)
		err := f.runStmts(t.Body.Stmts)
		if had {
			f.sc.vars["_"] = old
		} else {
			delete(f.sc.vars, "_")
		}
		if fl, ok := err.(*flow); ok {
			switch fl.kind {
			case "continue":
				return true, nil
			case "break":
				rec.fatal = true
				return false, rec
			}
		}
		if err != nil {
			return false, err
		}
		// Without continue, the error is shown and execution goes on.
		f.display(rec)
		f.s.lastOK = false
		return true, nil
	}
	f.reportError(rec)
	return true, nil
}

// preference returns a preference variable's value, lower-case.
func (f *frame) preference(name string) string {
	v, _ := f.lookupVar("", name)
	return strings.ToLower(object.ToString(v))
}

func (f *frame) runStmt(st syntax.Stmt) error {
	serial := f.s.errSerial
	err := f.stmt(st)
	if _, isFlow := err.(*flow); !isFlow {
		if _, isTry := st.(*syntax.TryStmt); isTry && err == nil {
			// A try statement that ends normally leaves $? as the last
			// statement it ran set it: a catch that handled the error
			// and succeeded makes it $true.
			return nil
		}
		f.s.lastOK = err == nil && f.s.errSerial == serial
	}
	return err
}

func (f *frame) stmt(st syntax.Stmt) error {
	switch st := st.(type) {
	case *syntax.Pipeline:
		return f.pipeline(st, f.out)
	case *syntax.AssignStmt:
		return f.assign(st)
	case *syntax.IfStmt:
		for _, c := range st.Clauses {
			v, err := f.condValue(c.Cond)
			if err != nil {
				return err
			}
			if object.ToBool(v) {
				return f.runStmts(c.Body.Stmts)
			}
		}
		if st.Else != nil {
			return f.runStmts(st.Else.Stmts)
		}
		return nil
	case *syntax.WhileStmt:
		return f.loop(st.Label, nil, st.Cond, nil, st.Body, false, false)
	case *syntax.DoStmt:
		return f.loop(st.Label, nil, st.Cond, nil, st.Body, true, st.Until)
	case *syntax.ForStmt:
		return f.loop(st.Label, st.Init, st.Cond, st.Iter, st.Body, false, false)
	case *syntax.ForeachStmt:
		return f.foreach(st)
	case *syntax.SwitchStmt:
		return f.switchStmt(st)
	case *syntax.FunctionDef:
		f.s.defineFunction(st, f.src, f)
		return nil
	case *syntax.TryStmt:
		return f.try(st)
	case *syntax.TrapStmt:
		return nil
	case *syntax.FlowStmt:
		return f.flowStmt(st)
	}
	return nil
}

// condValue evaluates a condition: a pipeline's collected output.
func (f *frame) condValue(st syntax.Stmt) (any, error) {
	return f.stmtValue(st)
}

// stmtValue evaluates a statement as a value: a pure expression gives its
// value; anything else gives its collected output ($null, one object or
// an array).
func (f *frame) stmtValue(st syntax.Stmt) (any, error) {
	if pl, ok := st.(*syntax.Pipeline); ok && len(pl.Elems) == 1 {
		if ec, ok := pl.Elems[0].(*syntax.ExprCommand); ok && len(ec.Redirs) == 0 {
			return f.expr(ec.X)
		}
	}
	if as, ok := st.(*syntax.AssignStmt); ok {
		// ($x = 5) yields the assigned value.
		if err := f.assign(as); err != nil {
			return nil, err
		}
		return f.expr(as.Target)
	}
	out, err := f.collect(func(g *frame) error { return g.runStmt(st) })
	if err != nil {
		return nil, err
	}
	return unwrapList(out), nil
}

// collect runs fn with output gathered into a list.
func (f *frame) collect(fn func(g *frame) error) ([]any, error) {
	var out []any
	g := f.with(func(v any) error { out = append(out, v); return nil })
	err := fn(g)
	return out, err
}

// unwrapList returns $null for no objects, the object for one, else the list.
func unwrapList(l []any) any {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

func (f *frame) loop(label string, init, cond, iter syntax.Stmt, body *syntax.Block, post, until bool) error {
	if init != nil {
		if _, err := f.collect(func(g *frame) error { return g.stmt(init) }); err != nil {
			return err
		}
	}
	f.loopDepth++
	defer func() { f.loopDepth-- }()
	first := true
	for {
		if err := f.ctx.Err(); err != nil {
			return err
		}
		if cond != nil && !(post && first) {
			v, err := f.condValue(cond)
			if err != nil {
				return err
			}
			if object.ToBool(v) == until {
				return nil
			}
		}
		first = false
		err := f.runStmts(body.Stmts)
		if brk, done := loopControl(err, label); done {
			return brk
		}
		if iter != nil {
			if _, err := f.collect(func(g *frame) error { return g.stmt(iter) }); err != nil {
				return err
			}
		}
		if post && cond != nil {
			v, err := f.condValue(cond)
			if err != nil {
				return err
			}
			if object.ToBool(v) == until {
				return nil
			}
			first = true
		}
	}
}

// loopControl interprets a loop body's error: it reports whether the loop
// ends, and with which error (nil for a plain break).
func loopControl(err error, label string) (error, bool) {
	if err == nil {
		return nil, false
	}
	fl, ok := err.(*flow)
	if !ok {
		return err, true
	}
	switch fl.kind {
	case "break":
		if fl.label == "" || strings.EqualFold(fl.label, label) {
			return nil, true
		}
		return err, true
	case "continue":
		if fl.label == "" || strings.EqualFold(fl.label, label) {
			return nil, false
		}
		return err, true
	}
	return err, true
}

func (f *frame) foreach(st *syntax.ForeachStmt) error {
	v, err := f.stmtValue(st.In)
	if err != nil {
		return err
	}
	f.loopDepth++
	defer func() { f.loopDepth-- }()
	for _, item := range object.ToList(v) {
		if err := f.ctx.Err(); err != nil {
			return err
		}
		if err := f.setVar(st.Var.Scope, st.Var.Name, item); err != nil {
			return err
		}
		err := f.runStmts(st.Body.Stmts)
		if brk, done := loopControl(err, st.Label); done {
			return brk
		}
	}
	return nil
}

func (f *frame) switchStmt(st *syntax.SwitchStmt) error {
	v, err := f.stmtValue(st.Cond)
	if err != nil {
		return err
	}
	var regex, wildcard, cs bool
	for _, fl := range st.Flags {
		switch fl {
		case "regex":
			regex = true
		case "wildcard":
			wildcard = true
		case "casesensitive":
			cs = true
		case "exact":
			regex, wildcard = false, false
		}
	}
	items := object.ToList(v)
	if v == nil {
		items = []any{nil}
	}
	f.loopDepth++
	defer func() { f.loopDepth-- }()
	old, had := f.sc.vars["_"]
	defer func() {
		if had {
			f.sc.vars["_"] = old
		} else {
			delete(f.sc.vars, "_")
		}
	}()
	for _, item := range items {
		f.sc.set("_", item)
		matched := false
		for _, c := range st.Cases {
			ok, err := f.switchMatch(c.Pattern, item, regex, wildcard, cs)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			matched = true
			err = f.runStmts(c.Body.Stmts)
			if err != nil {
				if fl, isFlow := err.(*flow); isFlow && (fl.label == "" || strings.EqualFold(fl.label, st.Label)) {
					if fl.kind == "break" {
						return nil
					}
					if fl.kind == "continue" {
						break
					}
				}
				return err
			}
		}
		if !matched && st.Default != nil {
			if err := f.runStmts(st.Default.Stmts); err != nil {
				if fl, isFlow := err.(*flow); isFlow && (fl.label == "" || strings.EqualFold(fl.label, st.Label)) {
					if fl.kind == "break" {
						return nil
					}
					continue
				}
				return err
			}
		}
	}
	return nil
}

func (f *frame) switchMatch(pat syntax.Expr, item any, regex, wildcard, cs bool) (bool, error) {
	if sbx, ok := pat.(*syntax.ScriptBlockExpr); ok {
		out, err := f.collect(func(g *frame) error { return g.runStmts(sbx.Block.Body) })
		if err != nil {
			return false, err
		}
		return object.ToBool(unwrapList(out)), nil
	}
	p, err := f.expr(pat)
	if err != nil {
		return false, err
	}
	switch {
	case regex:
		var m *object.Hashtable
		ok, err := scalarCompare("match", cs, item, p, &m)
		if ok && m != nil {
			f.sc.set("Matches", m)
		}
		return ok, err
	case wildcard:
		return like(object.ToString(item), object.ToString(p), cs)
	}
	if item == nil {
		return p == nil, nil
	}
	return object.Equal(item, p, cs), nil
}

func (f *frame) try(st *syntax.TryStmt) error {
	f.s.tryDepth++
	err := f.runStmts(st.Body.Stmts)
	f.s.tryDepth--
	var rec *ErrorRecord
	if err != nil {
		if r, ok := err.(*ErrorRecord); ok {
			rec = r
		} else if !isControl(err) {
			rec = toRecord(err, "")
		}
	}
	if rec != nil {
		for _, c := range st.Catches {
			if len(c.Types) > 0 && !catchMatches(c.Types, rec) {
				continue
			}
			f.addError(rec)
			old, had := f.sc.vars["_"]
			f.sc.set("_", rec)
			f.s.lastOK = true
			err = f.runStmts(c.Body.Stmts)
			if had {
				f.sc.vars["_"] = old
			} else {
				delete(f.sc.vars, "_")
			}
			break
		}
	}
	if st.Finally != nil {
		if ferr := f.runStmts(st.Finally.Stmts); ferr != nil {
			return ferr
		}
	}
	return err
}

// isControl reports errors that are not script errors: flow control,
// pipeline stop and cancellation.
func isControl(err error) bool {
	if _, ok := err.(*flow); ok {
		return true
	}
	return errors.Is(err, ErrPipelineStopped) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// catchMatches reports whether a catch [Type] clause applies to rec: by
// the exception's type or one of its base types.
func catchMatches(types []string, rec *ErrorRecord) bool {
	for _, t := range types {
		short := t
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			short = t[i+1:]
		}
		if strings.EqualFold(short, "Object") || isExceptionA(rec.Reason, short) {
			return true
		}
		if rec.inner != "" && isExceptionA(rec.inner, short) {
			return true
		}
		if strings.EqualFold(short, "ActionPreferenceStopException") && rec.fatal {
			return true
		}
	}
	return false
}

func (f *frame) flowStmt(st *syntax.FlowStmt) error {
	switch st.Keyword {
	case "break", "continue":
		label := st.Label
		if st.Value != nil {
			v, err := f.stmtValue(st.Value)
			if err != nil {
				return err
			}
			label = object.ToString(v)
		}
		return &flow{kind: st.Keyword, label: label}
	case "return":
		if st.Value != nil {
			if err := f.stmt(st.Value); err != nil {
				return err
			}
		}
		return &flow{kind: "return"}
	case "exit":
		code := 0
		if st.Value != nil {
			v, err := f.stmtValue(st.Value)
			if err != nil {
				return err
			}
			if n, err := object.ToInt(v); err == nil {
				code = n
			}
		}
		f.s.global.set("LASTEXITCODE", code)
		return &flow{kind: "exit", code: code}
	case "throw":
		var v any
		if st.Value == nil {
			// A bare throw in a catch block rethrows the error being handled.
			if cur, ok := f.lookupVar("", "_"); ok {
				if rec, ok := cur.(*ErrorRecord); ok {
					rec.fatal = true
					return rec
				}
			}
		}
		if st.Value != nil {
			var err error
			v, err = f.stmtValue(st.Value)
			if err != nil {
				return err
			}
		}
		rec := throwRecord(v)
		f.position(rec, st.Span)
		rec.fatal = true
		return rec
	}
	return nil
}

// throwRecord makes the error record of `throw value`.
func throwRecord(v any) *ErrorRecord {
	if r, ok := v.(*ErrorRecord); ok {
		return r
	}
	if ex, ok := v.(*object.PSObject); ok && strings.HasSuffix(ex.TypeName(), "Exception") {
		msg := object.ToString(getMember(ex, "Message"))
		short := ex.TypeName()[strings.LastIndexByte(ex.TypeName(), '.')+1:]
		return &ErrorRecord{Message: msg, Category: "OperationStopped", Reason: short, FullyQualifiedErrorId: msg,
			noActivity: true, exception: ex}
	}
	if v == nil {
		return &ErrorRecord{Message: "ScriptHalted", Category: "OperationStopped", Reason: "RuntimeException",
			FullyQualifiedErrorId: "ScriptHalted", noActivity: true}
	}
	msg := object.ToString(v)
	rec := &ErrorRecord{
		Message:               msg,
		Category:              "OperationStopped",
		Reason:                "RuntimeException",
		TargetName:            msg,
		FullyQualifiedErrorId: msg,
		TargetObject:          v,
		noActivity:            true,
	}
	if _, isString := v.(string); !isString && v != nil {
		rec.TargetName = object.ToString(v)
	}
	return rec
}
