package interp

import (
	"errors"
	"fmt"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// ErrPipelineStopped is returned by WriteObject when a downstream command
// has stopped the pipeline (Select-Object -First). Cmdlets return it as is;
// the interpreter does not report it to the user.
var ErrPipelineStopped = errors.New("pipeline stopped")

// ErrorRecord is PowerShell's ErrorRecord: a message plus the category
// information the error view prints. It is used for both terminating errors
// (returned from a cmdlet) and non-terminating ones (Call.WriteError).
type ErrorRecord struct {
	Message string
	// Category is the ErrorCategory name, e.g. "ObjectNotFound",
	// "InvalidArgument", "InvalidOperation", "NotSpecified".
	Category string
	// Reason is the short exception type name, e.g.
	// "ManagementObjectNotFoundException".
	Reason string
	// TargetName is shown in the category line as "(TargetName:String)".
	TargetName string
	// FullyQualifiedErrorId is shown as is; the interpreter appends
	// ",<cmdlet>" when it has no comma.
	FullyQualifiedErrorId string
	// Activity is the command that raised the error; filled by the
	// interpreter when empty.
	Activity string
	// TargetObject is the object the error is about, if any.
	TargetObject any
	// Exception is the underlying Go error, if any.
	Exception error
	// ComputerName is the computer a remote session ran the command on
	// (OriginInfo.PSComputerName): the error view shows it on a
	// "+ PSComputerName" line, in the remote shape (see [FormatError]).
	ComputerName string

	// Position of the failing command, filled by the interpreter.
	File      string
	Line      int
	Col       int
	LineText  string // the source line
	PosLength int    // length of the failing extent on LineText

	// fatal marks a script-terminating error (throw, -ErrorAction Stop),
	// as opposed to one that ends only the statement.
	fatal bool
	// noActivity leaves the "Command : " prefix off (throw, operators).
	noActivity bool
	// invocation replaces the command name in the "Command : " prefix
	// (Write-Error at script level shows the statement's text).
	invocation string
	// noPosition leaves the "At line:" lines off.
	noPosition bool
	// inner is the short type name of a wrapped exception, which a typed
	// catch also matches (DivideByZeroException inside a RuntimeException).
	inner string
	// at is where binding went wrong (a parameter or argument), when
	// narrower than the command.
	at *syntax.Span
	// class is the command's .NET class, used in FullyQualifiedErrorId.
	class string
	// exception is the object $_.Exception returns, made once.
	exception *object.PSObject
}

// NewError returns an error record with a formatted message.
func NewError(category, reason, errorID, targetName, format string, args ...any) *ErrorRecord {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &ErrorRecord{
		Message:               msg,
		Category:              category,
		Reason:                reason,
		FullyQualifiedErrorId: errorID,
		TargetName:            targetName,
	}
}

// Error returns the message.
func (e *ErrorRecord) Error() string { return e.Message }

// Unwrap returns the underlying Go error.
func (e *ErrorRecord) Unwrap() error { return e.Exception }

// String returns the message, as PowerShell does when an ErrorRecord is
// converted to a string.
func (e *ErrorRecord) String() string { return e.Message }

// ExitError is returned by Session.Run when the script ran `exit N` or
// failed; Code is the process exit status.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }
