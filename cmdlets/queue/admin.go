package queue

import (
	"errors"
	"strings"

	"exsh/cmdlets"
	"exsh/engine/transport"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// run is one cmdlet invocation: its call, its error factory, the site it
// runs on and the engine's API.
type run struct {
	d     *cmdlets.Deps
	c     *interp.Call
	task  *cmdlets.Task
	site  cmdlets.Site
	admin cmdlets.QueueAdmin
}

// newRun prepares a run; it fails when no Transport service runs in this
// process.
func newRun(d *cmdlets.Deps, c *interp.Call) (*run, error) {
	r := &run{d: d, c: c, site: cmdlets.Site{Server: "EX01", Domain: "contoso.com", ServerFqdn: "EX01.contoso.com"}}
	if d != nil && d.Store != nil {
		_ = d.Store.View(func(tx state.Tx) error {
			r.site = cmdlets.LoadSite(tx)
			return nil
		})
	}
	r.task = cmdlets.NewTask(d, c.Info.Name, r.site)
	if d != nil {
		r.admin = d.Queues
	}
	if r.admin == nil {
		return r, r.task.Errorf(cmdlets.CategoryInvalidOperation, "QueueViewerException",
			"The Microsoft Exchange Transport service isn't running on server %s. Start it (or run exsh -Serve) and try again.", r.site.Server)
	}
	return r, nil
}

// checkServer fails unless -Server (when given) names this server.
func (r *run) checkServer() error {
	if !r.c.Has("Server") {
		return nil
	}
	s := cmdlets.IdentityText(r.c.Value("Server"))
	if s == "" || strings.EqualFold(s, r.site.Server) || strings.EqualFold(s, r.site.ServerFqdn) || s == "." || strings.EqualFold(s, "localhost") {
		return nil
	}
	return r.task.NotFound(s)
}

// engineErr turns an administration API error about identity into
// Exchange's error record.
func (r *run) engineErr(identity string, err error) *interp.ErrorRecord {
	var er *interp.ErrorRecord
	switch {
	case errors.As(err, &er):
		return er
	case errors.Is(err, transport.ErrQueueNotFound), errors.Is(err, transport.ErrMessageNotFound):
		e := r.task.NotFound(identity)
		e.Exception = err
		return e
	case errors.Is(err, transport.ErrAmbiguousIdentity):
		e := r.task.Errorf(cmdlets.CategoryInvalidArgument, cmdlets.ReasonAmbiguous,
			"The identity '%s' matches more than one message. Use the Filter parameter to act on several messages at once.", identity)
		e.Exception = err
		return e
	case errors.Is(err, transport.ErrInvalidOperation):
		e := r.task.Errorf(cmdlets.CategoryInvalidOperation, "QueueViewerException", "%s", invalidOpText(err))
		e.Exception = err
		return e
	case errors.Is(err, transport.ErrStopped):
		e := r.task.Errorf(cmdlets.CategoryInvalidOperation, "QueueViewerException",
			"The Microsoft Exchange Transport service isn't running on server %s.", r.site.Server)
		e.Exception = err
		return e
	}
	e := r.task.Errorf(cmdlets.CategoryNotSpecified, "QueueViewerException", "%v", err)
	e.Exception = err
	return e
}

// invalidOpText extracts the reason from a wrapped ErrInvalidOperation:
// `"EX01\3\12": the message must be suspended ...: the operation isn't
// valid` gives "The message must be suspended ...".
func invalidOpText(err error) string {
	s := strings.TrimSuffix(err.Error(), ": "+transport.ErrInvalidOperation.Error())
	if i := strings.Index(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	if s == "" {
		return "The operation isn't valid."
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// identityOf is the identity an argument names: a string, or the Identity
// of a queue or message object.
func identityOf(v any) string {
	switch x := v.(type) {
	case *object.PSObject:
		if q, ok := x.Base.(*transport.QueueInfo); ok {
			return q.Identity
		}
		if m, ok := x.Base.(*transport.MessageInfo); ok {
			return m.Identity
		}
	case transport.QueueInfo:
		return x.Identity
	case transport.MessageInfo:
		return x.Identity
	}
	return cmdlets.IdentityText(v)
}

// isQueueObject reports whether v is a queue from Get-Queue.
func isQueueObject(v any) bool {
	o, ok := v.(*object.PSObject)
	if !ok {
		return false
	}
	if _, ok := o.Base.(*transport.QueueInfo); ok {
		return true
	}
	for _, n := range o.TypeNames {
		if strings.EqualFold(n, QueueType) {
			return true
		}
	}
	return false
}

// qualify puts the server in front of a queue or message identity that has
// none, for texts ("Submission" -> "EX01\Submission").
func (r *run) qualify(identity string) string {
	if identity == "" || strings.Contains(identity, `\`) {
		return identity
	}
	return r.site.Server + `\` + identity
}
