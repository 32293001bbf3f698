// Package engine runs the receive side of exsh's transport: the Front End
// Transport and Transport service listeners of every enabled receive
// connector, exactly as an Exchange 2019 Mailbox server does.
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
//     are not advertised.
//   - The Front End authenticates to the hub with AUTH PLAIN inside TLS as
//     the computer account (CONTOSO\EX01$) and a per-process random
//     secret instead of X-EXPS/Kerberos; the client's address and EHLO
//     name travel in X-MS-Exchange-Organization-* header fields that the
//     hub trusts only from that account (XPROXYFROM is not implemented).
//   - The proxy client pins the organisation's own certificate.
package engine
