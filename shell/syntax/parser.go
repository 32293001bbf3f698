package syntax

import (
	"sort"
	"strings"
)

// Parse parses a whole script. file is used in error positions only.
func Parse(src, file string) (sb *ScriptBlock, err error) {
	p := newParser(src, file)
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*ParseError)
			if !ok {
				panic(r)
			}
			sb, err = nil, pe
		}
	}()
	sb = p.scriptBody(0)
	if p.i < len(p.src) {
		p.unexpected()
	}
	return sb, nil
}

// ParseExpr parses a single expression, such as a Where-Object filter
// written as a string.
func ParseExpr(src string) (x Expr, err error) {
	p := newParser(src, "")
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*ParseError)
			if !ok {
				panic(r)
			}
			x, err = nil, pe
		}
	}()
	p.skipNL()
	x = p.expr()
	p.skipNL()
	if p.i < len(p.src) {
		p.unexpected()
	}
	return x, nil
}

type parser struct {
	// braces holds the offsets of the open '{' being parsed, so a missing
	// '}' is reported at its opening brace.
	braces     []int
	src        string
	file       string
	i          int
	lineStarts []int
	lastLine   int // index into lineStarts of the last position asked for
	// noComma is set while parsing method arguments and param defaults,
	// where ',' separates items instead of building an array.
	noComma bool
}

func newParser(src, file string) *parser {
	p := &parser{src: src, file: file, lineStarts: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			p.lineStarts = append(p.lineStarts, i+1)
		}
	}
	return p
}

func (p *parser) pos(off int) Pos {
	// Positions are asked for mostly in order: try the last line first.
	line := p.lastLine
	if !(off >= p.lineStarts[line] && (line+1 == len(p.lineStarts) || off < p.lineStarts[line+1])) {
		line = sort.Search(len(p.lineStarts), func(k int) bool { return p.lineStarts[k] > off }) - 1
		p.lastLine = line
	}
	return Pos{Offset: off, Line: line + 1, Col: off - p.lineStarts[line] + 1}
}

func (p *parser) span(start int) Span { return Span{p.pos(start), p.pos(p.i)} }

func (p *parser) ch(off int) byte {
	if off < len(p.src) {
		return p.src[off]
	}
	return 0
}

func (p *parser) cur() byte { return p.ch(p.i) }

func (p *parser) failAt(off int, id, msg string) {
	p.failSpan(off, off, id, msg)
}

// failSpan reports an error on the token at src[off:end].
func (p *parser) failSpan(off, end int, id, msg string) {
	p.fail(off, end, off >= len(p.src), id, msg)
}

// fail reports an error on src[off:end]; incomplete says more input could
// fix it.
func (p *parser) fail(off, end int, incomplete bool, id, msg string) {
	pos := p.pos(off)
	panic(&ParseError{File: p.file, Line: pos.Line, Col: pos.Col, Offset: off, Length: end - off, Msg: msg, ErrorID: id, Incomplete: incomplete})
}

// failIncomplete reports an error that more input could fix. At the end
// of the input it points just after the last token, as PowerShell does.
func (p *parser) failIncomplete(off int, id, msg string) {
	if end := len(strings.TrimRight(p.src, " \t\r\n")); off > end {
		off = end
	}
	pos := p.pos(off)
	panic(&ParseError{File: p.file, Line: pos.Line, Col: pos.Col, Offset: off, Msg: msg, ErrorID: id, Incomplete: true})
}

// unexpected fails on the token at the current position.
func (p *parser) unexpected() {
	p.skipSpace()
	if p.i >= len(p.src) {
		p.failAt(p.i, "UnexpectedToken", "Unexpected end of input.")
	}
	end := p.i + 1
	c := p.cur()
	switch {
	case c == '-' || isNameChar(c) || c == '$':
		for end < len(p.src) && !isArgTerminator(p.src[end]) && p.src[end] != '.' && p.src[end] != '[' && p.src[end] != ']' {
			end++
		}
	case c == '\r' || c == '\n':
		p.failAt(p.i, "UnexpectedToken", "Unexpected token 'newline' in expression or statement.")
	case c == '\'' || c == '"':
		// A string is one token, quotes and all.
		if e := quotedEnd(p.src, p.i); e > 0 {
			end = e
		}
	}
	p.failSpan(p.i, end, "UnexpectedToken", "Unexpected token '"+p.src[p.i:end]+"' in expression or statement.")
}

// quotedEnd returns the offset just past the string literal starting at
// src[i] (a ' or "), or 0 when it is not closed. Doubled quotes, and in a
// double-quoted string backtick escapes, do not close it.
func quotedEnd(src string, i int) int {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch {
		case q == '"' && src[j] == '`':
			j++
		case src[j] == q && j+1 < len(src) && src[j+1] == q:
			j++
		case src[j] == q:
			return j + 1
		}
	}
	return 0
}

// skipSpace skips blanks, comments and line continuations, not newlines.
func (p *parser) skipSpace() {
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case isSpace(c) || c == 0xC2 && p.ch(p.i+1) == 0xA0:
			if c == 0xC2 {
				p.i++
			}
			p.i++
		case c == '`':
			n := p.ch(p.i + 1)
			if n == '\n' {
				p.i += 2
			} else if n == '\r' && p.ch(p.i+2) == '\n' {
				p.i += 3
			} else if n == '\r' {
				p.i += 2
			} else if p.i+1 >= len(p.src) {
				p.failIncomplete(p.i+1, "IncompleteBacktick", "Missing character after the escape character '`'.")
			} else {
				return
			}
		case c == '#':
			for p.i < len(p.src) && p.src[p.i] != '\n' {
				p.i++
			}
			if p.i > 0 && p.src[p.i-1] == '\r' && p.i < len(p.src) {
				p.i--
			}
		case c == '<' && p.ch(p.i+1) == '#':
			end := strings.Index(p.src[p.i+2:], "#>")
			if end < 0 {
				p.failIncomplete(len(p.src), "MissingEndOfComment", "Missing the terminator '#>' for the block comment.")
			}
			p.i += 2 + end + 2
		default:
			return
		}
	}
}

// skipNL skips blanks, comments and newlines.
func (p *parser) skipNL() {
	for {
		p.skipSpace()
		if c := p.cur(); c == '\n' || c == '\r' {
			p.i++
			continue
		}
		return
	}
}

// skipTerms skips newlines and semicolons.
func (p *parser) skipTerms() {
	for {
		p.skipNL()
		if p.cur() == ';' {
			p.i++
			continue
		}
		return
	}
}

// word returns the bare word at the current position (after blanks) as
// argument mode would read it, without consuming it.
func (p *parser) word() (string, int) {
	j := p.i
	for j < len(p.src) && !isArgTerminator(p.src[j]) && p.src[j] != '\'' && p.src[j] != '"' && p.src[j] != '$' && p.src[j] != '`' {
		j++
	}
	return p.src[p.i:j], j
}

// keywordAt returns the lower-case keyword at the current position, if any.
func (p *parser) keywordAt() string {
	w, _ := p.word()
	lw := strings.ToLower(w)
	if keywords[lw] {
		return lw
	}
	return ""
}

func (p *parser) expect(c byte, id, msg string) {
	if p.cur() != c {
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, id, msg)
		}
		p.failAt(p.i, id, msg)
	}
	p.i++
}

// ------------------------------------------------------------ script blocks

