package state

import "time"

// The organisation's objects. Field names are Exchange's property names and
// field order is the order Format-List shows them in, so the shell can turn a
// record into an object by reflection. Fields tagged `exsh:"-"` are internal
// and never shown.

// ExchangeServer is a server of the organisation (Get-ExchangeServer).
type ExchangeServer struct {
	Name                      string
	Fqdn                      string
	Domain                    string
	Site                      string
	ServerRole                string // "Mailbox"
	Edition                   string // "StandardEvaluation"
	AdminDisplayVersion       string // "Version 15.2 (Build 1118.7)"
	IsHubTransportServer      bool
	IsMailboxServer           bool
	IsEdgeServer              bool
	IsFrontendTransportServer bool
	OrganizationName          string `exsh:"-"`
	// IPAddress is the server's own address (exsh -IPAddress) in an
	// organisation of several servers, where every listener of the server
	// binds it; empty on a single server. PortOffset is that server's
	// -PortOffset. Other servers reach its connectors there.
	IPAddress         string `exsh:"-"`
	PortOffset        int    `exsh:"-"`
	DistinguishedName string
	Identity          string
	Guid              string
	WhenChanged       time.Time
	WhenCreated       time.Time
}

// ReceiveConnector is an SMTP receive connector (Get-ReceiveConnector).
type ReceiveConnector struct {
	AuthMechanism                             Flags
	Banner                                    string
	BinaryMimeEnabled                         bool
	Bindings                                  []string // "0.0.0.0:25", "[::]:25"
	ChunkingEnabled                           bool
	DefaultDomain                             string
	DeliveryStatusNotificationEnabled         bool
	EightBitMimeEnabled                       bool
	SmtpUtf8Enabled                           bool
	BareLinefeedRejectionEnabled              bool
	DomainSecureEnabled                       bool
	EnhancedStatusCodesEnabled                bool
	LongAddressesEnabled                      bool
	OrarEnabled                               bool
	SuppressXAnonymousTls                     bool
	ProxyEnabled                              bool
	AdvertiseClientSettings                   bool
	Fqdn                                      string
	ServiceDiscoveryFqdn                      string
	TlsCertificateName                        string
	Comment                                   string
	Enabled                                   bool
	ConnectionTimeout                         time.Duration
	ConnectionInactivityTimeout               time.Duration
	MessageRateLimit                          Limit
	MessageRateSource                         string // "IPAddress", "User", "All", "None"
	MaxInboundConnection                      Limit
	MaxInboundConnectionPerSource             Limit
	MaxInboundConnectionPercentagePerSource   int
	MaxHeaderSize                             ByteSize
	MaxHopCount                               int
	MaxLocalHopCount                          int
	MaxLogonFailures                          int
	MaxMessageSize                            ByteSize
	MaxProtocolErrors                         Limit
	MaxRecipientsPerMessage                   int
	PermissionGroups                          Flags
	PipeliningEnabled                         bool
	ProtocolLoggingLevel                      string   // "None", "Verbose"
	RemoteIPRanges                            []string // "0.0.0.0-255.255.255.255", "10.0.0.0/24", "192.168.1.5"
	RequireEHLODomain                         bool
	RequireTLS                                bool
	EnableAuthGSSAPI                          bool
	ExtendedProtectionPolicy                  string
	LiveCredentialEnabled                     bool
	TlsDomainCapabilities                     []string
	Server                                    string
	TransportRole                             string // "HubTransport", "FrontendTransport"
	RejectReservedTopLevelRecipientDomains    bool
	RejectReservedSecondLevelRecipientDomains bool
	RejectSingleLabelRecipientDomains         bool
	AcceptConsumerMail                        bool
	SizeEnabled                               string // "Enabled", "Disabled", "EnabledWithoutValue"
	TarpitInterval                            time.Duration
	AuthTarpitInterval                        time.Duration
	MaxAcknowledgementDelay                   time.Duration
	AdminDisplayName                          string
	ExchangeVersion                           string
	Name                                      string
	DistinguishedName                         string
	Identity                                  string // "EX01\Default Frontend EX01"
	Guid                                      string
	ObjectCategory                            string
	ObjectClass                               []string
	WhenChanged                               time.Time
	WhenCreated                               time.Time
	WhenChangedUTC                            time.Time
	WhenCreatedUTC                            time.Time
	OrganizationId                            string
	Id                                        string
	OriginatingServer                         string
	IsValid                                   bool
	ObjectState                               string
}

