package org

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/setup"
)

// ReceiveConnectorType is the type name of Get-ReceiveConnector's objects.
const ReceiveConnectorType = "Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector"

var receiveConnectorTypeNames = []string{
	ReceiveConnectorType,
	"Microsoft.Exchange.Data.Directory.ADConfigurationObject",
	"Microsoft.Exchange.Data.Directory.ADObject",
	"Microsoft.Exchange.Data.Directory.ADRawEntry",
	"System.Object",
}

// Usage types of New-ReceiveConnector (exchange-receive.md §4.1).
var receiveUsages = []string{"Client", "Custom", "Internal", "Internet", "Partner"}

var transportRoles = []string{"FrontendTransport", "HubTransport"}

// receiveConnectorProps are the settable properties shared by New- and
// Set-ReceiveConnector, in Exchange's parameter order.
var receiveConnectorProps = []prop{
	boolProp("AdvertiseClientSettings", "Specifies whether the SMTP server name, port number and authentication settings of the connector are shown to users in Outlook on the web options.", "$false"),
	{name: "AuthMechanism", kind: interp.KindEnum, array: true, values: state.AuthMechanisms, def: "Tls",
		help: "Specifies the advertised and accepted authentication mechanisms: None, Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative. Separate several values with commas. None must be used alone; BasicAuthRequireTLS requires BasicAuth and Tls; ExternalAuthoritative can be combined only with Tls and requires PermissionGroups ExchangeServers."},
	durationProp("AuthTarpitInterval", "Specifies how long to delay responses to failed authentication attempts from remote servers (00:00:00 disables the delay).", "00:00:05", 0, 10*time.Minute),
	stringProp("Banner", "Specifies a custom SMTP 220 banner shown to remote servers that connect. The value must start with 220. $null gives the default banner \"220 <Fqdn> Microsoft ESMTP MAIL Service ready at <date>\"."),
	boolProp("BinaryMimeEnabled", "Specifies whether the BINARYMIME extended SMTP extension is enabled. It requires ChunkingEnabled $true.", "$true"),
	{name: "Bindings", kind: interp.KindString, multi: true, canon: canonBinding, key: strings.ToLower,
		help: "Specifies the local IP address and TCP port the connector listens on, as \"IPv4:port\" or \"[IPv6]:port\" (0.0.0.0 and [::] mean all local addresses). Separate several values with commas, or use @{Add=\"v1\";Remove=\"v2\"} to change the list."},
	boolProp("ChunkingEnabled", "Specifies whether the CHUNKING extended SMTP extension (BDAT) is enabled.", "$true"),
	stringProp("Comment", "Specifies an optional comment."),
	durationProp("ConnectionInactivityTimeout", "Specifies the maximum idle time before a connection is closed. It must be less than ConnectionTimeout.", "00:05:00", time.Second, 24*time.Hour),
	durationProp("ConnectionTimeout", "Specifies the maximum time a connection can stay open, even while data is transmitted.", "00:10:00", time.Second, 24*time.Hour),
	stringProp("DefaultDomain", "Specifies the accepted domain used for the connector's default domain."),
	boolProp("DeliveryStatusNotificationEnabled", "Specifies whether the DSN extended SMTP extension is enabled.", "$true"),
	boolProp("DomainSecureEnabled", "Specifies whether mutual TLS authentication (Domain Secure) is enabled. It requires Tls and can't be used with ExternalAuthoritative.", "$false"),
	boolProp("EightBitMimeEnabled", "Specifies whether the 8BITMIME extended SMTP extension is enabled.", "$true"),
	boolProp("EnableAuthGSSAPI", "Specifies whether Kerberos (GSSAPI) is advertised when Integrated authentication is on.", "$false"),
	boolProp("Enabled", "Specifies whether the connector is enabled. A disabled connector doesn't listen.", "$true"),
	boolProp("EnhancedStatusCodesEnabled", "Specifies whether the ENHANCEDSTATUSCODES extended SMTP extension is enabled.", "$true"),
	{name: "ExtendedProtectionPolicy", kind: interp.KindEnum, values: []string{"None", "Allow", "Require"}, def: "None",
		help: "Specifies how Extended Protection for Authentication is used: None, Allow or Require."},
	{name: "Fqdn", kind: interp.KindString, canon: nil, def: "server FQDN",
		help: "Specifies the FQDN used as the destination server in the SMTP banner, the EHLO reply and the Received header."},
	boolProp("LongAddressesEnabled", "Specifies whether the XLONGADDR extension is enabled (addresses up to 1,860 characters). Transport service connectors only.", "$false"),
	durationProp("MaxAcknowledgementDelay", "Specifies how long the server delays acknowledgement (unused since Exchange 2016).", "00:00:30", 0, 10*time.Minute),
	{name: "MaxHeaderSize", kind: interp.KindByteSize, min: 1, max: 2147483647, def: "256 KB",
		help: "Specifies the maximum size of the message header, from 1 byte to 2147483647 bytes (for example 256KB)."},
	{name: "MaxHopCount", kind: interp.KindInt, min: 1, max: 500, def: "30",
		help: "Specifies the maximum number of Received headers a message can have before it is rejected as a loop (1 to 500)."},
	{name: "MaxInboundConnection", kind: interp.KindString, min: 1, max: 2147483647, def: "5000",
		help: "Specifies the maximum number of inbound connections the connector serves at once: a number from 1 to 2147483647, or unlimited."},
	{name: "MaxInboundConnectionPercentagePerSource", kind: interp.KindInt, min: 1, max: 100, def: "2",
		help: "Specifies the maximum share of MaxInboundConnection one remote server can use, in percent (1 to 100)."},
	{name: "MaxInboundConnectionPerSource", kind: interp.KindString, min: 1, max: 10000, def: "20",
		help: "Specifies the maximum number of connections from one IP address: a number from 1 to 10000, or unlimited."},
	{name: "MaxLocalHopCount", kind: interp.KindInt, min: 0, max: 50, def: "8",
		help: "Specifies the maximum number of local Received headers before a message is rejected as a loop (0 to 50; 0 never rejects)."},
	{name: "MaxLogonFailures", kind: interp.KindInt, min: 0, max: 10, def: "3",
		help: "Specifies how many failed logons are allowed before the connection is closed (0 to 10; 0 never closes)."},
	{name: "MaxMessageSize", kind: interp.KindByteSize, min: 65536, max: 2147483647, def: "36 MB",
		help: "Specifies the maximum size of a message, from 65536 bytes to 2147483647 bytes (for example 36MB)."},
	{name: "MaxProtocolErrors", kind: interp.KindString, min: 0, max: 2147483647, def: "5",
		help: "Specifies how many SMTP protocol errors are allowed before the connection is closed: a number, or unlimited."},
	{name: "MaxRecipientsPerMessage", kind: interp.KindInt, min: 1, max: 512000, def: "200",
		help: "Specifies the maximum number of recipients per message (1 to 512000)."},
	{name: "MessageRateLimit", kind: interp.KindString, min: 1, max: 2147483647, def: "Unlimited",
		help: "Specifies the maximum number of messages one client IP address (or user) can send per minute: a number, or unlimited."},
	{name: "MessageRateSource", kind: interp.KindEnum, values: []string{"None", "IPAddress", "User", "All"}, def: "IPAddress",
		help: "Specifies how the message rate is counted: None, IPAddress, User or All."},
	boolProp("OrarEnabled", "Specifies whether Originator Requested Alternate Recipient (XORAR) is enabled.", "$false"),
	{name: "PermissionGroups", kind: interp.KindEnum, array: true, values: state.PermissionGroupNames,
		help: "Specifies the well-known security principals that are authorized to use the connector: None, AnonymousUsers, ExchangeUsers, ExchangeServers, ExchangeLegacyServers, Partners. The value replaces the whole set; separate several values with commas."},
	boolProp("PipeliningEnabled", "Specifies whether the PIPELINING extended SMTP extension is enabled.", "$true"),
	{name: "ProtocolLoggingLevel", kind: interp.KindEnum, values: []string{"None", "Verbose"}, def: "None",
		help: "Specifies whether protocol logging is on for the connector: None or Verbose."},
	boolProp("RejectReservedSecondLevelRecipientDomains", "Specifies whether recipients in reserved second-level domains (RFC 2606) are rejected with 5.1.5.", "$false"),
	boolProp("RejectReservedTopLevelRecipientDomains", "Specifies whether recipients in reserved top-level domains (RFC 2606) are rejected with 5.1.4.", "$false"),
	boolProp("RejectSingleLabelRecipientDomains", "Specifies whether recipients in single-label domains are rejected with 5.1.6.", "$false"),
	{name: "RemoteIPRanges", kind: interp.KindString, multi: true, canon: canonIPRange, key: ipRangeKey,
		help: "Specifies the remote IP addresses the connector accepts connections from: an address (192.168.1.1), a range (192.168.1.1-192.168.1.254), a CIDR block (192.168.1.0/24), IPv4 or IPv6. Separate several values with commas, or use @{Add=\"v1\";Remove=\"v2\"} to change the list."},
	boolProp("RequireEHLODomain", "Specifies whether the client must give a domain name in EHLO.", "$false"),
	boolProp("RequireTLS", "Specifies whether TLS is required for inbound messages. It requires Tls in AuthMechanism.", "$false"),
	stringProp("ServiceDiscoveryFqdn", "Specifies the service discovery FQDN for the connector."),
	{name: "SizeEnabled", kind: interp.KindEnum, values: []string{"Disabled", "Enabled", "EnabledWithoutValue"}, def: "Enabled",
		help: "Specifies how the SIZE extension is used: Enabled (with the maximum size), EnabledWithoutValue, or Disabled."},
	boolProp("SuppressXAnonymousTls", "Specifies whether X-ANONYMOUSTLS is suppressed in the EHLO reply.", "$false"),
	durationProp("TarpitInterval", "Specifies how long to delay an SMTP response that indicates a problem to an unauthenticated client.", "00:00:05", 0, 10*time.Minute),
	stringProp("TlsCertificateName", "Specifies the certificate used for TLS, as \"<I>issuer<S>subject\"."),
	{name: "TlsDomainCapabilities", kind: interp.KindString, multi: true,
		help: "Specifies capabilities granted to specific TLS domains, as \"domain:Capability,...\" (hybrid deployments)."},
	{name: "TransportRole", kind: interp.KindEnum, values: transportRoles, def: "HubTransport",
		help: "Specifies the service the connector belongs to: FrontendTransport (Front End Transport service) or HubTransport (Transport service)."},
}

