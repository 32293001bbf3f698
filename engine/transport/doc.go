// Package transport is the Transport service of one Exchange 2019 Mailbox
// server: the submission queue, the categorizer, the delivery queues,
// Mailbox Transport Delivery and outbound SMTP through send connectors,
// with Exchange's retry, expiry, delay DSN, NDR and poison-message rules.
//
// A message moves like this:
//
//	Submit ──► Submission ──► categorizer ─┬─► EX01\<n> SmtpDeliveryToMailbox ──► mailbox store
//	(commit,                (resolve,     ├─► EX01\<n> Dns/SmartHostConnectorDelivery ──► SMTP
//	 then 250)               route,        ├─► EX01\Unreachable (no send connector)
//	                         bifurcate)    └─► NDR back into Submission
//
// Everything is kept in the server's queue store (state.QueueStore, in
// bbolt: state/boltdb).
// Submit returns only after the message is committed (bbolt Batch: one
// fsync for all concurrent submitters). Every later step, moving a message
// between queues and delivering it into a mailbox while removing it from its
// queue, is a single transaction. A message in flight is marked Active and
// its CrashCount raised before processing; a restart finds such messages,
// counts the interrupted attempt and sends a message that took
// PoisonThreshold service crashes (or recovered panics) to the Poison queue.
//
// The code follows the stages. submit.go takes mail in (Submit). Each
// queue kind has a stage that works its batches: categorize.go (the
// Submission queue: resolve, route, bifurcate), deliver.go (mailbox
// delivery queues) and send.go (send connector queues, over the SMTP
// client in smtpout.go). runner.go runs one runner per queue: it claims a
// batch (claim.go), hands it to the queue's stage, and now and then sweeps
// the queue for expired and delayed messages (sweep.go). Every stage
// records its work through the one batch transaction of batch.go: read
// each claimed message again, settle an administrator's pending
// Suspend-Message or Remove-Message (after the outcome, for messages the
// send stage has already offered to a remote host), plan, apply, claim the
// next batch, commit; a failed commit gives the batch back for a retry.
//
// Outbound delivery uses engine/smtpclient, with BDAT when the next hop
// offers CHUNKING. A connector with DNSRoutingEnabled looks up MX records
// of the recipient domain (tests never do: they use smart hosts on
// 127.0.0.1); one with smart hosts connects to each host on the
// connector's Port. A port one of this server's receive connectors is
// bound to, on an address it listens on (and the Outbound Proxy Frontend
// on 717 when FrontendProxyEnabled is set), goes through Config.PortMap so
// a lab with a port offset still works; any other port is used as given.
// The session is written to the Hub SmtpSend protocol log.
//
// With FrontendProxyEnabled the hub connects to this server's Outbound
// Proxy Frontend instead of the destination, pins the organisation's
// certificate for STARTTLS and logs on with Config.Credential (the
// credential the receive side has too); the Front End relays to the
// connector's smart hosts and answers with their replies, so retry,
// expiry and NDRs work as for direct delivery. Without a credential the
// message waits in Retry with "451 5.7.3 Cannot achieve Exchange Server
// authentication".
//
// Every goroutine belongs to the Transport: Stop cancels the queue runners,
// lets in-flight deliveries finish until its context expires and waits for
// all of them. Message tracking events (package tracking) are written at
// each step in Exchange's order.
//
// The administration API (Queues, Messages, SuspendQueue, RetryQueue,
// RemoveMessage, ExportMessage, ...) backs Get-Queue, Get-Message and the
// queue action cmdlets.
package transport
