// Package logs holds Get-MessageTrackingLog, which searches the message
// tracking logs the Transport service writes under
// <DataPath>/TransportRoles/Logs/MessageTracking, with Exchange's
// parameters, output properties and default view:
//
//	EventId  Source      Sender            Recipients             MessageSubject
//	-------  ------      ------            ----------             --------------
//	RECEIVE  SMTP        chris@contoso.com {michelle@contoso.com} test
//
// The search goes through the running Transport service when there is one
// (so lines it just wrote are found), else it reads the files directly.
package logs