// scriptBody parses a script or script block body up to term ('}' or 0
// for end of input), which it does not consume.
func (p *parser) scriptBody(term byte) *ScriptBlock {
	start := p.i
	sb := &ScriptBlock{}
	p.skipTerms()
	// Attributes followed by param(...).
	if p.cur() == '[' {
		save := p.i
		attrs := p.tryAttributes()
		p.skipTerms()
		if attrs != nil && p.keywordAt() == "param" {
			sb.Attrs = attrs
		} else {
			p.i = save
		}
	}
	if p.keywordAt() == "param" {
		_, end := p.word()
		save := p.i
		p.i = end
		p.skipNL()
		if p.cur() == '(' {
			pstart := save
			params := p.paramList()
			sb.Param = &ParamBlock{Span: p.span(pstart), Params: params}
			p.skipTerms()
		} else {
			p.i = save
		}
	}
	if kw := p.keywordAt(); kw == "begin" || kw == "process" || kw == "end" {
		_, end := p.word()
		save := p.i
		p.i = end
		p.skipNL()
		isNamed := p.cur() == '{'
		p.i = save
		if isNamed {
			sb.Named = true
			for {
				p.skipTerms()
				kw := p.keywordAt()
				if kw != "begin" && kw != "process" && kw != "end" {
					break
				}
				_, end := p.word()
				p.i = end
				p.skipNL()
				blk := p.block("MissingNamedStatementBlock", "Missing statement block after '"+kw+"'.")
				if blk.Stmts == nil {
					blk.Stmts = []Stmt{} // present but empty
				}
				switch kw {
				case "begin":
					sb.Begin = blk.Stmts
				case "process":
					sb.Process = blk.Stmts
				case "end":
					sb.Body = blk.Stmts
				}
			}
			p.skipTerms()
			if p.cur() != term {
				p.unexpected()
			}
			sb.Span = p.span(start)
			return sb
		}
	}
	sb.Body = p.statements(term)
	sb.Span = p.span(start)
	return sb
}

// tryAttributes parses [Attr(...)] and [type] constraints; it returns nil
// when the text is not attributes (the caller restores the position).
func (p *parser) tryAttributes() (attrs []*Attribute) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(*ParseError); !ok {
				panic(r)
			}
			attrs = nil
		}
	}()
	for p.cur() == '[' {
		attrs = append(attrs, p.attribute())
		p.skipNL()
	}
	return attrs
}

// typeName scans a type name after '[' up to the matching ']'.
func (p *parser) typeName() string {
	start := p.i
	depth := 0
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case isNameChar(c) || c == '.' || c == '`' || c == '+' || c == ',' && depth > 0 || c == ' ' && depth > 0:
			p.i++
		case c == '[':
			depth++
			p.i++
		case c == ']':
			if depth == 0 {
				return strings.TrimSpace(p.src[start:p.i])
			}
			depth--
			p.i++
		default:
			if depth > 0 {
				// An unclosed generic or array bracket ("[[\v]"): no
				// type name, so the caller reports it.
				return ""
			}
			return strings.TrimSpace(p.src[start:p.i])
		}
	}
	if depth > 0 {
		return ""
	}
	return strings.TrimSpace(p.src[start:p.i])
}

// attribute parses [Name(args)] or [Type].
func (p *parser) attribute() *Attribute {
	start := p.i
	p.i++ // '['
	p.skipSpace()
	name := p.typeName()
	if name == "" {
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "MissingTypename", "Missing type name after '['.")
		}
		p.failAt(p.i, "MissingTypename", "Missing type name after '['.")
	}
	a := &Attribute{Name: name, IsType: true}
	p.skipSpace()
	if p.cur() == '(' {
		a.IsType = false
		p.i++
		save := p.noComma
		p.noComma = true
		for {
			p.skipNL()
			if p.cur() == ')' {
				p.i++
				break
			}
			// Name = value, or a bare Name (meaning $true).
			w, end := p.word()
			if w != "" && isNameStart(w[0]) && !strings.ContainsAny(w, ".:[") {
				save := p.i
				p.i = end
				p.skipSpace()
				if p.cur() == '=' {
					p.i++
					p.skipNL()
					a.Named = append(a.Named, &NamedArg{Name: w, Value: p.expr()})
				} else if c := p.cur(); c == ',' || c == ')' || c == '\n' || c == '\r' {
					a.Named = append(a.Named, &NamedArg{Name: w})
				} else {
					p.i = save
					a.Args = append(a.Args, p.expr())
				}
			} else {
				a.Args = append(a.Args, p.expr())
			}
			p.skipNL()
			if p.cur() == ',' {
				p.i++
				continue
			}
			p.expect(')', "EndParenthesisMissing", "Missing ')' in method call.")
			break
		}
		p.noComma = save
		p.skipSpace()
	} else {
		a.IsType = true
	}
	p.expect(']', "EndSquareBracketExpectedAtEndOfAttribute", "Missing ] at end of attribute or type literal.")
	a.Span = p.span(start)
	return a
}

// paramList parses ( [attrs] $name [= default], ... ).
func (p *parser) paramList() []*Param {
	p.i++ // '('
	var params []*Param
	for {
		p.skipNL()
		if p.cur() == ')' {
			p.i++
			return params
		}
		start := p.i
		prm := &Param{}
		for p.cur() == '[' {
			prm.Attrs = append(prm.Attrs, p.attribute())
			p.skipNL()
		}
		if p.cur() != '$' {
			if p.i >= len(p.src) {
				p.failIncomplete(p.i, "MissingEndParenthesisInFunctionParameterList", "Missing ')' in function parameter list.")
			}
			p.failAt(p.i, "InvalidFunctionParameter", "Parameter declarations are a comma-separated list of variable names with optional initializer expressions.")
		}
		v := p.variable()
		prm.Name = v.Name
		if v.Scope != "" {
			prm.Name = v.Scope + ":" + v.Name
		}
		p.skipSpace()
		if p.cur() == '=' {
			p.i++
			p.skipNL()
			save := p.noComma
			p.noComma = true
			prm.Default = p.expr()
			p.noComma = save
		}
		prm.Span = p.span(start)
		params = append(params, prm)
		p.skipNL()
		switch p.cur() {
		case ',':
			p.i++
		case ')':
		default:
			if p.i >= len(p.src) {
				p.failIncomplete(p.i, "MissingEndParenthesisInFunctionParameterList", "Missing ')' in function parameter list.")
			}
			p.failAt(p.i, "MissingEndParenthesisInFunctionParameterList", "Missing ')' in function parameter list.")
		}
	}
}

// statements parses statements up to term, which it does not consume.
func (p *parser) statements(term byte) []Stmt {
	var list []Stmt
	for {
		p.skipTerms()
		if p.i >= len(p.src) {
			if term == '}' && len(p.braces) > 0 {
				p.failIncomplete(p.braces[len(p.braces)-1], "MissingEndCurlyBrace", missingClose(term))
			}
			if term != 0 {
				p.failIncomplete(p.i, "MissingEndCurlyBrace", missingClose(term))
			}
			return list
		}
		if term != 0 && p.cur() == term {
			return list
		}
		if s := p.statement(); s != nil {
			list = append(list, s)
		}
		p.skipSpace()
		switch c := p.cur(); {
		case c == 0, c == '\n', c == '\r', c == ';':
		case term != 0 && c == term:
		default:
			p.unexpected()
		}
	}
}

func missingClose(term byte) string {
	if term == ')' {
		return "Missing closing ')' in subexpression."
	}
	return "Missing closing '}' in statement block or type definition."
}

// block parses { statements }.
func (p *parser) block(id, msg string) *Block {
	start := p.i
	if p.cur() != '{' {
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, id, msg)
		}
		p.failAt(p.i, id, msg)
	}
	p.i++
	p.braces = append(p.braces, start)
	stmts := p.statements('}')
	p.braces = p.braces[:len(p.braces)-1]
	p.i++
	return &Block{Span: p.span(start), Stmts: stmts}
}

// --------------------------------------------------------------- statements

