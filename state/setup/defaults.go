package setup

import (
	"errors"
	"path/filepath"
	"strings"
	"time"

	"exsh/state"
)

// Sizes and times that recur in the defaults.
const (
	maxMessageSize36MB = state.ByteSize(36 << 20)  // 36 MB (37,748,736 bytes)
	maxMessageSize35MB = state.ByteSize(35 << 20)  // 35 MB (36,700,160 bytes)
	maxHeaderSize256KB = state.ByteSize(256 << 10) // 256 KB (262,144 bytes)
	logMaxDirectory    = state.ByteSize(250 << 20) // 250 MB (262,144,000 bytes)
	logMaxFile         = state.ByteSize(10 << 20)  // 10 MB (10,485,760 bytes)
	trackingMaxDir     = state.ByteSize(1000 << 20)
	day                = 24 * time.Hour
)

// The five default receive connector roles, in the order setup creates
// them (and Get-ReceiveConnector lists them).
const (
	ConnectorDefault                = "Default"                 // "Default EX01", HubTransport, 2525
	ConnectorClientProxy            = "Client Proxy"            // HubTransport, 465
	ConnectorDefaultFrontend        = "Default Frontend"        // FrontendTransport, 25
	ConnectorOutboundProxyFrontend  = "Outbound Proxy Frontend" // FrontendTransport, 717
	ConnectorClientFrontend         = "Client Frontend"         // FrontendTransport, 587
	allIPv6Range                    = "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
	allIPv4Range                    = "0.0.0.0-255.255.255.255"
	defaultAuthMechanismWithServers = "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"
)

// DefaultConnectorRoles lists the five default receive connectors' role
// names in creation order; the connector name is "<role> <SERVER>".
var DefaultConnectorRoles = []string{
	ConnectorDefault, ConnectorClientProxy, ConnectorDefaultFrontend,
	ConnectorOutboundProxyFrontend, ConnectorClientFrontend,
}

// ReceiveConnectorUsages are New-ReceiveConnector's -Usage values.
var ReceiveConnectorUsages = []string{"Client", "Custom", "Internal", "Internet", "Partner"}

// Requirement says whether New-ReceiveConnector needs, allows or refuses a
// parameter under a usage.
type Requirement int

const (
	Optional Requirement = iota
	Required
	NotAllowed
)

// UsageRule is what a -Usage template demands of -Bindings and
// -RemoteIPRanges.
type UsageRule struct {
	Bindings       Requirement
	RemoteIPRanges Requirement
}

// ReceiveConnectorUsageRule returns the rule for a usage (case-insensitive)
// and false for an unknown usage.
func ReceiveConnectorUsageRule(usage string) (UsageRule, bool) {
	switch strings.ToLower(usage) {
	case "client":
		return UsageRule{Bindings: NotAllowed, RemoteIPRanges: Required}, true
	case "custom":
		return UsageRule{Bindings: Required, RemoteIPRanges: Required}, true
	case "internal":
		return UsageRule{Bindings: NotAllowed, RemoteIPRanges: Required}, true
	case "internet":
		return UsageRule{Bindings: Required, RemoteIPRanges: NotAllowed}, true
	case "partner":
		return UsageRule{Bindings: Required, RemoteIPRanges: Required}, true
	}
	return UsageRule{}, false
}

func flags(s string) state.Flags {
	if s == "" {
		return nil
	}
	return state.Flags(strings.Split(s, ", "))
}

