package interp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// Output formats objects that reach the end of a top-level pipeline; the
// shell/format package provides one. Format records (from Format-Table
// and the other Format-* cmdlets) reach it too and are rendered as they
// are. An Output that also implements [EnumerationLimiter] is told
// $FormatEnumerationLimit before each object.
type Output interface {
	Write(v any) error
	Close() error
}

// Flusher is implemented by an Output that holds objects back before it
// prints them, as a table measuring its first rows does: Flush prints
// what it holds. The session flushes its Output before it shows an error
// on the host, so that the objects that reached the host before the
// error come before its text (Call.FlushOutput does so for host text).
type Flusher interface {
	Flush() error
}

// EnumerationLimiter is implemented by an Output that shows only the first
// n elements of a collection property ($FormatEnumerationLimit; negative
// shows every element), such as *format.Output.
type EnumerationLimiter interface {
	SetEnumerationLimit(n int)
}

// Config configures a Session. It is read once by NewSession.
type Config struct {
	Stdout, Stderr io.Writer
	// Width is the output width in columns; 0 means 120. [Session.SetWidth]
	// changes it between scripts.
	Width int
	// Commands are the commands available besides the built-ins.
	Commands []*CmdletInfo
	// Variables are initial global variables.
	Variables map[string]any
	// NewOutput returns the formatter for the top-level pipeline's output.
	// When nil, each object is written as one line of object.ToString.
	NewOutput func(w io.Writer, width int) Output
	// Confirm asks the user to confirm an action (-Confirm, or a command
	// whose ConfirmImpact reaches $ConfirmPreference). prompt is the
	// description line: the command's own (`Removing Receive connector
	// "EX01\Relay".`) or PowerShell's `Performing the operation "Remove"
	// on target "EX01\Relay".`; the caller adds PowerShell's "Confirm" /
	// "Are you sure you want to perform this action?" lines and the
	// [Y] Yes ... choices. nil means non-interactive (scripts, -Command,
	// no terminal): every confirmation is accepted without a prompt.
	Confirm func(prompt string) bool
}

// ScriptBlock is a piece of code as a value: { ... }.
type ScriptBlock struct {
	text string
	ast  *syntax.ScriptBlock
	src  *source
	// info is the command made from the block for & and .Invoke(), built
	// on first use.
	info *CmdletInfo
	// closure is the scope captured by GetNewClosure(), or nil.
	closure *scope
}

// String returns the script block's source text (without the braces).
func (sb *ScriptBlock) String() string {
	if sb == nil {
		return ""
	}
	return sb.text
}

// NewScriptBlock parses text into a script block.
func NewScriptBlock(text string) (*ScriptBlock, error) {
	ast, err := syntax.Parse(text, "")
	if err != nil {
		return nil, err
	}
	return &ScriptBlock{text: text, ast: ast, src: &source{text: text}}, nil
}

// source is one script's text, kept for error positions.
type source struct {
	file, text string
	lines      []string // split on first use
}

// line returns the text of a 1-based line.
func (s *source) line(n int) string {
	if s == nil {
		return ""
	}
	if s.lines == nil {
		s.lines = strings.Split(s.text, "\n")
	}
	if n < 1 || n > len(s.lines) {
		return ""
	}
	return strings.TrimRight(s.lines[n-1], "\r")
}

// Session is one shell session: the global scope, functions, commands and
// the error list. It is not safe for concurrent use: run one script at a
// time.
type Session struct {
	cfg      Config
	stdout   io.Writer
	stderr   io.Writer
	width    int
	terminal bool // host output reaches an interactive terminal (SetTerminal)
	global   *scope
	commands map[string]*CmdletInfo
	ordered  []*CmdletInfo
	errs     []any // $Error, newest first
	lastOK   bool
	// errSerial counts error records written, so a pipeline can tell
	// whether it wrote any ($?).
	errSerial int
	tryDepth  int
	env       map[string]*string
	// out is the Output of the script Run is running, nil outside Run.
	out Output
}