// SendConnector is an SMTP send connector (Get-SendConnector). Its Identity
// is its name: send connectors are organisation-wide.
type SendConnector struct {
	AddressSpaces                []string // "SMTP:*;1"
	AuthenticationCredential     string   `exsh:"-"` // user name; secret kept apart
	CloudServicesMailEnabled     bool
	Comment                      string
	ConnectedDomains             []string
	ConnectionInactivityTimeOut  time.Duration
	DNSRoutingEnabled            bool
	DomainSecureEnabled          bool
	Enabled                      bool
	ErrorPolicies                string
	ForceHELO                    bool
	FrontendProxyEnabled         bool
	Fqdn                         string
	IgnoreSTARTTLS               bool
	IsScopedConnector            bool
	IsSmtpConnector              bool
	MaxMessageSize               ByteSize
	Name                         string
	Port                         int
	ProtocolLoggingLevel         string
	RequireOorg                  bool
	RequireTLS                   bool
	SmartHostAuthMechanism       string
	SmartHosts                   []string
	SmartHostsString             string
	SmtpMaxMessagesPerConnection int
	SourceIPAddress              string
	SourceTransportServers       []string
	TlsAuthLevel                 string
	TlsDomain                    string
	UseExternalDNSServersEnabled bool
	Usage                        string `exsh:"-"`
	AuthUser                     string `exsh:"-"`
	AuthPassword                 string `exsh:"-"` // needed in clear to AUTH to the smart host
	DistinguishedName            string
	Identity                     string
	Guid                         string
	WhenChanged                  time.Time
	WhenCreated                  time.Time
}

// SmartHostUser is the user name the connector logs on to its smart hosts
// with: AuthUser, else the credential's user name.
func (c *SendConnector) SmartHostUser() string {
	if c.AuthUser != "" {
		return c.AuthUser
	}
	return c.AuthenticationCredential
}

// AcceptedDomain is a domain the organisation accepts mail for.
type AcceptedDomain struct {
	DomainName         string // "contoso.com" or "*.contoso.com"
	DomainType         string // "Authoritative", "InternalRelay", "ExternalRelay"
	Default            bool
	AddressBookEnabled bool
	MatchSubDomains    bool
	Name               string
	DistinguishedName  string
	Identity           string
	Guid               string
	WhenChanged        time.Time
	WhenCreated        time.Time
}

// Recipient is a user account, with or without a mailbox. RecipientType is
// "UserMailbox" for a mailbox and "User" for an account without one.
type Recipient struct {
	Name                 string
	Alias                string
	DisplayName          string
	FirstName            string
	LastName             string
	UserPrincipalName    string
	SamAccountName       string
	PrimarySmtpAddress   string
	EmailAddresses       []string // "SMTP:primary@contoso.com", "smtp:other@contoso.com"
	RecipientType        string
	RecipientTypeDetails string
	Database             string
	ServerName           string
	ProhibitSendQuota    string
	// MaxSendSize and MaxReceiveSize are a mailbox's own message size
	// limits ("25 MB (26,214,400 bytes)"); "" or "Unlimited" leaves the
	// organisation's limit in force.
	MaxSendSize        string
	MaxReceiveSize     string
	OrganizationalUnit string
	PasswordHash       string `exsh:"-"` // bcrypt; never the password
	// ExternalEmailAddress is a mail contact's target address
	// ("SMTP:chris@fabrikam.com"); mail to the contact goes there.
	ExternalEmailAddress string `exsh:"-"`
	// Members are a distribution group's members (recipient Guids).
	Members []string `exsh:"-"`
	// ManagedBy are a group's owners (recipient Guids).
	ManagedBy []string `exsh:"-"`
	// RequireSenderAuthenticationEnabled refuses mail from senders that
	// did not authenticate (a group's default).
	RequireSenderAuthenticationEnabled bool `exsh:"-"`
	// SendAs are the accounts (recipient Guids) granted the Send As
	// extended right on this recipient (Add-ADPermission).
	SendAs []string `exsh:"-"`
	// Permissions are the mailbox's explicit permission entries
	// (Add-MailboxPermission).
	Permissions       []MailboxPermission `exsh:"-"`
	RoleGroups        []string            `exsh:"-"` // management role groups it is a member of (Add-RoleGroupMember)
	DistinguishedName string
	Identity          string
	Guid              string
	WhenChanged       time.Time
	WhenCreated       time.Time
}

// HasMailbox reports whether the recipient is a mailbox.
func (r *Recipient) HasMailbox() bool { return r.RecipientType == "UserMailbox" }

// IsGroup reports whether the recipient is a distribution group.
func (r *Recipient) IsGroup() bool {
	return r.RecipientType == "MailUniversalDistributionGroup" || r.RecipientType == "MailUniversalSecurityGroup"
}

