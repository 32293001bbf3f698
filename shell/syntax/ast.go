package syntax

// Pos is a position in the source: a 0-based byte offset and 1-based line
// and column (columns count bytes, as PowerShell's "char:" counts chars).
type Pos struct {
	Offset, Line, Col int
}

// IsValid reports whether the position was set.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Span is the source extent of a node. It is embedded in every node.
type Span struct {
	Start, Stop Pos
}

// Pos returns where the node starts.
func (s Span) Pos() Pos { return s.Start }

// End returns the position just after the node.
func (s Span) End() Pos { return s.Stop }

// Node is any syntax tree node.
type Node interface {
	Pos() Pos
	End() Pos
}

// Stmt is a statement: a pipeline, an assignment or a control statement.
type Stmt interface {
	Node
	stmtNode()
}

// Expr is an expression.
type Expr interface {
	Node
	exprNode()
}

// ScriptBlock is the body of a script, a function or a { } literal: an
// optional param block and either plain statements or named blocks.
type ScriptBlock struct {
	Span
	// Attrs are attributes before param(), such as [CmdletBinding()].
	Attrs []*Attribute
	// Param is the param(...) block, or nil.
	Param *ParamBlock
	// Named is true when the body uses begin/process/end blocks.
	Named          bool
	Begin, Process []Stmt
	// Body is the end block: the plain statements when Named is false.
	Body []Stmt
}

// ParamBlock is param(...).
type ParamBlock struct {
	Span
	Params []*Param
}

// Param is one parameter: attributes, type constraints, name, default.
type Param struct {
	Span
	Attrs   []*Attribute // includes type constraints ([string]) with IsType set
	Name    string       // without '$'
	Default Expr         // or nil
}

// Attribute is [Name(args)] or a type constraint [Type].
type Attribute struct {
	Span
	Name   string
	IsType bool   // [string] rather than [Parameter(...)]
	Args   []Expr // positional arguments
	Named  []*NamedArg
}

// NamedArg is Name = value (or a bare Name, meaning $true) in an attribute.
type NamedArg struct {
	Name  string
	Value Expr // nil for a bare name
}

// ---------------------------------------------------------------- statements

// Pipeline is one or more commands or expressions joined by '|'.
type Pipeline struct {
	Span
	Elems []PipeElem
}

// PipeElem is an element of a pipeline: *Command or *ExprCommand.
type PipeElem interface {
	Node
	pipeElem()
	Redirections() []*Redirect
}

// Command is a command invocation: name, parameters and arguments.
type Command struct {
	Span
	// Invoke is "&" or "." when the call operator was used, else "".
	Invoke string
	// Name is the command name: a bare word (*StringLit with Bare), a
	// string, a variable or any expression (with the call operator).
	Name   Expr
	Args   []CommandArg
	Redirs []*Redirect
}

// CommandArg is an argument of a command: *ParamArg or an Expr (*ArgExpr).
type CommandArg interface {
	Node
	commandArg()
}

// ParamArg is -Name, or -Name:value when Colon is set.
type ParamArg struct {
	Span
	Name  string // without '-'
	Colon bool
	Value Expr // the value after ':' (only with Colon)
}

// ArgExpr is a positional argument value.
type ArgExpr struct {
	Span
	X Expr
}

// ExprCommand is an expression used as a pipeline element (the first).
type ExprCommand struct {
	Span
	X      Expr
	Redirs []*Redirect
}

// Redirect is a redirection: > file, >> file, 2> file, 2>&1, *> file.
type Redirect struct {
	Span
	Op     string // ">", ">>", "2>", "2>>", "2>&1", "*>", ...
	Stream int    // 1 (output), 2 (error), 3.., 0 for '*'
	Append bool
	Merge  bool // n>&1
	Target Expr // nil with Merge
}

// AssignStmt is target = value (or +=, -=, *=, /=, %=).
type AssignStmt struct {
	Span
	Target Expr
	Op     string
	Value  Stmt
}

// IfStmt is if/elseif/else.
type IfStmt struct {
	Span
	Clauses []*IfClause
	Else    *Block // or nil
}

// IfClause is one condition and its body.
type IfClause struct {
	Cond Stmt
	Body *Block
}

// Block is a { } statement block of a control statement.
type Block struct {
	Span
	Stmts []Stmt
}

// WhileStmt is while (cond) { }.
type WhileStmt struct {
	Span
	Label string
	Cond  Stmt
	Body  *Block
}

// DoStmt is do { } while (cond) or do { } until (cond).
type DoStmt struct {
	Span
	Label string
	Body  *Block
	Until bool
	Cond  Stmt
}

// ForStmt is for (init; cond; iter) { }. Each part may be nil.
type ForStmt struct {
	Span
	Label            string
	Init, Cond, Iter Stmt
	Body             *Block
}

// ForeachStmt is foreach ($v in expr) { }.
type ForeachStmt struct {
	Span
	Label string
	Var   *VarExpr
	In    Stmt
	Body  *Block
}

// SwitchStmt is switch [-flags] (value) { pattern { } ... default { } }.
type SwitchStmt struct {
	Span
	Label string
	Flags []string // lower-case: regex, wildcard, exact, casesensitive, file
	Cond  Stmt
	Cases []*SwitchCase
	// Default is the default clause body, or nil.
	Default *Block
}

// SwitchCase is one pattern and its body.
type SwitchCase struct {
	Pattern Expr
	Body    *Block
}

