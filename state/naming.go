package state

import "strings"

// The Exchange administrative group every Exchange 2007+ server lives in.
const AdministrativeGroup = "Exchange Administrative Group (FYDIBOHF23SPDLT)"

// ExchangeVersion values shown on configuration objects.
const (
	// ExchangeVersionConnector is the ExchangeVersion of receive and send
	// connectors and accepted domains.
	ExchangeVersionConnector = "0.1 (8.0.535.0)"
	// ExchangeVersionServer is the ExchangeVersion of Exchange 2019 server
	// objects and recipients.
	ExchangeVersionServer = "0.1 (15.0.0.0)"
)

// DomainDN turns a DNS domain into its directory form: "contoso.com" →
// "DC=contoso,DC=com".
func DomainDN(domain string) string {
	parts := strings.Split(strings.Trim(domain, "."), ".")
	for i, p := range parts {
		parts[i] = "DC=" + p
	}
	return strings.Join(parts, ",")
}

// ConfigurationDN is the organisation's container in the configuration
// naming context: "CN=First Organization,CN=Microsoft Exchange,CN=Services,
// CN=Configuration,DC=contoso,DC=com".
func ConfigurationDN(orgName, domain string) string {
	return "CN=" + orgName + ",CN=Microsoft Exchange,CN=Services,CN=Configuration," + DomainDN(domain)
}

// ServerDN is an Exchange server's distinguished name.
func ServerDN(server, orgName, domain string) string {
	return "CN=" + server + ",CN=Servers,CN=" + AdministrativeGroup + ",CN=Administrative Groups," + ConfigurationDN(orgName, domain)
}

// ReceiveConnectorDN is a receive connector's distinguished name:
// "CN=<Name>,CN=SMTP Receive Connectors,CN=Protocols,CN=<SERVER>,CN=Servers,
// CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,
// CN=<Org>,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=...".
func ReceiveConnectorDN(name, server, orgName, domain string) string {
	return "CN=" + name + ",CN=SMTP Receive Connectors,CN=Protocols," + ServerDN(server, orgName, domain)
}

// SendConnectorDN is a send connector's distinguished name (routing group
// connectors live under the first routing group).
func SendConnectorDN(name, orgName, domain string) string {
	return "CN=" + name + ",CN=Connections,CN=Exchange Routing Group (DWBGZMFD01QNBJR),CN=Routing Groups,CN=" +
		AdministrativeGroup + ",CN=Administrative Groups," + ConfigurationDN(orgName, domain)
}

// AcceptedDomainDN is an accepted domain's distinguished name.
func AcceptedDomainDN(name, orgName, domain string) string {
	return "CN=" + name + ",CN=Accepted Domains,CN=Transport Settings," + ConfigurationDN(orgName, domain)
}

// MailboxDatabaseDN is a mailbox database's distinguished name.
func MailboxDatabaseDN(name, orgName, domain string) string {
	return "CN=" + name + ",CN=Databases,CN=" + AdministrativeGroup + ",CN=Administrative Groups," + ConfigurationDN(orgName, domain)
}

// UserDN is a user's distinguished name in the Users container.
func UserDN(name, domain string) string {
	return "CN=" + name + ",CN=Users," + DomainDN(domain)
}

// ReceiveConnectorIdentity is "<SERVER>\<Name>".
func ReceiveConnectorIdentity(server, name string) string { return server + `\` + name }

// ReceiveConnectorObjectCategory is
// "<domain>/Configuration/Schema/ms-Exch-Smtp-Receive-Connector".
func ReceiveConnectorObjectCategory(domain string) string {
	return domain + "/Configuration/Schema/ms-Exch-Smtp-Receive-Connector"
}

// ReceiveConnectorObjectClass is the ObjectClass of a receive connector.
func ReceiveConnectorObjectClass() []string { return []string{"top", "msExchSmtpReceiveConnector"} }

// CanonicalGuid lower-cases a GUID and strips braces; other strings are
// returned trimmed.
func CanonicalGuid(s string) string {
	s = strings.TrimSpace(s)
	if IsGuid(s) {
		return strings.ToLower(strings.Trim(s, "{}"))
	}
	return s
}