// NewSession returns a session with the built-ins and cfg.Commands.
func NewSession(cfg Config) *Session {
	s := &Session{
		cfg:      cfg,
		stdout:   cfg.Stdout,
		stderr:   cfg.Stderr,
		width:    cfg.Width,
		commands: map[string]*CmdletInfo{},
		lastOK:   true,
		env:      map[string]*string{},
	}
	if s.stdout == nil {
		s.stdout = io.Discard
	}
	if s.stderr == nil {
		s.stderr = io.Discard
	}
	if s.width <= 0 {
		s.width = 120
	}
	s.global = newScope(nil)
	home, _ := os.UserHomeDir()
	for k, v := range map[string]any{
		"ErrorActionPreference":    "Continue",
		"WarningPreference":        "Continue",
		"VerbosePreference":        "SilentlyContinue",
		"DebugPreference":          "SilentlyContinue",
		"InformationPreference":    "SilentlyContinue",
		"ConfirmPreference":        "High",
		"WhatIfPreference":         false,
		"FormatEnumerationLimit":   4,
		"HOME":                     home,
		"PID":                      os.Getpid(),
		"MaximumHistoryCount":      4096,
		"PSEmailServer":            nil,
		"PSDefaultParameterValues": object.NewHashtable(),
	} {
		s.global.set(k, v)
	}
	vt := object.NewHashtable()
	vt.Set("PSVersion", newVersion(5, 1, 17763, 1))
	vt.Set("PSEdition", "Desktop")
	vt.Set("BuildVersion", "10.0.17763.1")
	vt.Set("CLRVersion", "4.0.30319.42000")
	vt.Set("WSManStackVersion", "3.0")
	vt.Set("PSRemotingProtocolVersion", "2.3")
	vt.Set("SerializationVersion", "1.1.0.1")
	s.global.set("PSVersionTable", vt)
	s.AddCommands(Builtins()...)
	s.AddCommands(cfg.Commands...)
	for k, v := range cfg.Variables {
		s.global.set(k, v)
	}
	return s
}

// Run parses and runs a script, printing its output (through
// Config.NewOutput) and its errors. It returns nil when the script ran to
// its end, an *ExitError after `exit N`, the *syntax.ParseError of a
// script that does not parse, and the *ErrorRecord of a terminating error
// that stopped the script (already printed). See ExitStatus.
func (s *Session) Run(ctx context.Context, src, filename string) error {
	out := s.newOutput(s.stdout)
	prev := s.out
	s.out = out
	defer func() { s.out = prev }()
	err := s.run(ctx, src, filename, func(v any) error {
		if v == nil {
			return nil // $null shows nothing
		}
		return out.Write(v)
	})
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

// Invoke runs a script and returns its output objects instead of printing
// them. Errors are still printed to Stderr.
func (s *Session) Invoke(ctx context.Context, src string) ([]any, error) {
	var out []any
	err := s.run(ctx, src, "", func(v any) error { out = append(out, v); return nil })
	return out, err
}

// ExitStatus returns the process exit status for what Run returned, as
// pwsh -Command does: N after `exit N`, 1 when a terminating error stopped
// the script or the last pipeline failed ($? false), else 0.
func (s *Session) ExitStatus(err error) int {
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case err != nil:
		return 1
	case !s.lastOK:
		return 1
	}
	return 0
}

func (s *Session) newOutput(w io.Writer) Output {
	if s.cfg.NewOutput != nil {
		return &limitedOutput{Output: s.cfg.NewOutput(w, s.width), s: s}
	}
	return &lineOutput{w: w}
}

// limitedOutput passes $FormatEnumerationLimit to the Output before each
// object, so a script that changes it sees the change in the next output.
type limitedOutput struct {
	Output
	s *Session
}

// Flush flushes the Output when it holds objects back (Flusher).
func (o *limitedOutput) Flush() error {
	if f, ok := o.Output.(Flusher); ok {
		return f.Flush()
	}
	return nil
}

// flushOutput prints what the running script's Output holds back.
func (s *Session) flushOutput() {
	if f, ok := s.out.(Flusher); ok {
		_ = f.Flush()
	}
}

func (o *limitedOutput) Write(v any) error {
	if l, ok := o.Output.(EnumerationLimiter); ok {
		l.SetEnumerationLimit(o.s.enumerationLimit())
	}
	return o.Output.Write(v)
}

// enumerationLimit reads $FormatEnumerationLimit: 4 when unset or not a
// number.
func (s *Session) enumerationLimit() int {
	if v := s.global.lookup("FormatEnumerationLimit"); v != nil && v.value != nil {
		if n, err := object.ToInt(v.value); err == nil {
			return n
		}
	}
	return 4
}

// lineOutput writes each object as one line of its string form.
type lineOutput struct{ w io.Writer }

func (o *lineOutput) Write(v any) error {
	s := object.ToString(v)
	if t, ok := v.(time.Time); ok {
		s = object.FormatDate(t, "G") // display uses the current culture
	}
	_, err := io.WriteString(o.w, s+"\n")
	return err
}

func (o *lineOutput) Close() error { return nil }

func (s *Session) run(ctx context.Context, text, filename string, out sink) error {
	ast, err := syntax.Parse(text, filename)
	if err != nil {
		var pe *syntax.ParseError
		if errors.As(err, &pe) {
			io.WriteString(s.stderr, formatParseError(pe, &source{file: filename, text: text}))
			s.lastOK = false
		}
		return err
	}
	src := &source{file: filename, text: text}
	if filename != "" {
		abs, err := filepath.Abs(filename)
		if err != nil {
			abs = filename
		}
		s.global.set("PSCommandPath", abs)
		s.global.set("PSScriptRoot", filepath.Dir(abs))
	}
	f := &frame{s: s, ctx: ctx, sc: s.global, out: out, src: src}
	s.tryDepth = 0
	err = f.runBlockBody(ast)
	switch e := err.(type) {
	case nil:
		return nil
	case *flow:
		switch e.kind {
		case "exit":
			return &ExitError{Code: e.code}
		}
		// break/continue/return outside a loop or function end the script.
		return nil
	case *ErrorRecord:
		f.reportError(e)
		s.lastOK = false
		return e
	}
	if errors.Is(err, ErrPipelineStopped) {
		return nil
	}
	if ctx.Err() != nil {
		s.lastOK = false
		return ctx.Err()
	}
	rec := toRecord(err, "")
	f.reportError(rec)
	s.lastOK = false
	return rec
}

