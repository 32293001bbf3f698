package cmdlets

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// Error categories as PowerShell names them.
const (
	CategoryNotSpecified     = "NotSpecified"
	CategoryInvalidArgument  = "InvalidArgument"
	CategoryInvalidData      = "InvalidData"
	CategoryInvalidOperation = "InvalidOperation"
	CategoryObjectNotFound   = "ObjectNotFound"
	CategoryResourceExists   = "ResourceExists"
	CategoryWriteError       = "WriteError"
	CategoryPermissionDenied = "PermissionDenied"
	CategoryOperationTimeout = "OperationTimeout"
	CategoryResourceBusy     = "ResourceBusy"
)

// Exception names Exchange reports in an error's CategoryInfo line.
const (
	ReasonNotFound        = "ManagementObjectNotFoundException"
	ReasonAmbiguous       = "ManagementObjectAmbiguousException"
	ReasonAlreadyExists   = "ADObjectAlreadyExistsException"
	ReasonDataValidation  = "DataValidationException"
	ReasonArgument        = "ArgumentException"
	ReasonInvalidOp       = "InvalidOperationException"
	ReasonProxyAddress    = "ProxyAddressExistsException"
	ReasonParameterBind   = "ParameterBindingException"
	ReasonRecipientTask   = "RecipientTaskException"
	ReasonTaskException   = "TaskException"
	ReasonStoreFailure    = "ADOperationException"
	ReasonCannotRemoveDef = "CannotRemoveDefaultAcceptedDomainException"
)

// recipientNouns are the cmdlet nouns whose task classes live in
// Microsoft.Exchange.Management.RecipientTasks; every other Exchange noun
// here is a SystemConfigurationTasks class.
var recipientNouns = map[string]bool{
	"mailbox": true, "user": true, "recipient": true, "adpermission": true,
}

// TaskClass returns the .NET class implementing an Exchange cmdlet, as the
// FullyQualifiedErrorId ends with it: "Get-ReceiveConnector" →
// "Microsoft.Exchange.Management.SystemConfigurationTasks.GetReceiveConnector".
func TaskClass(cmdlet string) string {
	verb, noun, _ := strings.Cut(cmdlet, "-")
	ns := "Microsoft.Exchange.Management.SystemConfigurationTasks."
	if recipientNouns[strings.ToLower(noun)] {
		ns = "Microsoft.Exchange.Management.RecipientTasks."
	}
	return ns + verb + noun
}

// Task makes the error records of one Exchange cmdlet invocation. Exchange
// errors carry the server, a request id and a timestamp in their
// FullyQualifiedErrorId:
//
//	[Server=EX01,RequestId=<guid>,TimeStamp=<M/d/yyyy h:mm:ss tt, UTC>] [FailureCategory=Cmdlet-<Exception>] <hash>,<task class>
type Task struct {
	Cmdlet    string // "Get-ReceiveConnector"
	Site      Site
	Now       time.Time
	RequestID string
}

// NewTask returns the error factory for one run of cmdlet.
func NewTask(d *Deps, cmdlet string, site Site) *Task {
	return &Task{Cmdlet: cmdlet, Site: site, Now: d.Clock(), RequestID: state.NewGuid()}
}

// NewTaskWithoutStore returns a task for an error the store gave before
// the cmdlet's transaction could tell the site. A read usually still
// works (a change refused for want of a majority): the site is read then;
// otherwise the task names this server (d.ServerName, or EX01, setup's
// default, where that is unset) as its FQDN too.
func NewTaskWithoutStore(d *Deps, cmdlet string) *Task {
	if d != nil && d.Store != nil {
		var site Site
		if d.Store.View(func(tx state.Tx) error { site = d.LoadSite(tx); return nil }) == nil && site.Server != "" {
			return NewTask(d, cmdlet, site)
		}
	}
	server := "EX01"
	if d != nil && d.ServerName != "" {
		server = d.ServerName
	}
	return NewTask(d, cmdlet, Site{Server: server, ServerFqdn: server})
}

// Error returns an error record with Exchange's FullyQualifiedErrorId.
// target is what the CategoryInfo line shows in its parentheses; Exchange
// usually leaves it empty ("(:)").
func (t *Task) Error(category, reason, target, msg string) *interp.ErrorRecord {
	return t.remote(interp.NewError(category, reason, t.ErrorID(reason), target, "%s", msg))
}

// remote marks e as raised in the remote session to the server, which
// the error view shows as "+ PSComputerName : ex01.contoso.com".
func (t *Task) remote(e *interp.ErrorRecord) *interp.ErrorRecord {
	e.ComputerName = t.Site.ComputerName()
	return e
}

// Errorf is Error with a formatted message.
func (t *Task) Errorf(category, reason, format string, args ...any) *interp.ErrorRecord {
	return t.Error(category, reason, "", fmt.Sprintf(format, args...))
}