// IsContact reports whether the recipient is a mail contact.
func (r *Recipient) IsContact() bool { return r.RecipientType == "MailContact" }

// MailboxPermission is one explicit entry on a mailbox's permissions
// (Get-MailboxPermission): a user (recipient Guid) and its rights
// ("FullAccess", "ReadPermission", ...).
type MailboxPermission struct {
	User            string // the trustee's Guid
	AccessRights    []string
	Deny            bool
	InheritanceType string // "All"
}

// TransportConfig is the organisation's transport settings
// (Get-TransportConfig). Sizes below zero are Unlimited.
type TransportConfig struct {
	AddressBookPolicyRoutingEnabled                       bool
	AgentGeneratedMessageLoopDetectionInSmtpEnabled       bool
	AgentGeneratedMessageLoopDetectionInSubmissionEnabled bool
	ClearCategories                                       bool
	ConvertDisclaimerWrapperToEml                         bool
	DSNConversionMode                                     string
	ExternalDelayDsnEnabled                               bool
	ExternalDsnDefaultLanguage                            string
	ExternalDsnLanguageDetectionEnabled                   bool
	ExternalDsnMaxMessageAttachSize                       ByteSize
	ExternalDsnReportingAuthority                         string
	ExternalDsnSendHtml                                   bool
	ExternalPostmasterAddress                             string
	GenerateCopyOfDSNFor                                  []string
	HeaderPromotionModeSetting                            string
	HygieneSuite                                          string
	InternalDelayDsnEnabled                               bool
	InternalDsnDefaultLanguage                            string
	InternalDsnLanguageDetectionEnabled                   bool
	InternalDsnMaxMessageAttachSize                       ByteSize
	InternalDsnReportingAuthority                         string
	InternalDsnSendHtml                                   bool
	InternalSMTPServers                                   []string
	JournalArchivingEnabled                               bool
	JournalingReportNdrTo                                 string
	LegacyJournalingMigrationEnabled                      bool
	MaxAllowedAgentGeneratedMessageDepth                  int
	MaxAllowedAgentGeneratedMessageDepthPerAgent          int
	MaxDumpsterSizePerDatabase                            ByteSize
	MaxDumpsterTime                                       time.Duration
	MaxReceiveSize                                        ByteSize
	MaxRecipientEnvelopeLimit                             Limit
	MaxRetriesForLocalSiteShadow                          int
	MaxRetriesForRemoteSiteShadow                         int
	MaxSendSize                                           ByteSize
	OpenDomainRoutingEnabled                              bool
	RejectMessageOnShadowFailure                          bool
	Rfc2231EncodingEnabled                                bool
	SafetyNetHoldTime                                     time.Duration
	ShadowHeartbeatFrequency                              time.Duration
	ShadowMessageAutoDiscardInterval                      time.Duration
	ShadowMessagePreferenceSetting                        string
	ShadowRedundancyEnabled                               bool
	ShadowResubmitTimeSpan                                time.Duration
	SmtpClientAuthenticationDisabled                      bool
	SupervisionTags                                       []string
	TLSReceiveDomainSecureList                            []string
	TLSSendDomainSecureList                               []string
	TransportRuleAttachmentTextScanLimit                  ByteSize
	TransportRuleCollectionAddedRecipientsLimit           int
	TransportRuleLimit                                    int
	VerifySecureSubmitEnabled                             bool
	VoicemailJournalingEnabled                            bool
	Xexch50Enabled                                        bool
	Identity                                              string
	WhenChanged                                           time.Time
}

// ServerComponentState is one component's state on a server
// (Get-ServerComponentState), with the requesters that set it.
type ServerComponentState struct {
	Server    string
	Component string // "ServerWideOffline", "HubTransport", ...
	// Requesters hold each requester's last request ("Maintenance" ->
	// "Inactive"); the component is Active only when every requester
	// asks for Active.
	Requesters map[string]ComponentRequest
}

// ComponentRequest is one requester's request for a component state.
type ComponentRequest struct {
	State     string // "Active", "Inactive", "Draining"
	Timestamp time.Time
}

// ADPermission is an explicit access control entry on a receive connector,
// added with Add-ADPermission. Permissions that come from PermissionGroups
// are not stored; they are expanded when read.
type ADPermission struct {
	Identity       string // the connector's identity
	User           string // "NT AUTHORITY\ANONYMOUS LOGON", "CONTOSO\svc"
	Deny           bool
	Inherited      bool
	ExtendedRights []string // "ms-Exch-SMTP-Accept-Any-Recipient"
	AccessRights   []string // "ExtendedRight"
	ConnectorGuid  string   `exsh:"-"`
	Guid           string   `exsh:"-"`
}

