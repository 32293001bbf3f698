package org

import (
	"exsh/shell/format"
	"exsh/shell/object"
)

// The default views of the organisation's objects, as the Exchange
// Management Shell's format files declare them. Format-List shows every
// property in record order.
func init() {
	table := func(props ...string) format.View {
		v := format.View{}
		for _, p := range props {
			v.Table = append(v.Table, format.Column{Property: p})
		}
		return v
	}
	format.Register(ReceiveConnectorType, table("Identity", "Bindings", "Enabled"))
	format.Register(SendConnectorType, table("Identity", "AddressSpaces", "Enabled"))
	format.Register(AcceptedDomainType, table("Name", "DomainName", "DomainType", "Default"))
	format.Register(MailboxType, table("Name", "Alias", "ServerName", "ProhibitSendQuota"))
	format.Register(UserType, table("Name", "RecipientType"))
	format.Register(RecipientType, table("Name", "RecipientType"))
	format.Register(ADPermissionType, table("Identity", "User", "Deny", "Inherited"))
	format.Register(TransportServiceType, table("Name"))
	format.Register(FrontendTransportServiceType, table("Name"))
	format.Register(MailboxTransportServiceType, table("Name"))
	format.Register(ExchangeServerType, table("Name", "Site", "ServerRole", "Edition", "AdminDisplayVersion"))
	format.Register(MailboxDatabaseType, table("Name", "Server", "Recovery", "ReplicationType"))
	format.Register(DistributionGroupType, table("Name", "DisplayName", "GroupType", "PrimarySmtpAddress"))
	format.Register(MailContactType, table("Name", "Alias", "RecipientType"))
	format.Register(MailboxPermissionType, table("Identity", "User", "AccessRights", "IsInherited", "Deny"))
	format.Register(ServerComponentStateType, table("Server", "Component", "State"))
	// The table shows the services as Exchange's flag string ("IP.WS.."
	// for IMAP, POP, IIS and SMTP).
	cert := format.View{Table: []format.Column{
		{Property: "Thumbprint", Width: 41},
		{Header: "Services", Width: 10, Expr: func(o *object.PSObject) any {
			v, _ := o.Get("Services")
			return serviceFlags(object.ToString(v))
		}},
		{Property: "Subject"},
	}}
	cert.List = certificateList
	format.Register(ExchangeCertificateType, cert)
}
