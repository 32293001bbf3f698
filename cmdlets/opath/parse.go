package opath

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a filter that cannot be used: bad syntax, or a property the
// cmdlet cannot filter on. Its text is Exchange's.
type Error struct {
	Filter string
	// Pos is the 1-based character position of the offending token.
	Pos int
	// Property is the unknown property name; empty for a syntax error.
	Property string
}

// Error returns Exchange's text, for example
//
//	Invalid filter syntax. For a description of the filter parameter syntax see the command help.
//	"Status -eq" at position 11.
func (e *Error) Error() string {
	if e.Property != "" {
		return fmt.Sprintf("%q is not a recognized filterable property. For a list of recognized filterable properties, see the command help.\n%q at position %d.",
			e.Property, e.Filter, e.Pos)
	}
	return fmt.Sprintf("Invalid filter syntax. For a description of the filter parameter syntax see the command help.\n%q at position %d.",
		e.Filter, e.Pos)
}

// BindMessage is the text of the parameter binding error a cmdlet reports
// for a filter that failed to parse or check:
//
//	Cannot bind parameter 'Filter' to the target. Exception setting "Filter": "<err>"
func BindMessage(param string, err error) string {
	return fmt.Sprintf("Cannot bind parameter '%s' to the target. Exception setting \"%s\": \"%s\"", param, param, err.Error())
}

type tokKind int

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tCmp    // comparison operator; text is the canonical "-eq"
	tWord   // bare word
	tString // quoted string; text is the unquoted value
	tVar    // $true, $false, $null; text is the lower-case name
)

type token struct {
	kind tokKind
	text string
	pos  int // 1-based rune position
}

// Operators, canonical spelling.
const (
	OpEq      = "-eq"
	OpNe      = "-ne"
	OpGt      = "-gt"
	OpGe      = "-ge"
	OpLt      = "-lt"
	OpLe      = "-le"
	OpLike    = "-like"
	OpNotLike = "-notlike"
)

var cmpOps = map[string]string{
	"-eq": OpEq, "-ne": OpNe, "-gt": OpGt, "-ge": OpGe, "-lt": OpLt, "-le": OpLe,
	"-like": OpLike, "-notlike": OpNotLike,
	// PowerShell's explicit case-insensitive spellings.
	"-ieq": OpEq, "-ine": OpNe, "-igt": OpGt, "-ige": OpGe, "-ilt": OpLt, "-ile": OpLe,
	"-ilike": OpLike, "-inotlike": OpNotLike,
}