// ErrorID returns the FullyQualifiedErrorId for an exception of the task.
func (t *Task) ErrorID(reason string) string {
	class := TaskClass(t.Cmdlet)
	h := fnv.New32a()
	h.Write([]byte(class + "/" + reason))
	return fmt.Sprintf("[Server=%s,RequestId=%s,TimeStamp=%s] [FailureCategory=Cmdlet-%s] %08X,%s",
		t.Site.Server, t.RequestID, object.FormatDate(t.Now.UTC(), "G"), reason, h.Sum32(), class)
}

// NotFound is Exchange's error for an identity that matches nothing:
//
//	The operation couldn't be performed because object 'Nope' couldn't be found on 'EX01.contoso.com'.
func (t *Task) NotFound(identity string) *interp.ErrorRecord {
	return t.Errorf(CategoryNotSpecified, ReasonNotFound,
		"The operation couldn't be performed because object '%s' couldn't be found on '%s'.", identity, t.Site.DomainController())
}

// One is the one object a lookup of identity found: Exchange's not-found
// error when it found none, its ambiguity error when it found several.
func One[T any](t *Task, found []T, identity string) (T, error) {
	var none T
	switch len(found) {
	case 0:
		return none, t.NotFound(identity)
	case 1:
		return found[0], nil
	}
	return none, t.Ambiguous(identity)
}

// Ambiguous is Exchange's error for an identity that matches more than one
// object where one is needed.
func (t *Task) Ambiguous(identity string) *interp.ErrorRecord {
	return t.Errorf(CategoryNotSpecified, ReasonAmbiguous,
		"The operation couldn't be performed because '%s' matches multiple entries.", identity)
}

// AlreadyExists is the directory's error for a second object with one
// distinguished name (a duplicate Name).
func (t *Task) AlreadyExists(dn string) *interp.ErrorRecord {
	return t.Errorf(CategoryNotSpecified, ReasonAlreadyExists,
		"Active Directory operation failed on %s. The object '%s' already exists.", t.Site.DomainController(), dn)
}

// Invalid is a DataValidationException: a property value or combination
// Exchange refuses.
func (t *Task) Invalid(format string, args ...any) *interp.ErrorRecord {
	return t.Errorf(CategoryInvalidData, ReasonDataValidation, format, args...)
}

// InvalidArgument is an argument the cmdlet refuses before looking at the
// store (a malformed value, parameters that can't be combined).
func (t *Task) InvalidArgument(format string, args ...any) *interp.ErrorRecord {
	return t.Errorf(CategoryInvalidArgument, ReasonArgument, format, args...)
}

// InvalidOperation is an operation Exchange refuses in the current state
// (removing the default accepted domain, conflicting connectors).
func (t *Task) InvalidOperation(reason, format string, args ...any) *interp.ErrorRecord {
	return t.Errorf(CategoryInvalidOperation, reason, format, args...)
}

// ParameterValidation is PowerShell's error for an argument that fails a
// parameter's validation (a length or range):
//
//	Cannot validate argument on parameter 'Name'. <detail>
func (t *Task) ParameterValidation(param, detail string) *interp.ErrorRecord {
	e := interp.NewError(CategoryInvalidData, "ParameterBindingValidationException",
		"ParameterArgumentValidationError,"+t.Cmdlet, "",
		"Cannot validate argument on parameter '%s'. %s", param, detail)
	return t.remote(e)
}

// OutOfRange is ParameterValidation's text for a number outside its range.
func (t *Task) OutOfRange(param string, v, lo, hi int64) *interp.ErrorRecord {
	if v < lo {
		return t.ParameterValidation(param, fmt.Sprintf(
			"The %d argument is less than the minimum allowed range of %d. Supply an argument that is greater than or equal to %d and then try the command again.", v, lo, lo))
	}
	return t.ParameterValidation(param, fmt.Sprintf(
		"The %d argument is greater than the maximum allowed range of %d. Supply an argument that is less than or equal to %d and then try the command again.", v, hi, hi))
}

// TooLong is Exchange's text for a string property over its length limit.
func (t *Task) TooLong(param string, max, got int) *interp.ErrorRecord {
	return t.ParameterValidation(param, fmt.Sprintf(
		"The length of the property is too long. The maximum length is %d and the length of the value provided is %d.", max, got))
}

// StoreError turns an unexpected store failure into a terminating error.
func (t *Task) StoreError(err error) *interp.ErrorRecord {
	detail := err.Error()
	if errors.Is(err, state.ErrUnavailable) {
		// An organisation of several servers without a majority: say what
		// it means for the change and where to look.
		detail = strings.TrimSuffix(detail, ": "+state.ErrUnavailable.Error())
		detail = "The organisation's majority of servers cannot be reached, so the change was not made (" + detail +
			"). Get-ExchangeServer | Format-List Name,ServerState shows which servers are down."
	}
	e := t.Errorf(CategoryWriteError, ReasonStoreFailure, "Active Directory operation failed on %s. %s", t.Site.DomainController(), detail)
	e.Exception = err
	return e
}

// NoChangeWarning is the warning a Set- cmdlet writes when nothing changed.
func NoChangeWarning(identity string) string {
	return fmt.Sprintf("The command completed successfully but no settings of '%s' have been modified.", identity)
}

// Sentence is a text as a sentence: capitalised, with a full stop ("" stays
// "").
func Sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
