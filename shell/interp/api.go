// Package interp evaluates exsh's PowerShell language: pipelines of objects,
// scopes and variables, operators, control flow, functions, parameter binding
// and error streams. Commands are registered as [CmdletInfo] values; the
// interpreter never knows what a command does, only how to bind and call it.
//
// A tour:
//
//   - [Session] holds the global scope, the commands and $Error; [Session.Run]
//     parses a script with shell/syntax and runs it, printing what reaches
//     the end of each top-level pipeline through [Config.NewOutput].
//   - Pipelines run on the caller's goroutine in PowerShell's push model:
//     every Begin, then each object written is processed by the next
//     command at once, then every End. A command that wants no more input
//     returns [ErrPipelineStopped]; the commands before it stop, the ones
//     after it finish. Cancelling the context stops a script between
//     statements and at every WriteObject.
//   - Errors come in PowerShell's three kinds. [Call.WriteError] writes a
//     non-terminating error and the command goes on; an error returned from
//     Begin, Process or End ends the statement (the script goes on with the
//     next one); throw and -ErrorAction Stop end the script unless a
//     try/catch or trap handles them. Errors print in the Windows PowerShell
//     5.1 view (see [FormatError]).
//   - Binding reads only [ParamInfo]: named parameters with unique
//     prefixes and aliases, positions, parameter sets, pipeline input by
//     value and by property name, conversion per [ParamKind], and the
//     common parameters. Script functions are commands too: their param()
//     block becomes ParamInfo, so they bind exactly like cmdlets.
//   - Scopes are dynamic, as in PowerShell: a function's scope is a child of
//     its caller's; ForEach-Object and Where-Object run their blocks in the
//     caller's scope.
package interp

import (
	"context"
	"io"
)

// ParamKind is the declared type of a cmdlet parameter; the binder converts
// arguments to it with PowerShell's conversion rules.
type ParamKind int

const (
	KindObject       ParamKind = iota // any value, unconverted
	KindString                        // string
	KindInt                           // int (numbers and numeric strings; "unlimited" binds as Unlimited)
	KindInt64                         // int64
	KindDouble                        // float64
	KindBool                          // bool ($true/$false, 1/0; strings "true"/"false")
	KindSwitch                        // switch: present means true; -S:$false means false
	KindDateTime                      // time.Time (strings parsed as PowerShell does, local time)
	KindTimeSpan                      // time.Duration ("2.00:00:00", "00:05:00"; the string "30" is 30 days, a number is ticks)
	KindByteSize                      // ByteSize ("36MB", "37748736", "unlimited")
	KindEnum                          // string, one of ParamInfo.Values (case-insensitive, stored in canonical case)
	KindScriptBlock                   // *ScriptBlock
	KindHashtable                     // *object.Hashtable
	KindSecureString                  // *SecureString
	KindCredential                    // *Credential
)

// ByteSize is an Exchange ByteQuantifiedSize in bytes; Unlimited is -1.
type ByteSize int64

// Unlimited is the ByteSize (and int) value meaning "unlimited".
const Unlimited = -1

// SecureString holds a secret; it prints as System.Security.SecureString.
type SecureString struct{ Plain string }

func (s *SecureString) String() string { return "System.Security.SecureString" }

// Credential is a PSCredential.
type Credential struct {
	UserName string
	Password *SecureString
}

// MultiValue is what binding produces for a multivalued parameter given
// @{Add=...;Remove=...}: the caller applies it to the current values.
// A plain list binds as []any instead.
type MultiValue struct {
	Add    []any
	Remove []any
}

// ParamInfo declares one parameter of a cmdlet. The binder, tab completion,
// Get-Help and Get-Command all read it.
type ParamInfo struct {
	Name string
	Kind ParamKind
	// Array: the parameter takes a list (string[], enum flags, ...). Scalars
	// bind as one-element lists. With Multi, @{Add=;Remove=} binds as *MultiValue.
	Array bool
	Multi bool
	// Mandatory parameters missing from the call are an error ("Cannot
	// process command because of one or more missing mandatory parameters").
	Mandatory bool
	// Position is the 0-based position for positional binding; -1 means named only.
	Position int
	// FromPipeline binds the whole pipeline object (ValueFromPipeline);
	// FromPipelineByPropertyName binds its property of the same name (or an alias).
	FromPipeline               bool
	FromPipelineByPropertyName bool
	Aliases                    []string
	// Sets names the parameter sets the parameter belongs to; empty means all.
	Sets []string
	// Values are the accepted names for KindEnum (canonical spelling), used for
	// validation and completion.
	Values []string
	// Complete returns completion candidates for a value that starts with
	// prefix (identities of existing objects, for example). May be nil.
	Complete func(ctx context.Context, prefix string) []string
	Help     string
	// Default is the text Get-Help shows as the default value.
	Default string
	// TypeName is the .NET type shown in messages and help, e.g.
	// "Microsoft.Exchange.Data.ProtocolLoggingLevel"; optional.
	TypeName string
	// Remaining takes every positional argument left over
	// (ValueFromRemainingArguments); the parameter should be an Array.
	Remaining bool
	// Validate, when set, checks the converted value; its error becomes
	// "Cannot validate argument on parameter 'X'. <error>".
	Validate func(v any) error
}

