// Package etcd keeps an organisation of several servers in etcd, the
// part Active Directory plays for Exchange: every server runs an embedded
// etcd member (StartMember), and the organisation's configuration
// (servers, connectors, accepted domains, recipients, permissions,
// service settings) is one etcd key space that all of them share. Mail
// never goes through etcd: queues, mailboxes and logs stay in each
// server's own bbolt store.
//
// # Reads are local, changes are checked
//
// Store keeps a replica of the organisation in the server's own bbolt
// store (the same file as its queues, so the engine reads routing data in
// the transaction that moves a message), fed by an etcd watch: reads are
// as fast as on a single server and keep working while the cluster has
// no majority. The etcd keys mirror the replica's organisation buckets
// key by key (see keys.go), so the replica is the very organisation a
// single server keeps, with its indexes and uniqueness rules.
//
// A change (Update) is first brought up to date with etcd (a linearizable
// read gives the current revision; Update waits until the replica has
// it), then rehearsed on the replica (boltdb.Store.Rehearse), which
// records every key the change read and wrote and rolls it back. The
// writes go to etcd in one Txn guarded by compares: every key read has
// not changed since the replica's revision (ModRevision below it, and
// still there when it was found), every range walked has no newer key and
// no deletion since (a per-bucket deletion marker). If another change got
// in between, the Txn is refused, the replica catches up and the change
// runs again; two administrators changing one object on two servers both
// land, never silently losing one. The committed Txn also carries the
// change list, which every server publishes to its subscribers (the
// engine's configuration reload, Generation) when its watch applies the
// revision; Update returns once the local replica has applied it.
//
// # Joining and per-server data (design)
//
// The command line of SPEC section 8 builds on this package as follows.
//
//   - Founding. `exsh -Serve -DataPath D1 -ServerName EX01 -IPAddress A`
//     starts a member named EX01 with its data directory in D1/etcd, the
//     client URL http://A:2379 and the peer URL http://A:2380 (plus the
//     port offset), as a new one-member cluster. If the organisation's key
//     space is empty and D1's bbolt file holds an organisation (a single
//     server moving to several), every organisation bucket is copied into
//     etcd in batches below the Txn limit, under a "founding" key written
//     last, so a founding interrupted halfway is started over rather than
//     taken for an organisation; a new data path runs setup through the
//     Store instead.
//   - Joining. `-Join B` asks the member at B (port 2379 plus the offset
//     when none is given) to add this server as a learner (MemberAddAsLearner),
//     starts the local member with ClusterState existing and the initial
//     cluster the answer lists, and promotes it once it has caught up, so a
//     joining member never weakens the quorum while it copies the log.
//     The new server's Open copies the organisation into its replica; then
//     setup adds what is the server's own: its ExchangeServer record, its
//     five receive connectors, its transport services and its mailbox
//     database (named as Exchange setup names it, Server = itself).
//   - Restarting. A data path with an etcd directory is a member already:
//     the member restarts from it and -Join is ignored; Open resynchronises
//     the replica from the member's revision.
//   - Liveness. Each server keeps a lease-bound key (TTL a few seconds)
//     refreshed while it runs; Get-ExchangeServer shows servers whose key
//     is gone as down, and routing stops choosing their Transport service.
//   - Per-server data stays per server: queues, messages, mailboxes'
//     content, message tracking and protocol logs live only in each
//     server's data path. Cmdlets that show them for another server
//     (-Server EX02) ask that server over its authenticated channel; the
//     etcd key space only says where each server listens.
//   - No majority. Update fails within the timeout with
//     state.ErrUnavailable and reads keep working from the replica. A Txn
//     that timed out on the client may still sit in the raft log and
//     commit once the majority returns; SPEC section 8 forbids that, so a
//     change will be made to carry an attempt key granted on a short lease
//     and compared in its Txn, and the raft ordering of a late commit
//     against the lease's expiry still has to be worked out and tested.
package etcd
