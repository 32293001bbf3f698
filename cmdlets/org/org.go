package org

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// Cmdlets returns every organisation cmdlet, bound to d.
func Cmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	var out []*interp.CmdletInfo
	for _, group := range [][]*interp.CmdletInfo{
		receiveConnectorCmdlets(d),
		sendConnectorCmdlets(d),
		acceptedDomainCmdlets(d),
		mailboxCmdlets(d),
		userCmdlets(d),
		recipientCmdlets(d),
		groupCmdlets(d),
		contactCmdlets(d),
		transportConfigCmdlets(d),
		componentStateCmdlets(d),
		mailboxPermissionCmdlets(d),
		roleGroupCmdlets(d),
		adPermissionCmdlets(d),
		transportServiceCmdlets(d),
		exchangeServerCmdlets(d),
		mailboxDatabaseCmdlets(d),
		exchangeCertificateCmdlets(d),
	} {
		out = append(out, group...)
	}
	for _, c := range out {
		cmdlets.Exchange(c)
		for _, p := range c.Params {
			if p.TypeName != "" {
				continue
			}
			if p.Name == "Identity" {
				p.TypeName = identityTypeName(c.Name)
			} else if t, ok := paramTypeNames[p.Name]; ok {
				p.TypeName = t
			} else if p.Kind == interp.KindTimeSpan {
				p.TypeName = "Microsoft.Exchange.Data.EnhancedTimeSpan"
			} else if p.Kind == interp.KindByteSize {
				p.TypeName = "Microsoft.Exchange.Data.ByteQuantifiedSize"
			}
		}
	}
	return out
}

// identityTypeName is the .NET type of a cmdlet's -Identity parameter
// (ReceiveConnectorIdParameter for the *-ReceiveConnector cmdlets).
func identityTypeName(cmdlet string) string {
	_, noun, _ := strings.Cut(cmdlet, "-")
	switch noun {
	case "ADPermission":
		return "Microsoft.Exchange.Configuration.Tasks.ADRawEntryIdParameter"
	case "TransportService", "FrontendTransportService", "ExchangeServer", "MailboxTransportService", "ServerComponentState":
		return "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter"
	case "MailboxDatabase":
		return "Microsoft.Exchange.Configuration.Tasks.DatabaseIdParameter"
	case "ExchangeCertificate":
		return "Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificateIdParameter"
	}
	return "Microsoft.Exchange.Configuration.Tasks." + noun + "IdParameter"
}

// paramTypeNames are the .NET types of Exchange's parameters, as binding
// errors and Get-Help name them.
var paramTypeNames = map[string]string{
	"AuthMechanism":                 "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms",
	"PermissionGroups":              "Microsoft.Exchange.Data.Directory.SystemConfiguration.PermissionGroups",
	"Bindings":                      "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPBinding]",
	"RemoteIPRanges":                "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]",
	"TlsDomainCapabilities":         "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.SmtpReceiveDomainCapabilities]",
	"TransportRole":                 "Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole",
	"ProtocolLoggingLevel":          "Microsoft.Exchange.Data.ProtocolLoggingLevel",
	"SizeEnabled":                   "Microsoft.Exchange.Data.SizeMode",
	"MessageRateSource":             "Microsoft.Exchange.Data.Directory.SystemConfiguration.MessageRateSourceFlags",
	"ExtendedProtectionPolicy":      "Microsoft.Exchange.Data.Directory.SystemConfiguration.ExtendedProtectionPolicySetting",
	"MaxInboundConnection":          "Microsoft.Exchange.Data.Unlimited`1[System.Int32]",
	"MaxInboundConnectionPerSource": "Microsoft.Exchange.Data.Unlimited`1[System.Int32]",
	"MaxProtocolErrors":             "Microsoft.Exchange.Data.Unlimited`1[System.Int32]",
	"MessageRateLimit":              "Microsoft.Exchange.Data.Unlimited`1[System.Int32]",
	"Fqdn":                          "Microsoft.Exchange.Data.Fqdn",
	"ServiceDiscoveryFqdn":          "Microsoft.Exchange.Data.Fqdn",
	"DomainController":              "Microsoft.Exchange.Data.Fqdn",
	"DomainType":                    "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomainType",
	"DomainName":                    "Microsoft.Exchange.Data.SmtpDomainWithSubdomains",
	"AddressSpaces":                 "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.AddressSpace]",
	"SmartHosts":                    "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.SmartHost]",
	"SmartHostAuthMechanism":        "Microsoft.Exchange.Data.Directory.SystemConfiguration.SmtpSendConnectorConfig+AuthMechanisms",
	"ErrorPolicies":                 "Microsoft.Exchange.Data.Directory.SystemConfiguration.ErrorPolicies",
	"TlsAuthLevel":                  "Microsoft.Exchange.Data.Directory.SystemConfiguration.TlsAuthLevel",
	"SourceTransportServers":        "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Configuration.Tasks.ServerIdParameter]",
	"EmailAddresses":                "Microsoft.Exchange.Data.ProxyAddressCollection",
	"PrimarySmtpAddress":            "Microsoft.Exchange.Data.SmtpAddress",
	"ExtendedRights":                "Microsoft.Exchange.Configuration.Tasks.ExtendedRightIdParameter[]",
	"AccessRights":                  "System.DirectoryServices.ActiveDirectoryRights[]",
	"User":                          "Microsoft.Exchange.Configuration.Tasks.SecurityPrincipalIdParameter",
	"ResultSize":                    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
	"Server":                        "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter",
	"Database":                      "Microsoft.Exchange.Configuration.Tasks.DatabaseIdParameter",
}

