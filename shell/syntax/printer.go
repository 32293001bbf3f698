package syntax

import (
	"strings"
)

// Print returns the source text of a node. Parsing the result gives the
// same tree (positions aside); the layout is canonical: one statement per
// line, blocks indented by four spaces.
func Print(n Node) string {
	var p printer
	p.node(n)
	return p.b.String()
}

type printer struct {
	b      strings.Builder
	indent int
}

func (p *printer) w(s string) { p.b.WriteString(s) }

func (p *printer) nl() {
	p.b.WriteByte('\n')
	for i := 0; i < p.indent; i++ {
		p.w("    ")
	}
}

func (p *printer) node(n Node) {
	switch n := n.(type) {
	case *ScriptBlock:
		p.scriptBody(n)
	case Stmt:
		p.stmt(n)
	case Expr:
		p.expr(n)
	case *Block:
		p.block(n)
	case PipeElem:
		p.pipeElem(n)
	}
}

func (p *printer) scriptBody(sb *ScriptBlock) {
	first := true
	sep := func() {
		if !first {
			p.nl()
		}
		first = false
	}
	for _, a := range sb.Attrs {
		sep()
		p.attribute(a)
	}
	if sb.Param != nil {
		sep()
		p.w("param(")
		p.params(sb.Param.Params)
		p.w(")")
	}
	if sb.Named {
		for _, nb := range []struct {
			name  string
			stmts []Stmt
		}{{"begin", sb.Begin}, {"process", sb.Process}, {"end", sb.Body}} {
			if nb.stmts == nil {
				continue
			}
			sep()
			p.w(nb.name + " ")
			p.stmtBlock(nb.stmts)
		}
		return
	}
	for _, s := range sb.Body {
		sep()
		p.stmt(s)
	}
}

func (p *printer) params(list []*Param) {
	for i, prm := range list {
		if i > 0 {
			p.w(", ")
		}
		for _, a := range prm.Attrs {
			p.attribute(a)
		}
		p.w("$" + prm.Name)
		if prm.Default != nil {
			p.w(" = ")
			p.expr(prm.Default)
		}
	}
}

func (p *printer) attribute(a *Attribute) {
	p.w("[" + a.Name)
	if !a.IsType {
		p.w("(")
		n := 0
		for _, x := range a.Args {
			if n > 0 {
				p.w(", ")
			}
			p.expr(x)
			n++
		}
		for _, na := range a.Named {
			if n > 0 {
				p.w(", ")
			}
			p.w(na.Name)
			if na.Value != nil {
				p.w(" = ")
				p.expr(na.Value)
			}
			n++
		}
		p.w(")")
	}
	p.w("]")
}

func (p *printer) stmtBlock(stmts []Stmt) {
	p.w("{")
	p.indent++
	for _, s := range stmts {
		p.nl()
		p.stmt(s)
	}
	p.indent--
	p.nl()
	p.w("}")
}

func (p *printer) block(b *Block) { p.stmtBlock(b.Stmts) }

func (p *printer) label(l string) {
	if l != "" {
		p.w(":" + l + " ")
	}
}

func (p *printer) stmt(s Stmt) {
	switch s := s.(type) {
	case *Pipeline:
		for i, e := range s.Elems {
			if i > 0 {
				p.w(" | ")
			}
			p.pipeElem(e)
		}
	case *AssignStmt:
		p.expr(s.Target)
		p.w(" " + s.Op + " ")
		p.stmt(s.Value)
	case *IfStmt:
		for i, c := range s.Clauses {
			if i == 0 {
				p.w("if (")
			} else {
				p.w(" elseif (")
			}
			p.stmt(c.Cond)
			p.w(") ")
			p.block(c.Body)
		}
		if s.Else != nil {
			p.w(" else ")
			p.block(s.Else)
		}
	case *WhileStmt:
		p.label(s.Label)
		p.w("while (")
		p.stmt(s.Cond)
		p.w(") ")
		p.block(s.Body)
	case *DoStmt:
		p.label(s.Label)
		p.w("do ")
		p.block(s.Body)
		if s.Until {
			p.w(" until (")
		} else {
			p.w(" while (")
		}
		p.stmt(s.Cond)
		p.w(")")
	case *ForStmt:
		p.label(s.Label)
		p.w("for (")
		if s.Init != nil {
			p.stmt(s.Init)
		}
		p.w("; ")
		if s.Cond != nil {
			p.stmt(s.Cond)
		}
		p.w("; ")
		if s.Iter != nil {
			p.stmt(s.Iter)
		}
		p.w(") ")
		p.block(s.Body)
	case *ForeachStmt:
		p.label(s.Label)
		p.w("foreach (")
		p.expr(s.Var)
		p.w(" in ")
		p.stmt(s.In)
		p.w(") ")
		p.block(s.Body)
	case *SwitchStmt:
		p.label(s.Label)
		p.w("switch ")
		for _, f := range s.Flags {
			p.w("-" + f + " ")
		}
		p.w("(")
		p.stmt(s.Cond)
		p.w(") {")
		p.indent++
		for _, c := range s.Cases {
			p.nl()
			p.argExpr(c.Pattern)
			p.w(" ")
			p.block(c.Body)
		}
		if s.Default != nil {
			p.nl()
			p.w("default ")
			p.block(s.Default)
		}
		p.indent--
		p.nl()
		p.w("}")
	case *FunctionDef:
		if s.Filter {
			p.w("filter ")
		} else {
			p.w("function ")
		}
		p.w(s.Name)
		if s.Params != nil {
			p.w("(")
			p.params(s.Params)
			p.w(")")
		}
		p.w(" ")
		p.scriptBlockLit(s.Body)
	case *TryStmt:
		p.w("try ")
		p.block(s.Body)
		for _, c := range s.Catches {
			p.w(" catch ")
			for i, t := range c.Types {
				if i > 0 {
					p.w(", ")
				}
				p.w("[" + t + "] ")
			}
			p.block(c.Body)
		}
		if s.Finally != nil {
			p.w(" finally ")
			p.block(s.Finally)
		}
	case *TrapStmt:
		p.w("trap ")
		if s.Type != "" {
			p.w("[" + s.Type + "] ")
		}
		p.block(s.Body)
	case *FlowStmt:
		p.w(s.Keyword)
		if s.Label != "" {
			p.w(" " + s.Label)
		}
		if s.Value != nil {
			p.w(" ")
			p.stmt(s.Value)
		}
	}
}

