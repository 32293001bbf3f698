package state

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

// grants collects principal -> rights from expanded entries.
func grants(aces []*ADPermission) map[string][]string {
	m := map[string][]string{}
	for _, a := range aces {
		if a.Deny || len(a.ExtendedRights) != 1 || len(a.AccessRights) != 1 || a.AccessRights[0] != "ExtendedRight" {
			panic("unexpected entry shape")
		}
		m[a.User] = append(m[a.User], a.ExtendedRights[0])
	}
	for _, v := range m {
		sort.Strings(v)
	}
	return m
}

func sorted(s ...string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestExpandPermissionGroups(t *testing.T) {
	legacy := []string{RightSubmit, RightAcceptAnyRecipient, RightAcceptAnySender,
		RightAcceptAuthoritativeDomainSender, RightAcceptAuthenticationFlag, RightAcceptExch50,
		RightBypassAntiSpam, RightBypassMessageSizeLimit, RightAcceptHeadersRouting}
	servers := append(append([]string{}, legacy...), RightAcceptHeadersOrganization, RightAcceptHeadersForest,
		RightAcceptXattr, RightAcceptXProxyFrom, RightAcceptXSessionParams, RightAcceptXShadow, RightAcceptXSysProbe,
		RightSendXMessageContextADRecipientCache, RightSendXMessageContextExtendedProps, RightSendXMessageContextFastIndex)
	tests := []struct {
		name   string
		groups string
		auth   string
		want   map[string][]string
	}{
		{"none", "", "Tls", map[string][]string{}},
		{"custom marker grants nothing", "Custom", "Tls", map[string][]string{}},
		{"anonymous", "AnonymousUsers", "Tls", map[string][]string{
			PrincipalAnonymous: sorted(RightSubmit, RightAcceptAnySender, RightAcceptAuthoritativeDomainSender, RightAcceptHeadersRouting),
		}},
		{"exchange users", "ExchangeUsers", "Tls", map[string][]string{
			PrincipalAuthenticatedUsers: sorted(RightSubmit, RightAcceptAnyRecipient, RightBypassAntiSpam, RightAcceptHeadersRouting),
		}},
		{"partners", "Partners", "Tls", map[string][]string{
			PrincipalPartnerServers: sorted(RightSubmit, RightAcceptHeadersRouting),
		}},
		{"legacy", "ExchangeLegacyServers", "Tls", map[string][]string{
			`CONTOSO\ExchangeLegacyInterop`: sorted(legacy...),
		}},
		{"servers without ExternalAuthoritative", "ExchangeServers", "Tls, ExchangeServer", map[string][]string{
			`CONTOSO\Exchange Servers`:    sorted(servers...),
			PrincipalEdgeTransportServers: sorted(servers...),
			PrincipalHubTransportServers:  sorted(servers...),
		}},
		{"servers with ExternalAuthoritative", "ExchangeServers", "Tls, ExternalAuthoritative", map[string][]string{
			`CONTOSO\Exchange Servers`:        sorted(servers...),
			PrincipalEdgeTransportServers:     sorted(servers...),
			PrincipalHubTransportServers:      sorted(servers...),
			PrincipalExternallySecuredServers: sorted(legacy...),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := grants(ExpandPermissionGroups(flagsOf(tt.groups), flagsOf(tt.auth), "CONTOSO"))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func flagsOf(s string) Flags {
	if s == "" {
		return nil
	}
	return Flags(strings.Split(s, ", "))
}

func TestEffectiveRights(t *testing.T) {
	defaultFrontend := &ReceiveConnector{
		Identity:         `EX01\Default Frontend EX01`,
		PermissionGroups: flagsOf("AnonymousUsers, ExchangeServers, ExchangeLegacyServers"),
		AuthMechanism:    flagsOf("Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"),
	}
	clientFrontend := &ReceiveConnector{
		PermissionGroups: flagsOf("ExchangeUsers"),
		AuthMechanism:    flagsOf("Tls, Integrated, BasicAuth, BasicAuthRequireTLS"),
	}
	relay := &ReceiveConnector{PermissionGroups: flagsOf("AnonymousUsers"), AuthMechanism: flagsOf("Tls")}
	relayGrant := []*ADPermission{{User: `NT AUTHORITY\ANONYMOUS LOGON`, ExtendedRights: []string{"Ms-Exch-SMTP-Accept-Any-Recipient"}}}
	antiSpoof := []*ADPermission{{User: `NT AUTHORITY\Anonymous Logon`, Deny: true, ExtendedRights: []string{RightAcceptAuthoritativeDomainSender}}}
	userGrant := []*ADPermission{{User: `CONTOSO\scanner`, ExtendedRights: []string{RightAcceptAnySender}}}

	tests := []struct {
		name       string
		rc         *ReceiveConnector
		explicit   []*ADPermission
		principals []string
		has        []string
		hasNot     []string
	}{
		{"anonymous on Default Frontend may submit but not relay", defaultFrontend, nil, AnonymousPrincipals(),
			[]string{RightSubmit, RightAcceptAnySender, RightAcceptAuthoritativeDomainSender},
			[]string{RightAcceptAnyRecipient, RightBypassAntiSpam}},
		{"anonymous on Client Frontend has nothing", clientFrontend, nil, AnonymousPrincipals(),
			nil, []string{RightSubmit}},
		{"user on Client Frontend may relay but not send as anyone", clientFrontend, nil, UserPrincipals("CONTOSO", "chris"),
			[]string{RightSubmit, RightAcceptAnyRecipient, RightBypassAntiSpam},
			[]string{RightAcceptAnySender, RightAcceptAuthoritativeDomainSender}},
		{"server on Default Frontend", defaultFrontend, nil, ServerPrincipals("CONTOSO"),
			[]string{RightSubmit, RightAcceptAnyRecipient, RightAcceptHeadersOrganization, RightAcceptXProxyFrom}, nil},
		{"anonymous relay after Add-ADPermission", relay, relayGrant, AnonymousPrincipals(),
			[]string{RightSubmit, RightAcceptAnyRecipient}, nil},
		{"deny wins over the permission group", defaultFrontend, antiSpoof, AnonymousPrincipals(),
			[]string{RightSubmit, RightAcceptAnySender}, []string{RightAcceptAuthoritativeDomainSender}},
		{"explicit grant to one account", clientFrontend, userGrant, UserPrincipals("CONTOSO", "Scanner"),
			[]string{RightAcceptAnySender, RightSubmit}, nil},
		{"explicit grant to another account does not apply", clientFrontend, userGrant, UserPrincipals("CONTOSO", "chris"),
			nil, []string{RightAcceptAnySender}},
		{"externally secured needs ExternalAuthoritative", &ReceiveConnector{PermissionGroups: flagsOf("ExchangeServers"), AuthMechanism: flagsOf("Tls")},
			nil, ExternallySecuredPrincipals(), nil, []string{RightSubmit}},
		{"externally secured", &ReceiveConnector{PermissionGroups: flagsOf("ExchangeServers"), AuthMechanism: flagsOf("ExternalAuthoritative")},
			nil, ExternallySecuredPrincipals(), []string{RightSubmit, RightAcceptAnyRecipient, RightBypassMessageSizeLimit},
			[]string{RightAcceptHeadersOrganization, RightAcceptXProxyFrom}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := EffectiveRights(tt.rc, tt.explicit, tt.principals, "CONTOSO")
			for _, h := range tt.has {
				if !r.Has(h) {
					t.Errorf("missing %s; have %v", h, r.Names())
				}
			}
			for _, h := range tt.hasNot {
				if r.Has(h) {
					t.Errorf("unexpected %s; have %v", h, r.Names())
				}
			}
		})
	}
}

func TestConnectorPermissions(t *testing.T) {
	rc := &ReceiveConnector{Identity: `EX01\Relay`, Guid: "g1", PermissionGroups: flagsOf("AnonymousUsers"), AuthMechanism: flagsOf("Tls")}
	explicit := []*ADPermission{{User: PrincipalAnonymous, ExtendedRights: []string{RightAcceptAnyRecipient}, Guid: "p1"}}
	all := ConnectorPermissions(rc, explicit, "CONTOSO")
	if len(all) != 5 {
		t.Fatalf("got %d entries, want 4 group entries and 1 explicit", len(all))
	}
	for _, p := range all {
		if p.Identity != `EX01\Relay` || p.ConnectorGuid != "g1" {
			t.Errorf("entry %+v lacks the connector identity", p)
		}
	}
	if explicit[0].Identity != "" {
		t.Error("ConnectorPermissions changed the caller's entry")
	}
}

func TestCanonicalRight(t *testing.T) {
	if got, ok := CanonicalRight(" MS-EXCH-SMTP-SUBMIT "); !ok || got != RightSubmit {
		t.Errorf("CanonicalRight = %q, %v", got, ok)
	}
	if got, ok := CanonicalRight("ms-Exch-Nonsense"); ok || got != "ms-Exch-Nonsense" {
		t.Errorf("CanonicalRight(unknown) = %q, %v", got, ok)
	}
	r := Rights{RightAcceptAnyRecipient: true, RightSubmit: true, "zzz": true}
	if got := r.Names(); !reflect.DeepEqual(got, []string{RightSubmit, RightAcceptAnyRecipient, "zzz"}) {
		t.Errorf("Names = %v", got)
	}
}
