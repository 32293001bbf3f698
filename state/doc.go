// Package state is the Exchange organisation exsh manages: its records
// (servers, receive and send connectors, accepted domains, recipients,
// ADPermission entries, transport services, the mailbox database and the
// certificate), the Store interface they are kept behind, and the rules
// both the shell and the transport engine apply to them: RemoteIPRanges
// and Bindings parsing and matching, accepted-domain and address-space
// matching, permission-group expansion and effective rights, and password
// hashing.
//
// The model is the Exchange one. Record field names are Exchange property
// names in Format-List order, so the shell can show a record by
// reflection; fields tagged `exsh:"-"` are internal.
//
// A Store runs one transaction per cmdlet: [Store.View] for reads and
// [Store.Update] for writes, which is applied whole or not at all and, once
// committed, reported to subscribers as [Change] values so the running
// engine can follow configuration changes without a restart. Errors are the
// sentinels in store.go wrapped with the object's name; match them with
// errors.Is.
//
// A server's own queues and mailboxes are kept behind [QueueStore] and
// [QueueTx]; the transport engine and the cmdlets use only these
// interfaces ([ServerStore] is both), and only cmd/exsh and the test
// helpers choose an implementation. state/boltdb implements them all in one
// bbolt file; state/etcd keeps the organisation of several servers in etcd,
// replicated into each server's bbolt file beside its own queues. Both pass
// the suite in state/storetest. state/setup writes a new organisation's
// defaults; state/statetest opens stores for tests.
package state
