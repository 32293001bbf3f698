// Package smtpclient is the SMTP client of every outbound hop in exsh: the
// Front End's proxy to the Transport service, the Outbound Proxy Frontend,
// delivery through send connectors and Send-MailMessage.
//
// A [Client] dials (from a chosen source address if asked), reads the
// greeting, says EHLO (HELO when the server does not know EHLO), does
// STARTTLS, authenticates with any go-sasl mechanism, and sends a
// message with BDAT when the server offers CHUNKING or with DATA
// otherwise. BODY=BINARYMIME goes only with BDAT; a server without
// BINARYMIME and CHUNKING gets no binary content ([BodyNotSupported]).
// Every reply is a [replies.Reply]; an error means the session broke.
//
// What goes over the wire is reported to one [Hook]: [ProtocolLog] writes
// Exchange's SmtpSend protocol log lines, a transcript (Send-MailMessage
// -Transcript) prints C:/S: lines from the same events.
//
// The client is written here rather than taken from go-smtp (which serves
// the receive side): go-smtp's client issues STARTTLS only as its first
// command and hides the dialogue behind a debug stream, has no BDAT, always
// says BODY=8BITMIME, turns bare LFs of binary content into CRLF and
// dot-stuffs byte by byte. Each hop had grown a shim around it that replayed
// the greeting and re-parsed its debug output.
package smtpclient