func (p *parser) statement() Stmt {
	p.skipSpace()
	start := p.i
	label := ""
	if p.cur() == ':' && isNameStart(p.ch(p.i+1)) {
		j := p.i + 1
		for j < len(p.src) && isNameChar(p.src[j]) {
			j++
		}
		label = p.src[p.i+1 : j]
		p.i = j
		p.skipNL()
		switch p.keywordAt() {
		case "foreach", "for", "while", "do", "switch":
		default:
			p.failAt(p.i, "MissingLoopStatement", "Missing a loop statement after the label.")
		}
	}
	kw := p.keywordAt()
	if kw != "" {
		_, end := p.word()
		kwStart := p.i
		p.i = end
		var s Stmt
		switch kw {
		case "if":
			s = p.ifStmt(start)
		case "while":
			s = p.whileStmt(start, label)
		case "do":
			s = p.doStmt(start, label)
		case "for":
			s = p.forStmt(start, label)
		case "foreach":
			s = p.foreachStmt(start, label)
		case "switch":
			s = p.switchStmt(start, label)
		case "function", "filter":
			s = p.functionDef(start, kw == "filter")
		case "try":
			s = p.tryStmt(start)
		case "trap":
			s = p.trapStmt(start)
		case "break", "continue":
			f := &FlowStmt{Keyword: kw}
			p.skipSpace()
			if c := p.cur(); c != 0 && !isArgTerminator(c) {
				if c == '$' {
					f.Value = p.pipelineOrAssign()
				} else {
					w, end := p.word()
					f.Label = w
					p.i = end
				}
			}
			f.Span = p.span(start)
			s = f
		case "return", "exit", "throw":
			f := &FlowStmt{Keyword: kw}
			p.skipSpace()
			if c := p.cur(); c != 0 && c != '\n' && c != '\r' && c != ';' && c != '}' && c != ')' {
				f.Value = p.pipelineOrAssign()
			}
			f.Span = p.span(start)
			s = f
		case "else", "elseif", "catch", "finally", "until":
			p.failAt(kwStart, "UnexpectedToken", "Unexpected token '"+p.src[kwStart:end]+"' in expression or statement.")
		case "in", "param", "begin", "process", "end", "data", "class", "using":
			p.i = kwStart
			if kw == "param" {
				p.failAt(kwStart, "UnexpectedToken", "Unexpected token 'param' in expression or statement.")
			}
			return p.pipelineOrAssign()
		}
		return s
	}
	return p.pipelineOrAssign()
}

// condition parses ( pipeline ) after if/while/switch.
func (p *parser) condition(kw string) Stmt {
	p.skipSpace()
	if p.cur() != '(' {
		id := "MissingOpenParenthesisInIfStatement"
		msg := "Missing '(' after 'if' in if statement."
		switch kw {
		case "while":
			id, msg = "MissingOpenParenthesisAfterKeyword", "Missing opening '(' after keyword 'while'."
		case "elseif":
			msg = "Missing '(' after 'elseif' in if statement."
		case "switch":
			id, msg = "PipelineValueRequired", "Missing condition in switch statement clause."
		case "until":
			id, msg = "MissingOpenParenthesisAfterKeyword", "Missing opening '(' after keyword 'until'."
		}
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, id, msg)
		}
		p.failAt(p.i, id, msg)
	}
	p.i++
	p.skipNL()
	if p.cur() == ')' || p.i >= len(p.src) {
		p.failAt(p.i, "IfStatementMissingCondition", "Missing condition in "+kw+" statement after '"+kw+" ('.")
	}
	cond := p.pipelineOrAssign()
	p.skipNL()
	p.expect(')', "MissingEndParenthesisAfterStatement", "Missing closing ')' after expression in '"+kw+"' statement.")
	return cond
}

func (p *parser) ifStmt(start int) Stmt {
	s := &IfStmt{}
	kw := "if"
	for {
		cond := p.condition(kw)
		rParen := p.i - 1
		p.skipNL()
		if p.cur() != '{' {
			// PowerShell reports a missing block on the ')' before it.
			p.fail(rParen, rParen+1, p.i >= len(p.src), "MissingStatementBlock", "Missing statement block after "+kw+" ( condition ).")
		}
		body := p.block("MissingStatementBlock", "Missing statement block after "+kw+" ( condition ).")
		s.Clauses = append(s.Clauses, &IfClause{Cond: cond, Body: body})
		save := p.i
		p.skipNL()
		next := p.keywordAt()
		if next == "elseif" {
			_, end := p.word()
			p.i = end
			kw = "elseif"
			continue
		}
		if next == "else" {
			_, end := p.word()
			p.i = end
			p.skipNL()
			s.Else = p.block("MissingStatementBlockForElse", "Missing statement block after 'else' keyword.")
			break
		}
		p.i = save
		break
	}
	s.Span = p.span(start)
	return s
}

func (p *parser) whileStmt(start int, label string) Stmt {
	cond := p.condition("while")
	p.skipNL()
	body := p.block("MissingLoopStatement", "Missing statement body in while loop.")
	return &WhileStmt{Span: p.span(start), Label: label, Cond: cond, Body: body}
}

func (p *parser) doStmt(start int, label string) Stmt {
	p.skipNL()
	body := p.block("MissingLoopStatement", "Missing statement body in do loop.")
	p.skipNL()
	kw := p.keywordAt()
	if kw != "while" && kw != "until" {
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "MissingWhileOrUntilInDoWhile", "Missing while or until keyword in do loop.")
		}
		p.failAt(p.i, "MissingWhileOrUntilInDoWhile", "Missing while or until keyword in do loop.")
	}
	_, end := p.word()
	p.i = end
	cond := p.condition(kw)
	return &DoStmt{Span: p.span(start), Label: label, Body: body, Until: kw == "until", Cond: cond}
}

func (p *parser) forStmt(start int, label string) Stmt {
	s := &ForStmt{Label: label}
	p.skipSpace()
	p.expect('(', "MissingOpenParenthesisAfterKeyword", "Missing opening '(' after keyword 'for'.")
	parts := [3]Stmt{}
	for k := 0; k < 3; k++ {
		p.skipNL()
		if c := p.cur(); c != ';' && c != ')' {
			parts[k] = p.pipelineOrAssign()
		}
		p.skipNL()
		if k < 2 {
			if p.cur() == ';' {
				p.i++
			} else if p.cur() == ')' {
				break
			}
		}
	}
	p.skipNL()
	p.expect(')', "MissingEndParenthesisAfterForLoop", "Missing closing ')' after expression in 'for' statement.")
	s.Init, s.Cond, s.Iter = parts[0], parts[1], parts[2]
	p.skipNL()
	s.Body = p.block("MissingLoopStatement", "Missing statement body in for loop.")
	s.Span = p.span(start)
	return s
}

func (p *parser) foreachStmt(start int, label string) Stmt {
	s := &ForeachStmt{Label: label}
	p.skipSpace()
	p.expect('(', "MissingOpenParenthesisAfterKeyword", "Missing opening '(' after keyword 'foreach'.")
	p.skipNL()
	if p.cur() != '$' {
		p.failAt(p.i, "MissingVariableNameAfterForeach", "Missing variable name after foreach.")
	}
	s.Var = p.variable()
	p.skipNL()
	if p.keywordAt() != "in" {
		p.failAt(p.i, "MissingInInForeach", "Missing 'in' after variable in foreach loop.")
	}
	p.i += 2
	p.skipNL()
	if p.cur() == ')' {
		p.failAt(p.i, "MissingForeachExpression", "Missing foreach loop expression.")
	}
	s.In = p.pipelineOrAssign()
	p.skipNL()
	p.expect(')', "MissingEndParenthesisAfterForeach", "Missing closing ')' after expression in 'foreach' statement.")
	p.skipNL()
	s.Body = p.block("MissingForeachStatement", "Missing statement body in foreach loop.")
	s.Span = p.span(start)
	return s
}

func (p *parser) switchStmt(start int, label string) Stmt {
	s := &SwitchStmt{Label: label}
	for {
		p.skipSpace()
		if p.cur() != '-' {
			break
		}
		j := p.i + 1
		for j < len(p.src) && isNameChar(p.src[j]) {
			j++
		}
		flag := strings.ToLower(p.src[p.i+1 : j])
		switch flag {
		case "regex", "wildcard", "exact", "casesensitive", "file":
		default:
			p.failAt(p.i, "InvalidSwitchFlag", "'"+p.src[p.i:j]+"' is not a valid switch option.")
		}
		s.Flags = append(s.Flags, flag)
		p.i = j
	}
	s.Cond = p.condition("switch")
	p.skipNL()
	p.expect('{', "MissingCurlyBraceInSwitchStatement", "Missing opening '{' in switch statement.")
	for {
		p.skipTerms()
		if p.cur() == '}' {
			p.i++
			break
		}
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "MissingEndCurlyBrace", "Missing closing '}' in statement block or type definition.")
		}
		w, end := p.word()
		if strings.EqualFold(w, "default") {
			save := p.i
			p.i = end
			p.skipNL()
			if p.cur() == '{' {
				s.Default = p.block("MissingSwitchStatementClause", "Missing statement block in switch statement clause.")
				continue
			}
			p.i = save
		}
		pat := p.argElem()
		p.skipNL()
		body := p.block("MissingSwitchStatementClause", "Missing statement block in switch statement clause.")
		s.Cases = append(s.Cases, &SwitchCase{Pattern: pat, Body: body})
	}
	s.Span = p.span(start)
	return s
}

