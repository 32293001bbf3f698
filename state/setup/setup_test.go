package setup_test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"exsh/state"
	"exsh/state/setup"
	"exsh/state/statetest"
)

// connectorDefaults is the table of exchange-receive.md §1.1 and §1.2 for
// the five default connectors on EX01, as Format-List shows each value.
var connectorDefaults = map[string]map[string]string{
	"Default EX01": {
		"TransportRole":                           "HubTransport",
		"Bindings":                                "0.0.0.0:2525, [::]:2525",
		"PermissionGroups":                        "ExchangeUsers, ExchangeServers, ExchangeLegacyServers",
		"AuthMechanism":                           "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
		"ProtocolLoggingLevel":                    "None",
		"DomainSecureEnabled":                     "false",
		"TlsCertificateName":                      "",
		"MessageRateLimit":                        "Unlimited",
		"MessageRateSource":                       "IPAddress",
		"MaxInboundConnectionPerSource":           "Unlimited",
		"MaxInboundConnectionPercentagePerSource": "100",
		"MaxRecipientsPerMessage":                 "5000",
		"EnableAuthGSSAPI":                        "false",
		"SizeEnabled":                             "EnabledWithoutValue",
		"TarpitInterval":                          "5s",
	},
	"Client Proxy EX01": {
		"TransportRole":                           "HubTransport",
		"Bindings":                                "[::]:465, 0.0.0.0:465",
		"PermissionGroups":                        "ExchangeUsers, ExchangeServers",
		"AuthMechanism":                           "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
		"ProtocolLoggingLevel":                    "None",
		"DomainSecureEnabled":                     "false",
		"TlsCertificateName":                      "",
		"MessageRateLimit":                        "5",
		"MessageRateSource":                       "User",
		"MaxInboundConnectionPerSource":           "20",
		"MaxInboundConnectionPercentagePerSource": "2",
		"MaxRecipientsPerMessage":                 "200",
		"EnableAuthGSSAPI":                        "false", // True on Exchange; exsh has no GSSAPI
		"SizeEnabled":                             "Enabled",
		"TarpitInterval":                          "5s",
	},
	"Default Frontend EX01": {
		"TransportRole":                           "FrontendTransport",
		"Bindings":                                "[::]:25, 0.0.0.0:25",
		"PermissionGroups":                        "AnonymousUsers, ExchangeServers, ExchangeLegacyServers",
		"AuthMechanism":                           "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
		"ProtocolLoggingLevel":                    "Verbose",
		"DomainSecureEnabled":                     "true",
		"TlsCertificateName":                      "<I>CN=EX01<S>CN=EX01",
		"MessageRateLimit":                        "Unlimited",
		"MessageRateSource":                       "IPAddress",
		"MaxInboundConnectionPerSource":           "20",
		"MaxInboundConnectionPercentagePerSource": "2",
		"MaxRecipientsPerMessage":                 "200",
		"EnableAuthGSSAPI":                        "false",
		"SizeEnabled":                             "Enabled",
		"TarpitInterval":                          "5s",
	},
	"Outbound Proxy Frontend EX01": {
		"TransportRole":                           "FrontendTransport",
		"Bindings":                                "[::]:717, 0.0.0.0:717",
		"PermissionGroups":                        "ExchangeServers",
		"AuthMechanism":                           "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
		"ProtocolLoggingLevel":                    "Verbose",
		"DomainSecureEnabled":                     "true",
		"TlsCertificateName":                      "",
		"MessageRateLimit":                        "Unlimited",
		"MessageRateSource":                       "IPAddress",
		"MaxInboundConnectionPerSource":           "20",
		"MaxInboundConnectionPercentagePerSource": "2",
		"MaxRecipientsPerMessage":                 "200",
		"EnableAuthGSSAPI":                        "false",
		"SizeEnabled":                             "Enabled",
		"TarpitInterval":                          "0s",
	},
	"Client Frontend EX01": {
		"TransportRole":                           "FrontendTransport",
		"Bindings":                                "[::]:587, 0.0.0.0:587",
		"PermissionGroups":                        "ExchangeUsers",
		"AuthMechanism":                           "Tls, Integrated, BasicAuth, BasicAuthRequireTLS",
		"ProtocolLoggingLevel":                    "None",
		"DomainSecureEnabled":                     "false",
		"TlsCertificateName":                      "",
		"MessageRateLimit":                        "5",
		"MessageRateSource":                       "User",
		"MaxInboundConnectionPerSource":           "20",
		"MaxInboundConnectionPercentagePerSource": "2",
		"MaxRecipientsPerMessage":                 "200",
		"EnableAuthGSSAPI":                        "false", // True on Exchange; exsh has no GSSAPI
		"SizeEnabled":                             "Enabled",
		"TarpitInterval":                          "5s",
	},
}

