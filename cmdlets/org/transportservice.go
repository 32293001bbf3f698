package org

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/setup"
)

// Transport service type names.
const (
	TransportServiceType         = cmdlets.TransportServerType
	FrontendTransportServiceType = "Microsoft.Exchange.Data.Directory.SystemConfiguration.FrontendTransportServerPresentationObject"
	MailboxTransportServiceType  = "Microsoft.Exchange.Data.Directory.SystemConfiguration.MailboxTransportServerPresentationObject"
)

// transportServiceRanges are the documented ranges of the Set-
// TransportService parameters (exchange-transport.md §0); durations in
// seconds.
var transportServiceRanges = map[string][2]int64{
	"TransientFailureRetryCount":             {0, 15},
	"TransientFailureRetryInterval":          {1, 12 * 3600},
	"OutboundConnectionFailureRetryInterval": {1, 20 * 86400},
	"MessageRetryInterval":                   {1, 86400},
	"MessageExpirationTimeout":               {5, 90 * 86400},
	"DelayNotificationTimeout":               {1, 30 * 86400},
	"MaxOutboundConnections":                 {1, 2147483647},
	"MaxPerDomainOutboundConnections":        {1, 2147483647},
	"MaxConcurrentMailboxDeliveries":         {1, 256},
	"MaxConcurrentMailboxSubmissions":        {1, 256},
	"PoisonThreshold":                        {1, 10},
	"QueueMaxIdleTime":                       {5, 3600},
	"ReceiveProtocolLogMaxAge":               {0, 24855 * 86400},
	"SendProtocolLogMaxAge":                  {0, 24855 * 86400},
	"MessageTrackingLogMaxAge":               {0, 24855 * 86400},
}

// frontendFields are the TransportService fields the Front End Transport
// service has.
var frontendFields = map[string]bool{
	"Name": true, "MaxConnectionRatePerMinute": true, "ReceiveProtocolLogPath": true, "ReceiveProtocolLogMaxAge": true,
	"ReceiveProtocolLogMaxDirectorySize": true, "ReceiveProtocolLogMaxFileSize": true, "SendProtocolLogPath": true,
	"SendProtocolLogMaxAge": true, "SendProtocolLogMaxDirectorySize": true, "SendProtocolLogMaxFileSize": true,
	"IntraOrgConnectorProtocolLoggingLevel": true, "ConnectivityLogEnabled": true, "TransientFailureRetryCount": true,
	"TransientFailureRetryInterval": true, "Identity": true, "Guid": true, "WhenChanged": true,
}

// mailboxFields are the TransportService fields the Mailbox Transport
// service has; the Transport service has every field except the ones only
// the Mailbox Transport service has (mailboxOnlyFields).
var mailboxFields = map[string]bool{
	"Name": true, "MaxConcurrentMailboxDeliveries": true, "MaxConcurrentMailboxSubmissions": true,
	"ReceiveProtocolLogPath": true, "ReceiveProtocolLogMaxAge": true, "ReceiveProtocolLogMaxDirectorySize": true, "ReceiveProtocolLogMaxFileSize": true,
	"SendProtocolLogPath": true, "SendProtocolLogMaxAge": true, "SendProtocolLogMaxDirectorySize": true, "SendProtocolLogMaxFileSize": true,
	"ConnectivityLogEnabled": true, "ConnectivityLogPath": true, "ConnectivityLogMaxAge": true, "ConnectivityLogMaxDirectorySize": true, "ConnectivityLogMaxFileSize": true,
	"MailboxDeliveryAgentLogEnabled": true, "MailboxDeliveryAgentLogPath": true, "MailboxDeliveryAgentLogMaxAge": true,
	"MailboxDeliveryAgentLogMaxDirectorySize": true, "MailboxDeliveryAgentLogMaxFileSize": true,
	"MailboxSubmissionAgentLogEnabled": true, "MailboxSubmissionAgentLogPath": true, "MailboxSubmissionAgentLogMaxAge": true,
	"MailboxSubmissionAgentLogMaxDirectorySize": true, "MailboxSubmissionAgentLogMaxFileSize": true,
	"PipelineTracingEnabled": true, "Identity": true, "Guid": true, "WhenChanged": true,
}

var mailboxOnlyFields = map[string]bool{
	"ConnectivityLogPath": true, "ConnectivityLogMaxAge": true, "ConnectivityLogMaxDirectorySize": true, "ConnectivityLogMaxFileSize": true,
	"MailboxDeliveryAgentLogEnabled": true, "MailboxDeliveryAgentLogPath": true, "MailboxDeliveryAgentLogMaxAge": true,
	"MailboxDeliveryAgentLogMaxDirectorySize": true, "MailboxDeliveryAgentLogMaxFileSize": true,
	"MailboxSubmissionAgentLogEnabled": true, "MailboxSubmissionAgentLogPath": true, "MailboxSubmissionAgentLogMaxAge": true,
	"MailboxSubmissionAgentLogMaxDirectorySize": true, "MailboxSubmissionAgentLogMaxFileSize": true,
	"PipelineTracingEnabled": true,
}

