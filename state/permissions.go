package state

import (
	"sort"
	"strings"
	"sync"
)

// Extended rights on a receive connector. Names are matched
// case-insensitively; these are the canonical spellings.
const (
	RightSubmit                          = "ms-Exch-SMTP-Submit"
	RightAcceptAnyRecipient              = "ms-Exch-SMTP-Accept-Any-Recipient"
	RightAcceptAnySender                 = "ms-Exch-SMTP-Accept-Any-Sender"
	RightAcceptAuthoritativeDomainSender = "ms-Exch-SMTP-Accept-Authoritative-Domain-Sender"
	RightAcceptAuthenticationFlag        = "ms-Exch-SMTP-Accept-Authentication-Flag"
	RightAcceptExch50                    = "ms-Exch-SMTP-Accept-Exch50"
	RightBypassAntiSpam                  = "ms-Exch-Bypass-Anti-Spam"
	RightBypassMessageSizeLimit          = "ms-Exch-Bypass-Message-Size-Limit"
	RightAcceptHeadersRouting            = "ms-Exch-Accept-Headers-Routing"
	RightAcceptHeadersOrganization       = "ms-Exch-Accept-Headers-Organization"
	RightAcceptHeadersForest             = "ms-Exch-Accept-Headers-Forest"

	// Rights used only between Exchange servers.
	RightAcceptXattr                         = "ms-Exch-SMTP-Accept-Xattr"
	RightAcceptXProxyFrom                    = "ms-Exch-SMTP-Accept-XProxyFrom"
	RightAcceptXSessionParams                = "ms-Exch-SMTP-Accept-XSessionParams"
	RightAcceptXShadow                       = "ms-Exch-SMTP-Accept-XShadow"
	RightAcceptXSysProbe                     = "ms-Exch-SMTP-Accept-XSysProbe"
	RightSendXMessageContextADRecipientCache = "ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache"
	RightSendXMessageContextExtendedProps    = "ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties"
	RightSendXMessageContextFastIndex        = "ms-Exch-SMTP-Send-XMessageContext-FastIndex"
)

// ExtendedRightNames lists every receive connector extended right exsh
// knows, in canonical spelling.
var ExtendedRightNames = []string{
	RightSubmit, RightAcceptAnyRecipient, RightAcceptAnySender,
	RightAcceptAuthoritativeDomainSender, RightAcceptAuthenticationFlag,
	RightAcceptExch50, RightBypassAntiSpam, RightBypassMessageSizeLimit,
	RightAcceptHeadersRouting, RightAcceptHeadersOrganization, RightAcceptHeadersForest,
	RightAcceptXattr, RightAcceptXProxyFrom, RightAcceptXSessionParams,
	RightAcceptXShadow, RightAcceptXSysProbe, RightSendXMessageContextADRecipientCache,
	RightSendXMessageContextExtendedProps, RightSendXMessageContextFastIndex,
}

// CanonicalRight returns the canonical spelling of an extended right name
// given in any case ("Ms-Exch-SMTP-Submit"), and whether it is known.
func CanonicalRight(name string) (string, bool) {
	n := strings.TrimSpace(name)
	// Most names come spelled as Exchange spells them (the constants).
	canonicalOnce.Do(func() {
		canonicalRights = make(map[string]bool, len(ExtendedRightNames))
		for _, r := range ExtendedRightNames {
			canonicalRights[r] = true
		}
	})
	if canonicalRights[n] {
		return n, true
	}
	for _, r := range ExtendedRightNames {
		if strings.EqualFold(r, n) {
			return r, true
		}
	}
	return n, false
}

var (
	canonicalOnce   sync.Once
	canonicalRights map[string]bool // ExtendedRightNames as a set
)

// Security principals that permission groups grant rights to.
const (
	PrincipalAnonymous                = `NT AUTHORITY\ANONYMOUS LOGON`
	PrincipalAuthenticatedUsers       = `NT AUTHORITY\Authenticated Users`
	PrincipalEdgeTransportServers     = `MS Exchange\Edge Transport Servers`
	PrincipalHubTransportServers      = `MS Exchange\Hub Transport Servers`
	PrincipalExternallySecuredServers = `MS Exchange\Externally Secured Servers`
	PrincipalPartnerServers           = `MS Exchange\Partner Servers`
)

// ExchangeServersPrincipal is the "<DOMAIN>\Exchange Servers" group.
func ExchangeServersPrincipal(netbiosDomain string) string {
	return netbiosDomain + `\Exchange Servers`
}

// ExchangeLegacyInteropPrincipal is the "<DOMAIN>\ExchangeLegacyInterop"
// group.
func ExchangeLegacyInteropPrincipal(netbiosDomain string) string {
	return netbiosDomain + `\ExchangeLegacyInterop`
}

// AnonymousPrincipals is the principal set of an unauthenticated session.
func AnonymousPrincipals() []string { return []string{PrincipalAnonymous} }