func (p *parser) functionDef(start int, filter bool) Stmt {
	p.skipSpace()
	name, end := p.word()
	if name == "" {
		p.failAt(p.i, "MissingNameAfterKeyword", "Missing name after function keyword.")
	}
	p.i = end
	f := &FunctionDef{Name: name, Filter: filter}
	p.skipSpace()
	if p.cur() == '(' {
		f.Params = p.paramList()
	}
	p.skipNL()
	if p.cur() != '{' {
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "MissingFunctionBody", "Missing function body in function declaration.")
		}
		p.failAt(p.i, "MissingFunctionBody", "Missing function body in function declaration.")
	}
	f.Body = p.scriptBlockExpr().Block
	f.Span = p.span(start)
	return f
}

func (p *parser) tryStmt(start int) Stmt {
	s := &TryStmt{}
	p.skipNL()
	s.Body = p.block("MissingTryStatementBlock", "Missing statement block after 'try'.")
	for {
		save := p.i
		p.skipNL()
		kw := p.keywordAt()
		if kw == "catch" {
			_, end := p.word()
			p.i = end
			c := &CatchClause{}
			for {
				p.skipSpace()
				if p.cur() != '[' {
					break
				}
				p.i++
				c.Types = append(c.Types, p.typeName())
				p.expect(']', "EndSquareBracketExpectedAtEndOfType", "Missing ] at end of type token.")
				p.skipSpace()
				if p.cur() == ',' {
					p.i++
					p.skipNL()
				}
			}
			p.skipNL()
			c.Body = p.block("MissingCatchHandlerBlock", "Missing statement block in catch block.")
			s.Catches = append(s.Catches, c)
			continue
		}
		if kw == "finally" {
			_, end := p.word()
			p.i = end
			p.skipNL()
			s.Finally = p.block("MissingFinallyStatementBlock", "Missing statement block in finally block.")
			break
		}
		p.i = save
		break
	}
	if len(s.Catches) == 0 && s.Finally == nil {
		if p.i >= len(strings.TrimRight(p.src, " \t\r\n")) {
			p.failIncomplete(len(p.src), "MissingCatchOrFinally", "The Try statement is missing its Catch or Finally block.")
		}
		p.failAt(p.i, "MissingCatchOrFinally", "The Try statement is missing its Catch or Finally block.")
	}
	s.Span = p.span(start)
	return s
}

func (p *parser) trapStmt(start int) Stmt {
	s := &TrapStmt{}
	p.skipSpace()
	if p.cur() == '[' {
		p.i++
		s.Type = p.typeName()
		p.expect(']', "EndSquareBracketExpectedAtEndOfType", "Missing ] at end of type token.")
	}
	p.skipNL()
	s.Body = p.block("MissingTrapStatement", "Missing statement block in trap statement.")
	s.Span = p.span(start)
	return s
}

// ---------------------------------------------------------------- pipelines

var assignOps = []string{"+=", "-=", "*=", "/=", "%=", "="}

// assignOpAt returns the assignment operator at the current position.
func (p *parser) assignOpAt() string {
	for _, op := range assignOps {
		if strings.HasPrefix(p.src[p.i:], op) {
			if op == "=" && p.ch(p.i+1) == '=' {
				return ""
			}
			return op
		}
	}
	return ""
}

// startsExpression reports whether a statement at the current position is
// an expression (rather than a command).
func (p *parser) startsExpression() bool {
	c := p.cur()
	switch c {
	case '$', '(', '\'', '"', '[', '!', ',', '{':
		return true
	case '@':
		n := p.ch(p.i + 1)
		return n == '(' || n == '{' || n == '"' || n == '\''
	case '-':
		n := p.ch(p.i + 1)
		if isNameStart(n) {
			j := p.i + 1
			for j < len(p.src) && isNameChar(p.src[j]) {
				j++
			}
			return unaryDashOps[strings.ToLower(p.src[p.i+1:j])]
		}
		return true
	case '+':
		return true
	case '.':
		return isDigit(p.ch(p.i + 1))
	}
	if isDigit(c) {
		// A number followed by a name character is a command name (7z).
		end, _, ok := scanNumber(p.src, p.i)
		return ok && (end >= len(p.src) || !isNameChar(p.src[end]) && p.src[end] != '-' && p.src[end] != '\\')
	}
	return false
}

// pipelineOrAssign parses a pipeline, or an assignment when an expression
// is followed by an assignment operator.
func (p *parser) pipelineOrAssign() Stmt {
	p.skipSpace()
	start := p.i
	if p.cur() == '|' {
		p.failAt(p.i, "EmptyPipeElement", "An empty pipe element is not allowed.")
	}
	var first PipeElem
	if p.startsExpression() {
		save := p.noComma
		p.noComma = false
		x := p.expr()
		p.noComma = save
		exprEnd := p.i
		p.skipSpace()
		if op := p.assignOpAt(); op != "" {
			if !assignable(x) {
				p.failAt(start, "InvalidLeftHandSide", "The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.")
			}
			p.i += len(op)
			p.skipNL()
			if p.i >= len(p.src) {
				p.failIncomplete(p.i, "ExpectedValueExpression", "You must provide a value expression following the '"+op+"' operator.")
			}
			if c := p.cur(); c == ')' || c == '}' || c == ';' {
				p.failAt(p.i, "ExpectedValueExpression", "You must provide a value expression following the '"+op+"' operator.")
			}
			val := p.statement()
			return &AssignStmt{Span: p.span(start), Target: x, Op: op, Value: val}
		}
		ec := &ExprCommand{X: x}
		p.i = exprEnd
		ec.Redirs = p.redirections()
		ec.Span = p.span(start)
		first = ec
	} else {
		first = p.command()
	}
	pl := &Pipeline{Elems: []PipeElem{first}}
	end := first.End().Offset
	for {
		save := p.i
		p.skipSpace()
		if p.cur() != '|' || p.ch(p.i+1) == '|' {
			p.i = save
			break
		}
		pipeAt := p.i
		p.i++
		p.skipNL()
		switch c := p.cur(); {
		case c == 0:
			p.failIncomplete(p.i, "EmptyPipeElement", "An empty pipe element is not allowed.")
		case c == ';' || c == ')' || c == '}' || c == '|':
			p.failAt(pipeAt, "EmptyPipeElement", "An empty pipe element is not allowed.")
		case p.startsExpression() && c != '{':
			p.failAt(p.i, "ExpressionsMustBeFirstInPipeline", "Expressions are only allowed as the first element of a pipeline.")
		}
		cmd := p.command()
		pl.Elems = append(pl.Elems, cmd)
		end = cmd.End().Offset
	}
	p.i = max(p.i, end)
	pl.Span = Span{p.pos(start), p.pos(end)}
	return pl
}

func assignable(x Expr) bool {
	switch x := x.(type) {
	case *VarExpr, *MemberExpr, *IndexExpr:
		return true
	case *ConvertExpr:
		return assignable(x.X)
	case *ArrayLit:
		for _, e := range x.Elems {
			if !assignable(e) {
				return false
			}
		}
		return true
	}
	return false
}

// redirections parses any redirections at the current position.
func (p *parser) redirections() []*Redirect {
	var out []*Redirect
	for {
		save := p.i
		p.skipSpace()
		r := p.redirection()
		if r == nil {
			p.i = save
			return out
		}
		out = append(out, r)
	}
}