// baseReceiveConnector holds New-ReceiveConnector's parameter defaults on a
// Mailbox server.
func baseReceiveConnector(role string, server *state.ExchangeServer) *state.ReceiveConnector {
	if role == "" {
		role = "HubTransport"
	}
	return &state.ReceiveConnector{
		AuthMechanism:                           flags("Tls"),
		BinaryMimeEnabled:                       true,
		ChunkingEnabled:                         true,
		DeliveryStatusNotificationEnabled:       true,
		EightBitMimeEnabled:                     true,
		SmtpUtf8Enabled:                         true,
		EnhancedStatusCodesEnabled:              true,
		Fqdn:                                    server.Fqdn,
		Enabled:                                 true,
		ConnectionTimeout:                       10 * time.Minute,
		ConnectionInactivityTimeout:             5 * time.Minute,
		MessageRateLimit:                        state.Unlimited,
		MessageRateSource:                       "IPAddress",
		MaxInboundConnection:                    5000,
		MaxInboundConnectionPerSource:           20,
		MaxInboundConnectionPercentagePerSource: 2,
		MaxHeaderSize:                           maxHeaderSize256KB,
		MaxHopCount:                             30,
		MaxLocalHopCount:                        8,
		MaxLogonFailures:                        3,
		MaxMessageSize:                          maxMessageSize36MB,
		MaxProtocolErrors:                       5,
		MaxRecipientsPerMessage:                 200,
		PipeliningEnabled:                       true,
		ProtocolLoggingLevel:                    "None",
		ExtendedProtectionPolicy:                "None",
		TlsDomainCapabilities:                   []string{},
		Server:                                  server.Name,
		TransportRole:                           role,
		SizeEnabled:                             "Enabled",
		TarpitInterval:                          5 * time.Second,
		AuthTarpitInterval:                      5 * time.Second,
		MaxAcknowledgementDelay:                 30 * time.Second,
		ExchangeVersion:                         state.ExchangeVersionConnector,
		ObjectClass:                             state.ReceiveConnectorObjectClass(),
		IsValid:                                 true,
		ObjectState:                             "Unchanged",
	}
}

// NewReceiveConnectorDefaults returns a connector filled with
// New-ReceiveConnector's defaults for a -Usage template (Client, Custom,
// Internal, Internet, Partner; case-insensitive) on server, in transport
// role role ("FrontendTransport" or "HubTransport"; empty means
// HubTransport, the Mailbox server default). The caller sets Name and
// applies the -Bindings and -RemoteIPRanges rules of
// ReceiveConnectorUsageRule. It returns nil for an unknown usage.
func NewReceiveConnectorDefaults(usage, role string, server *state.ExchangeServer) *state.ReceiveConnector {
	rc := baseReceiveConnector(role, server)
	switch strings.ToLower(usage) {
	case "client":
		rc.PermissionGroups = flags("ExchangeUsers")
		rc.AuthMechanism = flags("Tls, Integrated, BasicAuth, BasicAuthRequireTLS")
		rc.Bindings = []string{"0.0.0.0:587"}
	case "custom":
		rc.PermissionGroups = nil
		rc.AuthMechanism = flags("Tls")
	case "internal":
		rc.PermissionGroups = flags("ExchangeServers, ExchangeLegacyServers")
		rc.AuthMechanism = flags("Tls, ExchangeServer")
		rc.Bindings = []string{"0.0.0.0:25"}
	case "internet":
		rc.PermissionGroups = flags("AnonymousUsers")
		rc.AuthMechanism = flags("Tls")
		rc.RemoteIPRanges = []string{allIPv4Range}
	case "partner":
		rc.PermissionGroups = flags("Partners")
		rc.AuthMechanism = flags("Tls")
	default:
		return nil
	}
	return rc
}

// DefaultReceiveConnectors returns the five receive connectors a Mailbox
// server gets at install, with Exchange 2019's values, in creation order.
// tlsCertificateName is the Default Frontend connector's
// TlsCertificateName ("<I>CN=EX01<S>CN=EX01"); the others have none.
//
// One deliberate difference: EnableAuthGSSAPI is False on Client Proxy and
// Client Frontend (True on Exchange), because exsh offers no GSSAPI.
func DefaultReceiveConnectors(server *state.ExchangeServer, tlsCertificateName string) []*state.ReceiveConnector {
	var out []*state.ReceiveConnector
	for _, role := range DefaultConnectorRoles {
		out = append(out, defaultReceiveConnector(role, server, tlsCertificateName))
	}
	return out
}