// commonDefaults holds the values all five share.
var commonDefaults = map[string]string{
	"Banner":                                    "",
	"BinaryMimeEnabled":                         "true",
	"ChunkingEnabled":                           "true",
	"DefaultDomain":                             "",
	"DeliveryStatusNotificationEnabled":         "true",
	"EightBitMimeEnabled":                       "true",
	"SmtpUtf8Enabled":                           "true",
	"BareLinefeedRejectionEnabled":              "false",
	"EnhancedStatusCodesEnabled":                "true",
	"LongAddressesEnabled":                      "false",
	"OrarEnabled":                               "false",
	"SuppressXAnonymousTls":                     "false",
	"ProxyEnabled":                              "false",
	"AdvertiseClientSettings":                   "false",
	"Fqdn":                                      "EX01.contoso.com",
	"ServiceDiscoveryFqdn":                      "",
	"Comment":                                   "",
	"Enabled":                                   "true",
	"ConnectionTimeout":                         "10m0s",
	"ConnectionInactivityTimeout":               "5m0s",
	"MaxInboundConnection":                      "5000",
	"MaxHeaderSize":                             "256 KB (262,144 bytes)",
	"MaxHopCount":                               "60",
	"MaxLocalHopCount":                          "5",
	"MaxLogonFailures":                          "3",
	"MaxMessageSize":                            "36 MB (37,748,736 bytes)",
	"MaxProtocolErrors":                         "5",
	"PipeliningEnabled":                         "true",
	"RemoteIPRanges":                            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255",
	"RequireEHLODomain":                         "false",
	"RequireTLS":                                "false",
	"ExtendedProtectionPolicy":                  "None",
	"LiveCredentialEnabled":                     "false",
	"TlsDomainCapabilities":                     "",
	"Server":                                    "EX01",
	"RejectReservedTopLevelRecipientDomains":    "false",
	"RejectReservedSecondLevelRecipientDomains": "false",
	"RejectSingleLabelRecipientDomains":         "false",
	"AcceptConsumerMail":                        "false",
	"AuthTarpitInterval":                        "5s",
	"MaxAcknowledgementDelay":                   "30s",
	"AdminDisplayName":                          "",
	"ExchangeVersion":                           "0.1 (8.0.535.0)",
	"ObjectCategory":                            "contoso.com/Configuration/Schema/ms-Exch-Smtp-Receive-Connector",
	"ObjectClass":                               "top, msExchSmtpReceiveConnector",
	"IsValid":                                   "true",
	"ObjectState":                               "Unchanged",
}