// LastSucceeded reports $?: whether the last statement succeeded.
func (s *Session) LastSucceeded() bool { return s.lastOK }

// Commands returns every command, sorted by name: cmdlets and functions.
func (s *Session) Commands() []*CmdletInfo {
	out := append([]*CmdletInfo(nil), s.ordered...)
	for _, fn := range s.global.funcs {
		out = append(out, fn.info)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// Functions returns the functions defined by scripts, as commands.
func (s *Session) Functions() []*CmdletInfo {
	var out []*CmdletInfo
	for _, fn := range s.global.funcs {
		out = append(out, fn.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupCommand finds a command by name or alias, case-insensitively:
// global functions first, then cmdlets. It returns nil when there is none.
func (s *Session) LookupCommand(name string) *CmdletInfo {
	return s.lookupCommand(s.global, name)
}

// lookupCommand finds a command as seen from a scope: the functions
// visible there, then cmdlets.
func (s *Session) lookupCommand(sc *scope, name string) *CmdletInfo {
	if fn := sc.lookupFunction(name); fn != nil {
		return fn.info
	}
	k := strings.ToLower(name)
	if c, ok := s.commands[k]; ok {
		return c
	}
	// Module-qualified names: Microsoft.PowerShell.Utility\Select-Object.
	if i := strings.LastIndexByte(k, '\\'); i >= 0 {
		return s.lookupCommand(sc, name[i+1:])
	}
	return nil
}

// AddCommands registers commands; a later command replaces an earlier one
// of the same name.
func (s *Session) AddCommands(cmds ...*CmdletInfo) {
	for _, c := range cmds {
		if c == nil {
			continue
		}
		k := strings.ToLower(c.Name)
		if old, ok := s.commands[k]; ok {
			for i, o := range s.ordered {
				if o == old {
					s.ordered = append(s.ordered[:i:i], s.ordered[i+1:]...)
					break
				}
			}
		}
		s.commands[k] = c
		s.ordered = append(s.ordered, c)
		for _, a := range c.Aliases {
			s.commands[strings.ToLower(a)] = c
		}
	}
}

// Variables returns the global variables by name.
func (s *Session) Variables() map[string]any {
	out := map[string]any{}
	for _, v := range s.global.vars {
		out[v.name] = v.value
	}
	return out
}

// GetVar reads a global variable (or an automatic one such as $?).
func (s *Session) GetVar(name string) (any, bool) {
	f := &frame{s: s, ctx: context.Background(), sc: s.global}
	return f.lookupVar("", name)
}

// SetVar sets a global variable.
func (s *Session) SetVar(name string, v any) { s.global.set(name, v) }

// Stdout returns the host output writer.
func (s *Session) Stdout() io.Writer { return s.stdout }

// Width returns the output width in columns.
func (s *Session) Width() int { return s.width }

// SetWidth changes the output width for the scripts run after it, as when
// the user resizes the terminal between statements: the next Run formats
// its output, and commands see [Call].Width, at the new width. A width of
// 0 or less leaves the current one.
func (s *Session) SetWidth(width int) {
	if width > 0 {
		s.width = width
	}
}

// SetTerminal says whether host output reaches an interactive terminal,
// for the scripts run after it (Call.Terminal).
func (s *Session) SetTerminal(on bool) { s.terminal = on }

// errorList is $Error: the session's error records, newest first, with
// Clear().
type errorList []any

// Errors returns $Error, newest first.
func (s *Session) Errors() []any { return s.errs }

// Parse checks a script for syntax errors without running it.
func Parse(src, filename string) error {
	_, err := syntax.Parse(src, filename)
	return err
}

// versionText is a System.Version's base value: it shows as "5.1.17763.1".
type versionText string

func (v versionText) String() string { return string(v) }

// newVersion returns a System.Version object ($PSVersionTable.PSVersion).
func newVersion(major, minor, build, revision int) *object.PSObject {
	o := object.New("System.Version", "System.Object")
	o.Add("Major", major).Add("Minor", minor).Add("Build", build).Add("Revision", revision).
		Add("MajorRevision", 0).Add("MinorRevision", revision)
	o.Base = versionText(fmt.Sprintf("%d.%d.%d.%d", major, minor, build, revision))
	return o
}
