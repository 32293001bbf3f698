// Package repl is exsh's interactive loop: the Exchange Management Shell
// prompt on go-prompt, tab completion from a [Catalog], continuation lines
// (">> ") while a statement is incomplete, history kept in a file across
// sessions, and Ctrl+C that stops the running pipeline or clears the line.
//
// The loop only edits and dispatches text; running it is the caller's
// Execute function, which may run it in a local session or send it to a
// server. Input that is not a terminal never reaches go-prompt: [RunLines]
// reads it statement by statement.
package repl
