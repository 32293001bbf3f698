// Package queue holds the Exchange queue cmdlets: Get-Queue,
// Get-QueueDigest, Suspend-Queue, Resume-Queue, Retry-Queue, Get-Message,
// Suspend-Message, Resume-Message, Remove-Message and Export-Message, plus
// AssembleMessage, the filter the Exchange Management Shell defines to
// save what Export-Message returns:
//
//	Export-Message EX01\Unreachable\12 | AssembleMessage -Path C:\Temp\12.eml
//
// The cmdlets are a front for the Transport service's administration API
// (engine/transport): they parse Exchange's identities, -Filter (OPATH,
// package cmdlets/opath), -Include/-Exclude, -SortOrder and -ResultSize,
// ask for confirmation with Exchange's texts, and shape the results as
// the Exchange Management Shell shows them (ExtensibleQueueInfo and
// ExtensibleMessageInfo with their default table views).
//
// They work on the server the shell runs on unless -Server, a
// server-qualified identity (EX02\Unreachable, EX02\3\12) or a server
// object piped in (Get-TransportService | Get-Queue) names another; that
// server's administration API is then reached over the management
// channel (cmdlets.Deps.At, engine/backend). Get-QueueDigest asks every
// server it covers at once.
//
// Export-Message returns an object whose FileData property holds the
// message bytes, as Exchange's BinaryFileDataObject does; exsh adds -Path
// to write them to a file directly.
package queue
