package syntax

import "fmt"

// ParseError is a syntax error at a position in the source.
type ParseError struct {
	File      string
	Line, Col int
	Offset    int
	// Length is how many bytes of the source the error's token covers,
	// such as 2 for '&&'; 0 for a position between tokens. PowerShell
	// underlines that many columns (at least one).
	Length int
	Msg    string
	// ErrorID is PowerShell's FullyQualifiedErrorId for the error, such as
	// "MissingEndCurlyBrace".
	ErrorID string
	// Incomplete is set when more input could complete the statement (an
	// open brace, paren or quote, a trailing pipe or backtick): a REPL then
	// asks for a continuation line.
	Incomplete bool
}

func (e *ParseError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}
