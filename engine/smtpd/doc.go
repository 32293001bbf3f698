// Package smtpd is the server side of SMTP as Exchange 2019's receive
// connectors speak it: one [Session] per connection, configured by a
// connector snapshot ([Config]), answering with the texts of package
// replies and writing every command and reply to the protocol log.
//
// It implements RFC 5321 with PIPELINING (RFC 2920), SIZE (RFC 1870),
// 8BITMIME (RFC 6152), CHUNKING/BDAT and BINARYMIME (RFC 3030),
// ENHANCEDSTATUSCODES (RFC 2034), DSN parameters (RFC 3461), STARTTLS
// (RFC 3207) and AUTH (RFC 4954) with the LOGIN and PLAIN mechanisms only.
// SMTPUTF8 (RFC 6531) is implemented but off unless [Config] turns it on,
// which the receive connectors never do. At the end of data it enforces
// the connector's MaxHopCount and MaxLocalHopCount (Received: fields
// added by this server).
//
// The package knows nothing of the organisation: who may log on, which
// senders and recipients are accepted and where accepted mail goes are
// decided by the caller's [Handler].
package smtpd