// setOnlyReceiveProps exist on Set-ReceiveConnector only.
var setOnlyReceiveProps = []prop{
	boolProp("BareLinefeedRejectionEnabled", "Specifies whether messages with bare line feeds are rejected.", "$false"),
	{name: "Name", kind: interp.KindString, maxLen: 64, help: "Specifies a new name for the connector (at most 64 characters)."},
	boolProp("ProxyEnabled", "Specifies whether the connector accepts the XPROXY protocol from POP3 and IMAP4 proxies.", "$false"),
	boolProp("SmtpUtf8Enabled", "Reserved for internal Microsoft use.", "$true"),
}

func canonBinding(s string) (string, error) {
	ap, err := state.ParseBinding(s)
	if err != nil {
		return "", textf("Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.IPBinding\". Error: \"%s is not a valid IP address and port. Use the form 0.0.0.0:25 or [::]:25.\"", strings.TrimSpace(s), strings.TrimSpace(s))
	}
	return state.FormatBinding(ap), nil
}

func canonIPRange(s string) (string, error) {
	r, err := state.ParseIPRange(s)
	if err != nil {
		return "", textf("Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.IPRange\". Error: \"'%s' isn't a valid IP address, IP range or CIDR block.\"", strings.TrimSpace(s), strings.TrimSpace(s))
	}
	return r.String(), nil
}