// serviceHas reports whether the service of a kind ("Hub", "FrontEnd",
// "Mailbox") has a field.
func serviceHas(kind, field string) bool {
	switch kind {
	case "FrontEnd":
		return frontendFields[field]
	case "Mailbox":
		return mailboxFields[field]
	}
	return !mailboxOnlyFields[field]
}

// serviceProps derives the settable properties of a transport service from
// its record, so every setting Get- shows can be changed with Set-.
func serviceProps(kind string) []prop {
	var out []prop
	t := reflect.TypeFor[state.TransportService]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		switch f.Name {
		case "Name", "Server", "Kind", "Identity", "Guid", "WhenChanged":
			continue
		}
		if !serviceHas(kind, f.Name) {
			continue
		}
		p := prop{name: f.Name}
		if rg, ok := transportServiceRanges[f.Name]; ok {
			p.min, p.max = rg[0], rg[1]
		}
		switch f.Type {
		case typeDuration:
			p.kind = interp.KindTimeSpan
			p.help = fmt.Sprintf("Specifies %s, as a time span (dd.hh:mm:ss).", words(f.Name))
		case typeByteSize:
			p.kind = interp.KindByteSize
			p.help = fmt.Sprintf("Specifies %s, as a size (for example 250MB) or Unlimited.", words(f.Name))
		case typeLimit:
			p.kind = interp.KindString
			p.help = fmt.Sprintf("Specifies %s: a number, or Unlimited.", words(f.Name))
		default:
			switch f.Type.Kind() {
			case reflect.Bool:
				p.kind = interp.KindBool
				p.help = fmt.Sprintf("Specifies whether %s is on.", words(strings.TrimSuffix(f.Name, "Enabled")))
			case reflect.Int:
				p.kind = interp.KindInt
				p.help = fmt.Sprintf("Specifies %s.", words(f.Name))
			default:
				p.kind = interp.KindString
				p.help = fmt.Sprintf("Specifies %s.", words(f.Name))
				if strings.HasSuffix(f.Name, "ProtocolLoggingLevel") {
					p.kind, p.values = interp.KindEnum, []string{"None", "Verbose"}
				}
			}
		}
		if p.max > 0 {
			p.help += fmt.Sprintf(" Range %s to %s.", rangeText(f.Type, p.min), rangeText(f.Type, p.max))
		}
		out = append(out, p)
	}
	return out
}

func rangeText(t reflect.Type, n int64) string {
	if t == typeDuration {
		return object.FormatTimeSpan(time.Duration(n) * time.Second)
	}
	return fmt.Sprint(n)
}

// words turns a property name into lower-case words for help texts:
// "MessageRetryInterval" → "the message retry interval".
func words(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' && !(name[i-1] >= 'A' && name[i-1] <= 'Z') {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return "the " + strings.ToLower(b.String())
}

func transportServiceCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	var out []*interp.CmdletInfo
	for _, svc := range []struct {
		noun, kind, typeName, title string
	}{
		{"TransportService", "Hub", TransportServiceType, "Transport service"},
		{"FrontendTransportService", "FrontEnd", FrontendTransportServiceType, "Front End Transport service"},
		{"MailboxTransportService", "Mailbox", MailboxTransportServiceType, "Mailbox Transport service"},
	} {
		svc := svc
		props := serviceProps(svc.kind)
		typeNames := []string{svc.typeName, "Microsoft.Exchange.Data.Directory.ADConfigurationObject", "System.Object"}
		idHelp := "Specifies the server whose " + svc.title + " settings are read or changed: its name, FQDN or GUID."
		complete := cmdlets.CompleteServers(d)
		get := &interp.CmdletInfo{
			Name:        "Get-" + svc.noun,
			Synopsis:    "Gets the " + svc.title + " settings of Mailbox servers.",
			Description: "Get-" + svc.noun + " returns the " + svc.title + " settings of the server: retry and expiry timers, connection limits and log settings.",
			OutputType:  svc.typeName,
			Params:      []*interp.ParamInfo{identityParam(idHelp, false, complete), domainControllerParam()},
			Examples: []interp.Example{
				{Code: "Get-" + svc.noun + " EX01 | Format-List *ProtocolLog*", Remarks: "Shows where the protocol logs are written and how long they are kept."},
			},
		}
		get.Process = func(c *interp.Call) error {
			var out []*object.PSObject
			err := view(d, c, func(r *run, tx state.Tx) error {
				// One object per server (every server of the organisation
				// runs the service, each with its own settings): piped to
				// Get-Queue, each names its server.
				if r.c.Has("Identity") && r.c.Value("Identity") != nil {
					ts, err := r.identifiedService(tx, svc.kind)
					if err != nil {
						return err
					}
					out = append(out, serviceObject(typeNames, ts, svc.kind))
					return nil
				}
				srvs, err := tx.Servers()
				if err != nil {
					return err
				}
				names := make([]string, 0, len(srvs))
				for _, srv := range srvs {
					names = append(names, srv.Name)
				}
				if len(names) == 0 {
					names = append(names, r.site.Server)
				}
				for _, name := range names {
					ts, err := r.transportService(tx, name, svc.kind)
					if errors.Is(err, state.ErrNotFound) {
						continue // a server whose settings are not there yet
					}
					if err != nil {
						return err
					}
					out = append(out, serviceObject(typeNames, ts, svc.kind))
				}
				return nil
			})
			if err != nil {
				return report(c, err)
			}
			return write(c, out)
		}
		setParams := append([]*interp.ParamInfo{identityParam(idHelp, true, complete)}, params(props)...)
		set := &interp.CmdletInfo{
			Name:                  "Set-" + svc.noun,
			Synopsis:              "Changes the " + svc.title + " settings of a Mailbox server.",
			Description:           "Set-" + svc.noun + " changes the " + svc.title + " settings. The running service picks the new values up without a restart.",
			SupportsShouldProcess: true,
			Params:                append(setParams, domainControllerParam()),
			Examples:              []interp.Example{{Code: "Set-" + svc.noun + " EX01 -ReceiveProtocolLogMaxAge 7.00:00:00", Remarks: "Keeps receive protocol logs for a week."}},
		}
		if svc.kind == "Hub" {
			set.Examples = append(set.Examples, interp.Example{Code: "Set-TransportService EX01 -MessageRetryInterval 00:01:00 -MessageExpirationTimeout 00:30:00", Remarks: "Retries quickly and gives up after half an hour, for a lab."})
		}
		set.Process = func(c *interp.Call) error {
			var warn string
			err := update(d, c, func(r *run, tx state.Tx) error {
				warn = ""
				ts, err := r.identifiedService(tx, svc.kind)
				if err != nil {
					return err
				}
				before := *ts
				if err := r.apply(props, ts); err != nil {
					return err
				}
				if !changed(before, *ts) {
					warn = cmdlets.NoChangeWarning(before.Identity)
					return errSkip
				}
				if ts.MessageRetryInterval > 0 && ts.MessageExpirationTimeout > 0 && ts.MessageRetryInterval > ts.MessageExpirationTimeout {
					return r.task.Invalid("MessageRetryInterval (%s) can't be greater than MessageExpirationTimeout (%s).",
						object.FormatTimeSpan(ts.MessageRetryInterval), object.FormatTimeSpan(ts.MessageExpirationTimeout))
				}
				if !cmdlets.ShouldProcess(c, fmt.Sprintf("Setting the %s configuration of server \"%s\".", svc.title, before.Identity)) {
					return errSkip
				}
				return tx.PutTransportService(ts)
			})
			if warn != "" {
				c.WriteWarning(warn)
			}
			return report(c, err)
		}
		out = append(out, get, set)
	}
	return out
}

// serviceServer resolves -Identity (a server's name, FQDN or Guid) to the
// server's name; without -Identity it is this shell's server.
func (r *run) serviceServer(tx state.Tx) (string, error) {
	if !r.c.Has("Identity") || r.c.Value("Identity") == nil {
		return r.site.Server, nil
	}
	text := cmdlets.IdentityText(r.c.Value("Identity"))
	srv, err := tx.Server(text)
	if err != nil {
		return "", r.task.NotFound(text)
	}
	return srv.Name, nil
}

// transportService reads a server's service record of a kind. This
// server's missing record (an organisation set up before the Mailbox
// Transport service had one) is its defaults, with logs under the data
// path, until changed; another server's missing record is an error
// wrapping state.ErrNotFound.
func (r *run) transportService(tx state.Tx, server, kind string) (*state.TransportService, error) {
	ts, err := tx.TransportService(server, kind)
	if errors.Is(err, state.ErrNotFound) && strings.EqualFold(server, r.site.Server) {
		if def := setup.TransportServiceDefaults(kind, r.site.Server, r.d.DataPath); def != nil {
			return def, nil
		}
	}
	return ts, err
}

// identifiedService is the service record of the server -Identity names
// (this shell's server without it), or Exchange's not-found error.
func (r *run) identifiedService(tx state.Tx, kind string) (*state.TransportService, error) {
	srv, err := r.serviceServer(tx)
	if err != nil {
		return nil, err
	}
	ts, err := r.transportService(tx, srv, kind)
	if errors.Is(err, state.ErrNotFound) {
		return nil, r.task.NotFound(srv)
	}
	return ts, err
}

// serviceObject shows a service record with the settings its kind of
// service has.
func serviceObject(typeNames []string, ts *state.TransportService, kind string) *object.PSObject {
	full := cmdlets.ToObject(typeNames, ts)
	o := object.New(typeNames...)
	o.Base = ts
	for _, p := range full.Properties() {
		if serviceHas(kind, p.Name) {
			o.Add(p.Name, p.Value)
		}
	}
	return o
}
