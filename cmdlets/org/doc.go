// Package org holds the Exchange cmdlets that manage the organisation:
// receive and send connectors, accepted domains, mailboxes, users and
// recipients, permissions on receive connectors, the transport services,
// the server, its mailbox database and its certificate.
//
// Each noun has one file with all its verbs. Every cmdlet declares its
// parameters once, in Exchange's names, kinds and positions; binding,
// completion and Get-Help read that declaration. A cmdlet that changes the
// organisation validates first and then writes in one store transaction,
// so after any error the store is exactly as it was.
//
// Errors are Exchange's error records: the message, the exception name
// (ManagementObjectNotFoundException, ADObjectAlreadyExistsException,
// DataValidationException, ReceiveConnectorRoleConflictException, ...) and
// a FullyQualifiedErrorId in the remote shell's form. They are written as
// non-terminating errors, as the Exchange Management Shell does, so
// try/catch needs -ErrorAction Stop there too.
//
// Secrets stay in the store: passwords are kept only as bcrypt hashes, and
// a send connector's smart host password (which the transport must send in
// clear) is never shown, not even through an object's Base record.
package org
