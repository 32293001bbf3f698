package org

import (
	"fmt"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/setup"
)

// SendConnectorType is the type name of Get-SendConnector's objects.
const SendConnectorType = "Microsoft.Exchange.Data.Directory.SystemConfiguration.SmtpSendConnectorConfig"

var sendConnectorTypeNames = []string{
	SendConnectorType,
	"Microsoft.Exchange.Data.Directory.SystemConfiguration.SendConnector",
	"Microsoft.Exchange.Data.Directory.ADConfigurationObject",
	"Microsoft.Exchange.Data.Directory.ADObject",
	"System.Object",
}

var sendUsages = []string{"Custom", "Internal", "Internet", "Partner"}

var smartHostAuthMechanisms = []string{"None", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer", "ExternalAuthoritative"}

// sendConnectorProps are the settable properties of New- and
// Set-SendConnector.
var sendConnectorProps = []prop{
	{name: "AddressSpaces", kind: interp.KindString, multi: true, canon: canonAddressSpace, key: addressSpaceKey,
		help: "Specifies the domains the connector routes mail to, as \"Type:AddressSpace;Cost\" (\"SMTP:contoso.com;1\", \"*.contoso.com\", \"*\"). Type defaults to SMTP and cost to 1 (1 to 100, lower is preferred). Quote values with a type or a cost."},
	boolProp("CloudServicesMailEnabled", "Specifies whether the connector is used for hybrid mail flow with Microsoft 365.", "$false"),
	stringProp("Comment", "Specifies an optional comment."),
	durationProp("ConnectionInactivityTimeOut", "Specifies the maximum time an idle connection can stay open.", "00:10:00", time.Second, 24*time.Hour),
	boolProp("DNSRoutingEnabled", "Specifies whether the connector looks up MX records (DNS routing). It must be $false when SmartHosts is set.", "$true"),
	boolProp("DomainSecureEnabled", "Specifies whether mutual TLS authentication (Domain Secure) is used for the domains of the connector.", "$false"),
	boolProp("Enabled", "Specifies whether the connector is enabled.", "$true"),
	{name: "ErrorPolicies", kind: interp.KindEnum, values: []string{"Default", "DowngradeDnsFailures", "DowngradeCustomFailures", "UpgradeCustomFailures"}, def: "Default",
		help: "Specifies how communication errors are treated: Default, DowngradeDnsFailures, DowngradeCustomFailures or UpgradeCustomFailures."},
	boolProp("ForceHELO", "Specifies whether HELO is sent instead of EHLO.", "$false"),
	boolProp("FrontendProxyEnabled", "Specifies whether outbound mail is proxied through the Front End Transport service (Outbound Proxy Frontend, port 717).", "$false"),
	{name: "Fqdn", kind: interp.KindString, help: "Specifies the FQDN the connector gives in EHLO/HELO; empty means the server's FQDN."},
	boolProp("IgnoreSTARTTLS", "Specifies whether the connector ignores STARTTLS offered by the remote server.", "$false"),
	boolProp("IsScopedConnector", "Specifies whether only Mailbox servers in the same Active Directory site can use the connector.", "$false"),
	{name: "MaxMessageSize", kind: interp.KindByteSize, min: 0, max: 2147483647, def: "35 MB (Unlimited for Internal)",
		help: "Specifies the maximum size of a message that can pass through the connector (for example 35MB, or unlimited)."},
	{name: "Port", kind: interp.KindInt, min: 0, max: 65535, def: "25", help: "Specifies the TCP port used to connect to the smart hosts or the MX hosts (0 to 65535)."},
	{name: "ProtocolLoggingLevel", kind: interp.KindEnum, values: []string{"None", "Verbose"}, def: "None",
		help: "Specifies whether protocol logging is on for the connector: None or Verbose."},
	boolProp("RequireOorg", "Reserved for internal Microsoft use.", "$false"),
	boolProp("RequireTLS", "Specifies whether every message sent through the connector must use TLS.", "$false"),
	{name: "SmartHostAuthMechanism", kind: interp.KindEnum, values: smartHostAuthMechanisms, def: "None",
		help: "Specifies how the connector authenticates to its smart hosts: None, BasicAuth, BasicAuthRequireTLS, ExchangeServer or ExternalAuthoritative. BasicAuth and BasicAuthRequireTLS need AuthenticationCredential."},
	{name: "SmartHosts", kind: interp.KindString, multi: true, canon: canonSmartHost,
		help: "Specifies the smart hosts the connector sends through: FQDNs or IP addresses, separated by commas. DNSRoutingEnabled must be $false."},
	{name: "SmtpMaxMessagesPerConnection", kind: interp.KindInt, min: 1, max: 2147483647, def: "20",
		help: "Specifies how many messages are sent over one connection before it is closed."},
	stringProp("SourceIPAddress", "Specifies the local IP address used for outbound connections (0.0.0.0 means any)."),
	{name: "SourceTransportServers", kind: interp.KindString, multi: true,
		help: "Specifies the Mailbox servers that can use the connector; default the local server."},
	{name: "TlsAuthLevel", kind: interp.KindEnum, values: []string{"EncryptionOnly", "CertificateValidation", "DomainValidation"},
		help: "Specifies how the remote server's TLS certificate is checked: EncryptionOnly, CertificateValidation or DomainValidation. It needs RequireTLS $true and IgnoreSTARTTLS $false."},
	stringProp("TlsDomain", "Specifies the domain name checked in the remote certificate when TlsAuthLevel is DomainValidation."),
	boolProp("UseExternalDNSServersEnabled", "Specifies whether the connector uses the external DNS servers of the Transport service.", "$false"),
}

func canonAddressSpace(s string) (string, error) {
	as, err := state.ParseAddressSpace(s)
	if err != nil {
		return "", textf("Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.AddressSpace\". Error: \"%s\"", strings.TrimSpace(s), capitalize(err.Error()))
	}
	return as.String(), nil
}

func addressSpaceKey(s string) string {
	as, err := state.ParseAddressSpace(s)
	if err != nil {
		return strings.ToLower(s)
	}
	return strings.ToLower(as.Type + ":" + as.Domain)
}

func canonSmartHost(s string) (string, error) {
	h := strings.TrimSpace(s)
	bracketed := strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]")
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if h == "" {
		return "", textf("Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.SmartHost\". Error: \"The smart host is empty.\"", s)
	}
	if _, err := state.ParseIPRange(h); err == nil && !strings.ContainsAny(h, "-/") {
		if bracketed {
			// An address literal keeps its brackets, as Exchange shows
			// it in SmartHosts, SmartHostsString and the queue's
			// NextHopDomain.
			return "[" + h + "]", nil
		}
		return h, nil
	}
	if _, err := state.ValidateDomainName(h); err != nil || strings.Contains(h, "*") {
		return "", textf("Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.SmartHost\". Error: \"'%s' isn't a valid host name or IP address.\"", s, h)
	}
	return h, nil
}

func sendConnectorCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := completer(d, func(tx state.Tx) ([]string, error) {
		scs, err := tx.SendConnectors()
		var out []string
		for _, sc := range scs {
			out = append(out, sc.Name)
		}
		return out, err
	})
	idHelp := "Specifies the Send connector: its name, distinguished name or GUID."
	credParam := &interp.ParamInfo{Name: "AuthenticationCredential", Kind: interp.KindCredential, Position: -1,
		Help: "Specifies the user name and password for smart host authentication (Get-Credential). exsh keeps the password in the lab's store, because the transport needs it in clear to authenticate."}

	get := &interp.CmdletInfo{
		Name:        "Get-SendConnector",
		Synopsis:    "Gets the Send connectors of the organisation.",
		Description: "Get-SendConnector returns Send connectors. Send connectors belong to the organisation, so their identity is their name.",
		OutputType:  SendConnectorType,
		Params:      []*interp.ParamInfo{identityParam(idHelp+" Wildcards are allowed.", false, complete), domainControllerParam()},
		Examples: []interp.Example{
			{Code: "Get-SendConnector", Remarks: "Lists the Send connectors: Identity, AddressSpaces and Enabled."},
			{Code: `Get-SendConnector "To Internet" | Format-List`, Remarks: "Shows every property of a connector."},
		},
	}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			scs, err := r.findSendConnectors(tx, c.Value("Identity"), c.Has("Identity"))
			for _, sc := range scs {
				out = append(out, cmdlets.ToObject(sendConnectorTypeNames, sc))
			}
			return err
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	newParams := []*interp.ParamInfo{
		{Name: "Name", Kind: interp.KindString, Mandatory: true, Position: 0, Help: "Specifies the name of the connector (at most 64 characters, unique in the organisation)."},
		withSets(&interp.ParamInfo{Name: "Usage", Kind: interp.KindEnum, Position: -1, Values: sendUsages, Default: "Custom",
			Help: "Specifies the connector's usage type: Custom, Internal, Internet or Partner. It sets the default MaxMessageSize and can't be changed later."}, "UsageType"),
		withSets(named("Custom", interp.KindSwitch, "Creates a Custom connector (the default)."), "Custom"),
		withSets(named("Internal", interp.KindSwitch, "Creates an Internal connector (MaxMessageSize unlimited)."), "Internal"),
		withSets(named("Internet", interp.KindSwitch, "Creates an Internet connector."), "Internet"),
		withSets(named("Partner", interp.KindSwitch, "Creates a Partner connector."), "Partner"),
		credParam,
	}
	for _, p := range sendConnectorProps {
		pi := p.param()
		if p.name == "AddressSpaces" {
			pi.Mandatory = true
		}
		newParams = append(newParams, pi)
	}
	newParams = append(newParams, named("Force", interp.KindSwitch, "Suppresses warning or confirmation messages."), domainControllerParam())
	newSC := &interp.CmdletInfo{
		Name:     "New-SendConnector",
		Synopsis: "Creates a Send connector.",
		Description: "New-SendConnector creates a Send connector that routes mail for its address spaces, through DNS (MX records) or smart hosts. " +
			"Without -SourceTransportServers the local server is the source server.",
		OutputType:            SendConnectorType,
		SupportsShouldProcess: true,
		DefaultParameterSet:   "UsageType",
		Params:                newParams,
		Examples: []interp.Example{
			{Code: `New-SendConnector -Name "To Internet" -Internet -AddressSpaces *`, Remarks: "Sends mail for every external domain by DNS."},
			{Code: `New-SendConnector -Name Smarthost -AddressSpaces "SMTP:*;1" -SmartHosts 127.0.0.1 -DNSRoutingEnabled $false -Port 2526`,
				Remarks: "Routes all external mail through a smart host on the local machine."},
		},
	}
	newSC.Process = func(c *interp.Call) error { return report(c, newSendConnector(d, c)) }

	setParams := []*interp.ParamInfo{identityParam(idHelp, true, complete), credParam}
	setParams = append(setParams, params(sendConnectorProps)...)
	setParams = append(setParams,
		&interp.ParamInfo{Name: "Name", Kind: interp.KindString, Position: -1, Help: "Specifies a new name for the connector."},
		named("Force", interp.KindSwitch, "Suppresses warning or confirmation messages."), domainControllerParam())
	setSC := &interp.CmdletInfo{
		Name:                  "Set-SendConnector",
		Synopsis:              "Changes a Send connector.",
		Description:           "Set-SendConnector changes a Send connector. AddressSpaces, SmartHosts and SourceTransportServers take a list that replaces the value, or @{Add=...;Remove=...}.",
		SupportsShouldProcess: true,
		Params:                setParams,
		Examples: []interp.Example{
			{Code: `Set-SendConnector "To Internet" -SmartHosts mail.isp.example -DNSRoutingEnabled $false`, Remarks: "Sends through the ISP's smart host instead of DNS."},
			{Code: `Set-SendConnector "To Internet" -AddressSpaces @{Add="fabrikam.com;2"}`, Remarks: "Adds an address space."},
		},
	}
	setSC.Process = func(c *interp.Call) error { return report(c, setSendConnector(d, c)) }

	removeSC := &interp.CmdletInfo{
		Name:                  "Remove-SendConnector",
		Synopsis:              "Removes a Send connector.",
		Description:           "Remove-SendConnector deletes a Send connector. Mail for its address spaces then waits in the Unreachable queue unless another connector matches.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                []*interp.ParamInfo{identityParam(idHelp, true, complete), domainControllerParam()},
		Examples:              []interp.Example{{Code: `Remove-SendConnector "To Internet" -Confirm:$false`, Remarks: "Removes the connector without asking."}},
	}
	removeSC.Process = func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			sc, err := r.sendConnector(tx)
			if err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Removing Send connector \"%s\".", sc.Identity)) {
				return errSkip
			}
			return tx.DeleteSendConnector(sc.Guid)
		}))
	}
	return []*interp.CmdletInfo{get, newSC, setSC, removeSC}
}

