package state

import (
	"strings"
	"time"
)

// DefaultTransportConfig returns Exchange 2019's organisation transport
// settings as setup leaves them (Get-TransportConfig on a new
// organisation): 10 MB send and receive limits, 500 envelope recipients.
func DefaultTransportConfig() *TransportConfig {
	const mb = 1 << 20
	return &TransportConfig{
		AgentGeneratedMessageLoopDetectionInSmtpEnabled:       true,
		AgentGeneratedMessageLoopDetectionInSubmissionEnabled: true,
		ClearCategories:                              true,
		HeaderPromotionModeSetting:                   "NoCreate",
		MaxAllowedAgentGeneratedMessageDepth:         3,
		MaxAllowedAgentGeneratedMessageDepthPerAgent: 2,
		TransportRuleAttachmentTextScanLimit:         150 << 10,
		TransportRuleCollectionAddedRecipientsLimit:  100,
		TransportRuleLimit:                           300,
		DSNConversionMode:                            "UseExchangeDSNs",
		ExternalDelayDsnEnabled:                      true,
		ExternalDsnLanguageDetectionEnabled:          true,
		ExternalDsnMaxMessageAttachSize:              10 * mb,
		ExternalDsnSendHtml:                          true,
		GenerateCopyOfDSNFor:                         []string{"5.4.8", "5.4.6", "5.4.4", "5.2.4", "5.2.0", "5.1.4"},
		HygieneSuite:                                 "Standard",
		InternalDelayDsnEnabled:                      true,
		InternalDsnLanguageDetectionEnabled:          true,
		InternalDsnMaxMessageAttachSize:              10 * mb,
		InternalDsnSendHtml:                          true,
		InternalSMTPServers:                          []string{},
		MaxDumpsterSizePerDatabase:                   18 * mb,
		MaxDumpsterTime:                              7 * 24 * time.Hour,
		MaxReceiveSize:                               10 * mb,
		MaxRecipientEnvelopeLimit:                    500,
		MaxRetriesForLocalSiteShadow:                 2,
		MaxRetriesForRemoteSiteShadow:                4,
		MaxSendSize:                                  10 * mb,
		SafetyNetHoldTime:                            2 * 24 * time.Hour,
		ShadowHeartbeatFrequency:                     2 * time.Minute,
		ShadowMessageAutoDiscardInterval:             2 * 24 * time.Hour,
		ShadowMessagePreferenceSetting:               "PreferRemote",
		ShadowRedundancyEnabled:                      true,
		ShadowResubmitTimeSpan:                       3 * time.Hour,
		SupervisionTags:                              []string{"Reject", "Allow"},
		TLSReceiveDomainSecureList:                   []string{},
		TLSSendDomainSecureList:                      []string{},
		Xexch50Enabled:                               true,
		Identity:                                     "Transport Settings",
	}
}

// Server components, in the order Get-ServerComponentState lists them on
// an Exchange 2019 Mailbox server.
var ServerComponents = []string{
	"ServerWideOffline", "HubTransport", "FrontendTransport", "Monitoring", "RecoveryActionsEnabled",
	"AutoDiscoverProxy", "ActiveSyncProxy", "EcpProxy", "EwsProxy", "ImapProxy", "OabProxy", "OwaProxy",
	"PopProxy", "PushNotificationsProxy", "RpsProxy", "RwsProxy", "RpcProxy", "UMCallRouter", "XropProxy",
	"HttpProxyAvailabilityGroup", "ForwardSyncDaemon", "ProvisioningRps", "MapiProxy", "EdgeTransport",
	"HighAvailability", "SharedCache", "MailboxDeliveryProxy", "RoutingUpdates", "RestProxy",
	"DefaultProxy", "Lsass", "RoutingService", "E4EProxy", "CafeLAMv2", "LogExportProvider",
}

// Component states.
const (
	ComponentActive   = "Active"
	ComponentInactive = "Inactive"
	ComponentDraining = "Draining"
)

// CanonicalComponent spells a component name as ServerComponents does,
// and reports whether it is one.
func CanonicalComponent(name string) (string, bool) {
	for _, c := range ServerComponents {
		if strings.EqualFold(c, strings.TrimSpace(name)) {
			return c, true
		}
	}
	return "", false
}

// State is the component's effective state: the least available state any
// requester asked for (Inactive before Draining before Active). A
// component no requester has touched is Active.
func (s *ServerComponentState) State() string {
	if s == nil {
		return ComponentActive
	}
	st := ComponentActive
	for _, r := range s.Requesters {
		switch r.State {
		case ComponentInactive:
			return ComponentInactive
		case ComponentDraining:
			st = ComponentDraining
		}
	}
	return st
}

// EffectiveComponentState is a component's state with ServerWideOffline
// applied: when ServerWideOffline is Inactive every component is.
func EffectiveComponentState(states []*ServerComponentState, component string) string {
	var own, wide *ServerComponentState
	for _, s := range states {
		switch {
		case strings.EqualFold(s.Component, component):
			own = s
		case strings.EqualFold(s.Component, "ServerWideOffline"):
			wide = s
		}
	}
	if wide.State() == ComponentInactive {
		return ComponentInactive
	}
	return own.State()
}

// ParseSizeLimit reads a size limit as records keep it ("25 MB
// (26,214,400 bytes)", "26214400", "Unlimited" or ""); Unlimited and ""
// give Unlimited (-1), and text it can't read gives false.
func ParseSizeLimit(s string) (ByteSize, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "Unlimited") {
		return Unlimited, true
	}
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = strings.TrimSuffix(strings.TrimSpace(s[i+1:]), ")")
		s = strings.TrimSpace(strings.TrimSuffix(s, "bytes"))
	}
	var n int64
	for _, r := range strings.ReplaceAll(s, ",", "") {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return ByteSize(n), true
}