// ipRangeKey makes equal ranges written differently (a /24 and its
// lo-hi form) count as one value.
func ipRangeKey(s string) string {
	r, err := state.ParseIPRange(s)
	if err != nil {
		return strings.ToLower(s)
	}
	return r.Lo.String() + "-" + r.Hi.String()
}

func receiveConnectorCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := completer(d, func(tx state.Tx) ([]string, error) {
		rcs, err := tx.ReceiveConnectors()
		var out []string
		for _, rc := range rcs {
			out = append(out, rc.Name)
		}
		return out, err
	})
	idHelp := "Specifies the Receive connector: its name (on the local server), <Server>\\<Name>, its distinguished name or its GUID."

	get := &interp.CmdletInfo{
		Name:     "Get-ReceiveConnector",
		Synopsis: "Gets the Receive connectors of Exchange servers.",
		Description: "Get-ReceiveConnector returns Receive connectors. Without parameters it returns every connector of every server. " +
			"A name alone is looked up on the local server; wildcards match several connectors.",
		OutputType:          ReceiveConnectorType,
		DefaultParameterSet: "Identity",
		Params: []*interp.ParamInfo{
			withSets(identityParam(idHelp+" Wildcards are allowed.", false, complete), "Identity"),
			withSets(&interp.ParamInfo{Name: "Server", Kind: interp.KindString, Position: -1,
				Help: "Returns the connectors of the given server (name, FQDN or GUID).", Complete: cmdlets.CompleteServers(d)}, "Server"),
			domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: "Get-ReceiveConnector", Remarks: "Lists every Receive connector: Identity, Bindings and Enabled."},
			{Code: `Get-ReceiveConnector "Default Frontend EX01" | Format-List`, Remarks: "Shows every property of the connector."},
			{Code: "Get-ReceiveConnector -Server EX01 | Format-Table Name,TransportRole,Bindings", Remarks: "Lists the connectors of server EX01 with their service."},
		},
	}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			rcs, err := r.findReceiveConnectors(tx, c.Value("Identity"), c.Has("Identity"), true)
			if err != nil {
				return err
			}
			if c.Has("Server") {
				srv, err := r.server(tx, c.String("Server"))
				if err != nil {
					return err
				}
				var keep []*state.ReceiveConnector
				for _, rc := range rcs {
					if strings.EqualFold(rc.Server, srv.Name) {
						keep = append(keep, rc)
					}
				}
				rcs = keep
			}
			for _, rc := range rcs {
				out = append(out, cmdlets.ToObject(receiveConnectorTypeNames, rc))
			}
			return nil
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	newParams := []*interp.ParamInfo{
		{Name: "Name", Kind: interp.KindString, Mandatory: true, Position: 0,
			Help: "Specifies the name of the connector (at most 64 characters, unique on the server)."},
		withSets(&interp.ParamInfo{Name: "Usage", Kind: interp.KindEnum, Position: -1, Values: receiveUsages,
			Help: "Specifies the template for the connector's permission groups and authentication mechanisms: Client, Custom, Internal, Internet or Partner."}, "UsageType"),
		withSets(named("Client", interp.KindSwitch, "Creates a connector for authenticated POP3 and IMAP4 clients: ExchangeUsers; Tls, BasicAuth, BasicAuthRequireTLS, Integrated; listens on 0.0.0.0:587."), "Client"),
		withSets(named("Custom", interp.KindSwitch, "Creates a connector with no permission groups and Tls authentication; Bindings and RemoteIPRanges are required."), "Custom"),
		withSets(named("Internal", interp.KindSwitch, "Creates a connector for other Exchange servers in the organisation: ExchangeServers and ExchangeLegacyServers; Tls, ExchangeServer; listens on 0.0.0.0:25."), "Internal"),
		withSets(named("Internet", interp.KindSwitch, "Creates a connector for anonymous mail from the Internet: AnonymousUsers; Tls; accepts every remote address."), "Internet"),
		withSets(named("Partner", interp.KindSwitch, "Creates a connector for partner domains: Partners; Tls."), "Partner"),
		{Name: "Server", Kind: interp.KindString, Position: -1, FromPipelineByPropertyName: true, Default: "the local server",
			Help: "Specifies the server the connector is created on.", Complete: cmdlets.CompleteServers(d)},
	}
	for _, p := range receiveConnectorProps {
		pi := p.param()
		switch p.name {
		case "Bindings":
			pi.Sets = []string{"Custom", "Internet", "Partner", "UsageType"}
		case "RemoteIPRanges":
			pi.Sets = []string{"Custom", "Partner", "Internal", "Client", "UsageType"}
		}
		newParams = append(newParams, pi)
	}
	newParams = append(newParams, domainControllerParam())
	newRC := &interp.CmdletInfo{
		Name:     "New-ReceiveConnector",
		Synopsis: "Creates a Receive connector on a Mailbox server.",
		Description: "New-ReceiveConnector creates a Receive connector. Use -Usage or one of the -Client, -Custom, -Internal, -Internet and -Partner switches to pick the " +
			"template that sets PermissionGroups and AuthMechanism. Without -TransportRole the connector belongs to the Transport service (HubTransport); connectors that " +
			"take mail from the network on port 25 belong to the Front End Transport service (FrontendTransport). Bindings and RemoteIPRanges can't conflict with other connectors on the server.",
		OutputType:            ReceiveConnectorType,
		DefaultParameterSet:   "UsageType",
		SupportsShouldProcess: true,
		Params:                newParams,
		Examples: []interp.Example{
			{Code: "New-ReceiveConnector -Name Relay -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.56 -TransportRole FrontendTransport",
				Remarks: "Creates a Front End connector on port 25 for one device at 127.0.0.56."},
			{Code: `New-ReceiveConnector -Name "Anonymous Relay" -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 192.168.5.10,192.168.5.11`,
				Remarks: "Creates the connector of Exchange's anonymous relay procedure."},
		},
	}
	newRC.Process = func(c *interp.Call) error { return report(c, newReceiveConnector(d, c)) }

	setParams := []*interp.ParamInfo{identityParam(idHelp, true, complete)}
	setParams = append(setParams, params(receiveConnectorProps)...)
	setParams = append(setParams, params(setOnlyReceiveProps)...)
	setParams = append(setParams, domainControllerParam())
	setRC := &interp.CmdletInfo{
		Name:     "Set-ReceiveConnector",
		Synopsis: "Changes a Receive connector.",
		Description: "Set-ReceiveConnector changes the properties of a Receive connector. Multivalued properties (Bindings, RemoteIPRanges, TlsDomainCapabilities) take a list " +
			"that replaces the value, or @{Add=...;Remove=...} to change it. The change is validated as a whole and takes effect in the running transport service.",
		SupportsShouldProcess: true,
		Params:                setParams,
		Examples: []interp.Example{
			{Code: `Set-ReceiveConnector Relay -RemoteIPRanges @{Add='10.0.0.0/24'}`, Remarks: "Adds a remote range to the Relay connector, keeping the others."},
			{Code: `Set-ReceiveConnector "Anonymous Relay" -PermissionGroups AnonymousUsers`, Remarks: "Lets anonymous senders use the connector."},
			{Code: `Set-ReceiveConnector -Identity "Internet Receive Connector" -Banner "220 SMTP OK" -ConnectionTimeout 00:15:00`, Remarks: "Sets a custom banner and a longer connection timeout."},
		},
	}
	setRC.Process = func(c *interp.Call) error { return report(c, setReceiveConnector(d, c)) }

	removeRC := &interp.CmdletInfo{
		Name:                  "Remove-ReceiveConnector",
		Synopsis:              "Removes a Receive connector.",
		Description:           "Remove-ReceiveConnector deletes a Receive connector and its explicit permissions. The transport service stops listening on its bindings.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                []*interp.ParamInfo{identityParam(idHelp, true, complete), domainControllerParam()},
		Examples: []interp.Example{
			{Code: `Remove-ReceiveConnector "EX01\Relay" -Confirm:$false`, Remarks: "Removes the Relay connector without asking."},
		},
	}
	removeRC.Process = func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			rc, err := r.receiveConnector(tx)
			if err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Removing Receive connector \"%s\".", rc.Identity)) {
				return errSkip
			}
			return tx.DeleteReceiveConnector(rc.Guid)
		}))
	}
	return []*interp.CmdletInfo{get, newRC, setRC, removeRC}
}

