package queue

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/cmdlets/opath"
	"exsh/engine/transport"
	"exsh/shell/interp"
	"exsh/shell/object"
)

// Cmdlets returns the queue cmdlets bound to d. d.Queues must be the
// Transport service's administration API when they run.
func Cmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	out := []*interp.CmdletInfo{
		getQueue(d), getQueueDigest(d),
		queueAction(d, "Suspend-Queue", "Suspending", "Suspends processing on a queue.",
			"Suspend-Queue stops delivery from a queue: new messages still enter, messages being delivered finish, nothing else leaves until Resume-Queue. The status of the messages in the queue doesn't change. Suspending the Submission queue stops the categorizer; suspending Unreachable stops its automatic resubmission.",
			[]interp.Example{
				{Code: `Suspend-Queue -Identity EX01\3`, Remarks: "Suspends delivery queue 3."},
				{Code: `Suspend-Queue -Filter "NextHopDomain -eq 'fabrikam.com'"`, Remarks: "Suspends every queue to fabrikam.com."},
			}),
		queueAction(d, "Resume-Queue", "Resuming", "Resumes a suspended queue.",
			"Resume-Queue restarts processing on a queue that Suspend-Queue suspended.",
			[]interp.Example{
				{Code: `Resume-Queue -Identity EX01\3`, Remarks: "Resumes delivery queue 3."},
				{Code: `Get-Queue | Where-Object Status -eq Suspended | Resume-Queue`, Remarks: "Resumes every suspended queue."},
			}),
		queueAction(d, "Retry-Queue", "Retrying", "Forces a connection attempt on a queue in Retry, or resubmits its messages.",
			"Retry-Queue makes a queue in Retry status try its next hop now instead of waiting for the retry timer; if that fails, the retry timer starts again. With -Resubmit $true the queue's messages go back to the Submission queue and through the categorizer, which routes them again (for example after a send connector was added). Messages in the Unreachable queue can only be retried with -Resubmit $true.",
			[]interp.Example{
				{Code: `Retry-Queue -Identity EX01\4`, Remarks: "Retries delivery queue 4 now."},
				{Code: `Retry-Queue -Identity EX01\Unreachable -Resubmit $true`, Remarks: "Sends the messages in the Unreachable queue back through the categorizer after a send connector was created."},
			}),
	}
	out = append(out, messageCmdlets(d)...)
	out = append(out, redirectMessage(d))
	for _, c := range out {
		cmdlets.Exchange(c)
	}
	return out
}

func serverParam(d *cmdlets.Deps, sets ...string) *interp.ParamInfo {
	return &interp.ParamInfo{Name: "Server", Kind: interp.KindObject, Position: -1, Sets: sets, Complete: cmdlets.CompleteServers(d),
		Help: "Specifies the Exchange server: its name or FQDN. The default is the server the shell runs on; another server of the organisation is reached over its management channel."}
}

func filterParam(sets []string, what string) *interp.ParamInfo {
	return &interp.ParamInfo{Name: "Filter", Kind: interp.KindObject, Position: -1, Sets: sets,
		Help: "Specifies an OPATH filter on " + what + " properties, such as \"MessageCount -gt 10\" or \"Status -eq 'Retry'\". Operators: -eq -ne -gt -ge -lt -le -like -notlike -and -or -not."}
}

