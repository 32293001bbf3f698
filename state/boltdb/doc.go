// Package boltdb keeps an exsh organisation in one bbolt file,
// <DataPath>/exsh.db, and is the only package that imports bbolt.
//
// Layout: a "meta" bucket marks the file as an exsh store and holds the
// schema version (Open migrates older files step by step and refuses newer
// ones); each record type has a bucket keyed by Guid whose values are JSON
// records; secondary index buckets map lower-case keys (recipient proxy
// addresses, logins, names and aliases; connector and domain names) to
// Guids, so lookups are one index hit and uniqueness is enforced on every
// Put. All organisation buckets are named "org.*"; the transport engine's
// queue and mailbox buckets, written by the queue files of this package,
// are named "queue*" and "mailbox*".
//
// Every Update is one bbolt transaction. Changes are published to
// subscribers from the transaction's commit hook, so nothing is published
// for a rolled-back transaction. Open takes the file lock with a timeout
// and reports a held lock as state.ErrLocked rather than waiting.
package boltdb