// run is one cmdlet's access to the store: a task for its errors and the
// site it runs on.
type run struct {
	d    *cmdlets.Deps
	c    *interp.Call
	task *cmdlets.Task
	site cmdlets.Site
}

// view runs fn in a read-only transaction with a run for error texts.
func view(d *cmdlets.Deps, c *interp.Call, fn func(r *run, tx state.Tx) error) error {
	var r *run
	err := d.Store.View(func(tx state.Tx) error {
		site := d.LoadSite(tx)
		r = &run{d: d, c: c, site: site, task: cmdlets.NewTask(d, c.Info.Name, site)}
		return fn(r, tx)
	})
	return storeErr(d, c, r, err)
}

// update runs fn in one read-write transaction; when fn fails nothing is
// written. fn may run more than once (state.Store.Update): what it hands
// out of the transaction (an object to write, a warning) it clears first,
// and a confirmation it asks again gets the answer given on the first run
// (interp.Call.RememberAnswers).
func update(d *cmdlets.Deps, c *interp.Call, fn func(r *run, tx state.Tx) error) error {
	defer c.RememberAnswers()()
	var r *run
	err := d.Store.Update(func(tx state.Tx) error {
		site := d.LoadSite(tx)
		r = &run{d: d, c: c, site: site, task: cmdlets.NewTask(d, c.Info.Name, site)}
		return fn(r, tx)
	})
	return storeErr(d, c, r, err)
}

// skip is returned from a transaction to end it without writing and
// without an error (-WhatIf, a declined -Confirm, nothing changed).
var errSkip = errors.New("skip")

func storeErr(d *cmdlets.Deps, c *interp.Call, r *run, err error) error {
	if err == nil || errors.Is(err, errSkip) {
		return nil
	}
	var rec *interp.ErrorRecord
	if errors.As(err, &rec) || errors.Is(err, interp.ErrPipelineStopped) {
		return err
	}
	if r == nil {
		r = &run{task: cmdlets.NewTaskWithoutStore(d, c.Info.Name)}
	}
	return r.task.StoreError(err)
}

// write sends objects down the pipeline after the transaction has ended.
func write(c *interp.Call, objs []*object.PSObject) error {
	for _, o := range objs {
		if err := c.WriteObject(o); err != nil {
			return err
		}
	}
	return nil
}

// Parameter helpers.

func identityParam(help string, mandatory bool, complete func(context.Context, string) []string) *interp.ParamInfo {
	return &interp.ParamInfo{
		Name: "Identity", Kind: interp.KindObject, Mandatory: mandatory, Position: 0,
		FromPipeline: true, FromPipelineByPropertyName: true,
		Complete: complete, Help: help,
	}
}

func domainControllerParam() *interp.ParamInfo {
	return &interp.ParamInfo{
		Name: "DomainController", Kind: interp.KindString, Position: -1,
		Help: "Specifies the domain controller that reads or writes the data. The lab has one directory, so the value is accepted and has no effect.",
	}
}

func named(name string, kind interp.ParamKind, help string) *interp.ParamInfo {
	return &interp.ParamInfo{Name: name, Kind: kind, Position: -1, Help: help}
}

func resultSizeParam() *interp.ParamInfo {
	return &interp.ParamInfo{
		Name: "ResultSize", Kind: interp.KindString, Position: -1, Default: "1000",
		Help: "Specifies the maximum number of results to return: a number, or Unlimited for all.",
	}
}

// resultSize returns the limit -ResultSize asks for (-1 for Unlimited) and
// whether the default limit applied.
func resultSize(r *run) (int, bool, error) {
	if !r.c.Has("ResultSize") {
		return 1000, true, nil
	}
	s := strings.TrimSpace(object.ToString(r.c.Value("ResultSize")))
	if strings.EqualFold(s, "unlimited") {
		return -1, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, false, r.task.InvalidArgument("Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]\". Error: \"The value must be a positive number or Unlimited.\"", s)
	}
	return n, false, nil
}

