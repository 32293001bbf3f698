package queue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"exsh/cmdlets"
	"exsh/cmdlets/opath"
	"exsh/engine/transport"
	"exsh/shell/interp"
	"exsh/shell/object"
)

func messageCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	return []*interp.CmdletInfo{
		getMessage(d),
		messageAction(d, "Suspend-Message", "Suspending", "Suspends delivery of a queued message.",
			"Suspend-Message stops delivery of a message: it stays in its queue, Suspended, until Resume-Message. A message being delivered becomes PendingSuspend and is suspended when the attempt ends. Messages in the poison message queue are already suspended. An identity that matches more than one message is an error; use -Filter to act on several.",
			[]interp.Example{
				{Code: `Suspend-Message -Identity EX01\4\12`, Remarks: "Suspends message 12 in delivery queue 4."},
				{Code: `Suspend-Message -Filter "FromAddress -like '*@fabrikam.com'"`, Remarks: "Suspends every queued message from fabrikam.com."},
			}),
		messageAction(d, "Resume-Message", "Resuming", "Resumes delivery of a suspended message.",
			"Resume-Message lets a suspended message be delivered again. A message resumed from the poison message queue is sent back to the Submission queue.",
			[]interp.Example{
				{Code: `Resume-Message -Identity EX01\Poison\7`, Remarks: "Resubmits a message from the poison message queue."},
				{Code: `Get-Message -Filter "Status -eq 'Suspended'" | Resume-Message`, Remarks: "Resumes every suspended message."},
			}),
		messageAction(d, "Remove-Message", "Removing", "Deletes a message from its queue, by default with a non-delivery report.",
			"Remove-Message deletes a message from a delivery queue, the Unreachable queue or the poison message queue (never from Submission). With -WithNDR $true, the default, the sender gets a non-delivery report for the recipients the message hadn't reached yet; with -WithNDR $false it's deleted silently. A message being delivered becomes PendingRemove.",
			[]interp.Example{
				{Code: `Remove-Message -Identity EX01\Unreachable\12`, Remarks: "Deletes the message and sends its sender an NDR."},
				{Code: `Remove-Message -Filter "Queue -eq 'EX01\Unreachable'" -WithNDR $false -Confirm:$false`, Remarks: "Silently deletes everything in the Unreachable queue."},
			}),
		exportMessage(d),
		assembleMessage(),
	}
}

func messageIdentityParam(mandatory bool) *interp.ParamInfo {
	return &interp.ParamInfo{Name: "Identity", Kind: interp.KindObject, Position: 0, Sets: []string{"Identity"},
		FromPipeline: true, FromPipelineByPropertyName: true, Mandatory: mandatory,
		Help: `Specifies the message: Server\Queue\MessageInteger (EX01\Unreachable\12), Queue\MessageInteger, Server\*\MessageInteger or MessageInteger.`}
}