// MailboxDatabase is the one mailbox database of the lab.
type MailboxDatabase struct {
	Name              string
	Server            string
	Recovery          bool
	ReplicationType   string
	EdbFilePath       string
	LogFolderPath     string
	IsMailboxDatabase bool
	Mounted           bool
	DistinguishedName string
	Identity          string
	Guid              string
	WhenCreated       time.Time
}

// TransportService holds the Transport service (hub), Front End Transport
// or Mailbox Transport settings of one server: timers and log settings
// (Get-TransportService, Get-FrontendTransportService,
// Get-MailboxTransportService). Each server of the organisation has its
// own record of each kind. Front End uses only the fields it has.
type TransportService struct {
	Name                                          string
	Server                                        string `exsh:"-"` // the server it belongs to, "EX01"
	Kind                                          string `exsh:"-"` // "Hub", "FrontEnd" or "Mailbox"
	TransientFailureRetryCount                    int
	TransientFailureRetryInterval                 time.Duration
	OutboundConnectionFailureRetryInterval        time.Duration
	MessageRetryInterval                          time.Duration
	MessageExpirationTimeout                      time.Duration
	DelayNotificationTimeout                      time.Duration
	MaxOutboundConnections                        Limit
	MaxPerDomainOutboundConnections               Limit
	MaxConcurrentMailboxDeliveries                int
	MaxConcurrentMailboxSubmissions               int
	PoisonThreshold                               int
	PoisonMessageDetectionEnabled                 bool
	QueueMaxIdleTime                              time.Duration
	MaxConnectionRatePerMinute                    int
	IntraOrgConnectorSmtpMaxMessagesPerConnection int
	ReceiveProtocolLogPath                        string
	ReceiveProtocolLogMaxAge                      time.Duration
	ReceiveProtocolLogMaxDirectorySize            ByteSize
	ReceiveProtocolLogMaxFileSize                 ByteSize
	SendProtocolLogPath                           string
	SendProtocolLogMaxAge                         time.Duration
	SendProtocolLogMaxDirectorySize               ByteSize
	SendProtocolLogMaxFileSize                    ByteSize
	IntraOrgConnectorProtocolLoggingLevel         string
	MessageTrackingLogEnabled                     bool
	MessageTrackingLogPath                        string
	MessageTrackingLogMaxAge                      time.Duration
	MessageTrackingLogMaxDirectorySize            ByteSize
	MessageTrackingLogMaxFileSize                 ByteSize
	MessageTrackingLogSubjectLoggingEnabled       bool
	ConnectivityLogEnabled                        bool
	// The Mailbox Transport service's own logs (Get-MailboxTransportService).
	ConnectivityLogPath                       string
	ConnectivityLogMaxAge                     time.Duration
	ConnectivityLogMaxDirectorySize           ByteSize
	ConnectivityLogMaxFileSize                ByteSize
	MailboxDeliveryAgentLogEnabled            bool
	MailboxDeliveryAgentLogPath               string
	MailboxDeliveryAgentLogMaxAge             time.Duration
	MailboxDeliveryAgentLogMaxDirectorySize   ByteSize
	MailboxDeliveryAgentLogMaxFileSize        ByteSize
	MailboxSubmissionAgentLogEnabled          bool
	MailboxSubmissionAgentLogPath             string
	MailboxSubmissionAgentLogMaxAge           time.Duration
	MailboxSubmissionAgentLogMaxDirectorySize ByteSize
	MailboxSubmissionAgentLogMaxFileSize      ByteSize
	PipelineTracingEnabled                    bool
	Identity                                  string
	Guid                                      string
	WhenChanged                               time.Time
}

// Certificate is the server's certificate for STARTTLS.
type Certificate struct {
	Thumbprint         string
	Subject            string
	Issuer             string
	NotBefore          time.Time
	NotAfter           time.Time
	Services           string
	CertificateDomains []string
	CertPEM            []byte `exsh:"-"`
	KeyPEM             []byte `exsh:"-"`
}

// Organization is the organisation and its server-wide identity.
type Organization struct {
	Name          string // "First Organization"
	ServerName    string // "EX01"
	DomainName    string // "contoso.com"
	NetBIOSDomain string // "CONTOSO"
	SchemaVersion int
	Created       time.Time
	// ServerAuthKey is the organisation's key from which each server's
	// logon secret for the others' Transport services is derived (HMAC of
	// its computer account, engine/mail.DeriveServerCredential); made when
	// an organisation of several servers is founded, or added by the first
	// server that needs it. Never shown; empty on a single server.
	ServerAuthKey string `exsh:"-" json:",omitempty"`
}