// Example is one Get-Help example.
type Example struct {
	Code    string
	Remarks string
}

// CmdletInfo declares a cmdlet: its names, parameters, help and behaviour.
type CmdletInfo struct {
	Name    string   // Verb-Noun
	Aliases []string // command aliases such as "?" and "where"
	// Module is what Get-Command shows as Source, e.g.
	// "Microsoft.PowerShell.Utility" or "Microsoft.Exchange.Management.PowerShell.SnapIn".
	Module              string
	Synopsis            string
	Description         string
	Params              []*ParamInfo
	DefaultParameterSet string
	Examples            []Example
	OutputType          string
	// SupportsShouldProcess adds -WhatIf and -Confirm.
	SupportsShouldProcess bool
	// ConfirmImpact is "High", "Medium" or "Low" ("" means Medium). When it
	// is at least $ConfirmPreference (High by default), ShouldProcess asks
	// through Config.Confirm without an explicit -Confirm, as Exchange's
	// Remove-* cmdlets do.
	ConfirmImpact string
	// ClassName is the .NET class that FullyQualifiedErrorId names, e.g.
	// "Microsoft.Exchange.Management.SystemConfigurationTasks.GetReceiveConnector".
	// Empty means derived: Microsoft.PowerShell.* modules give
	// "Microsoft.PowerShell.Commands.<VerbNoun>Command", others the name.
	ClassName string
	// Remote marks a command that runs in a remote session, as the
	// Exchange Management Shell's Exchange cmdlets do (implicit remoting
	// to the server): Get-Command lists it as a Function, the proxy that
	// remoting creates, and the errors it raises in that session carry
	// the computer's name (ErrorRecord.ComputerName), which makes them
	// show as a remote session shows them. Errors of the local proxy
	// (binding a parameter, reaching the server) keep the local shape.
	Remote bool

	// Begin runs once before the first input; may be nil.
	Begin func(c *Call) error
	// Process runs once per pipeline input object (with pipeline-bound
	// parameters re-bound for each), or once with no input when the cmdlet
	// is first in the pipeline. May be nil.
	Process func(c *Call) error
	// End runs once after the last input; may be nil.
	End func(c *Call) error
}

// Runtime is what the interpreter provides behind a Call. Cmdlets use the
// Call methods, not this interface.
type Runtime interface {
	WriteObject(v any) error
	WriteError(err error)
	WriteWarning(msg string)
	WriteVerbose(msg string)
	WriteHost(text string, newline bool)
	ShouldProcess(target, action string) bool
	InvokeScript(sb *ScriptBlock, dollarUnder any, args ...any) ([]any, error)
	GetVariable(name string) (any, bool)
	SetVariable(name string, v any)
	Session() *Session
}

// Call is one invocation of a cmdlet in a pipeline. It lives from Begin to End.
type Call struct {
	Ctx  context.Context
	Info *CmdletInfo
	// Bound holds the bound parameters by canonical name (ParamInfo.Name),
	// converted to the declared kind. Only parameters given (or bound from
	// the pipeline) are present. Process gets the same map refilled for
	// every input object: read it while the block runs, do not keep it.
	Bound map[string]any
	// ParameterSet is the resolved parameter set name ("" when none).
	ParameterSet string
	// Input is the current pipeline object in Process; HasInput says whether
	// there is one (false when the cmdlet is first in the pipeline).
	Input    any
	HasInput bool
	// State is free for the cmdlet to keep data between Begin, Process and End.
	State any
	// Stdout is where host output (Write-Host, Out-Host) goes; Width is the
	// output width in columns. Terminal says that host output ends up on
	// an interactive terminal, also when Stdout is not one (an attached
	// client's), so terminal controls such as Clear-Host's make sense.
	Stdout   io.Writer
	Width    int
	Terminal bool
	rt       Runtime
	// answers are the confirmations given while RememberAnswers holds;
	// nil otherwise.
	answers map[answerKey]bool
}

// answerKey is one confirmation question.
type answerKey struct{ description, target, action string }

// NewCall is used by the interpreter (and by tests) to create a Call.
func NewCall(ctx context.Context, info *CmdletInfo, rt Runtime) *Call {
	return &Call{Ctx: ctx, Info: info, Bound: map[string]any{}, rt: rt, Width: 120}
}

// Context is the call's context, done when its pipeline stops (Ctrl+C);
// context.Background for a call made without one.
func (c *Call) Context() context.Context {
	if c.Ctx != nil {
		return c.Ctx
	}
	return context.Background()
}

// Has reports whether the named parameter was bound.
func (c *Call) Has(name string) bool { _, ok := c.Bound[name]; return ok }

// Value returns a bound parameter or nil.
func (c *Call) Value(name string) any { return c.Bound[name] }