func getMessage(d *cmdlets.Deps) *interp.CmdletInfo {
	queue := &interp.ParamInfo{Name: "Queue", Kind: interp.KindObject, Position: -1, Sets: []string{"Queue"},
		Help: `Specifies the queue whose messages to show: Server\<number>, Server\Unreachable, Server\* ...; queues from Get-Queue can be piped in.`}
	queue.Complete = completeQueues(d)
	return &interp.CmdletInfo{
		Name:     "Get-Message",
		Synopsis: "Shows the messages in the queues of the Mailbox server.",
		Description: "Get-Message shows queued messages: every message, the messages of one queue (-Queue, or queues piped from Get-Queue), one message (-Identity) or those matching an OPATH -Filter. " +
			"Identity, Queue and Filter are mutually exclusive; Server combines only with Filter. -IncludeRecipientInfo fills the Recipients property.",
		Params: []*interp.ParamInfo{messageIdentityParam(false), queue,
			filterParam([]string{"Filter"}, "message"), serverParam(d, "Filter"),
			{Name: "IncludeRecipientInfo", Kind: interp.KindSwitch, Position: -1, Help: "Fills the Recipients property: address;status;last error of each recipient."},
			{Name: "IncludeComponentLatencyInfo", Kind: interp.KindSwitch, Position: -1, Help: "Fills the ComponentLatency property."},
			{Name: "SortOrder", Kind: interp.KindString, Array: true, Position: -1, Help: "Sorts the results: property names with + (ascending) or - (descending), for example +FromAddress,-Size."},
			resultSizeParam(),
			{Name: "BookmarkIndex", Kind: interp.KindInt, Position: -1, Help: "Specifies the 1-based position in the result set where the results start."},
			{Name: "SearchForward", Kind: interp.KindBool, Position: -1, Default: "$true", Help: "Specifies whether to search forward ($true) or backward ($false) in the result set."},
		},
		OutputType: MessageType,
		Examples: []interp.Example{
			{Code: `Get-Message -Queue EX01\Unreachable`, Remarks: "Shows the messages that can't be routed."},
			{Code: `Get-Queue -Filter "MessageCount -gt 0" | Get-Message`, Remarks: "Shows the messages of every non-empty queue."},
			{Code: `Get-Message -Filter "FromAddress -like '*@contoso.com' -and Status -eq 'Retry'" -IncludeRecipientInfo | Format-List Identity,Recipients,LastError`, Remarks: "Shows the recipients and last error of messages from contoso.com waiting for a retry."},
		},
		Process: func(c *interp.Call) error {
			r, err := newRun(d, c)
			if err != nil {
				return err
			}
			objs, err := r.selectMessages()
			if err != nil {
				return err
			}
			limit, err := r.resultSize()
			if err != nil {
				return err
			}
			return writePage(c, objs, limit)
		},
	}
}

// messageFilterGetter reads a message object's properties for -Filter;
// Recipients compare as their addresses.
func messageFilterGetter(o *object.PSObject) opath.Getter {
	return func(p string) (any, bool) {
		if strings.EqualFold(p, "Recipients") {
			if m, ok := o.Base.(*transport.MessageInfo); ok {
				out := make([]any, len(m.Recipients))
				for i, r := range m.Recipients {
					out[i] = r.Address
				}
				return out, true
			}
		}
		return o.Get(p)
	}
}

// selectMessages returns the message objects the call selects, filtered
// and sorted. Identity, Queue and Filter are mutually exclusive.
func (r *run) selectMessages() ([]*object.PSObject, error) {
	c := r.c
	identity, queue := "", ""
	if c.Has("Identity") && c.Value("Identity") != nil {
		v := c.Value("Identity")
		if isQueueObject(v) {
			queue = identityOf(v)
		} else {
			identity = identityOf(v)
		}
	}
	if c.Has("Queue") && c.Value("Queue") != nil {
		if identity != "" || queue != "" {
			return nil, parameterSetError()
		}
		queue = identityOf(c.Value("Queue"))
	}
	if (identity != "" || queue != "") && c.Has("Filter") {
		return nil, parameterSetError()
	}
	if c.Has("Server") && !c.Has("Filter") {
		return nil, parameterSetError()
	}
	sample := messageObject(transport.MessageInfo{})
	f, err := r.compileFilter(sample)
	if err != nil {
		return nil, err
	}
	keys, err := r.parseSortOrder(sample)
	if err != nil {
		return nil, err
	}
	withRcpts := c.Bool("IncludeRecipientInfo")
	needRcpts := withRcpts
	if f != nil {
		for _, p := range f.Properties() {
			if strings.EqualFold(p, "Recipients") {
				needRcpts = true
			}
		}
	}
	mf := transport.MessageFilter{Identity: identity, Queue: queue, IncludeRecipientInfo: needRcpts, ResultSize: -1}
	if f == nil && len(keys) == 0 && !c.Has("BookmarkIndex") && !c.Has("SearchForward") {
		if n, err := r.resultSize(); err == nil {
			mf.ResultSize = n
		}
	}
	// The call's context: Ctrl+C stops a long walk, on another server
	// too.
	infos, err := r.admin.MessagesContext(r.c.Context(), mf)
	if err != nil {
		what := identity
		if what == "" {
			what = queue
		}
		return nil, r.engineErr(r.qualify(what), err)
	}
	var objs []*object.PSObject
	for _, m := range infos {
		o := messageObject(m)
		if f != nil && !f.Match(messageFilterGetter(o)) {
			continue
		}
		if needRcpts && !withRcpts {
			o.Add("Recipients", []any{})
		}
		objs = append(objs, o)
	}
	sortObjects(objs, keys)
	return objs, nil
}

