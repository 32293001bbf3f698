// Package mail holds the mail-client cmdlets: Send-MailMessage, with
// Windows PowerShell's parameters and error texts plus two lab extensions,
// and Get-MailboxMessage, which reads what was delivered into a mailbox.
//
// Send-MailMessage speaks real SMTP with engine/smtpclient, with DATA as
// .NET's SmtpClient does. What exsh adds:
//
//   - -SourceAddress dials from a chosen local address (127.0.0.56, say),
//     so a lab can play a device and find it again in the protocol log.
//   - -Transcript prints the SMTP dialogue as it happens, "C: " for what
//     the client sends and "S: " for what the server answers; after
//     STARTTLS the decrypted dialogue is shown, and the AUTH exchange is
//     masked.
//   - When -SmtpServer names this server (its name, its FQDN, localhost or
//     a loopback address), -Port is the Exchange port (25, 587, 2525, ...)
//     and is translated to the port exsh really listens on (-PortOffset),
//     so lab scripts written for a real server run unchanged. The
//     organisation's self-signed certificate is trusted for STARTTLS to
//     this server (the chain is verified against that certificate; the host
//     name is not, since a lab reaches the server as localhost or by
//     address). Other servers get normal certificate verification.
//
// As in Windows PowerShell, SMTP failures are non-terminating errors of
// category InvalidOperation whose text is .NET's SmtpException message
// followed by the server's reply ("Mailbox unavailable. The server response
// was: 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"), so
// a script needs -ErrorAction Stop to catch them with try/catch.
package mail