// redirection parses one redirection operator and its target, or returns nil.
func (p *parser) redirection() *Redirect {
	start := p.i
	stream := 1
	j := p.i
	switch c := p.cur(); {
	case c == '*':
		stream = 0
		j++
	case c >= '1' && c <= '6':
		stream = int(c - '0')
		j++
	}
	if p.ch(j) != '>' {
		if p.cur() == '<' {
			p.failAt(p.i, "RedirectionNotSupported", "The '<' operator is reserved for future use.")
		}
		return nil
	}
	j++
	r := &Redirect{Stream: stream}
	if p.ch(j) == '>' {
		r.Append = true
		j++
	} else if p.ch(j) == '&' && p.ch(j+1) == '1' {
		r.Merge = true
		j += 2
	}
	r.Op = p.src[start:j]
	p.i = j
	if !r.Merge {
		p.skipSpace()
		if c := p.cur(); c == 0 || c == '\n' || c == '\r' || c == ';' || c == '|' || c == ')' || c == '}' {
			p.failAt(p.i, "MissingFileSpecification", "Missing file specification after redirection operator.")
		}
		r.Target = p.argValue()
	}
	r.Span = p.span(start)
	return r
}

// command parses a command: [&|.] name args... [redirections].
func (p *parser) command() *Command {
	p.skipSpace()
	start := p.i
	cmd := &Command{}
	if c := p.cur(); (c == '&' || c == '.') && (isSpace(p.ch(p.i+1)) || strings.IndexByte("$'\"({", p.ch(p.i+1)) >= 0) {
		cmd.Invoke = string(c)
		p.i++
		p.skipSpace()
		if c := p.cur(); c == 0 || isArgTerminator(c) && c != '(' && c != '{' {
			msg := "Missing expression after '" + cmd.Invoke + "' in pipeline element."
			if c == 0 {
				p.failIncomplete(p.i, "MissingExpression", msg)
			}
			p.failAt(p.i, "MissingExpression", msg)
		}
		cmd.Name = p.argElem()
	} else {
		switch c := p.cur(); {
		case c == '{':
			cmd.Name = p.argElem()
		case c == '\'' || c == '"':
			cmd.Name = p.argElem()
		case c == 0 || isArgTerminator(c):
			p.unexpected()
		default:
			cmd.Name = p.bareWord()
			if sl, ok := cmd.Name.(*StringLit); ok && (sl.Raw == "." || sl.Raw == "") {
				p.i = start
				p.unexpected()
			}
		}
	}
	end := p.i
	for {
		p.skipSpace()
		c := p.cur()
		if c == 0 || c == '\n' || c == '\r' || c == ';' || c == '|' || c == ')' || c == '}' {
			break
		}
		if c == '&' {
			if p.ch(p.i+1) == '&' {
				p.failSpan(p.i, p.i+2, "InvalidEndOfLine", "The token '&&' is not a valid statement separator in this version.")
			}
			p.failAt(p.i, "AmpersandNotAllowed", "The ampersand (&) character is not allowed. The & operator is reserved for future use; wrap an ampersand in double quotation marks (\"&\") to pass it as part of a string.")
		}
		if r := p.redirection(); r != nil {
			cmd.Redirs = append(cmd.Redirs, r)
			end = p.i
			continue
		}
		if c == '-' && (isNameStart(p.ch(p.i+1)) || p.ch(p.i+1) == '?') {
			cmd.Args = append(cmd.Args, p.paramArg())
			end = p.i
			continue
		}
		argStart := p.i
		x := p.argValue()
		if p.i == argStart {
			p.unexpected()
		}
		cmd.Args = append(cmd.Args, &ArgExpr{Span: p.span(argStart), X: x})
		end = p.i
	}
	cmd.Span = Span{p.pos(start), p.pos(end)}
	return cmd
}

// paramArg parses -Name or -Name:value.
func (p *parser) paramArg() *ParamArg {
	start := p.i
	j := p.i + 1
	for j < len(p.src) && !isArgTerminator(p.src[j]) && p.src[j] != ':' && p.src[j] != '\'' && p.src[j] != '"' {
		j++
	}
	pa := &ParamArg{Name: p.src[p.i+1 : j]}
	p.i = j
	if p.cur() == ':' {
		pa.Colon = true
		p.i++
		p.skipSpace()
		if c := p.cur(); c == 0 || c == '\n' || c == '\r' || c == ';' || c == '|' || c == ')' || c == '}' {
			p.failAt(p.i, "ParameterRequiresArgument", "Missing an argument for parameter '"+pa.Name+"'. Specify a parameter of type 'System.Object' and try again.")
		}
		pa.Value = p.argValue()
	}
	pa.Span = p.span(start)
	return pa
}

// argValue parses an argument: one element or a comma list of them.
func (p *parser) argValue() Expr {
	start := p.i
	first := p.argElem()
	save := p.i
	p.skipSpace()
	if p.cur() != ',' {
		p.i = save
		return first
	}
	arr := &ArrayLit{Elems: []Expr{first}}
	for p.cur() == ',' {
		p.i++
		p.skipNL()
		if c := p.cur(); c == 0 || isArgTerminator(c) && c != '(' && c != '{' {
			if c == 0 {
				p.failIncomplete(p.i, "MissingExpressionAfterToken", "Missing argument in parameter list.")
			}
			p.failAt(p.i, "MissingExpressionAfterToken", "Missing argument in parameter list.")
		}
		arr.Elems = append(arr.Elems, p.argElem())
		save = p.i
		p.skipSpace()
	}
	p.i = save
	arr.Span = p.span(start)
	return arr
}

// argElem parses one argument-mode element: a bare word, a number, a
// variable or any primary expression with its member accesses.
func (p *parser) argElem() Expr {
	start := p.i
	c := p.cur()
	switch {
	case c == '$' || c == '(' || c == '\'' || c == '"' || c == '{' ||
		c == '@' && strings.IndexByte("({'\"", p.ch(p.i+1)) >= 0:
		save := p.noComma
		p.noComma = false
		x := p.postfix(p.primary())
		p.noComma = save
		// A variable followed directly by more text is one expandable word.
		if n := p.cur(); c == '$' && n != 0 && !isArgTerminator(n) && n != ':' {
			if _, isVar := x.(*VarExpr); isVar {
				p.i = start
				return p.bareWord()
			}
		}
		return x
	case c == '@' && isNameStart(p.ch(p.i+1)):
		return p.variable()
	case c == ',':
		// Unary comma: a one-element array argument.
		p.i++
		p.skipSpace()
		if c := p.cur(); c == 0 || isArgTerminator(c) && c != '(' && c != '{' && c != ',' {
			p.failAt(p.i, "MissingExpressionAfterToken", "Missing argument in parameter list.")
		}
		x := p.argElem()
		return &UnaryExpr{Span: p.span(start), Op: ",", X: x}
	case isDigit(c) || c == '.' || c == '-' || c == '+':
		j := p.i
		if c == '-' || c == '+' {
			j++
		}
		if end, v, ok := scanNumber(p.src, j); ok && p.argEndAt(end) {
			p.i = end
			if c == '-' {
				v = negate(v)
			}
			return &NumberLit{Span: p.span(start), Raw: p.src[start:end], Value: v}
		}
	}
	return p.bareWord()
}

// argEndAt reports whether a bare word ends at off: a terminator or a
// line continuation.
func (p *parser) argEndAt(off int) bool {
	c := p.ch(off)
	if c == '`' {
		n := p.ch(off + 1)
		return n == '\n' || n == '\r'
	}
	return c == 0 || isArgTerminator(c)
}

func negate(v any) any {
	switch x := v.(type) {
	case int:
		return -x
	case int64:
		return -x
	case float64:
		return -x
	}
	return v
}

// bareWord parses an argument-mode word: text up to a terminator, where
// quoted parts, backtick escapes and $variables are allowed.
func (p *parser) bareWord() Expr {
	start := p.i
	var parts []Expr
	var lit strings.Builder
	litStart := p.i
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, &StringLit{Span: p.span(litStart), Value: lit.String()})
			lit.Reset()
		}
	}
	expand := false
	for p.i < len(p.src) {
		c := p.src[p.i]
		if isArgTerminator(c) {
			break
		}
		switch c {
		case '`':
			if p.i+1 >= len(p.src) {
				p.failIncomplete(p.i+1, "IncompleteBacktick", "Missing character after the escape character '`'.")
			}
			n := p.src[p.i+1]
			if n == '\n' || n == '\r' {
				goto done
			}
			lit.WriteString(escapeChar(n))
			p.i += 2
		case '\'':
			s := p.singleQuoted()
			lit.WriteString(s.Value)
		case '"':
			flush()
			ds := p.doubleQuoted()
			for _, part := range ds.Parts {
				if sl, ok := part.(*StringLit); ok {
					lit.WriteString(sl.Value)
				} else {
					flush()
					parts = append(parts, part)
					expand = true
				}
			}
			litStart = p.i
		case '$':
			if x := p.stringVar(); x != nil {
				flush()
				parts = append(parts, x)
				expand = true
				litStart = p.i
			} else {
				lit.WriteByte('$')
				p.i++
			}
		default:
			lit.WriteByte(c)
			p.i++
		}
	}