// messageAction builds Suspend-Message, Resume-Message and Remove-Message.
func messageAction(d *cmdlets.Deps, name, verbing, synopsis, description string, examples []interp.Example) *interp.CmdletInfo {
	params := []*interp.ParamInfo{messageIdentityParam(false), filterParam([]string{"Filter"}, "message"), serverParam(d, "Filter")}
	if name == "Remove-Message" {
		params = append(params, &interp.ParamInfo{Name: "WithNDR", Kind: interp.KindBool, Position: -1, Default: "$true",
			Help: "Specifies whether the sender gets a non-delivery report ($true, the default) or the message is deleted silently ($false)."})
	}
	return &interp.CmdletInfo{
		Name:                  name,
		Synopsis:              synopsis,
		Description:           description,
		Params:                params,
		DefaultParameterSet:   "Identity",
		SupportsShouldProcess: true,
		ConfirmImpact:         confirmImpact(name),
		Examples:              examples,
		Process: func(c *interp.Call) error {
			r, err := newRun(d, c)
			if err != nil {
				return err
			}
			hasID := c.Has("Identity") && c.Value("Identity") != nil
			if !hasID && !c.Has("Filter") {
				return interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind,
					"MissingMandatoryParameter", "",
					"Cannot process command because of one or more missing mandatory parameters: Identity.")
			}
			if hasID && (c.Has("Filter") || c.Has("Server")) {
				return parameterSetError()
			}
			var targets []transport.MessageInfo
			if hasID {
				ident := identityOf(c.Value("Identity"))
				ms, err := r.admin.Messages(transport.MessageFilter{Identity: ident, ResultSize: -1})
				if err != nil {
					c.WriteError(r.engineErr(r.qualify(ident), err))
					return nil
				}
				if len(ms) > 1 {
					c.WriteError(r.engineErr(ident, fmt.Errorf("%q: %w", ident, transport.ErrAmbiguousIdentity)))
					return nil
				}
				targets = ms
			} else {
				sample := messageObject(transport.MessageInfo{})
				f, err := r.compileFilter(sample)
				if err != nil {
					return err
				}
				ms, err := r.admin.Messages(transport.MessageFilter{ResultSize: -1, IncludeRecipientInfo: true})
				if err != nil {
					return r.engineErr(r.server, err)
				}
				for _, m := range ms {
					if f.Match(messageFilterGetter(messageObject(m))) {
						targets = append(targets, m)
					}
				}
			}
			withNDR := true
			if c.Has("WithNDR") {
				withNDR = c.Bool("WithNDR")
			}
			for _, m := range targets {
				if err := r.checkMessageAction(name, m); err != nil {
					c.WriteError(err)
					continue
				}
				if !cmdlets.ShouldProcess(c, fmt.Sprintf("%s message \"%s\".", verbing, m.Identity)) {
					continue
				}
				var err error
				switch name {
				case "Suspend-Message":
					err = r.admin.SuspendMessage(m.Identity)
				case "Resume-Message":
					err = r.admin.ResumeMessage(m.Identity)
				default:
					err = r.admin.RemoveMessage(m.Identity, withNDR)
				}
				if err != nil {
					c.WriteError(r.engineErr(m.Identity, err))
				}
			}
			return nil
		},
	}
}

func isPoison(m transport.MessageInfo) bool {
	return strings.HasSuffix(strings.ToLower(m.Queue), `\poison`)
}
func isSubmission(m transport.MessageInfo) bool {
	return strings.HasSuffix(strings.ToLower(m.Queue), `\submission`)
}