func getQueue(d *cmdlets.Deps) *interp.CmdletInfo {
	id := &interp.ParamInfo{Name: "Identity", Kind: interp.KindObject, Position: 0, Sets: []string{"Identity"},
		FromPipeline: true, FromPipelineByPropertyName: true,
		Help: `Specifies the queue: Server\Submission, Server\Unreachable, Server\Poison, Server\<number>, Server\<NextHopDomain> (wildcards allowed), Server\*; without Server\, the local server.`}
	id.Complete = completeQueues(d)
	inc := &interp.ParamInfo{Name: "Include", Kind: interp.KindString, Array: true, Position: -1, Values: queueClassValues,
		Help: "Includes only queues of these kinds: Internal, External, Empty, or a DeliveryType value."}
	exc := &interp.ParamInfo{Name: "Exclude", Kind: interp.KindString, Array: true, Position: -1, Values: queueClassValues,
		Help: "Leaves out queues of these kinds: Internal, External, Empty, or a DeliveryType value. -Exclude Empty is the same as -Filter \"MessageCount -gt 0\"."}
	sortOrder := &interp.ParamInfo{Name: "SortOrder", Kind: interp.KindString, Array: true, Position: -1,
		Help: "Sorts the results: property names with + (ascending, the default) or - (descending), for example +Status,-MessageCount."}
	bookmark := &interp.ParamInfo{Name: "BookmarkIndex", Kind: interp.KindInt, Position: -1,
		Help: "Specifies the 1-based position in the result set where the results start."}
	forward := &interp.ParamInfo{Name: "SearchForward", Kind: interp.KindBool, Position: -1, Default: "$true",
		Help: "Specifies whether to search forward ($true) or backward ($false) in the result set."}
	return &interp.CmdletInfo{
		Name:     "Get-Queue",
		Synopsis: "Shows the queues on the Mailbox server.",
		Description: "Get-Queue shows the Transport service's queues: Submission, one delivery queue per next hop, Unreachable and, when it holds messages, Poison, with their status, message counts and Velocity. " +
			"Identity can't be combined with Filter or Server; Include, Exclude, SortOrder and ResultSize combine with anything.",
		Params: []*interp.ParamInfo{id, serverParam(d, "Filter"), filterParam([]string{"Filter"}, "queue"),
			inc, exc, sortOrder, resultSizeParam(), bookmark, forward},
		DefaultParameterSet: "Identity",
		OutputType:          QueueType,
		Examples: []interp.Example{
			{Code: "Get-Queue", Remarks: "Shows every queue on this server."},
			{Code: `Get-Queue -Filter "MessageCount -gt 0" -SortOrder -MessageCount`, Remarks: "Shows the queues that hold messages, fullest first."},
			{Code: `Get-Queue EX01\Unreachable | Format-List`, Remarks: "Shows every property of the Unreachable queue."},
			{Code: "Get-Queue -Exclude Empty -Include External", Remarks: "Shows the non-empty queues to send connectors."},
		},
		Process: func(c *interp.Call) error {
			r, err := newRun(d, c)
			if err != nil {
				return err
			}
			id, hasID := r.identityArg()
			objs, err := r.selectQueues(id, hasID)
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

// selectQueues returns the queue objects -Identity (or, without it,
// -Server, -Filter, -Include, -Exclude and -SortOrder) select.
func (r *run) selectQueues(identity any, hasIdentity bool) ([]*object.PSObject, error) {
	if hasIdentity && (r.c.Has("Filter") || r.c.Has("Server")) {
		return nil, parameterSetError()
	}
	if err := r.checkClasses(); err != nil {
		return nil, err
	}
	var infos []transport.QueueInfo
	var err error
	ident := ""
	if hasIdentity {
		ident = identityOf(identity)
	}
	if ident == "" || ident == "*" {
		infos, err = r.admin.Queues()
	} else {
		infos, err = r.admin.ResolveQueues(ident)
	}
	if err != nil {
		return nil, r.engineErr(r.qualify(ident), err)
	}
	objs := make([]*object.PSObject, 0, len(infos))
	for _, q := range infos {
		objs = append(objs, queueObject(q))
	}
	sample := queueObject(transport.QueueInfo{})
	f, err := r.compileFilter(sample)
	if err != nil {
		return nil, err
	}
	if f != nil {
		objs = filterObjects(objs, f)
	}
	objs = r.includeExclude(objs)
	keys, err := r.parseSortOrder(sample)
	if err != nil {
		return nil, err
	}
	sortObjects(objs, keys)
	return objs, nil
}

func filterObjects(objs []*object.PSObject, f *opath.Filter) []*object.PSObject {
	var out []*object.PSObject
	for _, o := range objs {
		if f.Match(o.Get) {
			out = append(out, o)
		}
	}
	return out
}

// checkClasses validates -Include and -Exclude values.
func (r *run) checkClasses() error {
	for _, p := range []string{"Include", "Exclude"} {
		for _, v := range splitValues(r.c.Strings(p)) {
			ok := false
			for _, known := range queueClassValues {
				if strings.EqualFold(v, known) {
					ok = true
					break
				}
			}
			if !ok {
				return interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind,
					"CannotConvertArgumentNoMessage,"+r.c.Info.Name, "",
					"Cannot bind parameter '%s'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.QueueViewer.QueueViewerIncludesAndExcludes\". Error: \"Unable to match the identifier name %s to a valid enumerator name. Specify one of the following enumerator names and try again:\n%s\"",
					p, v, v, strings.Join(queueClassValues, ", "))
			}
		}
	}
	return nil
}

// parameterSetError is PowerShell's error for Identity with Filter or Server.
func parameterSetError() error {
	return interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind,
		"AmbiguousParameterSet", "",
		"Parameter set cannot be resolved using the specified named parameters.")
}

func completeQueues(d *cmdlets.Deps) func(ctx context.Context, prefix string) []string {
	return func(_ context.Context, prefix string) []string {
		if d == nil {
			return nil
		}
		admin := d.Queues
		// "EX02\<Tab>": another server's queues, over its channel.
		if srv, _, ok := strings.Cut(prefix, `\`); ok && d.Store != nil {
			if p, err := d.At(srv); err == nil && !p.Local {
				admin = p.Queues
			}
		}
		if admin == nil {
			return nil
		}
		qs, err := admin.Queues()
		if err != nil {
			return nil
		}
		var out []string
		for _, q := range qs {
			if prefix == "" || strings.HasPrefix(strings.ToLower(q.Identity), strings.ToLower(prefix)) {
				out = append(out, q.Identity)
			}
		}
		return out
	}
}

func getQueueDigest(d *cmdlets.Deps) *interp.CmdletInfo {
	server := &interp.ParamInfo{Name: "Server", Kind: interp.KindString, Array: true, Position: -1, Sets: []string{"Server"}, Complete: cmdlets.CompleteServers(d),
		Help: "Specifies the servers to summarise: their names or FQDNs."}
	dag := &interp.ParamInfo{Name: "Dag", Kind: interp.KindString, Array: true, Position: -1, Sets: []string{"Dag"},
		Help: "Specifies database availability groups to summarise (this lab has none)."}
	site := &interp.ParamInfo{Name: "Site", Kind: interp.KindString, Array: true, Position: -1, Sets: []string{"Site"},
		Help: "Specifies Active Directory sites to summarise (every server of the organisation is in Default-First-Site-Name)."}
	forest := &interp.ParamInfo{Name: "Forest", Kind: interp.KindSwitch, Position: -1, Sets: []string{"Forest"},
		Help: "Summarises every server in the forest, asking each over its management channel."}
	details := &interp.ParamInfo{Name: "DetailsLevel", Kind: interp.KindEnum, Position: -1, Values: []string{"Normal", "Verbose", "None"}, Default: "Normal",
		Help: "Normal lists each queue with its server and message count in Details; Verbose adds the queue's other properties; None leaves the queue name out."}
	groupBy := &interp.ParamInfo{Name: "GroupBy", Kind: interp.KindEnum, Position: -1, Default: "NextHopDomain",
		Values: []string{"DeliveryType", "LastError", "NextHopCategory", "NextHopDomain", "NextHopKey", "Status", "ServerName"},
		Help:   "Groups the queues by DeliveryType, LastError, NextHopCategory, NextHopDomain (the default), NextHopKey, Status or ServerName."}
	timeout := &interp.ParamInfo{Name: "Timeout", Kind: interp.KindTimeSpan, Position: -1, Default: "00:00:10",
		Help: "Specifies how long to wait for results."}
	filter := filterParam(nil, "queue")
	filter.Help += " Without it, delivery queues with 10 or more messages are shown (not Submission or Poison)."
	return &interp.CmdletInfo{
		Name:        "Get-QueueDigest",
		Synopsis:    "Summarises the queues of servers, sites or the forest.",
		Description: "Get-QueueDigest groups queues (by NextHopDomain unless -GroupBy says otherwise) and sums their message counts, largest first. Without -Filter it shows the delivery queues (not Submission or Poison) that hold 10 or more messages. Exactly one of -Server, -Dag, -Site or -Forest is required.",
		Params:      []*interp.ParamInfo{server, dag, site, forest, details, filter, groupBy, resultSizeParam(), timeout},
		OutputType:  QueueDigestType,
		Examples: []interp.Example{
			{Code: "Get-QueueDigest -Server EX01", Remarks: "Shows the queues on EX01 with 10 or more messages, grouped by next hop."},
			{Code: `Get-QueueDigest -Forest -Filter "MessageCount -gt 0" -GroupBy Status -DetailsLevel Verbose`, Remarks: "Groups every non-empty queue by status, with the queues' details."},
		},
		Process: func(c *interp.Call) error { return queueDigest(d, c) },
	}
}

// digestDetail is one queue in a digest's Details; it prints as the queue
// identity (or the server with -DetailsLevel None).
type digestDetail struct{ text string }

func (d digestDetail) String() string { return d.text }

func queueDigest(d *cmdlets.Deps, c *interp.Call) error {
	r := newSiteRun(d, c)
	scopes := 0
	for _, p := range []string{"Server", "Dag", "Site", "Forest"} {
		if c.Has(p) && (p != "Forest" || c.Bool("Forest")) {
			scopes++
		}
	}
	if scopes != 1 {
		return parameterSetError()
	}
	for _, s := range c.Strings("Dag") {
		return r.task.NotFound(s)
	}
	var servers []string
	switch {
	case c.Has("Server"):
		servers = c.Strings("Server")
	default: // the forest, or the one site every server is in
		for _, s := range c.Strings("Site") {
			if !strings.EqualFold(s, "Default-First-Site-Name") && !strings.HasSuffix(strings.ToLower(s), "/default-first-site-name") {
				return r.task.NotFound(s)
			}
		}
		names, err := d.ServerNames()
		if err != nil {
			return r.task.StoreError(err)
		}
		servers = names
	}
	// Each server's queues, asked at once; a server that cannot be
	// reached is reported and the others summarised.
	type serverQueues struct {
		name  string
		infos []transport.QueueInfo
		err   error
	}
	timeout := 10 * time.Second
	if t, ok := c.Value("Timeout").(time.Duration); ok && t > 0 {
		timeout = t
	}
	results := make([]serverQueues, len(servers))
	answers := make([]chan serverQueues, len(servers))
	for i, s := range servers {
		sr := &run{d: d, c: c, site: r.site, task: r.task, server: r.server} // the site once, not per server
		if err := sr.use(s); err != nil {
			results[i].err = err
			continue
		}
		results[i].name = sr.server
		ch := make(chan serverQueues, 1)
		answers[i] = ch
		go func() {
			infos, err := sr.admin.Queues()
			if err != nil {
				err = sr.engineErr(sr.server, err)
			}
			ch <- serverQueues{sr.server, infos, err}
		}()
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	timedOut := false
	for i, ch := range answers {
		if ch == nil || timedOut {
			continue
		}
		select {
		case results[i] = <-ch:
		case <-deadline.C:
			// Servers that have not answered by -Timeout are left out.
			for j := i; j < len(answers); j++ {
				if answers[j] == nil {
					continue
				}
				select {
				case results[j] = <-answers[j]:
				default:
					results[j].err = r.task.Errorf(cmdlets.CategoryOperationTimeout, "QueueViewerException",
						"The server %s didn't return its queues within the time-out of %s.", results[j].name, object.FormatTimeSpan(timeout))
				}
			}
			timedOut = true
		}
	}
	type queueOf struct {
		server string
		q      transport.QueueInfo
	}
	var infos []queueOf
	seen := map[string]bool{}
	for _, res := range results {
		if res.err != nil {
			if len(servers) == 1 {
				return res.err
			}
			c.WriteError(res.err)
			continue
		}
		if seen[strings.ToLower(res.name)] {
			continue // named twice
		}
		seen[strings.ToLower(res.name)] = true
		for _, q := range res.infos {
			infos = append(infos, queueOf{res.name, q})
		}
	}
	sample := queueObject(transport.QueueInfo{})
	f, err := r.compileFilter(sample)
	if err != nil {
		return err
	}
	limit, err := r.resultSize()
	if err != nil {
		return err
	}
	groupBy := c.String("GroupBy")
	if groupBy == "" {
		groupBy = "NextHopDomain"
	}
	level := c.String("DetailsLevel")
	if level == "" {
		level = "Normal"
	}
	type group struct {
		key     string
		infos   []transport.QueueInfo
		count   int64
		defer_  int64
		locked  int64
		details []any
	}
	groups := map[string]*group{}
	var order []string
	for _, qs := range infos {
		q := qs.q
		o := queueObject(q)
		if f != nil {
			if !f.Match(o.Get) {
				continue
			}
		} else if q.MessageCount < 10 || q.DeliveryType == "Undefined" {
			// Without -Filter: the delivery queues (not Submission or
			// Poison) holding 10 messages or more.
			continue
		}
		var key string
		switch groupBy {
		case "ServerName":
			key = qs.server
		default:
			v, _ := o.Get(groupBy)
			key = object.ToString(v)
		}
		g := groups[strings.ToLower(key)]
		if g == nil {
			g = &group{key: key}
			groups[strings.ToLower(key)] = g
			order = append(order, strings.ToLower(key))
		}
		g.infos = append(g.infos, q)
		g.count += q.MessageCount
		g.defer_ += q.DeferredMessageCount
		g.locked += q.LockedMessageCount
		g.details = append(g.details, digestDetailObject(q, qs.server, level))
	}
	list := make([]*group, 0, len(order))
	for _, k := range order {
		list = append(list, groups[k])
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].count > list[j].count })
	for i, g := range list {
		if limit >= 0 && i >= limit {
			break
		}
		o := object.New(QueueDigestType, "System.Object")
		o.Add("GroupByValue", g.key)
		o.Add("MessageCount", int(g.count))
		o.Add("DeferredMessageCount", int(g.defer_))
		o.Add("LockedMessageCount", int(g.locked))
		o.Add("StaleMessageCount", 0)
		o.Add("Details", g.details)
		if err := c.WriteObject(o); err != nil {
			return err
		}
	}
	return nil
}

func digestDetailObject(q transport.QueueInfo, server, level string) *object.PSObject {
	o := object.New("Microsoft.Exchange.Data.QueueDigest.QueueDigestDetail")
	text := q.Identity
	if level == "None" {
		text = server
	} else {
		o.Add("QueueIdentity", q.Identity)
	}
	o.Base = digestDetail{text: fmt.Sprintf("%s:%d", text, q.MessageCount)}
	o.Add("ServerIdentity", server)
	o.Add("MessageCount", int(q.MessageCount))
	if level == "Verbose" {
		o.Add("DeferredMessageCount", int(q.DeferredMessageCount))
		o.Add("LockedMessageCount", int(q.LockedMessageCount))
		o.Add("IncomingRate", q.IncomingRate)
		o.Add("OutgoingRate", q.OutgoingRate)
		o.Add("Velocity", q.Velocity)
		o.Add("NextHopDomain", q.NextHopDomain)
		o.Add("NextHopCategory", q.NextHopCategory)
		o.Add("NextHopConnector", q.NextHopConnector)
		o.Add("DeliveryType", q.DeliveryType)
		o.Add("Status", q.Status)
		o.Add("RiskLevel", q.RiskLevel)
		o.Add("OutboundIPPool", q.OutboundIPPool)
		o.Add("LastError", q.LastError)
		o.Add("TlsDomain", q.TlsDomain)
	}
	return o
}

// queueAction builds Suspend-Queue, Resume-Queue and Retry-Queue.
func queueAction(d *cmdlets.Deps, name, verbing, synopsis, description string, examples []interp.Example) *interp.CmdletInfo {
	id := &interp.ParamInfo{Name: "Identity", Kind: interp.KindObject, Position: 0, Sets: []string{"Identity"},
		FromPipeline: true, FromPipelineByPropertyName: true, Mandatory: false,
		Help: `Specifies the queue: Server\<number>, Server\<NextHopDomain>, Server\Submission, Server\Unreachable; without Server\, the local server.`}
	id.Complete = completeQueues(d)
	params := []*interp.ParamInfo{id, filterParam([]string{"Filter"}, "queue"), serverParam(d, "Filter")}
	if name == "Retry-Queue" {
		params = append(params, &interp.ParamInfo{Name: "Resubmit", Kind: interp.KindBool, Position: -1,
			Help: "With $true, sends the queue's messages back to the Submission queue to be categorized and routed again. Required for the Unreachable queue."})
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
			id, hasID := r.identityArg()
			if !hasID && !c.Has("Filter") {
				return interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind,
					"MissingMandatoryParameter", "",
					"Cannot process command because of one or more missing mandatory parameters: Identity.")
			}
			objs, err := r.selectQueues(id, hasID)
			if err != nil {
				return err
			}
			resubmit := c.Bool("Resubmit")
			for _, o := range objs {
				ident := identityOf(o)
				if name == "Retry-Queue" && !resubmit && strings.EqualFold(ident, r.server+`\Unreachable`) {
					c.WriteError(r.task.Errorf(cmdlets.CategoryInvalidOperation, "QueueViewerException",
						"The Unreachable queue can't be retried. To route its messages again, use Retry-Queue -Identity %s -Resubmit $true.", ident))
					continue
				}
				if !cmdlets.ShouldProcess(c, fmt.Sprintf("%s queue \"%s\".", verbing, ident)) {
					continue
				}
				var err error
				switch name {
				case "Suspend-Queue":
					err = r.admin.SuspendQueue(ident)
				case "Resume-Queue":
					err = r.admin.ResumeQueue(ident)
				default:
					err = r.admin.RetryQueue(ident, resubmit)
				}
				if err != nil {
					c.WriteError(r.engineErr(ident, err))
				}
			}
			return nil
		},
	}
}

// confirmImpact is "High" for the queue and message cmdlets the Exchange
// Management Shell confirms before running (Suspend-Queue,
// Suspend-Message, Remove-Message): an interactive shell asks unless
// -Confirm:$false is given.
func confirmImpact(name string) string {
	switch name {
	case "Suspend-Queue", "Suspend-Message", "Remove-Message":
		return "High"
	}
	return ""
}

// writePage writes one page of results as Get-Queue and Get-Message page
// them: from -BookmarkIndex (1-based), backwards with -SearchForward
// $false, at most limit objects (negative: no limit).
func writePage(c *interp.Call, objs []*object.PSObject, limit int) error {
	if c.Has("BookmarkIndex") {
		start := min(max(c.Int("BookmarkIndex", 1)-1, 0), len(objs))
		objs = objs[start:]
	}
	if c.Has("SearchForward") && !c.Bool("SearchForward") {
		slices.Reverse(objs)
	}
	for i, o := range objs {
		if limit >= 0 && i >= limit {
			break
		}
		if err := c.WriteObject(o); err != nil {
			return err
		}
	}
	return nil
}