done:
	flush()
	raw := p.src[start:p.i]
	if !expand {
		v := ""
		if len(parts) == 1 {
			v = parts[0].(*StringLit).Value
		}
		return &StringLit{Span: p.span(start), Raw: raw, Value: v, Bare: true}
	}
	return &ExpandString{Span: p.span(start), Raw: raw, Parts: parts, Bare: true}
}

// -------------------------------------------------------------- expressions

// expr parses an expression (without assignment).
func (p *parser) expr() Expr { return p.binary(1) }

// opAt returns the binary operator at the current position and its
// precedence (1..7), or "" when there is none.
func (p *parser) opAt() (op string, prec int, width int) {
	c := p.cur()
	switch c {
	case '+':
		if n := p.ch(p.i + 1); n != '=' && n != '+' {
			return "+", 4, 1
		}
	case '*':
		if p.ch(p.i+1) != '=' {
			return "*", 5, 1
		}
	case '/':
		if p.ch(p.i+1) != '=' {
			return "/", 5, 1
		}
	case '%':
		if p.ch(p.i+1) != '=' {
			return "%", 5, 1
		}
	case '.':
		if p.ch(p.i+1) == '.' {
			return "..", 7, 2
		}
	case '-':
		n := p.ch(p.i + 1)
		if isNameStart(n) {
			j := p.i + 1
			for j < len(p.src) && isNameChar(p.src[j]) {
				j++
			}
			name := strings.ToLower(p.src[p.i+1 : j])
			if pr, ok := binaryOps[name]; ok {
				return "-" + name, pr, j - p.i
			}
			return "", 0, 0
		}
		if n != '=' && n != '-' {
			return "-", 4, 1
		}
	}
	return "", 0, 0
}

// binary parses binary operators of precedence min and above by
// precedence climbing; every binary operator is left-associative.
func (p *parser) binary(min int) Expr {
	return p.binaryRest(p.arrayLit(), min)
}

// binaryRest continues a binary expression whose left operand is x.
func (p *parser) binaryRest(x Expr, min int) Expr {
	start := x.Pos().Offset
	for {
		save := p.i
		p.skipSpace()
		op, prec, w := p.opAt()
		if op == "" || prec < min {
			if op == "" && p.cur() == '-' && isNameStart(p.ch(p.i+1)) {
				p.unexpected()
			}
			p.i = save
			return x
		}
		p.i += w
		p.skipNL()
		if c := p.cur(); c == 0 || c == ')' || c == '}' || c == ';' || c == ']' || c == '|' {
			msg := "You must provide a value expression following the '" + op + "' operator."
			if c == 0 {
				p.failIncomplete(p.i, "ExpectedValueExpression", msg)
			}
			p.failAt(p.i, "ExpectedValueExpression", msg)
		}
		y := p.arrayLit()
		// Operators that bind tighter take y as their left operand.
		for {
			save := p.i
			p.skipSpace()
			next, nextPrec, _ := p.opAt()
			p.i = save
			if next == "" || nextPrec <= prec {
				break
			}
			y = p.binaryRest(y, prec+1)
		}
		x = &BinaryExpr{Span: p.span(start), Op: op, X: x, Y: y}
	}
}

// arrayLit parses unary (, unary)*.
func (p *parser) arrayLit() Expr {
	start := p.i
	x := p.unary()
	if p.noComma {
		return x
	}
	save := p.i
	p.skipSpace()
	if p.cur() != ',' {
		p.i = save
		return x
	}
	arr := &ArrayLit{Elems: []Expr{x}}
	for p.cur() == ',' {
		p.i++
		p.skipNL()
		if c := p.cur(); c == 0 || c == ')' || c == '}' || c == ';' || c == '|' {
			if c == 0 {
				p.failIncomplete(p.i, "MissingExpressionAfterToken", "Missing expression after ','.")
			}
			p.failAt(p.i, "MissingExpressionAfterToken", "Missing expression after ','.")
		}
		arr.Elems = append(arr.Elems, p.unary())
		save = p.i
		p.skipSpace()
		if p.cur() != ',' {
			p.i = save
		}
	}
	arr.Span = p.span(start)
	return arr
}

// unary parses prefix operators and casts.
func (p *parser) unary() Expr {
	p.skipSpace()
	start := p.i
	c := p.cur()
	op := ""
	switch c {
	case '!':
		op = "!"
	case ',':
		op = ","
	case '+':
		op = "+"
		n := p.ch(p.i + 1)
		if n == '+' {
			op = "++"
		} else if isDigit(n) || n == '.' && isDigit(p.ch(p.i+2)) {
			// A number literal with an explicit sign.
			if end, v, ok := scanNumber(p.src, p.i+1); ok && (end >= len(p.src) || !isNameChar(p.src[end])) {
				p.i = end
				return p.postfix(&NumberLit{Span: p.span(start), Raw: p.src[start:end], Value: v})
			}
		}
	case '-':
		op = "-"
		n := p.ch(p.i + 1)
		if n == '-' {
			op = "--"
		} else if isNameStart(n) {
			j := p.i + 1
			for j < len(p.src) && isNameChar(p.src[j]) {
				j++
			}
			name := strings.ToLower(p.src[p.i+1 : j])
			if !unaryDashOps[name] {
				p.unexpected()
			}
			op = "-" + name
		} else if isDigit(n) || n == '.' && isDigit(p.ch(p.i+2)) {
			// A negative number literal.
			if end, v, ok := scanNumber(p.src, p.i+1); ok && (end >= len(p.src) || !isNameChar(p.src[end])) {
				p.i = end
				return p.postfix(&NumberLit{Span: p.span(start), Raw: p.src[start:end], Value: negate(v)})
			}
		}
	case '[':
		return p.typeOrCast()
	}
	if op != "" {
		p.i += len(op)
		p.skipNL()
		if c := p.cur(); c == 0 || c == ')' || c == '}' || c == ';' || c == '|' || c == ',' && op != "," {
			msg := "Missing expression after unary operator '" + op + "'."
			if c == 0 {
				p.failIncomplete(p.i, "MissingExpressionAfterOperator", msg)
			}
			p.failAt(p.i, "MissingExpressionAfterOperator", msg)
		}
		x := p.unary()
		return &UnaryExpr{Span: p.span(start), Op: op, X: x}
	}
	return p.postfix(p.primary())
}

// typeOrCast parses [Type] as a type literal, a static member access
// ([Type]::Member) or a cast ([Type]expr).
func (p *parser) typeOrCast() Expr {
	start := p.i
	p.i++
	p.skipSpace()
	name := p.typeName()
	if name == "" {
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "MissingTypename", "Missing type name after '['.")
		}
		p.failAt(p.i, "MissingTypename", "Missing type name after '['.")
	}
	p.skipSpace()
	if p.cur() != ']' {
		if p.cur() == '(' {
			p.failAt(p.i, "UnexpectedAttribute", "Unexpected attribute '"+name+"'.")
		}
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "EndSquareBracketExpectedAtEndOfType", "Missing ] at end of type token.")
		}
		p.failAt(p.i, "EndSquareBracketExpectedAtEndOfType", "Missing ] at end of type token.")
	}
	p.i++
	t := &TypeLit{Span: p.span(start), Name: name}
	if p.cur() == ':' && p.ch(p.i+1) == ':' {
		return p.postfix(t)
	}
	save := p.i
	p.skipSpace()
	if p.castOperandFollows() {
		x := p.unary()
		return &ConvertExpr{Span: p.span(start), Type: t, X: x}
	}
	p.i = save
	return p.postfix(t)
}

