// Package protolog writes Exchange's SMTP protocol logs: the CSV files that
// Exchange 2019 keeps under TransportRoles\Logs\{FrontEnd,Hub}\ProtocolLog\
// {SmtpReceive,SmtpSend}, one line per protocol event.
//
// A [Log] owns one log directory (one service, one direction). It writes
// hourly files named RECVyyyymmddhh-N.LOG or SENDyyyymmddhh-N.LOG, each
// starting with Exchange's five header lines:
//
//	#Software: Microsoft Exchange Server
//	#Version: 15.0.0.0
//	#Log-type: SMTP Receive Protocol Log
//	#Date: 2023-01-11T16:00:04.113Z
//	#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
//
// A file that reaches [Limits.MaxFileSize] is closed and the next instance
// number is opened; files older than [Limits.MaxAge] and the oldest files
// beyond [Limits.MaxDirectorySize] are deleted.
//
// Each SMTP connection gets a [Session] (from [Log.Session]) with a 16-digit
// upper-case hexadecimal session id and a sequence number starting at 0. It
// has one method per event kind:
//
//	Connect     +   the connection was opened
//	Recv        <   a line from the peer
//	Send        >   a line to the peer
//	Info        *   information (permissions, TLS, message ids, ...)
//	Disconnect  -   the connection was closed
//
// Lines are held in memory and written together: by [Session.Flush], which
// the SMTP server calls before each write to its socket, so a reply's line
// is in the file by the time the reply is sent (SPEC §3); when a session
// disconnects; when 32 KB are held; and at the latest 100 ms after the
// first held line (an SmtpSend session's lines wait for these). A Session whose connector logs at level None writes
// nothing and costs one allocation; it still has a session id, which the
// transport uses in message ids.
package protolog
