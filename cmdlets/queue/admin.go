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
// runs on, the server whose queues it works on and that server's
// administration API (the Transport service here, or the management
// channel to another server).
type run struct {
	d     *cmdlets.Deps
	c     *interp.Call
	task  *cmdlets.Task
	site  cmdlets.Site
	parts *cmdlets.ServerParts
	// server is the name of the server whose queues the run works on.
	server string
	admin  cmdlets.QueueAdmin
}

// newRun prepares a run on the server the call names (see targetServer);
// it fails when that server is unknown or cannot be reached, or when it
// is this server and no Transport service runs in this process.
func newRun(d *cmdlets.Deps, c *interp.Call) (*run, error) {
	r := newSiteRun(d, c)
	return r, r.use(r.targetServer())
}

// newSiteRun prepares a run without choosing a server yet.
func newSiteRun(d *cmdlets.Deps, c *interp.Call) *run {
	r := &run{d: d, c: c, site: cmdlets.Site{Server: "EX01", Domain: "contoso.com", ServerFqdn: "EX01.contoso.com"}}
	if d != nil && d.Store != nil {
		_ = d.Store.View(func(tx state.Tx) error {
			r.site = d.LoadSite(tx)
			return nil
		})
	}
	r.task = cmdlets.NewTask(d, c.Info.Name, r.site)
	r.server = r.site.Server
	return r
}

// use makes the run work on a server ("" for this one).
func (r *run) use(server string) error {
	if r.d == nil || r.d.Store == nil || r.site.IsLocalName(server) {
		// This server (or no organisation to ask: this server alone).
		if !r.site.IsLocalName(server) {
			return r.task.NotFound(server)
		}
		r.parts = &cmdlets.ServerParts{Name: r.site.Server, Fqdn: r.site.ServerFqdn, Local: true}
		if r.d != nil {
			r.parts.Queues = r.d.Queues
		}
	} else {
		p, err := r.d.At(server)
		if err != nil {
			return r.task.AtError(cmdlets.ServiceTransport, "QueueViewerException", server, p, err)
		}
		r.parts = p
	}
	r.server, r.admin = r.parts.Name, r.parts.Queues
	if r.admin == nil {
		return r.task.Errorf(cmdlets.CategoryInvalidOperation, "QueueViewerException",
			"The Microsoft Exchange Transport service isn't running on server %s. Start it (or run exsh -Serve) and try again.", r.server)
	}
	return nil
}

// targetServer is the server a call works on: -Server (with the
// parameters it combines with), else the server part of the identity or
// queue it names ("EX02\Submission", "EX02\3\12"), else a server object
// piped in (Get-TransportService | Get-Queue), else "" (this server).
func (r *run) targetServer() string {
	c := r.c
	for _, p := range []string{"Identity", "Queue"} {
		if !c.Has(p) || c.Value(p) == nil {
			continue
		}
		v := c.Value(p)
		if s, ok := cmdlets.ServerObject(v); ok {
			return s
		}
		if c.Has("Server") {
			return "" // Identity with Server: a parameter set error follows
		}
		return serverPart(identityOf(v), p == "Identity" && !isQueueObject(v) && strings.HasSuffix(c.Info.Name, "-Message"))
	}
	if c.Has("Server") {
		return cmdlets.IdentityText(c.Value("Server"))
	}
	return ""
}

// serverPart is the server an identity names, "" for none: the first of
// "EX02\Submission" or "EX02\3\12". A message identity (message set)
// names its server only with three parts: in "3\12" or "Unreachable\12"
// the first part is the queue.
func serverPart(identity string, message bool) string {
	parts := strings.Split(identity, `\`)
	if len(parts) < 2 || message && len(parts) < 3 || strings.TrimSpace(parts[0]) == "*" {
		return ""
	}
	return strings.TrimSpace(parts[0])
}

// identityArg is the Identity a call names, "" when it is absent or a
// server object (which names the server, not a queue).
func (r *run) identityArg() (any, bool) {
	if !r.c.Has("Identity") || r.c.Value("Identity") == nil {
		return nil, false
	}
	v := r.c.Value("Identity")
	if _, ok := cmdlets.ServerObject(v); ok {
		return nil, false
	}
	return v, true
}

// engineErr turns an administration API error about identity into
// Exchange's error record.
func (r *run) engineErr(identity string, err error) *interp.ErrorRecord {
	var er *interp.ErrorRecord
	if errors.As(err, &er) {
		return er
	}
	if e := r.task.ServerError(cmdlets.ServiceTransport, "QueueViewerException", r.parts, err); e != nil {
		return e
	}
	switch {
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
			"The Microsoft Exchange Transport service isn't running on server %s.", r.server)
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
	return cmdlets.Sentence(s)
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
	return r.server + `\` + identity
}