// castOperandFollows reports whether the text after a type literal starts
// an operand, making the type a cast.
func (p *parser) castOperandFollows() bool {
	c := p.cur()
	switch c {
	case '$', '(', '\'', '"', '[', '@', '{', '!', ',':
		return true
	case '-':
		n := p.ch(p.i + 1)
		if isDigit(n) {
			return true
		}
		if isNameStart(n) {
			j := p.i + 1
			for j < len(p.src) && isNameChar(p.src[j]) {
				j++
			}
			return unaryDashOps[strings.ToLower(p.src[p.i+1:j])]
		}
		return false
	case '+':
		return isDigit(p.ch(p.i + 1))
	case '.':
		return isDigit(p.ch(p.i + 1))
	}
	return isDigit(c)
}

// primary parses a primary expression without postfix operators.
func (p *parser) primary() Expr {
	p.skipSpace()
	start := p.i
	c := p.cur()
	switch {
	case c == '$':
		if p.ch(p.i+1) == '(' {
			p.i += 2
			stmts := p.subStatements()
			return &SubExpr{Span: p.span(start), Stmts: stmts}
		}
		return p.variable()
	case c == '@':
		switch p.ch(p.i + 1) {
		case '(':
			p.i += 2
			stmts := p.subStatements()
			return &ArrayExpr{Span: p.span(start), Stmts: stmts}
		case '{':
			return p.hashLit()
		case '"', '\'':
			return p.hereString()
		}
		if isNameStart(p.ch(p.i + 1)) {
			return p.variable()
		}
	case c == '(':
		p.i++
		save := p.noComma
		p.noComma = false
		p.skipNL()
		if p.cur() == ')' {
			p.failAt(p.i, "ExpectedExpression", "An expression was expected after '('.")
		}
		s := p.statement()
		p.skipNL()
		p.noComma = save
		if p.cur() != ')' {
			if p.i >= len(p.src) {
				p.failIncomplete(p.i, "MissingEndParenthesisInExpression", "Missing closing ')' in expression.")
			}
			p.unexpected()
		}
		p.i++
		return &ParenExpr{Span: p.span(start), X: s}
	case c == '{':
		return p.scriptBlockExpr()
	case c == '\'':
		return p.singleQuoted()
	case c == '"':
		return p.doubleQuoted()
	case isDigit(c) || c == '.' && isDigit(p.ch(p.i+1)):
		end, v, ok := scanNumber(p.src, p.i)
		if ok {
			if end < len(p.src) && isNameChar(p.src[end]) {
				j := end
				for j < len(p.src) && isNameChar(p.src[j]) {
					j++
				}
				p.failAt(p.i, "BadNumericConstant", "The numeric constant "+p.src[p.i:j]+" is not valid.")
			}
			p.i = end
			return &NumberLit{Span: p.span(start), Raw: p.src[start:end], Value: v}
		}
	case c == 0:
		p.failIncomplete(p.i, "ExpectedExpression", "An expression was expected.")
	}
	p.unexpected()
	return nil
}

// subStatements parses statements up to ')' and consumes it.
func (p *parser) subStatements() []Stmt {
	save := p.noComma
	p.noComma = false
	stmts := p.statements(')')
	p.noComma = save
	p.i++
	return stmts
}

func (p *parser) scriptBlockExpr() *ScriptBlockExpr {
	start := p.i
	p.i++ // '{'
	save := p.noComma
	p.noComma = false
	p.braces = append(p.braces, start)
	body := p.scriptBody('}')
	p.braces = p.braces[:len(p.braces)-1]
	p.noComma = save
	if p.cur() != '}' {
		p.failIncomplete(start, "MissingEndCurlyBrace", "Missing closing '}' in statement block or type definition.")
	}
	text := p.src[start+1 : p.i]
	p.i++
	return &ScriptBlockExpr{Span: p.span(start), Block: body, Text: text}
}

func (p *parser) hashLit() Expr {
	start := p.i
	p.i += 2
	h := &HashLit{}
	save := p.noComma
	p.noComma = false
	for {
		p.skipTerms()
		if p.cur() == '}' {
			p.i++
			break
		}
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "IncompleteHashLiteral", "The hash literal was incomplete.")
		}
		var key Expr
		if c := p.cur(); isNameStart(c) || c == '-' && isNameStart(p.ch(p.i+1)) {
			ks := p.i
			j := p.i
			for j < len(p.src) && (isNameChar(p.src[j]) || p.src[j] == '-' || p.src[j] == '.') {
				j++
			}
			p.i = j
			key = &StringLit{Span: p.span(ks), Raw: p.src[ks:j], Value: p.src[ks:j], Bare: true}
		} else {
			key = p.unary()
		}
		p.skipSpace()
		if p.cur() != '=' {
			if p.i >= len(p.src) {
				p.failIncomplete(p.i, "MissingEqualsInHashLiteral", "Missing '=' operator after key in hash literal.")
			}
			p.failAt(p.i, "MissingEqualsInHashLiteral", "Missing '=' operator after key in hash literal.")
		}
		p.i++
		p.skipNL()
		if c := p.cur(); c == '}' || c == ';' || c == 0 {
			if c == 0 {
				p.failIncomplete(p.i, "MissingStatementInHashLiteral", "Missing statement after '=' in hash literal.")
			}
			p.failAt(p.i, "MissingStatementInHashLiteral", "Missing statement after '=' in hash literal.")
		}
		val := p.statement()
		h.Pairs = append(h.Pairs, &HashPair{Key: key, Value: val})
		p.skipSpace()
		switch c := p.cur(); c {
		case ';', '\n', '\r', '}':
		case 0:
			p.failIncomplete(p.i, "IncompleteHashLiteral", "The hash literal was incomplete.")
		default:
			p.failAt(p.i, "MissingEndCurlyBrace", "The hash literal was incomplete.")
		}
	}
	p.noComma = save
	h.Span = p.span(start)
	return h
}

// variable parses $name, ${name}, $scope:name or @name.
func (p *parser) variable() *VarExpr {
	start := p.i
	v := &VarExpr{Splat: p.cur() == '@'}
	p.i++
	if p.cur() == '{' {
		end := strings.IndexByte(p.src[p.i:], '}')
		if end < 0 {
			p.failIncomplete(len(p.src), "IncompleteDollarVariableReference", "Missing '}' in variable reference.")
		}
		name := p.src[p.i+1 : p.i+end]
		p.i += end + 1
		v.Braced = true
		if k := strings.IndexByte(name, ':'); k > 0 {
			v.Scope, name = strings.ToLower(name[:k]), name[k+1:]
		}
		v.Name = name
		v.Span = p.span(start)
		return v
	}
	switch c := p.cur(); c {
	case '$', '?', '^':
		p.i++
		v.Name = string(c)
		v.Span = p.span(start)
		return v
	}
	j := p.i
	for j < len(p.src) && isNameChar(p.src[j]) {
		j++
	}
	if j < len(p.src) && p.src[j] == ':' && j+1 < len(p.src) && isNameChar(p.src[j+1]) && j > p.i {
		v.Scope = strings.ToLower(p.src[p.i:j])
		p.i = j + 1
		j = p.i
		for j < len(p.src) && isNameChar(p.src[j]) {
			j++
		}
	}
	if j == p.i {
		p.failAt(start, "InvalidVariableReference", "Variable reference is not valid. '$' was not followed by a valid variable name character. Consider using ${} to delimit the name.")
	}
	v.Name = p.src[p.i:j]
	p.i = j
	v.Span = p.span(start)
	return v
}