func withSets(p *interp.ParamInfo, sets ...string) *interp.ParamInfo {
	p.Sets = sets
	return p
}

// report writes an Exchange error record as a non-terminating error, as
// the Exchange Management Shell does (try/catch needs -ErrorAction Stop);
// any other error stops the pipeline.
func report(c *interp.Call, err error) error {
	if err == nil {
		return nil
	}
	if rec, ok := err.(*interp.ErrorRecord); ok {
		c.WriteError(rec)
		return nil
	}
	return err
}

// findReceiveConnectors resolves an identity argument (absent means all).
// With wildcards allowed, a pattern matching nothing gives an empty result
// and no error, as Get- cmdlets do.
func (r *run) findReceiveConnectors(tx state.Tx, arg any, given, wildcards bool) ([]*state.ReceiveConnector, error) {
	if !given || arg == nil {
		return tx.ReceiveConnectors()
	}
	if g := cmdlets.GuidOf(arg); g != "" {
		rc, err := tx.ReceiveConnector(g)
		if err == nil {
			return []*state.ReceiveConnector{rc}, nil
		}
	}
	text := cmdlets.IdentityText(arg)
	id := cmdlets.ParseServerScoped(text)
	if id.Guid != "" {
		rc, err := tx.ReceiveConnector(id.Guid)
		if err != nil {
			return nil, r.task.NotFound(text)
		}
		return []*state.ReceiveConnector{rc}, nil
	}
	if wildcards && (cmdlets.HasWildcard(id.Name) || cmdlets.HasWildcard(id.Server)) {
		all, err := tx.ReceiveConnectors()
		if err != nil {
			return nil, err
		}
		var out []*state.ReceiveConnector
		for _, rc := range all {
			if id.Server != "" && !cmdlets.MatchName(id.Server, rc.Server) {
				continue
			}
			if cmdlets.MatchName(id.Name, rc.Name) {
				out = append(out, rc)
			}
		}
		return out, nil
	}
	server := id.Server
	if server == "" {
		// A bare name is any value that identifies one connector in the
		// organisation (Exchange's ReceiveConnectorIdParameter): on a
		// single server this server's, in an organisation of several any
		// server's; two servers' connectors of that name are ambiguous.
		rc, err := tx.ReceiveConnectorByName(r.site.Server, id.Name)
		if err == nil && !r.severalServers(tx) {
			return []*state.ReceiveConnector{rc}, nil
		}
		all, err := tx.ReceiveConnectors()
		if err != nil {
			return nil, err
		}
		var out []*state.ReceiveConnector
		for _, rc := range all {
			if strings.EqualFold(rc.Name, id.Name) {
				out = append(out, rc)
			}
		}
		if len(out) == 0 {
			return nil, r.task.NotFound(text)
		}
		return out, nil
	}
	if srv, err := tx.Server(server); err == nil {
		server = srv.Name // "EX01.contoso.com\Relay" names EX01's connector
	}
	rc, err := tx.ReceiveConnectorByName(server, id.Name)
	if err != nil {
		return nil, r.task.NotFound(text)
	}
	return []*state.ReceiveConnector{rc}, nil
}