func defaultReceiveConnector(which string, server *state.ExchangeServer, tlsCertificateName string) *state.ReceiveConnector {
	rc := baseReceiveConnector("", server)
	rc.Name = which + " " + server.Name
	rc.AuthMechanism = flags(defaultAuthMechanismWithServers)
	rc.RemoteIPRanges = []string{allIPv6Range, allIPv4Range}
	rc.MaxHopCount = 60
	rc.MaxLocalHopCount = 5
	switch which {
	case ConnectorDefault:
		rc.TransportRole = "HubTransport"
		rc.Bindings = []string{"0.0.0.0:2525", "[::]:2525"}
		rc.PermissionGroups = flags("ExchangeUsers, ExchangeServers, ExchangeLegacyServers")
		rc.MaxInboundConnectionPerSource = state.Unlimited
		rc.MaxInboundConnectionPercentagePerSource = 100
		rc.MaxRecipientsPerMessage = 5000
		rc.SizeEnabled = "EnabledWithoutValue"
	case ConnectorClientProxy:
		rc.TransportRole = "HubTransport"
		rc.Bindings = []string{"[::]:465", "0.0.0.0:465"}
		rc.PermissionGroups = flags("ExchangeUsers, ExchangeServers")
		rc.MessageRateLimit = 5
		rc.MessageRateSource = "User"
	case ConnectorDefaultFrontend:
		rc.TransportRole = "FrontendTransport"
		rc.Bindings = []string{"[::]:25", "0.0.0.0:25"}
		rc.PermissionGroups = flags("AnonymousUsers, ExchangeServers, ExchangeLegacyServers")
		rc.ProtocolLoggingLevel = "Verbose"
		rc.DomainSecureEnabled = true
		rc.TlsCertificateName = tlsCertificateName
	case ConnectorOutboundProxyFrontend:
		rc.TransportRole = "FrontendTransport"
		rc.Bindings = []string{"[::]:717", "0.0.0.0:717"}
		rc.PermissionGroups = flags("ExchangeServers")
		rc.ProtocolLoggingLevel = "Verbose"
		rc.DomainSecureEnabled = true
		rc.TarpitInterval = 0
	case ConnectorClientFrontend:
		rc.TransportRole = "FrontendTransport"
		rc.Bindings = []string{"[::]:587", "0.0.0.0:587"}
		rc.PermissionGroups = flags("ExchangeUsers")
		rc.AuthMechanism = flags("Tls, Integrated, BasicAuth, BasicAuthRequireTLS")
		rc.MessageRateLimit = 5
		rc.MessageRateSource = "User"
	}
	return rc
}

// NewSendConnectorDefaults returns a send connector filled with
// New-SendConnector's defaults for a -Usage (Custom, Internal, Internet,
// Partner; empty means Custom; case-insensitive): DNS routing, port 25,
// enabled, MaxMessageSize 35 MB (Unlimited for Internal). The caller sets
// Name, AddressSpaces and SourceTransportServers. It returns nil for an
// unknown usage.
func NewSendConnectorDefaults(usage string) *state.SendConnector {
	sc := &state.SendConnector{
		ConnectionInactivityTimeOut:  10 * time.Minute,
		DNSRoutingEnabled:            true,
		Enabled:                      true,
		ErrorPolicies:                "Default",
		IsSmtpConnector:              true,
		MaxMessageSize:               maxMessageSize35MB,
		Port:                         25,
		ProtocolLoggingLevel:         "None",
		SmartHostAuthMechanism:       "None",
		SmartHosts:                   []string{},
		SmtpMaxMessagesPerConnection: 20,
		AddressSpaces:                []string{},
		ConnectedDomains:             []string{},
		SourceTransportServers:       []string{},
	}
	switch strings.ToLower(usage) {
	case "", "custom":
		sc.Usage = "Custom"
	case "internal":
		sc.Usage = "Internal"
		sc.MaxMessageSize = state.Unlimited
	case "internet":
		sc.Usage = "Internet"
	case "partner":
		sc.Usage = "Partner"
	default:
		return nil
	}
	return sc
}

// TransportServiceKinds are the services every Mailbox server runs, each
// with its own settings record.
var TransportServiceKinds = []string{"Hub", "FrontEnd", "Mailbox"}

// AddTransportServices stores a server's own Transport, Front End
// Transport and Mailbox Transport settings (TransportServiceDefaults, logs
// under its dataPath), leaving the ones the server already has as they
// are.
func AddTransportServices(tx state.Tx, serverName, dataPath string) error {
	for _, kind := range TransportServiceKinds {
		if _, err := tx.TransportService(serverName, kind); err == nil {
			continue
		} else if !errors.Is(err, state.ErrNotFound) {
			return err
		}
		if err := tx.PutTransportService(TransportServiceDefaults(kind, serverName, dataPath)); err != nil {
			return err
		}
	}
	return nil
}