// postfix parses member access, method calls, indexing and ++/--
// directly after a primary expression.
func (p *parser) postfix(x Expr) Expr {
	start := x.Pos().Offset
	for {
		c := p.cur()
		switch {
		case c == '.' && p.ch(p.i+1) != '.' && !isDigit(p.ch(p.i+1)) || c == ':' && p.ch(p.i+1) == ':':
			static := c == ':'
			if static {
				p.i += 2
			} else {
				p.i++
			}
			member := p.memberName()
			if p.cur() == '(' {
				p.i++
				args := p.methodArgs()
				x = &InvokeExpr{Span: p.span(start), X: x, Member: member, Static: static, Args: args}
			} else {
				x = &MemberExpr{Span: p.span(start), X: x, Member: member, Static: static}
			}
		case c == '[':
			p.i++
			save := p.noComma
			p.noComma = false
			p.skipNL()
			if p.cur() == ']' || p.i >= len(p.src) {
				p.failAt(p.i, "MissingArrayIndexExpression", "Array index expression is missing or not valid.")
			}
			idx := p.expr()
			p.noComma = save
			p.skipNL()
			if p.cur() != ']' {
				if p.i >= len(p.src) {
					p.failIncomplete(p.i, "MissingEndSquareBracket", "Missing ']' after array index expression.")
				}
				p.failAt(p.i, "MissingEndSquareBracket", "Missing ']' after array index expression.")
			}
			p.i++
			x = &IndexExpr{Span: p.span(start), X: x, Index: idx}
		case (c == '+' && p.ch(p.i+1) == '+' || c == '-' && p.ch(p.i+1) == '-') && assignable(x):
			op := p.src[p.i : p.i+2]
			p.i += 2
			x = &UnaryExpr{Span: p.span(start), Op: op, Postfix: true, X: x}
		default:
			return x
		}
	}
}

// memberName parses the name after '.' or '::'.
func (p *parser) memberName() Expr {
	start := p.i
	c := p.cur()
	switch {
	case isNameStart(c):
		j := p.i
		for j < len(p.src) && isNameChar(p.src[j]) {
			j++
		}
		p.i = j
		name := p.src[start:j]
		return &StringLit{Span: p.span(start), Raw: name, Value: name, Bare: true}
	case c == '$' || c == '(' || c == '\'' || c == '"':
		return p.primary()
	case c == 0:
		p.failIncomplete(p.i, "MissingPropertyName", "Missing property name after reference operator.")
	}
	p.failAt(p.i, "MissingPropertyName", "Missing property name after reference operator.")
	return nil
}

// methodArgs parses arguments after '(' up to and including ')'.
func (p *parser) methodArgs() []Expr {
	save := p.noComma
	p.noComma = true
	defer func() { p.noComma = save }()
	var args []Expr
	p.skipNL()
	if p.cur() == ')' {
		p.i++
		return args
	}
	for {
		p.skipNL()
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "MissingEndParenthesisInMethodCall", "Missing ')' in method call.")
		}
		if c := p.cur(); c == ')' || c == ',' {
			p.failAt(p.i, "MissingExpressionAfterToken", "Missing expression after ','.")
		}
		args = append(args, p.expr())
		p.skipNL()
		switch p.cur() {
		case ',':
			p.i++
			continue
		case ')':
			p.i++
			return args
		case 0:
			p.failIncomplete(p.i, "MissingEndParenthesisInMethodCall", "Missing ')' in method call.")
		}
		p.failAt(p.i, "MissingEndParenthesisInMethodCall", "Missing ')' in method call.")
	}
}

// ------------------------------------------------------------------ strings

func (p *parser) singleQuoted() *StringLit {
	start := p.i
	p.i++
	var b strings.Builder
	for {
		if p.i >= len(p.src) {
			p.failIncomplete(len(p.src), "TerminatorExpectedAtEndOfString", "The string is missing the terminator: '.")
		}
		c := p.src[p.i]
		if c == '\'' {
			if p.ch(p.i+1) == '\'' {
				b.WriteByte('\'')
				p.i += 2
				continue
			}
			p.i++
			break
		}
		b.WriteByte(c)
		p.i++
	}
	return &StringLit{Span: p.span(start), Raw: p.src[start:p.i], Value: b.String()}
}

// doubleQuoted parses "..." with expansions; a string without any is
// still an ExpandString (its Parts hold one StringLit).
func (p *parser) doubleQuoted() *ExpandString {
	start := p.i
	p.i++
	parts := p.expandable(func() bool {
		if p.cur() == '"' {
			if p.ch(p.i+1) == '"' {
				return false
			}
			p.i++
			return true
		}
		return false
	}, "\"")
	return &ExpandString{Span: p.span(start), Raw: p.src[start:p.i], Parts: parts}
}

// expandable parses the content of an expandable string until atEnd
// reports the terminator (consuming it).
func (p *parser) expandable(atEnd func() bool, quote string) []Expr {
	var parts []Expr
	var lit strings.Builder
	litStart := p.i
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, &StringLit{Span: p.span(litStart), Value: lit.String()})
			lit.Reset()
		}
	}
	for {
		if p.i >= len(p.src) {
			if quote == "\"" {
				p.failIncomplete(len(p.src), "TerminatorExpectedAtEndOfString", "The string is missing the terminator: \".")
			}
			p.failIncomplete(len(p.src), "TerminatorExpectedAtEndOfString", "The string is missing the terminator: \"@.")
		}
		if atEnd() {
			break
		}
		c := p.src[p.i]
		switch {
		case c == '`' && p.i+1 < len(p.src):
			n := p.src[p.i+1]
			if n == 'u' && p.ch(p.i+2) == '{' {
				if end := strings.IndexByte(p.src[p.i:], '}'); end > 0 {
					var r rune
					for _, h := range p.src[p.i+3 : p.i+end] {
						r = r*16 + rune(hexVal(byte(h)))
					}
					lit.WriteRune(r)
					p.i += end + 1
					continue
				}
			}
			lit.WriteString(escapeChar(n))
			p.i += 2
		case c == '"' && quote == "\"" && p.ch(p.i+1) == '"':
			lit.WriteByte('"')
			p.i += 2
		case c == '$':
			if x := p.stringVar(); x != nil {
				flush()
				parts = append(parts, x)
				litStart = p.i
				continue
			}
			lit.WriteByte('$')
			p.i++
		default:
			lit.WriteByte(c)
			p.i++
		}
	}
	flush()
	return parts
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 0
}

// stringVar parses an expansion inside a string: $name, ${name},
// $scope:name or $( ... ). It returns nil when '$' is literal.
func (p *parser) stringVar() Expr {
	n := p.ch(p.i + 1)
	switch {
	case n == '(':
		start := p.i
		p.i += 2
		stmts := p.subStatements()
		return &SubExpr{Span: p.span(start), Stmts: stmts}
	case n == '{' || isNameChar(n) || n == '$' || n == '?' || n == '^':
		return p.variable()
	}
	return nil
}

// hereString parses @'...'@ or @"..."@.
func (p *parser) hereString() Expr {
	start := p.i
	quote := p.ch(p.i + 1)
	p.i += 2
	for isSpace(p.cur()) {
		p.i++
	}
	if p.cur() == '\r' {
		p.i++
	}
	if p.cur() != '\n' {
		if p.i >= len(p.src) {
			p.failIncomplete(p.i, "TerminatorExpectedAtEndOfString", "The string is missing the terminator: "+string(quote)+"@.")
		}
		p.failAt(p.i, "UnexpectedCharactersAfterHereStringHeader", "No characters are allowed after a here-string header but before the end of the line.")
	}
	p.i++
	bodyStart := p.i
	term := "\n" + string(quote) + "@"
	// The terminator is a line starting with '@ (or "@).
	end := -1
	if strings.HasPrefix(p.src[bodyStart:], string(quote)+"@") {
		end = bodyStart
	} else if k := strings.Index(p.src[bodyStart:], term); k >= 0 {
		end = bodyStart + k
	}
	if end < 0 {
		p.failIncomplete(len(p.src), "TerminatorExpectedAtEndOfString", "The string is missing the terminator: "+string(quote)+"@.")
	}
	bodyEnd := end
	if bodyEnd > bodyStart && p.src[bodyEnd-1] == '\r' {
		bodyEnd--
	}
	stop := end + 2
	if end > bodyStart || !strings.HasPrefix(p.src[bodyStart:], string(quote)+"@") {
		stop = end + 3
	}
	if quote == '\'' {
		p.i = stop
		return &StringLit{Span: p.span(start), Raw: p.src[start:stop], Value: strings.ReplaceAll(p.src[bodyStart:bodyEnd], "\r\n", "\n")}
	}
	p.i = bodyStart
	parts := p.expandable(func() bool {
		if p.i >= bodyEnd {
			p.i = stop
			return true
		}
		return false
	}, "\"@")
	return &ExpandString{Span: p.span(start), Raw: p.src[start:stop], Parts: parts}
}
