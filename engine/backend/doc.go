// Package backend is the management channel between the servers of an
// organisation (SPEC section 8, "Management anywhere"). The organisation's
// configuration is replicated to every server, but each server keeps its
// own queues, message tracking log and mailboxes' content; a shell on EX01
// that runs Get-Queue -Server EX02 asks EX02 for them over this channel.
//
// Each server of an organisation (ExchangeServer.IPAddress set) listens
// where Exchange's back-end web site does: port 444 plus the server's
// PortOffset, on its IPAddress ([Addr]). The channel is HTTPS with the
// organisation's certificate (state.Tx.Certificate): the client pins it,
// accepting only that very certificate, so no other host can answer for a
// server. Every request logs on with HTTP Basic authentication as the
// calling server's computer account and secret (mail.ServerCredential);
// the server checks them with a [Checker] and refuses anything else with
// 401. Bodies are JSON; each operation is one POST to /exsh/backend/v1/
// followed by its name, with arguments of at most 1 MiB (413 beyond).
//
// A server serves at most [Config.MaxRequests] requests at once and
// answers one more at once with 503 and Retry-After ([ErrBusy] for the
// caller). A failed logon is answered after [Config.FailedLogonDelay] (5
// seconds, as a failed SMTP AUTH or EAC sign-in), behind the other failed
// logons of its address; an address with several waiting is locked out
// (429 and Retry-After, its credential unchecked) until they are
// answered. An operation stops when its caller goes away or gives up: the
// caller sends how long it waits, and queue walks and tracking searches
// end with the caller's patience.
//
// [Listen] serves a server's own per-server data (its Transport service's
// queue administration, its tracking log, its mailbox store); a [Client]
// from [Dialer.Server] offers the same methods for another server, so the
// cmdlets use a remote server exactly as the local one. A server that is
// down or cannot be reached gives an [*UnreachableError] within the
// dial timeout, never a hang.
package backend
