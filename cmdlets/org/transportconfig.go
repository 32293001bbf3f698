package org

import (
	"fmt"
	"reflect"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/state"
)

// TransportConfigType is the type name of Get-TransportConfig's object.
const TransportConfigType = "Microsoft.Exchange.Data.Directory.SystemConfiguration.TransportConfigContainer"

var transportConfigTypeNames = []string{TransportConfigType, "Microsoft.Exchange.Data.Directory.ADConfigurationObject", "System.Object"}

// transportConfigRanges are the documented ranges of Set-TransportConfig's
// numbers: sizes in bytes, durations in seconds.
var transportConfigRanges = map[string][2]int64{
	"MaxReceiveSize":                   {0, 2097151 << 10},
	"MaxSendSize":                      {0, 2097151 << 10},
	"MaxRecipientEnvelopeLimit":        {0, 2147483647},
	"ExternalDsnMaxMessageAttachSize":  {0, 2097151 << 10},
	"InternalDsnMaxMessageAttachSize":  {0, 2097151 << 10},
	"MaxDumpsterSizePerDatabase":       {0, 2097151 << 10},
	"MaxRetriesForLocalSiteShadow":     {0, 255},
	"MaxRetriesForRemoteSiteShadow":    {0, 255},
	"SafetyNetHoldTime":                {0, 180 * 86400},
	"MaxDumpsterTime":                  {0, 24855 * 86400},
	"ShadowHeartbeatFrequency":         {1, 86400},
	"ShadowMessageAutoDiscardInterval": {5, 90 * 86400},
	"ShadowResubmitTimeSpan":           {1, 86400},
}

// transportConfigEnums are the properties that take one of a few names.
var transportConfigEnums = map[string][]string{
	"DSNConversionMode":              {"UseExchangeDSNs", "PreserveDSNBody", "DoNotConvert"},
	"ShadowMessagePreferenceSetting": {"LocalOnly", "RemoteOnly", "PreferRemote"},
	"HygieneSuite":                   {"Standard", "Premium"},
	"HeaderPromotionModeSetting":     {"NoCreate", "MayCreate", "MustCreate"},
}

// transportConfigProps derives Set-TransportConfig's parameters from the
// record, so every setting Get-TransportConfig shows can be changed.
func transportConfigProps() []prop {
	var out []prop
	t := reflect.TypeFor[state.TransportConfig]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Name == "Identity" || f.Name == "WhenChanged" {
			continue
		}
		p := prop{name: f.Name, help: fmt.Sprintf("Specifies %s.", words(f.Name))}
		if rg, ok := transportConfigRanges[f.Name]; ok {
			p.min, p.max = rg[0], rg[1]
		}
		switch {
		case f.Type == typeDuration:
			p.kind = interp.KindTimeSpan
			p.help = fmt.Sprintf("Specifies %s, as a time span (dd.hh:mm:ss).", words(f.Name))
		case f.Type == typeByteSize:
			p.kind = interp.KindByteSize
			p.help = fmt.Sprintf("Specifies %s, as a size (for example 25MB) or Unlimited.", words(f.Name))
		case f.Type == typeLimit:
			p.kind = interp.KindString
			p.help = fmt.Sprintf("Specifies %s: a number, or Unlimited.", words(f.Name))
		case f.Type == typeStrings:
			p.kind, p.multi, p.key = interp.KindString, true, strings.ToLower
			p.help = fmt.Sprintf("Specifies %s: a list, or @{Add=...;Remove=...}.", words(f.Name))
		case f.Type.Kind() == reflect.Bool:
			p.kind = interp.KindBool
			p.help = fmt.Sprintf("Specifies whether %s is on.", words(strings.TrimSuffix(f.Name, "Enabled")))
		case f.Type.Kind() == reflect.Int:
			p.kind = interp.KindInt
		default:
			p.kind = interp.KindString
			if v, ok := transportConfigEnums[f.Name]; ok {
				p.kind, p.values = interp.KindEnum, v
			}
		}
		switch f.Name {
		case "MaxReceiveSize":
			p.help = "Specifies the largest message the organisation's recipients may receive (10MB by default; up to 2097151KB, or Unlimited). Larger messages get an NDR from the categorizer."
		case "MaxSendSize":
			p.help = "Specifies the largest message the organisation's authenticated senders may send (10MB by default; up to 2097151KB, or Unlimited). Larger messages get an NDR from the categorizer."
		case "MaxRecipientEnvelopeLimit":
			p.help = "Specifies the most recipients a message may have (500 by default, or Unlimited); a distribution group counts as one. A message with more gets an NDR."
		}
		out = append(out, p)
	}
	return out
}

func transportConfigCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	props := transportConfigProps()
	get := &interp.CmdletInfo{
		Name:        "Get-TransportConfig",
		Synopsis:    "Gets the organisation's transport settings.",
		Description: "Get-TransportConfig returns the organisation-wide transport settings: message size and recipient limits, DSN settings, shadow redundancy and Safety Net.",
		OutputType:  TransportConfigType,
		Params:      []*interp.ParamInfo{domainControllerParam()},
		Examples: []interp.Example{
			{Code: "Get-TransportConfig | Format-List MaxSendSize,MaxReceiveSize,MaxRecipientEnvelopeLimit", Remarks: "Shows the organisation's message limits."},
		},
	}
	get.Process = func(c *interp.Call) error {
		var cfg *state.TransportConfig
		err := view(d, c, func(r *run, tx state.Tx) error {
			var err error
			cfg, err = tx.TransportConfig()
			return err
		})
		if err != nil || cfg == nil {
			return report(c, err)
		}
		return c.WriteObject(cmdlets.ToObject(transportConfigTypeNames, cfg))
	}
	setParams := []*interp.ParamInfo{{Name: "Identity", Kind: interp.KindObject, Position: 0, FromPipeline: true, FromPipelineByPropertyName: true,
		Help: "Specifies the organisation; there is one, so the value may be left out."}}
	set := &interp.CmdletInfo{
		Name:                  "Set-TransportConfig",
		Synopsis:              "Changes the organisation's transport settings.",
		Description:           "Set-TransportConfig changes the organisation-wide transport settings. The transport uses the new limits for the next message it categorizes.",
		SupportsShouldProcess: true,
		Params:                append(append(setParams, params(props)...), domainControllerParam()),
		Examples: []interp.Example{
			{Code: "Set-TransportConfig -MaxSendSize 25MB -MaxReceiveSize 25MB", Remarks: "Lets 25 MB messages through the organisation (raise the connectors' MaxMessageSize too)."},
			{Code: "Set-TransportConfig -MaxRecipientEnvelopeLimit 1000", Remarks: "Allows up to 1000 recipients per message."},
		},
	}
	set.Process = func(c *interp.Call) error {
		var warn string
		err := update(d, c, func(r *run, tx state.Tx) error {
			warn = ""
			if c.Has("Identity") && c.Value("Identity") != nil {
				id := cmdlets.IdentityText(c.Value("Identity"))
				_, piped := cmdlets.BaseOf[*state.TransportConfig](c.Value("Identity"))
				if !piped && !strings.EqualFold(id, r.site.OrgName) && !strings.EqualFold(id, "Transport Settings") {
					return r.task.NotFound(id)
				}
			}
			cfg, err := tx.TransportConfig()
			if err != nil {
				return err
			}
			before := *cfg
			if err := r.apply(props, cfg); err != nil {
				return err
			}
			if !changed(before, *cfg) {
				warn = cmdlets.NoChangeWarning(r.site.OrgName)
				return errSkip
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Setting the transport configuration of organization \"%s\".", r.site.OrgName)) {
				return errSkip
			}
			return tx.PutTransportConfig(cfg)
		})
		if warn != "" {
			c.WriteWarning(warn)
		}
		return report(c, err)
	}
	return []*interp.CmdletInfo{get, set}
}