type lexer struct {
	src  []rune
	i    int
	toks []token
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// isWordRune reports whether r can be part of a bare word.
func isWordRune(r rune) bool {
	return !isSpace(r) && r != '(' && r != ')' && r != '\'' && r != '"'
}

func lex(filter string) ([]token, error) {
	l := &lexer{src: []rune(filter)}
	synErr := func(pos int) error { return &Error{Filter: filter, Pos: pos} }
	for {
		for l.i < len(l.src) && isSpace(l.src[l.i]) {
			l.i++
		}
		if l.i >= len(l.src) {
			l.toks = append(l.toks, token{kind: tEOF, pos: len(l.src) + 1})
			return l.toks, nil
		}
		start := l.i
		pos := start + 1
		r := l.src[l.i]
		switch {
		case r == '(':
			l.i++
			l.toks = append(l.toks, token{kind: tLParen, text: "(", pos: pos})
		case r == ')':
			l.i++
			l.toks = append(l.toks, token{kind: tRParen, text: ")", pos: pos})
		case r == '\'' || r == '"' || r == '‘' || r == '’' || r == '“' || r == '”':
			s, ok := l.quoted()
			if !ok {
				return nil, synErr(pos)
			}
			l.toks = append(l.toks, token{kind: tString, text: s, pos: pos})
		case r == '-' && l.i+1 < len(l.src) && unicode.IsLetter(l.src[l.i+1]):
			l.i++
			for l.i < len(l.src) && unicode.IsLetter(l.src[l.i]) {
				l.i++
			}
			// The keyword must end here: "-eqx" is not an operator.
			if l.i < len(l.src) && isWordRune(l.src[l.i]) {
				return nil, synErr(pos)
			}
			kw := strings.ToLower(string(l.src[start:l.i]))
			switch kw {
			case "-and":
				l.toks = append(l.toks, token{kind: tAnd, text: kw, pos: pos})
			case "-or":
				l.toks = append(l.toks, token{kind: tOr, text: kw, pos: pos})
			case "-not":
				l.toks = append(l.toks, token{kind: tNot, text: kw, pos: pos})
			default:
				op, ok := cmpOps[kw]
				if !ok {
					return nil, synErr(pos)
				}
				l.toks = append(l.toks, token{kind: tCmp, text: op, pos: pos})
			}
		case r == '!':
			l.i++
			l.toks = append(l.toks, token{kind: tNot, text: "-not", pos: pos})
		case r == '$':
			l.i++
			for l.i < len(l.src) && (unicode.IsLetter(l.src[l.i]) || unicode.IsDigit(l.src[l.i]) || l.src[l.i] == '_') {
				l.i++
			}
			name := strings.ToLower(string(l.src[start+1 : l.i]))
			if name != "true" && name != "false" && name != "null" {
				return nil, synErr(pos)
			}
			if l.i < len(l.src) && isWordRune(l.src[l.i]) {
				return nil, synErr(pos)
			}
			l.toks = append(l.toks, token{kind: tVar, text: name, pos: pos})
		default:
			for l.i < len(l.src) && isWordRune(l.src[l.i]) {
				l.i++
			}
			l.toks = append(l.toks, token{kind: tWord, text: string(l.src[start:l.i]), pos: pos})
		}
	}
}

func closingQuote(open rune) func(rune) bool {
	switch open {
	case '\'', '‘', '’':
		return func(r rune) bool { return r == '\'' || r == '‘' || r == '’' }
	}
	return func(r rune) bool { return r == '"' || r == '“' || r == '”' }
}

// quoted reads a quoted string at l.i. A doubled quote stands for one quote;
// in double-quoted text a backtick escapes the next character.
func (l *lexer) quoted() (string, bool) {
	open := l.src[l.i]
	isClose := closingQuote(open)
	double := open == '"' || open == '“' || open == '”'
	l.i++
	var b strings.Builder
	for l.i < len(l.src) {
		r := l.src[l.i]
		switch {
		case double && r == '`' && l.i+1 < len(l.src):
			b.WriteRune(l.src[l.i+1])
			l.i += 2
		case isClose(r):
			if l.i+1 < len(l.src) && isClose(l.src[l.i+1]) {
				b.WriteRune(r)
				l.i += 2
				continue
			}
			l.i++
			return b.String(), true
		default:
			b.WriteRune(r)
			l.i++
		}
	}
	return "", false
}

// Node is a parsed filter expression.
type node interface {
	match(get Getter) bool
	write(b *strings.Builder)
}

// Getter returns the value of a property by name (case-insensitively) and
// whether the object has it.
type Getter func(prop string) (any, bool)

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ x node }

// literalKind says what a comparison's right-hand side is.
type literalKind int

const (
	litText literalKind = iota
	litTrue
	litFalse
	litNull
)

type cmpNode struct {
	prop string
	pos  int
	op   string
	kind literalKind
	text string
}

func (n *andNode) write(b *strings.Builder) {
	b.WriteByte('(')
	n.l.write(b)
	b.WriteString(" -and ")
	n.r.write(b)
	b.WriteByte(')')
}

func (n *orNode) write(b *strings.Builder) {
	b.WriteByte('(')
	n.l.write(b)
	b.WriteString(" -or ")
	n.r.write(b)
	b.WriteByte(')')
}

func (n *notNode) write(b *strings.Builder) {
	b.WriteString("-not (")
	n.x.write(b)
	b.WriteByte(')')
}

func (n *cmpNode) write(b *strings.Builder) {
	b.WriteString(n.prop)
	b.WriteByte(' ')
	b.WriteString(n.op)
	b.WriteByte(' ')
	switch n.kind {
	case litTrue:
		b.WriteString("$true")
	case litFalse:
		b.WriteString("$false")
	case litNull:
		b.WriteString("$null")
	default:
		b.WriteByte('\'')
		b.WriteString(strings.NewReplacer("'", "''", "‘", "‘‘", "’", "’’").Replace(n.text))
		b.WriteByte('\'')
	}
}

type parser struct {
	filter string
	toks   []token
	i      int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}
func (p *parser) errAt(t token) error { return &Error{Filter: p.filter, Pos: t.pos} }

// maxDepth bounds nesting so a hostile filter cannot exhaust the stack.
const maxDepth = 200

func (p *parser) parseOr(depth int) (node, error) {
	l, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		r, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		l = &orNode{l, r}
	}
	return l, nil
}

