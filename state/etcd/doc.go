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
// A change (Update) is first brought up to date with etcd (the put of its
// attempt key, see "No majority", gives the current revision; Update
// waits until the replica has it), then rehearsed on the replica (boltdb.Store.Rehearse), which
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
// # Founding, joining and per-server data
//
// The command line of SPEC section 8 (cmd/exsh) builds on this package:
//
//   - Founding. `exsh -Serve -DataPath D1 -ServerName EX01 -IPAddress A`
//     starts a member named EX01 with its data directory in D1/etcd, the
//     client URL http://A:2379 and the peer URL http://A:2380 (plus the
//     port offset), as a new one-member cluster. Found copies D1's
//     organisation, when its bbolt file holds one (a single server moving
//     to several), into etcd in batches below the Txn limit; a "founded"
//     key written last marks the founding complete, so one interrupted
//     halfway is started over rather than taken for an organisation. A
//     new data path runs setup through the Store instead.
//   - Joining. `-Join B` asks the member at B (port 2379 plus the offset
//     when none is given) to add this server as a learner (JoinMember),
//     starts the local member with ClusterState existing and the initial
//     cluster the answer lists, and promotes it once it has caught up, so
//     a joining member never weakens the quorum while it copies the log.
//     The new server's Open copies the organisation into its replica; then
//     setup.AddServer adds what is the server's own: its ExchangeServer
//     record, its five receive connectors and its mailbox database.
//   - Restarting. A data path with an etcd directory is a member already
//     (IsMember): the member restarts from it and -Join is ignored; Open
//     resynchronises the replica from the member's revision.
//   - Liveness. A store opened with Options.ServerName keeps a key of that
//     server on a lease (Options.LivenessTTL) refreshed while it is open
//     and revoked when it closes; Alive reports whether a server's key is
//     there, and Get-ExchangeServer and routing follow it.
//   - Per-server data stays per server: queues, messages, mailboxes'
//     content, message tracking and protocol logs live only in each
//     server's data path; the etcd key space only says where each server
//     listens.
//
// # No majority
//
// Update fails within the timeout with state.ErrUnavailable and reads
// keep working from the replica. A Txn that timed out on the client may
// still reach the members and commit once the majority returns; SPEC
// section 8 forbids that. So each try of a change first puts an attempt
// key on a lease of a few seconds (which proves a majority answers at that
// moment, and gives the revision to catch up to), and the change's Txn
// requires the key to be there and deletes it. A Txn held up longer than
// the lease (queued behind a lost leader, retried late) finds the key
// revoked by the lease's expiry and changes nothing; Update reports that as
// state.ErrUnavailable. A Txn that got no answer (timed out, connection
// lost) is reported only once its attempt's lease has expired, so that it
// cannot commit after Update said it failed. What remains is the raft log itself: a Txn already
// appended by a leader that loses its majority in the few milliseconds
// between the attempt and the Txn commits with that leader's log once it
// is re-elected (a new leader renews every lease), so the attempt is put
// immediately before the Txn to keep that window as narrow as it can be.
package etcd
