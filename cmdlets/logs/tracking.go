package logs

import (
	"os"
	"strconv"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/engine/transport/tracking"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// EventType is the type name of Get-MessageTrackingLog's objects.
const EventType = "Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent"

func init() {
	format.Register(EventType, format.View{Table: []format.Column{
		{Property: "EventId"},
		{Property: "Source"},
		{Property: "Sender"},
		{Property: "Recipients"},
		{Property: "MessageSubject"},
	}})
}

// Cmdlets returns Get-MessageTrackingLog bound to d.
func Cmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	return []*interp.CmdletInfo{getMessageTrackingLog(d)}
}

func str(name, help string) *interp.ParamInfo {
	return &interp.ParamInfo{Name: name, Kind: interp.KindString, Position: -1, Help: help}
}

func getMessageTrackingLog(d *cmdlets.Deps) *interp.CmdletInfo {
	start := &interp.ParamInfo{Name: "Start", Kind: interp.KindDateTime, Position: -1,
		Help: "Specifies the start of the time range (inclusive), in the local short date format, e.g. \"11/27/2026 09:00\" or (Get-Date).AddHours(-1)."}
	end := &interp.ParamInfo{Name: "End", Kind: interp.KindDateTime, Position: -1,
		Help: "Specifies the end of the time range (exclusive)."}
	rcpts := &interp.ParamInfo{Name: "Recipients", Kind: interp.KindString, Array: true, Position: -1,
		Help: "Filters by recipient addresses; an entry matches when any of its recipients is one of them."}
	server := &interp.ParamInfo{Name: "Server", Kind: interp.KindObject, Position: -1, Complete: cmdlets.CompleteServers(d),
		Help: "Specifies the Exchange server whose logs to search: its name or FQDN. The default is the server the shell runs on; another server's log is searched over its management channel."}
	rs := &interp.ParamInfo{Name: "ResultSize", Kind: interp.KindString, Position: -1, Default: "1000",
		Help: "Specifies the maximum number of entries to return: a number, or Unlimited."}
	return cmdlets.Exchange(&interp.CmdletInfo{
		Name:     "Get-MessageTrackingLog",
		Synopsis: "Searches the message tracking logs.",
		Description: "Get-MessageTrackingLog searches the message tracking log files of the Transport service and Mailbox Transport (MSGTRK, MSGTRKMD, MSGTRKMS) for entries matching all the criteria given. " +
			"Without parameters it returns the 1000 most recent entries. EventId and the addresses match case-insensitively; MessageSubject matches a substring; MessageId may be given without angle brackets. " +
			"The output properties are the file's fields without dashes, with date-time as Timestamp, recipient-address as Recipients and sender-address as Sender.",
		Params: []*interp.ParamInfo{server, start, end,
			str("EventId", "Filters by event: RECEIVE, SUBMIT, SEND, DELIVER, FAIL, DSN, DEFER, RESUBMIT, POISONMESSAGE, ..."),
			str("Sender", "Filters by the sender's address (sender-address)."),
			rcpts,
			str("MessageId", "Filters by the Message-ID header value, with or without angle brackets."),
			str("InternalMessageId", "Filters by the server's internal message integer (the InternalId in the 250 2.6.0 reply)."),
			str("NetworkMessageId", "Filters by the network message GUID shared by every copy of a message."),
			str("MessageSubject", "Filters by a part of the subject."),
			str("Reference", "Filters by the reference field: the Message-ID of the message a DSN or NDR is about."),
			str("Source", "Filters by source: SMTP, STOREDRIVER, ROUTING, RESOLVER, DSN, QUEUE, ADMIN, AGENT, ..."),
			str("TransportTrafficType", "Filters by transport traffic type."),
			rs,
			str("DomainController", "Specifies the domain controller to read configuration from; this lab's server is its own."),
		},
		OutputType: EventType,
		Examples: []interp.Example{
			{Code: "Get-MessageTrackingLog", Remarks: "Shows the 1000 most recent entries."},
			{Code: `Get-MessageTrackingLog -Sender chris@contoso.com -Start (Get-Date).AddHours(-1) -EventId FAIL`, Remarks: "Shows the failures of the last hour for mail from chris@contoso.com."},
			{Code: `Get-MessageTrackingLog -MessageSubject "report" -ResultSize Unlimited | Sort-Object Timestamp | Format-Table Timestamp,EventId,Source,Recipients,RecipientStatus -AutoSize`,
				Remarks: "Follows every message whose subject contains \"report\" through its events."},
		},
		Process: func(c *interp.Call) error { return search(d, c) },
	})
}

// searcher finds the log: the running Transport service's, else the
// folder of the data path (or the Transport service's MessageTrackingLogPath
// when it points at an existing folder).
func searcher(d *cmdlets.Deps) cmdlets.TrackingLog {
	if d.Tracking != nil {
		return d.Tracking
	}
	dir := tracking.DefaultDir(d.DataPath)
	if d.Store != nil {
		_ = d.Store.View(func(tx state.Tx) error {
			if ts, err := tx.TransportService(d.LoadSite(tx).Server, "Hub"); err == nil && ts != nil && ts.MessageTrackingLogPath != "" {
				if fi, err := os.Stat(ts.MessageTrackingLogPath); err == nil && fi.IsDir() {
					dir = ts.MessageTrackingLogPath
				}
			}
			return nil
		})
	}
	return tracking.New(dir, "", nil, tracking.Limits{})
}