// severalServers reports whether the organisation has more than one server.
func (r *run) severalServers(tx state.Tx) bool {
	srvs, err := tx.Servers()
	return err == nil && len(srvs) > 1
}

// receiveConnector resolves -Identity to exactly one connector.
func (r *run) receiveConnector(tx state.Tx) (*state.ReceiveConnector, error) {
	return r.receiveConnectorArg(tx, r.c.Value("Identity"))
}

func (r *run) receiveConnectorArg(tx state.Tx, arg any) (*state.ReceiveConnector, error) {
	text := cmdlets.IdentityText(arg)
	rcs, err := r.findReceiveConnectors(tx, arg, true, true)
	if err != nil {
		return nil, err
	}
	return cmdlets.One(r.task, rcs, text)
}

// server resolves a -Server argument.
func (r *run) server(tx state.Tx, name string) (*state.ExchangeServer, error) {
	srv, err := tx.Server(strings.TrimSpace(name))
	if err != nil {
		return nil, r.task.NotFound(name)
	}
	return srv, nil
}

// setReceiveIdentity fills the naming properties from Name and Server.
func setReceiveIdentity(rc *state.ReceiveConnector, site cmdlets.Site) {
	rc.Identity = state.ReceiveConnectorIdentity(rc.Server, rc.Name)
	rc.Id = rc.Identity
	rc.DistinguishedName = state.ReceiveConnectorDN(rc.Name, rc.Server, site.OrgName, site.Domain)
	rc.ObjectCategory = state.ReceiveConnectorObjectCategory(site.Domain)
	rc.OriginatingServer = site.DomainController()
}