// UserPrincipals is the principal set of a session authenticated as the
// account DOMAIN\sam.
func UserPrincipals(netbiosDomain, samAccountName string) []string {
	return []string{PrincipalAuthenticatedUsers, netbiosDomain + `\` + samAccountName}
}

// ServerPrincipals is the principal set of another Exchange server (or this
// server's own services) authenticated with ExchangeServer authentication.
func ServerPrincipals(netbiosDomain string) []string {
	return []string{PrincipalAuthenticatedUsers, ExchangeServersPrincipal(netbiosDomain), PrincipalHubTransportServers}
}

// ServerGroupPrincipals are the principals of an Exchange server's
// session that are servers only (not Authenticated Users): what the
// ExchangeServers permission group grants to.
func ServerGroupPrincipals(netbiosDomain string) []string {
	return []string{ExchangeServersPrincipal(netbiosDomain), PrincipalHubTransportServers}
}

// ExternallySecuredPrincipals is the principal set of a session on a
// connector with ExternalAuthoritative authentication.
func ExternallySecuredPrincipals() []string {
	return []string{PrincipalExternallySecuredServers}
}

var (
	anonymousRights = []string{RightSubmit, RightAcceptAnySender, RightAcceptAuthoritativeDomainSender, RightAcceptHeadersRouting}
	usersRights     = []string{RightSubmit, RightAcceptAnyRecipient, RightBypassAntiSpam, RightAcceptHeadersRouting}
	legacyRights    = []string{RightSubmit, RightAcceptAnyRecipient, RightAcceptAnySender,
		RightAcceptAuthoritativeDomainSender, RightAcceptAuthenticationFlag, RightAcceptExch50,
		RightBypassAntiSpam, RightBypassMessageSizeLimit, RightAcceptHeadersRouting}
	externallySecuredRights = legacyRights
	serversRights           = append(append(append([]string{}, legacyRights...),
		RightAcceptHeadersOrganization, RightAcceptHeadersForest),
		RightAcceptXattr, RightAcceptXProxyFrom, RightAcceptXSessionParams, RightAcceptXShadow,
		RightAcceptXSysProbe, RightSendXMessageContextADRecipientCache,
		RightSendXMessageContextExtendedProps, RightSendXMessageContextFastIndex)
	partnersRights = []string{RightSubmit, RightAcceptHeadersRouting}
)

// ExpandPermissionGroups returns the access control entries a receive
// connector's PermissionGroups grant, one allow entry per (principal,
// right), in group order:
//
//   - AnonymousUsers: NT AUTHORITY\ANONYMOUS LOGON
//   - ExchangeUsers: NT AUTHORITY\Authenticated Users
//   - ExchangeServers: <DOMAIN>\Exchange Servers, MS Exchange\Edge Transport
//     Servers, MS Exchange\Hub Transport Servers, and MS Exchange\Externally
//     Secured Servers (the last only when authMech has ExternalAuthoritative,
//     and without the organisation/forest header and internal rights)
//   - ExchangeLegacyServers: <DOMAIN>\ExchangeLegacyInterop
//   - Partners: MS Exchange\Partner Servers
//
// "Custom" and "None" grant nothing. Identity is left empty for the caller
// to fill with the connector's identity.
func ExpandPermissionGroups(groups Flags, authMech Flags, netbiosDomain string) []*ADPermission {
	var out []*ADPermission
	add := func(principal string, rights []string) {
		for _, r := range rights {
			out = append(out, &ADPermission{
				User:           principal,
				ExtendedRights: []string{r},
				AccessRights:   []string{"ExtendedRight"},
			})
		}
	}
	for _, g := range PermissionGroupNames {
		if !groups.Has(g) {
			continue
		}
		switch g {
		case "AnonymousUsers":
			add(PrincipalAnonymous, anonymousRights)
		case "ExchangeUsers":
			add(PrincipalAuthenticatedUsers, usersRights)
		case "ExchangeServers":
			add(ExchangeServersPrincipal(netbiosDomain), serversRights)
			add(PrincipalEdgeTransportServers, serversRights)
			add(PrincipalHubTransportServers, serversRights)
			if authMech.Has("ExternalAuthoritative") {
				add(PrincipalExternallySecuredServers, externallySecuredRights)
			}
		case "ExchangeLegacyServers":
			add(ExchangeLegacyInteropPrincipal(netbiosDomain), legacyRights)
		case "Partners":
			add(PrincipalPartnerServers, partnersRights)
		}
	}
	return out
}

// ConnectorPermissions returns every entry Get-ADPermission shows for a
// receive connector: the permission-group entries followed by the explicit
// ones, each with Identity set to the connector's identity.
func ConnectorPermissions(rc *ReceiveConnector, explicit []*ADPermission, netbiosDomain string) []*ADPermission {
	out := ExpandPermissionGroups(rc.PermissionGroups, rc.AuthMechanism, netbiosDomain)
	for _, p := range explicit {
		c := *p
		out = append(out, &c)
	}
	for _, p := range out {
		p.Identity = rc.Identity
		if p.ConnectorGuid == "" {
			p.ConnectorGuid = rc.Guid
		}
	}
	return out
}

// Rights is a set of extended rights, keyed by canonical name.
type Rights map[string]bool

// Has reports whether the set holds the right (case-insensitive).
func (r Rights) Has(right string) bool {
	c, _ := CanonicalRight(right)
	return r[c]
}

// Names returns the rights in ExtendedRightNames order, unknown names last
// in alphabetical order.
func (r Rights) Names() []string {
	var out, extra []string
	seen := map[string]bool{}
	for _, n := range ExtendedRightNames {
		if r[n] {
			out = append(out, n)
			seen[n] = true
		}
	}
	for n, ok := range r {
		if ok && !seen[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// EffectiveRightsOf combines access control entries for a set of
// principals: a right is granted when some allow entry for one of the
// principals grants it and no deny entry for one of them denies it (denies
// win). Principal and right names compare case-insensitively.
func EffectiveRightsOf(aces []*ADPermission, principals []string) Rights {
	match := func(user string) bool {
		for _, p := range principals {
			if strings.EqualFold(strings.TrimSpace(user), strings.TrimSpace(p)) {
				return true
			}
		}
		return false
	}
	allow, deny := Rights{}, Rights{}
	for _, a := range aces {
		if !match(a.User) {
			continue
		}
		for _, r := range a.ExtendedRights {
			c, _ := CanonicalRight(r)
			if a.Deny {
				deny[c] = true
			} else {
				allow[c] = true
			}
		}
	}
	for r := range deny {
		delete(allow, r)
	}
	return allow
}

// EffectiveRights returns the rights a session with the given principals
// holds on a receive connector: its PermissionGroups expanded, plus the
// explicit ADPermission entries, denies winning.
func EffectiveRights(rc *ReceiveConnector, explicit []*ADPermission, principals []string, netbiosDomain string) Rights {
	aces := ExpandPermissionGroups(rc.PermissionGroups, rc.AuthMechanism, netbiosDomain)
	aces = append(aces, explicit...)
	return EffectiveRightsOf(aces, principals)
}

// NormalizeConnectorACL makes a connector's entries what Active Directory
// holds after an edit: one entry per (user, right, deny). An explicit
// allow entry that a permission group already grants is redundant and
// goes (a right whose entry holds several keeps the others); explicit
// allow entries that together grant everything a group grants become that
// group, as Exchange reads a preset back from the ACL. Custom is shown
// exactly while entries remain that no group explains (allow or deny): the
// ACL "doesn't match any of the presets exactly".
//
// It returns the connector's new PermissionGroups, the explicit entries to
// store again (their rights cut down), and the Guids of those to delete.
func NormalizeConnectorACL(rc *ReceiveConnector, explicit []*ADPermission, netbiosDomain string) (groups Flags, put []*ADPermission, del []string) {
	type key struct{ user, right string }
	keyOf := func(user, right string) key {
		c, _ := CanonicalRight(right)
		return key{strings.ToLower(strings.TrimSpace(user)), c}
	}
	have := map[key]bool{}
	for _, p := range explicit {
		if p.Deny {
			continue
		}
		for _, r := range p.ExtendedRights {
			have[keyOf(p.User, r)] = true
		}
	}
	groups = append(Flags(nil), rc.PermissionGroups...)
	for _, g := range PermissionGroupNames {
		if g == "None" || g == "Custom" || groups.Has(g) {
			continue
		}
		grants := ExpandPermissionGroups(Flags{g}, rc.AuthMechanism, netbiosDomain)
		all := len(grants) > 0
		for _, a := range grants {
			all = all && have[keyOf(a.User, a.ExtendedRights[0])]
		}
		if all {
			groups = append(groups, g)
		}
	}
	groups, _ = NormalizeFlags(groups, PermissionGroupNames)
	granted := map[key]bool{}
	for _, a := range ExpandPermissionGroups(groups, rc.AuthMechanism, netbiosDomain) {
		granted[keyOf(a.User, a.ExtendedRights[0])] = true
	}
	remaining := 0
	for _, p := range explicit {
		if p.Deny {
			remaining++
			continue
		}
		var keep []string
		for _, r := range p.ExtendedRights {
			if !granted[keyOf(p.User, r)] {
				keep = append(keep, r)
			}
		}
		switch {
		case len(keep) == 0:
			del = append(del, p.Guid)
		case len(keep) < len(p.ExtendedRights):
			c := *p
			c.ExtendedRights = keep
			put = append(put, &c)
			remaining++
		default:
			remaining++
		}
	}
	var g Flags
	for _, n := range groups {
		if n != "Custom" {
			g = append(g, n)
		}
	}
	if remaining > 0 {
		g = append(g, "Custom")
	}
	return g, put, del
}