func (p *parser) parseAnd(depth int) (node, error) {
	l, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		p.next()
		r, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		l = &andNode{l, r}
	}
	return l, nil
}

func (p *parser) parseUnary(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.peek())
	}
	t := p.next()
	switch t.kind {
	case tNot:
		x, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &notNode{x}, nil
	case tLParen:
		x, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errAt(c)
		}
		return x, nil
	case tWord:
		if !validProperty(t.text) {
			return nil, p.errAt(t)
		}
		opTok := p.next()
		if opTok.kind != tCmp {
			return nil, p.errAt(opTok)
		}
		v := p.next()
		n := &cmpNode{prop: t.text, pos: t.pos, op: opTok.text}
		switch v.kind {
		case tWord, tString:
			n.text = v.text
		case tVar:
			switch v.text {
			case "true":
				n.kind = litTrue
			case "false":
				n.kind = litFalse
			default:
				n.kind = litNull
			}
		default:
			return nil, p.errAt(v)
		}
		return n, nil
	}
	return nil, p.errAt(t)
}

// validProperty reports whether s can name a property: letters, digits, '_'
// and '.', starting with a letter or '_'.
func validProperty(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(r) && r != '_' {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// Filter is a parsed OPATH filter.
type Filter struct {
	text string
	root node
}

// Parse parses an OPATH filter. Surrounding braces, as in the script-block
// form -Filter {MessageCount -gt 0}, are accepted.
func Parse(filter string) (*Filter, error) {
	text := filter
	if t := strings.TrimSpace(text); len(t) >= 2 && t[0] == '{' && t[len(t)-1] == '}' {
		text = t[1 : len(t)-1]
	}
	toks, err := lex(text)
	if err != nil {
		err.(*Error).Filter = filter
		return nil, err
	}
	p := &parser{filter: filter, toks: toks}
	root, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t)
	}
	return &Filter{text: filter, root: root}, nil
}

// String returns the filter in a canonical form: every -and/-or group in
// parentheses, every value quoted. Parsing it gives the same filter.
func (f *Filter) String() string {
	var b strings.Builder
	f.root.write(&b)
	return b.String()
}

// Text returns the filter as it was given.
func (f *Filter) Text() string { return f.text }

// Properties returns the property names the filter refers to, in order of
// appearance, as written.
func (f *Filter) Properties() []string {
	var out []string
	walk(f.root, func(c *cmpNode) error {
		out = append(out, c.prop)
		return nil
	})
	return out
}

func walk(n node, fn func(*cmpNode) error) error {
	switch x := n.(type) {
	case *andNode:
		if err := walk(x.l, fn); err != nil {
			return err
		}
		return walk(x.r, fn)
	case *orNode:
		if err := walk(x.l, fn); err != nil {
			return err
		}
		return walk(x.r, fn)
	case *notNode:
		return walk(x.x, fn)
	case *cmpNode:
		return fn(x)
	}
	return nil
}

// Check fails with Exchange's "is not a recognized filterable property"
// error for the first property not in known (compared case-insensitively),
// and rewrites the others to their spelling in known.
func (f *Filter) Check(known []string) error {
	idx := make(map[string]string, len(known))
	for _, k := range known {
		idx[strings.ToLower(k)] = k
	}
	return walk(f.root, func(c *cmpNode) error {
		k, ok := idx[strings.ToLower(c.prop)]
		if !ok {
			return &Error{Filter: f.text, Pos: c.pos, Property: c.prop}
		}
		c.prop = k
		return nil
	})
}

// Match reports whether the object whose properties get returns passes the
// filter. A property get does not have compares as $null.
func (f *Filter) Match(get Getter) bool { return f.root.match(get) }

// Compile parses filter and returns its predicate.
func Compile(filter string) (func(get func(prop string) (any, bool)) bool, error) {
	f, err := Parse(filter)
	if err != nil {
		return nil, err
	}
	return func(get func(string) (any, bool)) bool { return f.Match(get) }, nil
}

// CompileFor is Compile plus Check: properties not in known are an error.
func CompileFor(filter string, known []string) (func(get func(prop string) (any, bool)) bool, error) {
	f, err := Parse(filter)
	if err != nil {
		return nil, err
	}
	if err := f.Check(known); err != nil {
		return nil, err
	}
	return func(get func(string) (any, bool)) bool { return f.Match(get) }, nil
}