func (r *run) findSendConnectors(tx state.Tx, arg any, given bool) ([]*state.SendConnector, error) {
	if !given || arg == nil {
		return tx.SendConnectors()
	}
	if g := cmdlets.GuidOf(arg); g != "" {
		if sc, err := tx.SendConnector(g); err == nil {
			return []*state.SendConnector{sc}, nil
		}
	}
	text := cmdlets.IdentityText(arg)
	if state.IsGuid(text) {
		sc, err := tx.SendConnector(state.CanonicalGuid(text))
		if err != nil {
			return nil, r.task.NotFound(text)
		}
		return []*state.SendConnector{sc}, nil
	}
	name := text
	if cns, ok := cmdlets.ParseDN(text); ok && len(cns) > 0 {
		name = cns[0]
	}
	if cmdlets.HasWildcard(name) {
		all, err := tx.SendConnectors()
		var out []*state.SendConnector
		for _, sc := range all {
			if cmdlets.Like(name, sc.Name) {
				out = append(out, sc)
			}
		}
		return out, err
	}
	sc, err := tx.SendConnectorByName(name)
	if err != nil {
		return nil, r.task.NotFound(text)
	}
	return []*state.SendConnector{sc}, nil
}

func (r *run) sendConnector(tx state.Tx) (*state.SendConnector, error) {
	arg := r.c.Value("Identity")
	scs, err := r.findSendConnectors(tx, arg, true)
	if err != nil {
		return nil, err
	}
	return cmdlets.One(r.task, scs, cmdlets.IdentityText(arg))
}