// completer lists existing identities for tab completion.
func completer(d *cmdlets.Deps, list func(tx state.Tx) ([]string, error)) func(context.Context, string) []string {
	return func(_ context.Context, prefix string) []string {
		var out []string
		if d == nil || d.Store == nil {
			return nil
		}
		_ = d.Store.View(func(tx state.Tx) error {
			names, err := list(tx)
			if err != nil {
				return err
			}
			for _, n := range names {
				if prefix == "" || strings.HasPrefix(strings.ToLower(n), strings.ToLower(prefix)) {
					out = append(out, n)
				}
			}
			return nil
		})
		return out
	}
}

// Settable properties.

// prop is a property a New- or Set- cmdlet sets from the parameter of the
// same name. The record field is found by name and converted by its type.
type prop struct {
	name   string
	kind   interp.ParamKind
	help   string
	values []string // enum names
	array  bool
	multi  bool
	// min and max bound a number (ints, Limit, ByteSize in bytes, durations
	// in seconds) when max > 0.
	min, max int64
	canon    cmdlets.Canon
	key      func(string) string
	def      string
	field    string // record field, when not name
	maxLen   int
}

func (p prop) param() *interp.ParamInfo {
	return &interp.ParamInfo{
		Name: p.name, Kind: p.kind, Position: -1, Help: p.help, Values: p.values,
		Array: p.array || p.multi, Multi: p.multi, Default: p.def,
	}
}

func params(props []prop) []*interp.ParamInfo {
	out := make([]*interp.ParamInfo, len(props))
	for i, p := range props {
		out[i] = p.param()
	}
	return out
}

func boolProp(name, help, def string) prop {
	return prop{name: name, kind: interp.KindBool, help: help, def: def}
}

func stringProp(name, help string) prop {
	return prop{name: name, kind: interp.KindString, help: help}
}

func durationProp(name, help, def string, min, max time.Duration) prop {
	return prop{name: name, kind: interp.KindTimeSpan, help: help, def: def, min: int64(min / time.Second), max: int64(max / time.Second)}
}

// apply sets every bound property of props on rec.
func (r *run) apply(props []prop, rec any) error {
	rv := reflect.ValueOf(rec).Elem()
	for _, p := range props {
		v, ok := r.c.Bound[p.name]
		if !ok {
			continue
		}
		fname := p.field
		if fname == "" {
			fname = p.name
		}
		f := rv.FieldByName(fname)
		if !f.IsValid() {
			return fmt.Errorf("internal error: parameter %s has no property to set", p.name)
		}
		if err := r.setField(p, f, v); err != nil {
			return err
		}
	}
	return nil
}

var (
	typeDuration = reflect.TypeFor[time.Duration]()
	typeLimit    = reflect.TypeFor[state.Limit]()
	typeByteSize = reflect.TypeFor[state.ByteSize]()
	typeFlags    = reflect.TypeFor[state.Flags]()
	typeStrings  = reflect.TypeFor[[]string]()
)