func (p *printer) scriptBlockLit(sb *ScriptBlock) {
	p.w("{")
	p.indent++
	p.nl()
	p.scriptBody(sb)
	p.indent--
	p.nl()
	p.w("}")
}

func (p *printer) pipeElem(e PipeElem) {
	switch e := e.(type) {
	case *Command:
		if e.Invoke != "" {
			p.w(e.Invoke + " ")
		}
		p.argExpr(e.Name)
		for _, a := range e.Args {
			p.w(" ")
			switch a := a.(type) {
			case *ParamArg:
				p.w("-" + a.Name)
				if a.Colon {
					p.w(":")
					p.argExpr(a.Value)
				}
			case *ArgExpr:
				p.argExpr(a.X)
			}
		}
	case *ExprCommand:
		p.expr(e.X)
	}
	for _, r := range e.Redirections() {
		p.w(" " + r.Op)
		if r.Target != nil {
			p.argExpr(r.Target)
		}
	}
}

// argExpr prints an expression in argument mode.
func (p *printer) argExpr(x Expr) {
	switch x := x.(type) {
	case *ArrayLit:
		for i, e := range x.Elems {
			if i > 0 {
				p.w(",")
			}
			p.argExpr(e)
		}
	default:
		p.expr(x)
	}
}

func (p *printer) expr(x Expr) {
	switch x := x.(type) {
	case *BinaryExpr:
		p.expr(x.X)
		p.w(" " + x.Op + " ")
		p.expr(x.Y)
	case *UnaryExpr:
		if x.Postfix {
			p.expr(x.X)
			p.w(x.Op)
			return
		}
		p.w(x.Op)
		sub := printer{indent: p.indent}
		sub.expr(x.X)
		inner := sub.b.String()
		if strings.HasPrefix(x.Op, "-") && len(x.Op) > 2 || (x.Op == "-" || x.Op == "+" || x.Op == "--" || x.Op == "++") && inner != "" && strings.ContainsAny(inner[:1], "+-.0123456789") {
			p.w(" ")
		}
		p.w(inner)
	case *ArrayLit:
		for i, e := range x.Elems {
			if i > 0 {
				p.w(", ")
			}
			p.expr(e)
		}
	case *ConvertExpr:
		p.w("[" + x.Type.Name + "]")
		p.expr(x.X)
	case *TypeLit:
		p.w("[" + x.Name + "]")
	case *ParenExpr:
		p.w("(")
		p.stmt(x.X)
		p.w(")")
	case *SubExpr:
		p.w("$(")
		p.inlineStmts(x.Stmts)
		p.w(")")
	case *ArrayExpr:
		p.w("@(")
		p.inlineStmts(x.Stmts)
		p.w(")")
	case *HashLit:
		p.w("@{")
		for i, kv := range x.Pairs {
			if i > 0 {
				p.w("; ")
			}
			p.expr(kv.Key)
			p.w(" = ")
			p.stmt(kv.Value)
		}
		p.w("}")
	case *ScriptBlockExpr:
		p.scriptBlockLit(x.Block)
	case *VarExpr:
		if x.Splat {
			p.w("@")
		} else {
			p.w("$")
		}
		name := x.Name
		if x.Scope != "" {
			name = x.Scope + ":" + name
		}
		if x.Braced {
			p.w("{" + name + "}")
		} else {
			p.w(name)
		}
	case *NumberLit:
		p.w(x.Raw)
	case *StringLit:
		p.w(x.Raw)
	case *ExpandString:
		p.w(x.Raw)
	case *MemberExpr:
		p.expr(x.X)
		p.memberOp(x.Static)
		p.expr(x.Member)
	case *InvokeExpr:
		p.expr(x.X)
		p.memberOp(x.Static)
		p.expr(x.Member)
		p.w("(")
		for i, a := range x.Args {
			if i > 0 {
				p.w(", ")
			}
			p.expr(a)
		}
		p.w(")")
	case *IndexExpr:
		p.expr(x.X)
		p.w("[")
		p.expr(x.Index)
		p.w("]")
	}
}

func (p *printer) memberOp(static bool) {
	if static {
		p.w("::")
	} else {
		p.w(".")
	}
}

// inlineStmts prints statements inside $( ) and @( ), one per line when
// there are several so that nested blocks stay readable.
func (p *printer) inlineStmts(stmts []Stmt) {
	for i, s := range stmts {
		if i > 0 {
			p.w("; ")
		}
		p.stmt(s)
	}
}