func (r *run) sendUsage() (string, error) {
	var picked []string
	if r.c.Has("Usage") {
		picked = append(picked, canonical(r.c.String("Usage"), sendUsages))
	}
	for _, u := range sendUsages {
		if r.c.Bool(u) {
			picked = append(picked, u)
		}
	}
	switch len(picked) {
	case 0:
		return "Custom", nil
	case 1:
		return picked[0], nil
	}
	return "", interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind, "AmbiguousParameterSet,"+r.c.Info.Name, "",
		"Parameter set cannot be resolved using the specified named parameters. One or more parameters issued cannot be used together or an insufficient number of parameters were provided.")
}

func setSendIdentity(sc *state.SendConnector, site cmdlets.Site) {
	sc.Identity = sc.Name
	sc.DistinguishedName = state.SendConnectorDN(sc.Name, site.OrgName, site.Domain)
}

// applyCredential stores -AuthenticationCredential. The lab keeps the
// password in the store: the transport must send it in clear to the smart
// host (AUTH LOGIN/PLAIN), so a hash would not do.
func (r *run) applyCredential(sc *state.SendConnector) {
	if !r.c.Has("AuthenticationCredential") {
		return
	}
	switch cred := r.c.Value("AuthenticationCredential").(type) {
	case *interp.Credential:
		if cred == nil {
			sc.AuthUser, sc.AuthPassword, sc.AuthenticationCredential = "", "", ""
			return
		}
		sc.AuthUser = cred.UserName
		sc.AuthenticationCredential = cred.UserName
		if cred.Password != nil {
			sc.AuthPassword = cred.Password.Plain
		}
	case nil:
		sc.AuthUser, sc.AuthPassword, sc.AuthenticationCredential = "", "", ""
	}
}

func (r *run) checkSourceServers(tx state.Tx, sc *state.SendConnector) error {
	for i, s := range sc.SourceTransportServers {
		srv, err := tx.Server(s)
		if err != nil {
			return r.task.NotFound(s)
		}
		sc.SourceTransportServers[i] = srv.Name
	}
	return nil
}

