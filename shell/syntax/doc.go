// Package syntax parses and prints exsh's PowerShell language: a
// mode-aware lexer (argument mode vs expression mode), the AST with source
// positions, a recursive-descent parser following PowerShell's grammar, and
// a printer that turns a tree back into source. It imports nothing from
// the rest of exsh.
package syntax
