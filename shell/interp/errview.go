package interp

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// toRecord turns any error into an error record; activity names the
// command that failed.
func toRecord(err error, activity string) *ErrorRecord {
	var rec *ErrorRecord
	if errors.As(err, &rec) {
		if rec.Activity == "" && !rec.noActivity {
			rec.Activity = activity
		}
		return rec
	}
	var ce *object.ConversionError
	if errors.As(err, &ce) {
		r := NewError("InvalidArgument", "PSInvalidCastException", "InvalidCastConstructorException", "", "%s", err.Error())
		r.Exception = err
		r.Activity = activity
		return r
	}
	r := NewError("NotSpecified", "RuntimeException", "RuntimeException", "", "%s", err.Error())
	r.Exception = err
	r.Activity = activity
	if activity == "" {
		r.noActivity = true
	}
	return r
}

// recordFor turns an error raised by a command into an error record
// naming the command.
func recordFor(err error, info *CmdletInfo) *ErrorRecord {
	rec := toRecord(err, info.Name)
	if rec.class == "" && rec.Activity == info.Name {
		rec.class = commandClass(info)
	}
	return rec
}

// commandClass is the class name FullyQualifiedErrorId uses for a command.
func commandClass(info *CmdletInfo) string {
	if info.ClassName != "" {
		return info.ClassName
	}
	if strings.HasPrefix(info.Module, "Microsoft.PowerShell.") {
		return "Microsoft.PowerShell.Commands." + strings.ReplaceAll(info.Name, "-", "") + "Command"
	}
	return info.Name
}

// position records where an error happened, if not already known.
func (f *frame) position(rec *ErrorRecord, sp syntax.Span) {
	if rec.at != nil {
		sp = *rec.at
		rec.at = nil
	}
	if rec.Line != 0 || f.src == nil || !sp.Start.IsValid() {
		return
	}
	rec.File = f.src.file
	rec.Line = sp.Start.Line
	rec.Col = sp.Start.Col
	rec.LineText = f.src.line(sp.Start.Line)
	n := sp.Stop.Offset - sp.Start.Offset
	if sp.Stop.Line != sp.Start.Line {
		n = len(rec.LineText) - sp.Start.Col + 1
	}
	rec.PosLength = max(n, 1)
}

// addError puts rec at the front of $Error.
func (f *frame) addError(rec *ErrorRecord) {
	for _, e := range f.s.errs {
		if e == rec {
			return
		}
	}
	f.s.errs = append([]any{rec}, f.s.errs...)
	if len(f.s.errs) > 256 {
		f.s.errs = f.s.errs[:256]
	}
}

// reportError records rec in $Error and writes it to the error stream.
func (f *frame) reportError(rec *ErrorRecord) {
	f.addError(rec)
	f.s.errSerial++
	f.display(rec)
}

// display writes rec to the frame's error stream: a redirection, or the
// host's stderr in PowerShell's error view, after the objects that
// reached the host's output before it.
func (f *frame) display(rec *ErrorRecord) {
	if f.errSink != nil {
		f.errSink(rec)
		return
	}
	f.s.flushOutput()
	io.WriteString(f.s.stderr, FormatError(rec))
}

