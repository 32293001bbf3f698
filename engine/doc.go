// Package engine runs exsh's transport: the Front End Transport and
// Transport service listeners of every enabled receive connector, exactly
// as an Exchange 2019 Mailbox server does, and the Transport service
// behind them.
//
// A tour:
//
//   - [Service] owns the listeners (one per listening address; several
//     bindings may share one), every SMTP session on them, and the SMTP
//     Receive protocol logs of both services. It follows the store's
//     change feed: a connector that is disabled stops listening, a new
//     one starts, a changed one applies to the next connection.
//   - For each connection the connector is chosen by binding and most
//     specific RemoteIPRanges (package frontend), and an smtpd.Session
//     speaks Exchange's dialogue with the connector's settings.
//   - Front End connectors (25, 587, 717) proxy accepted mail over SMTP to
//     the Transport service's connectors ("Default EX01" on 2525, or
//     "Client Proxy EX01" on 465 for authenticated submissions), logging
//     the hop in the Front End SmtpSend log.
//   - Hub connectors (2525, 465) add their Received: line and hand the
//     message to the mail.Submitter (the Transport service of package
//     engine/transport), answering 250 2.6.0 only after it is queued.
//   - Outbound Proxy Frontend (717) takes mail the Transport service
//     sends through a send connector with FrontendProxyEnabled: the hub
//     logs on as the server, the Front End picks the send connector for
//     the recipients and relays MAIL, RCPT and the message to the
//     connector's destination over SMTP (frontend.OutboundProxy), so the
//     hub gets the destination's replies. The outbound leg is in the
//     Front End SmtpSend log under the send connector's name.
//   - Every receive connector enforces MaxHopCount (all Received:
//     fields) and MaxLocalHopCount (those added "by" this server) with
//     554 5.4.6 Hop count exceeded - possible mail loop.
//
// [NewServer] builds a whole server: the Transport service (package
// engine/transport) behind the hub connectors, started before the
// listeners and stopped after them. Both services authenticate to each
// other with one mail.ServerCredential (the computer account
// CONTOSO\EX01$ and a per-process random secret) that NewServer makes
// with [NewServerCredential]. [New] builds the receive side alone, for a
// Submitter of the caller's choosing (tests record what the hub accepts).
//
// Ports: every binding listens on its port plus Options.PortOffset (or
// Options.PortMap); wildcard bindings listen on loopback unless
// Options.ListenAll. [Service.ListenPort] gives the translation to
// cmdlets such as Send-MailMessage.
//
// Deliberate differences from Exchange 2019, each because exsh does not
// implement the mechanism:
//
//   - AUTH offers LOGIN and PLAIN ("AUTH LOGIN PLAIN"), never NTLM or
//     GSSAPI; X-EXPS, X-ANONYMOUSTLS, XEXCH50, XRDST and XSHADOWREQUEST
//     are not advertised. SMTPUTF8 is not advertised either (no real
//     2016/2019 EHLO reply shows it); SmtpUtf8Enabled is kept as a
//     connector value only.
//   - The Front End authenticates to the hub, and the hub to Outbound
//     Proxy Frontend, with AUTH PLAIN inside TLS as the computer account
//     (CONTOSO\EX01$) and a per-process random secret instead of
//     X-EXPS/Kerberos; the client's address and EHLO name travel in
//     X-MS-Exchange-Organization-* header fields that the hub trusts only
//     from that account (XPROXYFROM is not implemented).
//   - For outbound proxying the Front End chooses the send connector
//     itself (the same routing as the hub's categorizer) instead of
//     being told the destination by the hub, and connects to it at the
//     first RCPT TO. A destination that cannot be reached, or that drops
//     the session, is answered to the hub with 421, which ends the hub's
//     session and puts its queue in Retry.
//   - The proxy client pins the organisation's own certificate.
package engine