// checkMessageAction refuses what Exchange refuses before asking for
// confirmation, with Exchange's reasons.
func (r *run) checkMessageAction(name string, m transport.MessageInfo) *interp.ErrorRecord {
	invalid := func(format string, args ...any) *interp.ErrorRecord {
		return r.task.Errorf(cmdlets.CategoryInvalidOperation, "QueueViewerException", format, args...)
	}
	switch name {
	case "Suspend-Message":
		if isPoison(m) {
			return invalid("The message \"%s\" is in the poison message queue, where every message is already suspended.", m.Identity)
		}
	case "Remove-Message":
		if isSubmission(m) {
			return invalid("Messages can't be removed from the Submission queue. The message \"%s\" is being categorized.", m.Identity)
		}
	case "Export-Message":
		if isSubmission(m) {
			return invalid("Messages can't be exported from the Submission queue. The message \"%s\" is being categorized.", m.Identity)
		}
		if !isPoison(m) && m.Status != "Suspended" {
			return invalid("The message \"%s\" must be suspended before it can be exported. Run Suspend-Message -Identity %s first.", m.Identity, m.Identity)
		}
	}
	return nil
}

func exportMessage(d *cmdlets.Deps) *interp.CmdletInfo {
	path := &interp.ParamInfo{Name: "Path", Kind: interp.KindString, Position: -1,
		Help: "Writes the message to this file (.eml) instead of returning it. exsh extension; the Exchange way is Export-Message <id> | AssembleMessage -Path <file>."}
	return &interp.CmdletInfo{
		Name:     "Export-Message",
		Synopsis: "Copies a suspended message out of its queue.",
		Description: "Export-Message returns the raw bytes of a queued message in the FileData property of a BinaryFileDataObject; the message stays in its queue. " +
			"The message must be suspended first (messages in the poison message queue already are); messages in the Submission queue can't be exported. " +
			"Save it with AssembleMessage, or with -Path.",
		Params:     []*interp.ParamInfo{messageIdentityParam(true), path},
		OutputType: BinaryFileType,
		Examples: []interp.Example{
			{Code: `Suspend-Message EX01\Unreachable\12 -Confirm:$false` + "\n" + `Export-Message EX01\Unreachable\12 | AssembleMessage -Path .\message12.eml`,
				Remarks: "Suspends a message, then saves a copy of it."},
			{Code: `$m = Export-Message EX01\Unreachable\12` + "\n" + `[IO.File]::WriteAllBytes("$PWD\message12.eml", $m.FileData)`,
				Remarks: "Keeps the exported message in a variable and writes its bytes."},
			{Code: `Get-Message -Queue EX01\Poison | ForEach-Object { Export-Message $_.Identity -Path ".\$($_.Identity -replace '\\','_').eml" }`,
				Remarks: "Saves every poison message to its own file (exsh's -Path)."},
		},
		Process: func(c *interp.Call) error {
			r, err := newRun(d, c)
			if err != nil {
				return err
			}
			ident := identityOf(c.Value("Identity"))
			ms, err := r.admin.Messages(transport.MessageFilter{Identity: ident, ResultSize: -1})
			if err != nil {
				c.WriteError(r.engineErr(r.qualify(ident), err))
				return nil
			}
			if len(ms) > 1 {
				c.WriteError(r.engineErr(ident, fmt.Errorf("%q: %w", ident, transport.ErrAmbiguousIdentity)))
				return nil
			}
			m := ms[0]
			if e := r.checkMessageAction("Export-Message", m); e != nil {
				c.WriteError(e)
				return nil
			}
			data, err := r.admin.ExportMessage(m.Identity)
			if err != nil {
				c.WriteError(r.engineErr(m.Identity, err))
				return nil
			}
			if p := c.String("Path"); p != "" {
				file := resolvePath(c, p)
				if err := os.WriteFile(file, data, 0o644); err != nil {
					return writeFileError(file, err)
				}
				return nil
			}
			o := object.New(BinaryFileType, "System.Object")
			o.Add("FileData", data)
			o.Add("Identity", m.Identity)
			o.Add("IsValid", true)
			o.Add("ObjectState", "New")
			return c.WriteObject(o)
		},
	}
}