// FormatError renders an error record as Windows PowerShell 5.1's normal
// error view:
//
//	Get-Foo : The term 'Get-Foo' is not recognized as ...
//	At line:1 char:1
//	+ Get-Foo
//	+ ~~~~~~~
//	    + CategoryInfo          : ObjectNotFound: (Get-Foo:String) [], CommandNotFoundException
//	    + FullyQualifiedErrorId : CommandNotFoundException
//
// An error that came from a remote session (a record with a ComputerName,
// PowerShell's OriginInfo) has no invocation of the local script: no
// "Command :" prefix and no position, and its origin last:
//
//	The operation couldn't be performed because object 'Nope' couldn't be found on 'EX01.contoso.com'.
//	    + CategoryInfo          : NotSpecified: (:) [Get-ReceiveConnector], ManagementObjectNotFoundException
//	    + FullyQualifiedErrorId : [Server=EX01,...] ...,Microsoft.Exchange.Management.SystemConfigurationTasks.GetReceiveConnector
//	    + PSComputerName        : ex01.contoso.com
func FormatError(rec *ErrorRecord) string {
	var b strings.Builder
	remote := rec.ComputerName != ""
	prefix := rec.invocation
	if prefix == "" && !rec.noActivity {
		prefix = rec.Activity
	}
	if prefix != "" && !remote {
		b.WriteString(prefix + " : ")
	}
	b.WriteString(rec.Message)
	b.WriteString("\n")
	if rec.Line > 0 && !rec.noPosition && !remote {
		where := "line"
		if rec.File != "" {
			where = rec.File
		}
		fmt.Fprintf(&b, "At %s:%d char:%d\n", where, rec.Line, rec.Col)
		b.WriteString("+ " + rec.LineText + "\n")
		n := rec.PosLength
		if rest := len(rec.LineText) - rec.Col + 1; n > rest {
			n = max(rest, 1)
		}
		b.WriteString("+ " + strings.Repeat(" ", max(rec.Col-1, 0)) + strings.Repeat("~", max(n, 1)) + "\n")
	}
	b.WriteString("    + CategoryInfo          : " + rec.categoryLine() + "\n")
	b.WriteString("    + FullyQualifiedErrorId : " + rec.fullID() + "\n")
	if rec.ComputerName != "" {
		b.WriteString("    + PSComputerName        : " + rec.ComputerName + "\n")
	}
	return b.String()
}

// categoryLine is the CategoryInfo text:
// "ObjectNotFound: (Get-Foo:String) [], CommandNotFoundException".
func (rec *ErrorRecord) categoryLine() string {
	cat := rec.Category
	if cat == "" {
		cat = "NotSpecified"
	}
	typ := ""
	if rec.TargetName != "" || rec.TargetObject != nil {
		typ = "String"
		if rec.TargetObject != nil {
			typ = object.ShortTypeName(rec.TargetObject)
			if o, ok := rec.TargetObject.(*object.PSObject); ok {
				typ = o.TypeName()
				if i := strings.LastIndexByte(typ, '.'); i >= 0 {
					typ = typ[i+1:]
				}
			}
		}
	}
	target := rec.TargetName
	if target == "" && rec.TargetObject != nil {
		target = object.ToString(rec.TargetObject)
	}
	activity := rec.Activity
	if rec.noActivity && rec.invocation == "" {
		activity = ""
	}
	reason := rec.Reason
	if reason == "" {
		reason = "RuntimeException"
	}
	return fmt.Sprintf("%s: (%s:%s) [%s], %s", cat, target, typ, activity, reason)
}

// fullID is the FullyQualifiedErrorId, with ",<command>" appended for
// errors raised by a command.
func (rec *ErrorRecord) fullID() string {
	id := rec.FullyQualifiedErrorId
	if id == "" {
		id = rec.Reason
	}
	if !strings.Contains(id, ",") && rec.Activity != "" && !rec.noActivity && rec.invocation == "" {
		class := rec.class
		if class == "" {
			class = rec.Activity
		}
		id += "," + class
	}
	return id
}

// formatParseError renders a syntax error as PowerShell prints a
// ParseException.
func formatParseError(pe *syntax.ParseError, src *source) string {
	var b strings.Builder
	where := "line"
	if pe.File != "" {
		where = pe.File
	}
	line := src.line(pe.Line)
	fmt.Fprintf(&b, "At %s:%d char:%d\n", where, pe.Line, pe.Col)
	b.WriteString("+ " + line + "\n")
	// The underline covers the error's token on its line, at least one
	// column (an error between tokens or at the end of the line).
	n := pe.Length
	if rest := len(line) - pe.Col + 1; n > rest {
		n = rest
	}
	b.WriteString("+ " + strings.Repeat(" ", max(pe.Col-1, 0)) + strings.Repeat("~", max(n, 1)) + "\n")
	b.WriteString(pe.Msg + "\n")
	b.WriteString("    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException\n")
	id := pe.ErrorID
	if id == "" {
		id = "ParseException"
	}
	b.WriteString("    + FullyQualifiedErrorId : " + id + "\n")
	return b.String()
}

// FormatParseError renders a syntax error as PowerShell does; src is the
// script text.
func FormatParseError(pe *syntax.ParseError, src string) string {
	return formatParseError(pe, &source{file: pe.File, text: src})
}