func (r *run) validateSendConnector(tx state.Tx, sc *state.SendConnector) error {
	t := r.task
	if len(sc.Name) > 64 {
		return t.TooLong("Name", 64, len(sc.Name))
	}
	if len(sc.AddressSpaces) == 0 {
		return t.Invalid("The AddressSpaces property can't be empty. Specify at least one address space.")
	}
	nonSMTP := false
	for _, v := range sc.AddressSpaces {
		if as, err := state.ParseAddressSpace(v); err == nil && as.Type != "SMTP" {
			nonSMTP = true
		}
	}
	switch {
	case len(sc.SmartHosts) > 0 && sc.DNSRoutingEnabled:
		return t.Invalid("DNSRoutingEnabled must be set to $false when smart hosts are specified in the SmartHosts parameter.")
	case len(sc.SmartHosts) == 0 && !sc.DNSRoutingEnabled:
		return t.Invalid("You must specify at least one smart host in the SmartHosts parameter when DNSRoutingEnabled is set to $false.")
	case nonSMTP && sc.DNSRoutingEnabled:
		return t.Invalid("A Send connector with a non-SMTP address space must route mail through smart hosts. Set DNSRoutingEnabled to $false and specify SmartHosts.")
	case sc.SmartHostAuthMechanism != "None" && sc.SmartHostAuthMechanism != "" && len(sc.SmartHosts) == 0:
		return t.Invalid("SmartHostAuthMechanism can be set only when the connector routes mail through smart hosts.")
	case (sc.SmartHostAuthMechanism == "BasicAuth" || sc.SmartHostAuthMechanism == "BasicAuthRequireTLS") && sc.AuthUser == "":
		return t.Invalid("The AuthenticationCredential parameter is required when SmartHostAuthMechanism is %s.", sc.SmartHostAuthMechanism)
	case sc.TlsAuthLevel != "" && (!sc.RequireTLS || sc.IgnoreSTARTTLS):
		return t.Invalid("TlsAuthLevel can be set only when RequireTLS is $true and IgnoreSTARTTLS is $false.")
	case sc.RequireTLS && sc.IgnoreSTARTTLS:
		return t.Invalid("RequireTLS and IgnoreSTARTTLS can't both be $true.")
	case len(sc.SourceTransportServers) == 0:
		return t.Invalid("The SourceTransportServers property can't be empty. Specify at least one Mailbox server.")
	}
	if sc.Fqdn != "" {
		if _, err := state.ValidateDomainName(sc.Fqdn); err != nil || strings.HasPrefix(sc.Fqdn, "*") {
			return t.Invalid("The value \"%s\" of property Fqdn isn't a valid fully qualified domain name.", sc.Fqdn)
		}
	}
	if other, err := tx.SendConnectorByName(sc.Name); err == nil && other.Guid != sc.Guid {
		return t.AlreadyExists(sc.DistinguishedName)
	}
	return r.checkSourceServers(tx, sc)
}

func newSendConnector(d *cmdlets.Deps, c *interp.Call) error {
	var out *object.PSObject
	err := update(d, c, func(r *run, tx state.Tx) error {
		out = nil
		name := strings.TrimSpace(c.String("Name"))
		if name == "" {
			return r.task.ParameterValidation("Name", "The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
		}
		if len(name) > 64 {
			return r.task.TooLong("Name", 64, len(name))
		}
		usage, err := r.sendUsage()
		if err != nil {
			return err
		}
		if !c.Has("AddressSpaces") {
			return missingMandatory(c, "AddressSpaces")
		}
		sc := setup.NewSendConnectorDefaults(usage)
		sc.Name = name
		sc.SourceTransportServers = []string{r.site.Server}
		if err := r.apply(sendConnectorProps, sc); err != nil {
			return err
		}
		r.applyCredential(sc)
		sc.SmartHostsString = strings.Join(sc.SmartHosts, ",")
		setSendIdentity(sc, r.site)
		if err := r.validateSendConnector(tx, sc); err != nil {
			return err
		}
		if !cmdlets.ShouldProcess(c, fmt.Sprintf("Creating Send connector \"%s\".", sc.Name)) {
			return errSkip
		}
		if err := tx.PutSendConnector(sc); err != nil {
			return err
		}
		out = cmdlets.ToObject(sendConnectorTypeNames, sc)
		return nil
	})
	if err != nil || out == nil {
		return err
	}
	return c.WriteObject(out)
}

func setSendConnector(d *cmdlets.Deps, c *interp.Call) error {
	var warn string
	err := update(d, c, func(r *run, tx state.Tx) error {
		warn = ""
		sc, err := r.sendConnector(tx)
		if err != nil {
			return err
		}
		before := *sc
		if err := r.apply(sendConnectorProps, sc); err != nil {
			return err
		}
		r.applyCredential(sc)
		if c.Has("Name") {
			sc.Name = strings.TrimSpace(c.String("Name"))
			if sc.Name == "" {
				return r.task.ParameterValidation("Name", "The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
			}
			setSendIdentity(sc, r.site)
		}
		sc.SmartHostsString = strings.Join(sc.SmartHosts, ",")
		if !changed(before, *sc) {
			warn = cmdlets.NoChangeWarning(before.Identity)
			return errSkip
		}
		if err := r.validateSendConnector(tx, sc); err != nil {
			return err
		}
		if !cmdlets.ShouldProcess(c, fmt.Sprintf("Configuring Send connector \"%s\".", before.Identity)) {
			return errSkip
		}
		return tx.PutSendConnector(sc)
	})
	if warn != "" {
		c.WriteWarning(warn)
	}
	return err
}