// FunctionDef is function/filter Name [(params)] { body }.
type FunctionDef struct {
	Span
	Name   string
	Filter bool
	// Params are the parameters of the function Name($a, $b) form.
	Params []*Param
	Body   *ScriptBlock
}

// TryStmt is try { } catch [T] { } finally { }.
type TryStmt struct {
	Span
	Body    *Block
	Catches []*CatchClause
	Finally *Block
}

// CatchClause is catch [T1], [T2] { }.
type CatchClause struct {
	Types []string
	Body  *Block
}

// TrapStmt is trap [T] { }.
type TrapStmt struct {
	Span
	Type string
	Body *Block
}

// FlowStmt is break, continue (with Label), return, exit and throw (with
// Value).
type FlowStmt struct {
	Span
	Keyword string // lower-case
	Label   string
	Value   Stmt // or nil
}

func (*Pipeline) stmtNode()    {}
func (*AssignStmt) stmtNode()  {}
func (*IfStmt) stmtNode()      {}
func (*WhileStmt) stmtNode()   {}
func (*DoStmt) stmtNode()      {}
func (*ForStmt) stmtNode()     {}
func (*ForeachStmt) stmtNode() {}
func (*SwitchStmt) stmtNode()  {}
func (*FunctionDef) stmtNode() {}
func (*TryStmt) stmtNode()     {}
func (*TrapStmt) stmtNode()    {}
func (*FlowStmt) stmtNode()    {}

func (*Command) pipeElem()     {}
func (*ExprCommand) pipeElem() {}

// Redirections returns the command's redirections.
func (c *Command) Redirections() []*Redirect { return c.Redirs }

// Redirections returns the expression's redirections.
func (c *ExprCommand) Redirections() []*Redirect { return c.Redirs }

func (*ParamArg) commandArg() {}
func (*ArgExpr) commandArg()  {}

// --------------------------------------------------------------- expressions

// BinaryExpr is X Op Y. Op is lower-case: "+", "-eq", "-creplace", "..", ",".
type BinaryExpr struct {
	Span
	Op   string
	X, Y Expr
}

// UnaryExpr is Op X (or X Op when Postfix): "-", "+", "!", "-not", "-bnot",
// "-split", "-join", "++", "--", ",".
type UnaryExpr struct {
	Span
	Op      string
	Postfix bool
	X       Expr
}

// ArrayLit is a comma list: a, b, c.
type ArrayLit struct {
	Span
	Elems []Expr
}

// ConvertExpr is a cast: [Type]X.
type ConvertExpr struct {
	Span
	Type *TypeLit
	X    Expr
}

// TypeLit is [Type] used as a value ([int]::MaxValue, -is [int]).
type TypeLit struct {
	Span
	Name string
}

// ParenExpr is ( statement ).
type ParenExpr struct {
	Span
	X Stmt
}

// SubExpr is $( statements ).
type SubExpr struct {
	Span
	Stmts []Stmt
}

// ArrayExpr is @( statements ).
type ArrayExpr struct {
	Span
	Stmts []Stmt
}

// HashLit is @{ key = value; ... }; Ordered when cast with [ordered].
type HashLit struct {
	Span
	Pairs []*HashPair
}

// HashPair is one key = value entry.
type HashPair struct {
	Key   Expr
	Value Stmt
}

// ScriptBlockExpr is { ... } as a value.
type ScriptBlockExpr struct {
	Span
	Block *ScriptBlock
	// Text is the source between the braces.
	Text string
}

// VarExpr is $name, $scope:name, ${name} or @name (Splat).
type VarExpr struct {
	Span
	Name   string // without scope
	Scope  string // "global", "script", "local", "private", "env", "variable" or ""
	Braced bool
	Splat  bool
}

// NumberLit is a numeric literal; Value is int or float64.
type NumberLit struct {
	Span
	Raw   string
	Value any
}

// StringLit is a string without expansion: '...', a here-string @'...'@,
// or a bare word in argument mode.
type StringLit struct {
	Span
	Raw   string // source text, quotes included
	Value string
	Bare  bool
}

// ExpandString is a string with expansions: "...", @"..."@, or a bare word
// containing '$'. Parts are *StringLit (text) and expressions.
type ExpandString struct {
	Span
	Raw   string
	Parts []Expr
	Bare  bool
}

// MemberExpr is X.Member or X::Member (Static). Member is a *StringLit
// (Bare for plain names) or any expression ($x.$name, $x.('a')).
type MemberExpr struct {
	Span
	X      Expr
	Member Expr
	Static bool
}

// InvokeExpr is a method call X.Member(args).
type InvokeExpr struct {
	Span
	X      Expr
	Member Expr
	Static bool
	Args   []Expr
}

// IndexExpr is X[Index].
type IndexExpr struct {
	Span
	X     Expr
	Index Expr
}

func (*BinaryExpr) exprNode()      {}
func (*UnaryExpr) exprNode()       {}
func (*ArrayLit) exprNode()        {}
func (*ConvertExpr) exprNode()     {}
func (*TypeLit) exprNode()         {}
func (*ParenExpr) exprNode()       {}
func (*SubExpr) exprNode()         {}
func (*ArrayExpr) exprNode()       {}
func (*HashLit) exprNode()         {}
func (*ScriptBlockExpr) exprNode() {}
func (*VarExpr) exprNode()         {}
func (*NumberLit) exprNode()       {}
func (*StringLit) exprNode()       {}
func (*ExpandString) exprNode()    {}
func (*MemberExpr) exprNode()      {}
func (*InvokeExpr) exprNode()      {}
func (*IndexExpr) exprNode()       {}