// field renders one field of a record for comparison.
func field(v any, name string) string {
	f := reflect.ValueOf(v).Elem().FieldByName(name)
	if !f.IsValid() {
		return "<no such field>"
	}
	switch x := f.Interface().(type) {
	case []string:
		return strings.Join(x, ", ")
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

func TestSetupReceiveConnectors(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	var conns []*state.ReceiveConnector
	statetest.View(t, st, func(tx state.Tx) error {
		var err error
		conns, err = tx.ReceiveConnectors()
		return err
	})
	var names []string
	for _, rc := range conns {
		names = append(names, rc.Name)
	}
	if got, want := strings.Join(names, "|"), "Default EX01|Client Proxy EX01|Default Frontend EX01|Outbound Proxy Frontend EX01|Client Frontend EX01"; got != want {
		t.Fatalf("connectors:\n got %s\nwant %s", got, want)
	}
	for _, rc := range conns {
		t.Run(rc.Name, func(t *testing.T) {
			for prop, want := range connectorDefaults[rc.Name] {
				if got := field(rc, prop); got != want {
					t.Errorf("%s = %q, want %q", prop, got, want)
				}
			}
			for prop, want := range commonDefaults {
				if got := field(rc, prop); got != want {
					t.Errorf("%s = %q, want %q", prop, got, want)
				}
			}
			if rc.Identity != `EX01\`+rc.Name || rc.Id != rc.Identity {
				t.Errorf("Identity = %q, Id = %q", rc.Identity, rc.Id)
			}
			wantDN := "CN=" + rc.Name + ",CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=First Organization,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=com"
			if rc.DistinguishedName != wantDN {
				t.Errorf("DistinguishedName = %q", rc.DistinguishedName)
			}
			if !state.IsGuid(rc.Guid) || !rc.WhenCreated.Equal(statetest.Epoch) || !rc.WhenCreatedUTC.Equal(statetest.Epoch) {
				t.Errorf("Guid %q, WhenCreated %v", rc.Guid, rc.WhenCreated)
			}
			// Every value parses with the helpers the engine uses.
			for _, b := range rc.Bindings {
				if _, err := state.ParseBinding(b); err != nil {
					t.Error(err)
				}
			}
			if _, err := state.ParseIPRanges(rc.RemoteIPRanges); err != nil {
				t.Error(err)
			}
			if _, err := state.NormalizeFlags(rc.AuthMechanism, state.AuthMechanisms); err != nil {
				t.Error(err)
			}
			if n, _ := state.NormalizeFlags(rc.PermissionGroups, state.PermissionGroupNames); !reflect.DeepEqual(n, rc.PermissionGroups) {
				t.Errorf("PermissionGroups %v not in canonical order %v", rc.PermissionGroups, n)
			}
		})
	}
}

func TestSetupOrganisation(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	dataPath := filepath.Dir(st.Path())
	statetest.View(t, st, func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return err
		}
		if org.Name != "First Organization" || org.DomainName != "contoso.com" || org.NetBIOSDomain != "CONTOSO" || org.ServerName != "EX01" {
			t.Errorf("organization = %+v", org)
		}
		srv, err := tx.Server("ex01.contoso.com")
		if err != nil {
			return err
		}
		want := state.ExchangeServer{Name: "EX01", Fqdn: "EX01.contoso.com", Domain: "contoso.com",
			Site: "contoso.com/Configuration/Sites/Default-First-Site-Name", ServerRole: "Mailbox",
			Edition: "StandardEvaluation", AdminDisplayVersion: "Version 15.2 (Build 1118.7)",
			IsHubTransportServer: true, IsMailboxServer: true, IsFrontendTransportServer: true}
		got := *srv
		got.OrganizationName, got.DistinguishedName, got.Identity, got.Guid = "", "", "", ""
		got.WhenChanged, got.WhenCreated = time.Time{}, time.Time{}
		if got != want {
			t.Errorf("server =\n%+v\nwant\n%+v", got, want)
		}
		domains, err := tx.AcceptedDomains()
		if err != nil {
			return err
		}
		if len(domains) != 1 {
			t.Fatalf("%d accepted domains", len(domains))
		}
		d := domains[0]
		if d.Name != "contoso.com" || d.DomainName != "contoso.com" || d.DomainType != "Authoritative" || !d.Default || !d.AddressBookEnabled {
			t.Errorf("accepted domain = %+v", d)
		}
		dbs, err := tx.MailboxDatabases()
		if err != nil {
			return err
		}
		if len(dbs) != 1 || !regexp.MustCompile(`^Mailbox Database \d{10}$`).MatchString(dbs[0].Name) {
			t.Fatalf("databases = %+v", dbs)
		}
		db := dbs[0]
		if db.Server != "EX01" || !db.Mounted || db.EdbFilePath != filepath.Join(dataPath, "Mailbox", db.Name, db.Name+".edb") {
			t.Errorf("database = %+v", db)
		}
		admin, err := tx.RecipientByLogin(`CONTOSO\Administrator`)
		if err != nil {
			return err
		}
		if admin.UserPrincipalName != "Administrator@contoso.com" || admin.PrimarySmtpAddress != "Administrator@contoso.com" ||
			admin.SamAccountName != "Administrator" || !admin.HasMailbox() || admin.Database != db.Name ||
			!reflect.DeepEqual(admin.EmailAddresses, []string{"SMTP:Administrator@contoso.com"}) {
			t.Errorf("Administrator = %+v", admin)
		}
		if strings.Contains(admin.PasswordHash, setup.DefaultAdministratorPassword) || !state.CheckPassword(admin.PasswordHash, "P@ssw0rd") {
			t.Errorf("Administrator password hash %q", admin.PasswordHash)
		}
		for _, tc := range []struct {
			kind, receive, send, intraOrg string
		}{
			{"Hub", "Hub/ProtocolLog/SmtpReceive", "Hub/ProtocolLog/SmtpSend", "None"},
			{"FrontEnd", "FrontEnd/ProtocolLog/SmtpReceive", "FrontEnd/ProtocolLog/SmtpSend", "Verbose"},
		} {
			ts, err := tx.TransportService("EX01", tc.kind)
			if err != nil {
				return err
			}
			logs := filepath.Join(dataPath, "TransportRoles", "Logs")
			if ts.ReceiveProtocolLogPath != filepath.Join(logs, tc.receive) || ts.SendProtocolLogPath != filepath.Join(logs, tc.send) {
				t.Errorf("%s log paths %q, %q", tc.kind, ts.ReceiveProtocolLogPath, ts.SendProtocolLogPath)
			}
			if ts.IntraOrgConnectorProtocolLoggingLevel != tc.intraOrg || ts.ReceiveProtocolLogMaxAge != 30*24*time.Hour ||
				ts.ReceiveProtocolLogMaxDirectorySize.String() != "250 MB (262,144,000 bytes)" ||
				ts.SendProtocolLogMaxFileSize.String() != "10 MB (10,485,760 bytes)" || ts.Name != "EX01" {
				t.Errorf("%s = %+v", tc.kind, ts)
			}
		}
		hub, _ := tx.TransportService("EX01", "Hub")
		if hub.TransientFailureRetryCount != 6 || hub.TransientFailureRetryInterval != 5*time.Minute ||
			hub.OutboundConnectionFailureRetryInterval != 10*time.Minute || hub.MessageExpirationTimeout != 48*time.Hour ||
			hub.DelayNotificationTimeout != 4*time.Hour || hub.MaxOutboundConnections != 1000 ||
			hub.MaxPerDomainOutboundConnections != 40 || hub.PoisonThreshold != 2 || hub.QueueMaxIdleTime != 3*time.Minute ||
			hub.MessageTrackingLogPath != filepath.Join(dataPath, "TransportRoles", "Logs", "MessageTracking") {
			t.Errorf("Hub = %+v", hub)
		}
		cert, err := tx.Certificate()
		if err != nil {
			return err
		}
		checkCertificate(t, cert)
		return nil
	})
}

func checkCertificate(t *testing.T, c *state.Certificate) {
	t.Helper()
	if c.Subject != "CN=EX01" || c.Issuer != "CN=EX01" || c.TlsCertificateName() != "<I>CN=EX01<S>CN=EX01" || len(c.Thumbprint) != 40 {
		t.Errorf("certificate = %+v", c)
	}
	if _, err := c.TLSCertificate(); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(c.CertPEM)
	x, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x.DNSNames, []string{"EX01", "EX01.contoso.com", "localhost"}) {
		t.Errorf("DNS names %v", x.DNSNames)
	}
	var ips []string
	for _, ip := range x.IPAddresses {
		a, _ := netip.AddrFromSlice(ip)
		ips = append(ips, a.Unmap().String())
	}
	if !reflect.DeepEqual(ips, []string{"127.0.0.1", "::1"}) {
		t.Errorf("IP addresses %v", ips)
	}
	for _, host := range []string{"EX01.contoso.com", "localhost", "127.0.0.1", "::1"} {
		if err := x.VerifyHostname(host); err != nil {
			t.Errorf("VerifyHostname(%s): %v", host, err)
		}
	}
	if !x.NotAfter.After(statetest.Epoch.Add(4 * 365 * 24 * time.Hour)) {
		t.Errorf("NotAfter %v", x.NotAfter)
	}
}

func TestSetupIsIdempotent(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	changes, cancel := st.Subscribe()
	defer cancel()
	if err := setup.Run(st, setup.Options{DataPath: filepath.Dir(st.Path()), PasswordCost: 4}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-changes:
		t.Errorf("second Run changed %v", c)
	case <-time.After(50 * time.Millisecond):
	}
	statetest.View(t, st, func(tx state.Tx) error {
		all, _ := tx.ReceiveConnectors()
		if len(all) != 5 {
			t.Errorf("%d connectors after a second Run", len(all))
		}
		return nil
	})
}

func TestSetupOtherNames(t *testing.T) {
	st := statetest.MustOpen(t)
	err := setup.Run(st, setup.Options{ServerName: "MBX2", Domain: "Fabrikam.Local", DataPath: t.TempDir(), PasswordCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	statetest.View(t, st, func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("MBX2", "Default Frontend MBX2")
		if err != nil {
			return err
		}
		if rc.Fqdn != "MBX2.fabrikam.local" || rc.TlsCertificateName != "<I>CN=MBX2<S>CN=MBX2" {
			t.Errorf("connector %q %q", rc.Fqdn, rc.TlsCertificateName)
		}
		org, _ := tx.Org()
		if org.NetBIOSDomain != "FABRIKAM" {
			t.Errorf("NetBIOS domain %q", org.NetBIOSDomain)
		}
		_, err = tx.RecipientByLogin(`FABRIKAM\Administrator`)
		return err
	})
	for _, bad := range []setup.Options{{ServerName: "EX01.contoso.com"}, {Domain: "*.contoso.com"}, {Domain: "bad domain"}} {
		if err := setup.Run(statetest.MustOpen(t), bad); err == nil {
			t.Errorf("Run(%+v) succeeded", bad)
		}
	}
}

func TestNewReceiveConnectorDefaults(t *testing.T) {
	srv := &state.ExchangeServer{Name: "EX01", Fqdn: "EX01.contoso.com"}
	tests := []struct {
		usage, groups, auth, bindings, ranges string
	}{
		{"Client", "ExchangeUsers", "Tls, Integrated, BasicAuth, BasicAuthRequireTLS", "0.0.0.0:587", ""},
		{"custom", "None", "Tls", "", ""},
		{"Internal", "ExchangeServers, ExchangeLegacyServers", "Tls, ExchangeServer", "0.0.0.0:25", ""},
		{"Internet", "AnonymousUsers", "Tls", "", "0.0.0.0-255.255.255.255"},
		{"Partner", "Partners", "Tls", "", ""},
	}
	for _, tt := range tests {
		rc := setup.NewReceiveConnectorDefaults(tt.usage, "FrontendTransport", srv)
		if rc == nil {
			t.Fatalf("%s: nil", tt.usage)
		}
		got := []string{rc.PermissionGroups.String(), rc.AuthMechanism.String(), strings.Join(rc.Bindings, ", "), strings.Join(rc.RemoteIPRanges, ", ")}
		want := []string{tt.groups, tt.auth, tt.bindings, tt.ranges}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", tt.usage, got, want)
		}
		if rc.MaxHopCount != 30 || rc.MaxLocalHopCount != 8 || rc.MaxMessageSize != 36<<20 || rc.MaxRecipientsPerMessage != 200 ||
			rc.ProtocolLoggingLevel != "None" || rc.EnableAuthGSSAPI || rc.DomainSecureEnabled || rc.Fqdn != "EX01.contoso.com" ||
			rc.TransportRole != "FrontendTransport" || rc.Server != "EX01" || !rc.Enabled {
			t.Errorf("%s: parameter defaults wrong: %+v", tt.usage, rc)
		}
		if _, ok := setup.ReceiveConnectorUsageRule(tt.usage); !ok {
			t.Errorf("%s: no usage rule", tt.usage)
		}
	}
	if rc := setup.NewReceiveConnectorDefaults("Custom", "", srv); rc.TransportRole != "HubTransport" {
		t.Errorf("default role %q", rc.TransportRole)
	}
	if setup.NewReceiveConnectorDefaults("Smarthost", "", srv) != nil {
		t.Error("unknown usage accepted")
	}
	if r, _ := setup.ReceiveConnectorUsageRule("internet"); r.RemoteIPRanges != setup.NotAllowed || r.Bindings != setup.Required {
		t.Errorf("Internet rule %+v", r)
	}
}

func TestNewSendConnectorDefaults(t *testing.T) {
	for usage, size := range map[string]string{"": "35 MB (36,700,160 bytes)", "Internet": "35 MB (36,700,160 bytes)", "internal": "Unlimited", "Partner": "35 MB (36,700,160 bytes)"} {
		sc := setup.NewSendConnectorDefaults(usage)
		if sc == nil {
			t.Fatalf("%q: nil", usage)
		}
		if sc.MaxMessageSize.String() != size || sc.Port != 25 || !sc.DNSRoutingEnabled || !sc.Enabled ||
			sc.ConnectionInactivityTimeOut != 10*time.Minute || sc.SmartHostAuthMechanism != "None" || sc.ProtocolLoggingLevel != "None" {
			t.Errorf("%q: %+v", usage, sc)
		}
	}
	if setup.NewSendConnectorDefaults("Bogus") != nil {
		t.Error("unknown usage accepted")
	}
}
