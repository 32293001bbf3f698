// Package tracking writes and searches Exchange's message tracking logs.
//
// Files live in one folder (<DataPath>/TransportRoles/Logs/MessageTracking,
// shared by all transport services, as on a real server) and are named by
// service prefix and UTC hour: MSGTRK2026112709-1.LOG for the Transport
// service, MSGTRKMD2026112709-1.LOG for Mailbox Transport Delivery. A file
// that reaches MaxFileSize continues in the next instance (-2, -3, ...).
// Every file starts with Exchange's header:
//
//	#Software: Microsoft Exchange Server
//	#Version: 15.02.1118.007
//	#Log-type: Message Tracking Log
//	#Date: 2026-11-27T09:00:00.000Z
//	#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,...
//
// One [Event] is one CSV line; multi-valued fields (recipient-address,
// recipient-status, reference) are joined with ';'. [Log.Search] reads the
// files back for Get-MessageTrackingLog.
package tracking
