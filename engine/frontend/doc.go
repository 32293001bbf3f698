// Package frontend is the organisation's side of an SMTP session on a
// receive connector: it picks the connector for a connection (binding and
// most specific RemoteIPRanges), turns the connector's permission groups
// and ADPermission entries into the session's rights, applies Exchange's
// rules at AUTH, MAIL FROM and RCPT TO ([Receive]), and, for Front End
// Transport connectors, proxies accepted mail to the Transport service
// over SMTP with engine/smtpclient ([Proxy]). Mail that the Transport
// service itself proxies through a Front End connector (Outbound Proxy
// Frontend, for send connectors with FrontendProxyEnabled) is relayed to
// the send connector's destination ([OutboundProxy]).
//
// The Transport service's own receive connectors use the same [Receive]
// policy with a different DataFunc (package engine queues the message).
package frontend