func (r *run) setField(p prop, f reflect.Value, v any) error {
	switch f.Type() {
	case typeDuration:
		d, err := toDuration(v)
		if err != nil {
			return r.task.InvalidArgument("Cannot process argument transformation on parameter '%s'. %v", p.name, err)
		}
		if err := r.checkRange(p, int64(d/time.Second)); err != nil {
			return err
		}
		f.Set(reflect.ValueOf(d))
	case typeLimit:
		n, err := toLimit(v)
		if err != nil {
			return r.task.InvalidArgument("Cannot process argument transformation on parameter '%s'. %v", p.name, err)
		}
		if n >= 0 {
			if err := r.checkRange(p, n); err != nil {
				return err
			}
		}
		f.Set(reflect.ValueOf(state.Limit(n)))
	case typeByteSize:
		n, err := toByteSize(v)
		if err != nil {
			return r.task.InvalidArgument("Cannot process argument transformation on parameter '%s'. %v", p.name, err)
		}
		if n >= 0 {
			if err := r.checkRange(p, n); err != nil {
				return err
			}
		}
		f.Set(reflect.ValueOf(state.ByteSize(n)))
	case typeFlags:
		fl, err := state.NormalizeFlags(cmdlets.ValueStrings(v), p.values)
		if err != nil {
			return r.task.InvalidArgument("Cannot process argument transformation on parameter '%s'. Cannot convert value \"%s\" to type \"%s\". Error: \"%s\"",
				p.name, strings.Join(cmdlets.ValueStrings(v), ","), flagsTypeName(p.name), capitalize(err.Error()))
		}
		f.Set(reflect.ValueOf(fl))
	case typeStrings:
		cur, _ := f.Interface().([]string)
		out, err := cmdlets.ApplyMulti(cur, v, p.canon, p.key)
		if err != nil {
			var ap *cmdlets.AlreadyPresentError
			if errors.As(err, &ap) {
				return r.task.Invalid("%s", err.Error())
			}
			var rec *interp.ErrorRecord
			if errors.As(err, &rec) {
				return err
			}
			return r.task.InvalidArgument("Cannot process argument transformation on parameter '%s'. %s", p.name, capitalize(err.Error()))
		}
		f.Set(reflect.ValueOf(out))
	default:
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(object.ToBool(v))
		case reflect.String:
			s := strings.TrimSpace(object.ToString(v))
			if p.kind == interp.KindString && v != nil {
				s = object.ToString(v)
			}
			if p.maxLen > 0 && len(s) > p.maxLen {
				return r.task.TooLong(p.name, p.maxLen, len(s))
			}
			if len(p.values) > 0 && s != "" {
				canon := ""
				for _, e := range p.values {
					if strings.EqualFold(e, s) {
						canon = e
					}
				}
				if canon == "" {
					return r.task.InvalidArgument("Cannot process argument transformation on parameter '%s'. Unable to match the identifier name %s to a valid enumerator name. Specify one of the following enumerator names and try again: %s", p.name, s, strings.Join(p.values, ", "))
				}
				s = canon
			}
			f.SetString(s)
		case reflect.Int, reflect.Int64, reflect.Int32:
			n, err := object.ToInt64(v)
			if err != nil {
				return r.task.InvalidArgument("Cannot process argument transformation on parameter '%s'. Cannot convert value \"%s\" to type \"System.Int32\".", p.name, object.ToString(v))
			}
			if err := r.checkRange(p, n); err != nil {
				return err
			}
			f.SetInt(n)
		default:
			return fmt.Errorf("internal: cannot set field of type %s", f.Type())
		}
	}
	return nil
}

func (r *run) checkRange(p prop, n int64) error {
	if p.max > 0 && (n < p.min || n > p.max) {
		return r.task.OutOfRange(p.name, n, p.min, p.max)
	}
	return nil
}

func flagsTypeName(param string) string {
	switch param {
	case "AuthMechanism":
		return "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms"
	case "PermissionGroups":
		return "Microsoft.Exchange.Data.Directory.SystemConfiguration.PermissionGroups"
	}
	return param
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func toDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case time.Duration:
		return x, nil
	case int:
		return time.Duration(x), nil
	case int64:
		return time.Duration(x), nil
	}
	s := strings.TrimSpace(object.ToString(v))
	d, err := object.ParseTimeSpan(s)
	if err != nil {
		return 0, textf("Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.EnhancedTimeSpan\".", s)
	}
	return d, nil
}

func toLimit(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case state.Limit:
		return int64(x), nil
	}
	s := strings.TrimSpace(object.ToString(v))
	if strings.EqualFold(s, "unlimited") {
		return -1, nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil || n < 0 {
		return 0, textf("Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.Int32]\". Error: \"The value must be a number or Unlimited.\"", s)
	}
	return n, nil
}

func toByteSize(v any) (int64, error) {
	switch x := v.(type) {
	case interp.ByteSize:
		return int64(x), nil
	case state.ByteSize:
		return int64(x), nil
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case float64:
		return int64(x), nil
	}
	s := strings.TrimSpace(object.ToString(v))
	n, err := parseByteQuantity(s)
	if err != nil {
		return 0, textf("Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.ByteQuantifiedSize\". Error: \"The ByteQuantifiedSize value must be a number followed by an optional unit (B, KB, MB, GB, TB), or Unlimited.\"", s)
	}
	return n, nil
}

// parseByteQuantity parses "36MB", "36 MB", "37748736", "36 MB (37,748,736
// bytes)" and "Unlimited".
func parseByteQuantity(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "unlimited") {
		return -1, nil
	}
	if i := strings.Index(s, "("); i >= 0 {
		inner := strings.TrimSuffix(strings.TrimSpace(s[i+1:]), ")")
		inner = strings.TrimSpace(strings.TrimSuffix(inner, "bytes"))
		return strconv.ParseInt(strings.ReplaceAll(inner, ",", ""), 10, 64)
	}
	u := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	mult := int64(1)
	for _, unit := range []struct {
		suffix string
		m      int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, unit.suffix) {
			u, mult = strings.TrimSuffix(u, unit.suffix), unit.m
			break
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(u, ",", ""), 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(f * float64(mult)), nil
}

// changed reports whether two copies of a record differ.
func changed(a, b any) bool { return !reflect.DeepEqual(a, b) }

// textError is an error whose text is an Exchange message, capitalised
// and punctuated as the admin sees it.
type textError string

func (e textError) Error() string { return string(e) }

func textf(format string, args ...any) error { return textError(fmt.Sprintf(format, args...)) }