func (r *run) usage() (string, error) {
	var picked []string
	if r.c.Has("Usage") {
		picked = append(picked, canonical(r.c.String("Usage"), receiveUsages))
	}
	for _, u := range receiveUsages {
		if r.c.Bool(u) {
			picked = append(picked, u)
		}
	}
	if len(picked) != 1 {
		return "", interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind, "AmbiguousParameterSet,"+r.c.Info.Name, "",
			"Parameter set cannot be resolved using the specified named parameters. One or more parameters issued cannot be used together or an insufficient number of parameters were provided.")
	}
	return picked[0], nil
}

func canonical(s string, values []string) string {
	for _, v := range values {
		if strings.EqualFold(v, strings.TrimSpace(s)) {
			return v
		}
	}
	return s
}

func missingMandatory(c *interp.Call, names ...string) *interp.ErrorRecord {
	return interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind, "MissingMandatoryParameter,"+c.Info.Name, "",
		"Cannot process command because of one or more missing mandatory parameters: %s.", strings.Join(names, " "))
}

func newReceiveConnector(d *cmdlets.Deps, c *interp.Call) error {
	var out *object.PSObject
	err := update(d, c, func(r *run, tx state.Tx) error {
		out = nil
		name := strings.TrimSpace(c.String("Name"))
		if len(name) > 64 {
			return r.task.TooLong("Name", 64, len(name))
		}
		if name == "" {
			return r.task.ParameterValidation("Name", "The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
		}
		usage, err := r.usage()
		if err != nil {
			return err
		}
		rule, _ := setup.ReceiveConnectorUsageRule(usage)
		switch {
		case rule.Bindings == setup.NotAllowed && c.Has("Bindings"):
			return r.task.InvalidArgument("The Bindings parameter can't be used with the %s usage type. The connector listens on %s; change it later with Set-ReceiveConnector.", usage, map[string]string{"Client": "0.0.0.0:587", "Internal": "0.0.0.0:25"}[usage])
		case rule.RemoteIPRanges == setup.NotAllowed && c.Has("RemoteIPRanges"):
			return r.task.InvalidArgument("The RemoteIPRanges parameter can't be used with the %s usage type. The connector accepts connections from every remote address.", usage)
		case rule.Bindings == setup.Required && !c.Has("Bindings"):
			return missingMandatory(c, "Bindings")
		case rule.RemoteIPRanges == setup.Required && !c.Has("RemoteIPRanges"):
			return missingMandatory(c, "RemoteIPRanges")
		}
		serverName := r.site.Server
		if c.Has("Server") {
			serverName = c.String("Server")
		}
		srv, err := r.server(tx, serverName)
		if err != nil {
			return err
		}
		role := "HubTransport"
		if c.Has("TransportRole") {
			role = canonical(c.String("TransportRole"), transportRoles)
		}
		rc := setup.NewReceiveConnectorDefaults(usage, role, srv)
		rc.Name = name
		if err := r.checkAuthNone(); err != nil {
			return err
		}
		if err := r.apply(receiveConnectorProps, rc); err != nil {
			return err
		}
		setReceiveIdentity(rc, r.site)
		if _, err := tx.ReceiveConnectorByName(rc.Server, rc.Name); err == nil {
			return r.task.AlreadyExists(rc.DistinguishedName)
		}
		if err := r.validateReceiveConnector(tx, rc); err != nil {
			return err
		}
		if !cmdlets.ShouldProcess(c, fmt.Sprintf("Creating Receive connector \"%s\" on server \"%s\".", rc.Name, rc.Server)) {
			return errSkip
		}
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
		out = cmdlets.ToObject(receiveConnectorTypeNames, rc)
		return nil
	})
	if err != nil || out == nil {
		return err
	}
	return c.WriteObject(out)
}

func setReceiveConnector(d *cmdlets.Deps, c *interp.Call) error {
	var warn string
	err := update(d, c, func(r *run, tx state.Tx) error {
		warn = ""
		rc, err := r.receiveConnector(tx)
		if err != nil {
			return err
		}
		before := *rc
		if err := r.checkAuthNone(); err != nil {
			return err
		}
		if err := r.apply(receiveConnectorProps, rc); err != nil {
			return err
		}
		if err := r.apply(setOnlyReceiveProps, rc); err != nil {
			return err
		}
		if c.Has("Name") {
			rc.Name = strings.TrimSpace(rc.Name)
			if rc.Name == "" {
				return r.task.ParameterValidation("Name", "The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
			}
			setReceiveIdentity(rc, r.site)
			if other, err := tx.ReceiveConnectorByName(rc.Server, rc.Name); err == nil && other.Guid != rc.Guid {
				return r.task.AlreadyExists(rc.DistinguishedName)
			}
		}
		if !changed(before, *rc) {
			warn = cmdlets.NoChangeWarning(before.Identity)
			return errSkip
		}
		if err := r.validateReceiveConnector(tx, rc); err != nil {
			return err
		}
		if !cmdlets.ShouldProcess(c, fmt.Sprintf("Configuring Receive connector \"%s\".", before.Identity)) {
			return errSkip
		}
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
		if c.Has("PermissionGroups") || c.Has("AuthMechanism") {
			if err := r.normalizeACL(tx, rc); err != nil {
				return err
			}
		}
		if rc.Identity != before.Identity {
			perms, err := tx.ADPermissions(rc.Guid)
			if err != nil {
				return err
			}
			for _, p := range perms {
				p.Identity = rc.Identity
				if err := tx.PutADPermission(p); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if warn != "" {
		c.WriteWarning(warn)
	}
	return err
}

// checkAuthNone enforces rule 1 of exchange-receive.md §3: None is used
// alone. (Normalising the flags drops None, so the rule is checked on the
// argument as typed.)
func (r *run) checkAuthNone() error {
	if !r.c.Has("AuthMechanism") {
		return nil
	}
	var none, other bool
	for _, v := range cmdlets.ValueStrings(r.c.Value("AuthMechanism")) {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			switch {
			case part == "":
			case strings.EqualFold(part, "None"):
				none = true
			default:
				other = true
			}
		}
	}
	if none && other {
		return r.task.Invalid("The authentication mechanism None can't be combined with other authentication mechanisms.")
	}
	return nil
}

// validateReceiveConnector checks a connector as it is about to be
// written: Exchange's rules on one connector (exchange-receive.md §3) and
// its Bindings and RemoteIPRanges against the server's other connectors
// (§5.2). The role-conflict text is Exchange's as observed; Microsoft
// documents the other rules but not their messages, so those are phrased
// the way Exchange words its DataValidationExceptions.
func (r *run) validateReceiveConnector(tx state.Tx, rc *state.ReceiveConnector) error {
	t := r.task
	am := rc.AuthMechanism
	switch {
	case r.c.Has("PermissionGroups") && rc.PermissionGroups.Has("Custom"):
		return t.Invalid("The permission group Custom can't be set. It is shown when permissions were changed with Add-ADPermission or Remove-ADPermission.")
	case am.Has("BasicAuthRequireTLS") && !(am.Has("BasicAuth") && am.Has("Tls")):
		return t.Invalid("The authentication mechanism BasicAuthRequireTLS requires both BasicAuth and Tls.")
	case am.Has("ExternalAuthoritative") && len(am) > 2, am.Has("ExternalAuthoritative") && len(am) == 2 && !am.Has("Tls"):
		return t.Invalid("The authentication mechanism ExternalAuthoritative can be combined only with Tls.")
	case am.Has("ExternalAuthoritative") && !rc.PermissionGroups.Has("ExchangeServers") && (r.c.Has("AuthMechanism") || r.c.Has("PermissionGroups")):
		// Checked when either is set: after Remove-ADPermission has turned
		// the groups into explicit entries (Custom), the grant lives on.
		return t.Invalid("The authentication mechanism ExternalAuthoritative requires the permission group ExchangeServers.")
	case rc.RequireTLS && !am.Has("Tls"):
		return t.Invalid("RequireTLS can be $true only when AuthMechanism includes Tls.")
	case rc.DomainSecureEnabled && (!am.Has("Tls") || am.Has("ExternalAuthoritative")):
		return t.Invalid("DomainSecureEnabled can be $true only when AuthMechanism includes Tls and doesn't include ExternalAuthoritative.")
	case rc.BinaryMimeEnabled && !rc.ChunkingEnabled:
		return t.Invalid("BinaryMimeEnabled can be $true only when ChunkingEnabled is $true.")
	case rc.ConnectionInactivityTimeout >= rc.ConnectionTimeout:
		return t.Invalid("The value of ConnectionInactivityTimeout (%s) must be less than the value of ConnectionTimeout (%s).",
			object.FormatTimeSpan(rc.ConnectionInactivityTimeout), object.FormatTimeSpan(rc.ConnectionTimeout))
	case rc.Banner != "" && !strings.HasPrefix(rc.Banner, "220"):
		return t.Invalid("The banner \"%s\" isn't valid. A custom banner must start with 220.", rc.Banner)
	case len(rc.Bindings) == 0:
		return t.Invalid("The Bindings property can't be empty. A Receive connector must listen on at least one local IP address and port.")
	case len(rc.RemoteIPRanges) == 0:
		return t.Invalid("The RemoteIPRanges property can't be empty. A Receive connector must accept connections from at least one remote IP address.")
	}
	if rc.TlsCertificateName != "" && !tlsCertNameRE.MatchString(rc.TlsCertificateName) {
		return t.Invalid("The value \"%s\" of property TlsCertificateName isn't valid. Use the form \"<I>issuer<S>subject\", for example \"<I>CN=EX01<S>CN=EX01\".", rc.TlsCertificateName)
	}
	if rc.DefaultDomain != "" {
		if _, err := tx.AcceptedDomainByName(rc.DefaultDomain); err != nil {
			return t.NotFound(rc.DefaultDomain)
		}
	}
	if rc.Fqdn != "" {
		if _, err := state.ValidateDomainName(rc.Fqdn); err != nil || strings.HasPrefix(rc.Fqdn, "*") {
			return t.Invalid("The value \"%s\" of property Fqdn isn't a valid fully qualified domain name.", rc.Fqdn)
		}
	}
	ranges, err := state.ParseIPRanges(rc.RemoteIPRanges)
	if err != nil {
		return t.Invalid("%v", err)
	}
	for i := range ranges {
		for j := i + 1; j < len(ranges); j++ {
			if ranges[i].PartiallyOverlaps(ranges[j]) {
				return t.Invalid("The remote IP ranges %s and %s of the connector overlap. Overlapping ranges are allowed only when one contains the other.", ranges[i], ranges[j])
			}
		}
	}
	all, err := tx.ReceiveConnectors()
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Guid == rc.Guid || !strings.EqualFold(o.Server, rc.Server) {
			continue
		}
		if conflict := receiveConflict(rc, ranges, o); conflict != "" {
			return t.InvalidOperation(conflict, "The values that you specified for the Bindings and RemoteIPRanges parameters conflict with the settings on Receive connector \"%s\". %s",
				o.Identity, conflictDetail(conflict))
		}
	}
	return nil
}

var tlsCertNameRE = regexp.MustCompile(`^<I>.+<S>.+$`)

const (
	roleConflict  = "ReceiveConnectorRoleConflictException"
	rangeConflict = "ReceiveConnectorBindingConflictException"
)

func conflictDetail(kind string) string {
	if kind == roleConflict {
		return "Receive connectors assigned to different Transport roles on a single server must listen on unique local IP address & port bindings."
	}
	return "Receive connectors on the same server that listen on the same local IP address & port bindings must have unique remote IP address ranges; overlapping ranges are allowed only when one range contains the other."
}

// receiveConflict reports how connector rc (with parsed ranges) conflicts
// with o, or "" when they can coexist. Connectors of different roles may
// not share a local IP:port (a wildcard address covers every address of
// its family). Connectors of one role on the same IP:port must differ in
// their remote ranges, and overlap only by containment.
func receiveConflict(rc *state.ReceiveConnector, ranges []state.IPRange, o *state.ReceiveConnector) string {
	oranges, _ := state.ParseIPRanges(o.RemoteIPRanges)
	for _, b := range rc.Bindings {
		ab, err := state.ParseBinding(b)
		if err != nil {
			continue
		}
		for _, ob := range o.Bindings {
			bb, err := state.ParseBinding(ob)
			if err != nil || !state.BindingsOverlap(ab, bb) {
				continue
			}
			if !strings.EqualFold(rc.TransportRole, o.TransportRole) {
				return roleConflict
			}
			if ab != bb {
				continue // a specific address beats the wildcard
			}
			for _, x := range ranges {
				for _, y := range oranges {
					if x.Equal(y) || x.PartiallyOverlaps(y) {
						return rangeConflict
					}
				}
			}
		}
	}
	return ""
}