// String returns a bound string parameter or "".
func (c *Call) String(name string) string { s, _ := c.Bound[name].(string); return s }

// Bool returns a bound bool or switch parameter, false when absent.
func (c *Call) Bool(name string) bool { b, _ := c.Bound[name].(bool); return b }

// Int returns a bound int parameter, or def when absent.
func (c *Call) Int(name string, def int) int {
	if v, ok := c.Bound[name].(int); ok {
		return v
	}
	return def
}

// List returns a bound array parameter as a list (nil when absent).
func (c *Call) List(name string) []any { l, _ := c.Bound[name].([]any); return l }

// Strings returns a bound array parameter converted to strings.
func (c *Call) Strings(name string) []string {
	var out []string
	for _, v := range c.List(name) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		} else if st, ok := v.(interface{ String() string }); ok {
			out = append(out, st.String())
		}
	}
	return out
}

// WriteObject sends v down the pipeline. Arrays are sent as one object; use
// a loop to enumerate. It returns ErrPipelineStopped when downstream has
// stopped (Select-Object -First); the cmdlet should then return that error.
func (c *Call) WriteObject(v any) error { return c.rt.WriteObject(v) }

// WriteError writes a non-terminating error record and lets the cmdlet go on.
// Return an error from Begin/Process/End for a terminating error instead.
func (c *Call) WriteError(err error) { c.rt.WriteError(err) }

// WriteWarning writes "WARNING: msg" to the warning stream.
func (c *Call) WriteWarning(msg string) { c.rt.WriteWarning(msg) }

// WriteVerbose writes "VERBOSE: msg" when -Verbose or $VerbosePreference asks.
func (c *Call) WriteVerbose(msg string) { c.rt.WriteVerbose(msg) }

// WriteHost writes text to the host (not the pipeline).
func (c *Call) WriteHost(text string, newline bool) { c.rt.WriteHost(text, newline) }

// FlushOutput prints the objects that reached the host's output and wait
// there (a table measuring its first rows), so that host text written
// next comes after them. Host text otherwise goes to the host at once,
// ahead of a table still measuring, as in PowerShell; errors flush the
// output themselves.
func (c *Call) FlushOutput() {
	if s := c.rt.Session(); s != nil {
		s.flushOutput()
	}
}

// ShouldProcess implements -WhatIf and -Confirm: with -WhatIf it prints
// `What if: Performing the operation "<action>" on target "<target>".` and
// returns false.
func (c *Call) ShouldProcess(target, action string) bool {
	return c.remembered(answerKey{"", target, action}, func() bool { return c.rt.ShouldProcess(target, action) })
}

// RememberAnswers makes ShouldProcess and ShouldProcessDescription, until
// the returned function is called, answer a question asked before (the
// same description, target and action) with the answer given then
// instead of asking again: a change whose function the store may run more
// than once (a conflict with another server's change runs it again) asks
// the admin once. Inside another RememberAnswers it changes nothing.
func (c *Call) RememberAnswers() (forget func()) {
	if c.answers != nil {
		return func() {}
	}
	c.answers = map[answerKey]bool{}
	return func() { c.answers = nil }
}

// remembered is the answer to question k given while RememberAnswers
// holds, or ask's.
func (c *Call) remembered(k answerKey, ask func() bool) bool {
	if c.answers == nil {
		return ask()
	}
	if ok, seen := c.answers[k]; seen {
		return ok
	}
	ok := ask()
	c.answers[k] = ok
	return ok
}

// DescriptionRuntime is implemented by runtimes that can show a command's
// own description of a change (the interpreter's does).
type DescriptionRuntime interface {
	ShouldProcessDescription(description, target, action string) bool
}

// ShouldProcessDescription is ShouldProcess with the whole text supplied by
// the cmdlet, as Exchange's cmdlets do: -WhatIf prints
// "What if: <description>" (`What if: Removing Receive connector
// "EX01\Relay".`) and the confirmation prompt shows the description.
// Runtimes without DescriptionRuntime fall back to ShouldProcess(target,
// action).
func (c *Call) ShouldProcessDescription(description, target, action string) bool {
	return c.remembered(answerKey{description, target, action}, func() bool {
		if d, ok := c.rt.(DescriptionRuntime); ok {
			return d.ShouldProcessDescription(description, target, action)
		}
		return c.rt.ShouldProcess(target, action)
	})
}

// InvokeScript runs a script block with $_ set to dollarUnder and $args to args,
// returning what it wrote to the pipeline.
func (c *Call) InvokeScript(sb *ScriptBlock, dollarUnder any, args ...any) ([]any, error) {
	return c.rt.InvokeScript(sb, dollarUnder, args...)
}

// GetVariable reads a variable as seen from the caller's scope.
func (c *Call) GetVariable(name string) (any, bool) { return c.rt.GetVariable(name) }

// SetVariable sets a variable in the caller's scope.
func (c *Call) SetVariable(name string, v any) { c.rt.SetVariable(name, v) }

// Session returns the session the call runs in.
func (c *Call) Session() *Session { return c.rt.Session() }