// TransportServiceDefaults returns the Transport service ("Hub"), Front
// End Transport ("FrontEnd") or Mailbox Transport ("Mailbox") settings of
// a new Mailbox server (Server serverName), with its logs under
// dataPath/TransportRoles/Logs/<Hub|FrontEnd|Mailbox>/... as Exchange
// lays them out under %ExchangeInstallPath%. It returns nil for another
// kind.
func TransportServiceDefaults(kind, serverName, dataPath string) *state.TransportService {
	logs := func(parts ...string) string {
		return filepath.Join(append([]string{dataPath, "TransportRoles", "Logs"}, parts...)...)
	}
	ts := &state.TransportService{
		Name:                                   serverName,
		Server:                                 serverName,
		Identity:                               serverName,
		TransientFailureRetryCount:             6,
		TransientFailureRetryInterval:          5 * time.Minute,
		MaxConnectionRatePerMinute:             1200,
		ReceiveProtocolLogMaxAge:               30 * day,
		ReceiveProtocolLogMaxDirectorySize:     logMaxDirectory,
		ReceiveProtocolLogMaxFileSize:          logMaxFile,
		SendProtocolLogMaxAge:                  30 * day,
		SendProtocolLogMaxDirectorySize:        logMaxDirectory,
		SendProtocolLogMaxFileSize:             logMaxFile,
		ConnectivityLogEnabled:                 true,
		IntraOrgConnectorProtocolLoggingLevel:  "None",
		OutboundConnectionFailureRetryInterval: 10 * time.Minute,
	}
	switch kind {
	case "Hub":
		ts.Kind = "Hub"
		ts.MessageRetryInterval = 15 * time.Minute
		ts.MessageExpirationTimeout = 2 * day
		ts.DelayNotificationTimeout = 4 * time.Hour
		ts.MaxOutboundConnections = 1000
		ts.MaxPerDomainOutboundConnections = 40
		ts.MaxConcurrentMailboxDeliveries = 20
		ts.MaxConcurrentMailboxSubmissions = 20
		ts.PoisonThreshold = 2
		ts.PoisonMessageDetectionEnabled = true
		ts.QueueMaxIdleTime = 3 * time.Minute
		ts.IntraOrgConnectorSmtpMaxMessagesPerConnection = 20
		ts.ReceiveProtocolLogPath = logs("Hub", "ProtocolLog", "SmtpReceive")
		ts.SendProtocolLogPath = logs("Hub", "ProtocolLog", "SmtpSend")
		ts.MessageTrackingLogEnabled = true
		ts.MessageTrackingLogPath = logs("MessageTracking")
		ts.MessageTrackingLogMaxAge = 30 * day
		ts.MessageTrackingLogMaxDirectorySize = trackingMaxDir
		ts.MessageTrackingLogMaxFileSize = logMaxFile
		ts.MessageTrackingLogSubjectLoggingEnabled = true
	case "FrontEnd":
		ts.Kind = "FrontEnd"
		ts.IntraOrgConnectorProtocolLoggingLevel = "Verbose"
		ts.MaxOutboundConnections = 1000
		ts.MaxPerDomainOutboundConnections = 40
		ts.ReceiveProtocolLogPath = logs("FrontEnd", "ProtocolLog", "SmtpReceive")
		ts.SendProtocolLogPath = logs("FrontEnd", "ProtocolLog", "SmtpSend")
	case "Mailbox":
		ts.Kind = "Mailbox"
		ts.MaxConcurrentMailboxDeliveries = 20
		ts.MaxConcurrentMailboxSubmissions = 20
		ts.ReceiveProtocolLogPath = logs("Mailbox", "ProtocolLog", "SmtpReceive")
		ts.SendProtocolLogPath = logs("Mailbox", "ProtocolLog", "SmtpSend")
		ts.ConnectivityLogPath = logs("Mailbox", "Connectivity")
		ts.ConnectivityLogMaxAge = 30 * day
		ts.ConnectivityLogMaxDirectorySize = trackingMaxDir
		ts.ConnectivityLogMaxFileSize = logMaxFile
		ts.MailboxDeliveryAgentLogEnabled = true
		ts.MailboxDeliveryAgentLogPath = logs("Mailbox", "AgentLog", "Delivery")
		ts.MailboxDeliveryAgentLogMaxAge = 7 * day
		ts.MailboxDeliveryAgentLogMaxDirectorySize = logMaxDirectory
		ts.MailboxDeliveryAgentLogMaxFileSize = logMaxFile
		ts.MailboxSubmissionAgentLogEnabled = true
		ts.MailboxSubmissionAgentLogPath = logs("Mailbox", "AgentLog", "Submission")
		ts.MailboxSubmissionAgentLogMaxAge = 7 * day
		ts.MailboxSubmissionAgentLogMaxDirectorySize = logMaxDirectory
		ts.MailboxSubmissionAgentLogMaxFileSize = logMaxFile
	default:
		return nil
	}
	return ts
}