// assembleMessage is the Exchange Management Shell's AssembleMessage
// filter, which appends each piped object's FileData to a file:
//
//	filter AssembleMessage ([String] $Path) { add-content -Path $Path -Value $_.FileData -Encoding byte }
func assembleMessage() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "AssembleMessage",
		Synopsis: "Saves what Export-Message returns to a file.",
		Description: "AssembleMessage appends the FileData bytes of each piped object (from Export-Message) to the file -Path, creating it when missing, " +
			"as the filter of the same name in the Exchange Management Shell does.",
		Params: []*interp.ParamInfo{
			{Name: "Path", Kind: interp.KindString, Position: 0, Mandatory: true, Help: "Specifies the file to write (.eml)."},
			{Name: "InputObject", Kind: interp.KindObject, Position: -1, FromPipeline: true, Help: "An object with a FileData property, from Export-Message."},
		},
		Examples: []interp.Example{
			{Code: `Export-Message EX01\Unreachable\12 | AssembleMessage -Path .\message12.eml`, Remarks: "Saves a suspended message as message12.eml."},
		},
		Process: func(c *interp.Call) error {
			in := c.Value("InputObject")
			if in == nil {
				return nil
			}
			data, ok := fileData(in)
			if !ok {
				return interp.NewError(cmdlets.CategoryInvalidArgument, "ArgumentException",
					"ArgumentException,AssembleMessage", "",
					"The input object has no FileData property. Pipe the output of Export-Message to AssembleMessage.")
			}
			file := resolvePath(c, c.String("Path"))
			f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				return writeFileError(file, err)
			}
			if _, err := f.Write(data); err != nil {
				f.Close()
				return writeFileError(file, err)
			}
			if err := f.Close(); err != nil {
				return writeFileError(file, err)
			}
			return nil
		},
	}
}

// fileData returns an object's FileData bytes: a []byte, or a list of
// byte values (after passing through the pipeline as an array).
func fileData(v any) ([]byte, bool) {
	o, ok := v.(*object.PSObject)
	if !ok {
		if b, ok := v.([]byte); ok {
			return b, true
		}
		return nil, false
	}
	fd, ok := o.Get("FileData")
	if !ok {
		return nil, false
	}
	switch x := fd.(type) {
	case []byte:
		return x, true
	case []any:
		out := make([]byte, len(x))
		for i, e := range x {
			n, err := object.ToInt(e)
			if err != nil || n < 0 || n > 255 {
				return nil, false
			}
			out[i] = byte(n)
		}
		return out, true
	}
	return nil, false
}

func writeFileError(file string, err error) error {
	cat, reason := cmdlets.CategoryWriteError, "IOException"
	if errors.Is(err, os.ErrPermission) {
		cat, reason = "PermissionDenied", "UnauthorizedAccessException"
	}
	if errors.Is(err, os.ErrNotExist) {
		cat, reason = cmdlets.CategoryObjectNotFound, "DirectoryNotFoundException"
		e := interp.NewError(cat, reason, reason, file, "Could not find a part of the path '%s'.", file)
		e.Exception = err
		return e
	}
	e := interp.NewError(cat, reason, reason, file, "%v", err)
	e.Exception = err
	return e
}

// resolvePath makes a relative path absolute against the shell's current
// location ($PWD), or the process's working directory.
func resolvePath(c *interp.Call, p string) string {
	// A provider-qualified path (PSPath) names a file system path.
	if i := strings.Index(p, "::"); i >= 0 {
		p = p[i+2:]
	}
	p = strings.ReplaceAll(p, `\`, string(filepath.Separator))
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	dir := ""
	if v, ok := c.GetVariable("PWD"); ok && v != nil {
		if o, ok := v.(*object.PSObject); ok {
			if pv, ok := o.Get("Path"); ok {
				dir = object.ToString(pv)
			} else {
				dir = o.String()
			}
		} else {
			dir = object.ToString(v)
		}
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return filepath.Join(dir, p)
}