func search(d *cmdlets.Deps, c *interp.Call) error {
	site := cmdlets.Site{Server: "EX01", Domain: "contoso.com", ServerFqdn: "EX01.contoso.com"}
	if d.Store != nil {
		_ = d.Store.View(func(tx state.Tx) error {
			site = d.LoadSite(tx)
			return nil
		})
	}
	task := cmdlets.NewTask(d, c.Info.Name, site)
	var log cmdlets.TrackingLog // nil: this server's
	var parts *cmdlets.ServerParts
	logServer := site.Server
	if c.Has("Server") {
		s := cmdlets.IdentityText(c.Value("Server"))
		if !site.IsLocalName(s) {
			if d.Store == nil {
				return task.NotFound(s)
			}
			p, err := d.At(s)
			if err != nil {
				return task.AtError(cmdlets.ServiceLogSearch, "LogSearchException", s, p, err)
			}
			if !p.Local {
				log, logServer, parts = p.Tracking, p.Name, p
			}
		}
	}
	if log == nil {
		log = searcher(d)
	}
	limit := 1000
	if c.Has("ResultSize") {
		s := strings.TrimSpace(object.ToString(c.Value("ResultSize")))
		if strings.EqualFold(s, "unlimited") {
			limit = -1
		} else if n, err := strconv.Atoi(s); err == nil && n >= 1 {
			limit = n
		} else {
			return task.InvalidArgument("Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]\". Error: \"The value must be a positive number or Unlimited.\"", s)
		}
	}
	q := tracking.Query{
		EventID:           c.String("EventId"),
		Sender:            strings.TrimSpace(c.String("Sender")),
		Recipients:        c.Strings("Recipients"),
		MessageID:         c.String("MessageId"),
		InternalMessageID: c.String("InternalMessageId"),
		NetworkMessageID:  c.String("NetworkMessageId"),
		Subject:           c.String("MessageSubject"),
		Reference:         c.String("Reference"),
		Source:            c.String("Source"),
		ResultSize:        limit,
	}
	if t, ok := c.Value("Start").(time.Time); ok {
		q.Start = t
	}
	if t, ok := c.Value("End").(time.Time); ok {
		q.End = t
	}
	traffic := c.String("TransportTrafficType")
	if traffic != "" {
		q.ResultSize = -1
	}
	// The call's context: Ctrl+C stops a long search, on another server
	// too.
	events, err := log.SearchContext(c.Context(), q)
	if err != nil {
		if e := task.ServerError(cmdlets.ServiceLogSearch, "LogSearchException", parts, err); e != nil {
			return e
		}
		e := task.Errorf(cmdlets.CategoryInvalidOperation, "LogSearchException",
			"There was a problem accessing the message tracking logs on %s: %v", logServer, err)
		e.Exception = err
		return e
	}
	if traffic != "" {
		kept := events[:0]
		for _, ev := range events {
			if strings.EqualFold(ev.TransportTrafficType, traffic) {
				kept = append(kept, ev)
			}
		}
		events = kept
		if limit >= 0 && len(events) > limit {
			events = events[len(events)-limit:]
		}
	}
	for i := range events {
		if err := c.WriteObject(eventObject(&events[i])); err != nil {
			return err
		}
	}
	return nil
}

// keyValue is one EventData entry; it prints as .NET's KeyValuePair does.
type keyValue struct{ Key, Value string }

func (kv keyValue) String() string { return "[" + kv.Key + ", " + kv.Value + "]" }

// DotNetTypeName is the type GetType() reports: KeyValuePair<string, object>.
func (keyValue) DotNetTypeName() string {
	return "System.Collections.Generic.KeyValuePair`2[[System.String, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089],[System.Object, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]"
}

// eventData parses custom-data ("S:Key=Value;S:Key2=Value2").
func eventData(s string) []any {
	out := []any{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if len(part) > 2 && part[1] == ':' {
			part = part[2:]
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, keyValue{Key: k, Value: v})
	}
	return out
}

func list(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// eventObject is one tracking entry as Get-MessageTrackingLog writes it,
// in Exchange's property order.
func eventObject(e *tracking.Event) *object.PSObject {
	o := object.New(EventType, "System.Object")
	o.Base = e
	o.Add("Timestamp", e.Timestamp.Local())
	o.Add("ClientIp", e.ClientIp)
	o.Add("ClientHostname", e.ClientHostname)
	o.Add("ServerIp", e.ServerIp)
	o.Add("ServerHostname", e.ServerHostname)
	o.Add("SourceContext", e.SourceContext)
	o.Add("ConnectorId", e.ConnectorId)
	o.Add("Source", e.Source)
	o.Add("EventId", e.EventId)
	if n, err := strconv.ParseInt(e.InternalMessageId, 10, 64); err == nil {
		o.Add("InternalMessageId", n)
	} else {
		o.Add("InternalMessageId", e.InternalMessageId)
	}
	o.Add("MessageId", e.MessageId)
	o.Add("NetworkMessageId", e.NetworkMessageId)
	o.Add("Recipients", list(e.Recipients))
	o.Add("RecipientStatus", list(e.RecipientStatus))
	o.Add("TotalBytes", int(e.TotalBytes))
	o.Add("RecipientCount", e.RecipientCount)
	o.Add("RelatedRecipientAddress", e.RelatedRecipientAddress)
	o.Add("Reference", list(e.Reference))
	o.Add("MessageSubject", e.MessageSubject)
	o.Add("Sender", e.Sender)
	o.Add("ReturnPath", e.ReturnPath)
	o.Add("Directionality", e.Directionality)
	o.Add("TenantId", e.TenantId)
	o.Add("OriginalClientIp", e.OriginalClientIp)
	o.Add("MessageInfo", e.MessageInfo)
	o.Add("MessageLatency", nil)
	o.Add("MessageLatencyType", "None")
	o.Add("EventData", eventData(e.CustomData))
	o.Add("TransportTrafficType", e.TransportTrafficType)
	o.Add("SchemaVersion", e.SchemaVersion)
	return o
}
