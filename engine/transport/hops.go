package transport

import (
	"strings"
	"time"

	"exsh/state"
)

// Hops between the servers of an organisation (SPEC section 8). The
// categorizer routes a mailbox by its database as on a single server: a
// SmtpDeliveryToMailbox queue whose NextHopDomain is the database's name.
// When the database is on another server, the send stage works that queue
// instead of Mailbox Transport: the batch goes over SMTP to the Transport
// service of the database's server ("Default <S>", port 2525 plus its
// offset, on its address), logged on as this server (AUTH PLAIN inside
// TLS with the organisation-derived credential), through Exchange's
// implicit "Intra-Organization SMTP Send Connector". The receiving server
// categorizes again and delivers to its own mailbox database.
//
// Mail for a send connector whose SourceTransportServers do not include
// this server waits in a SmtpRelayToConnectorSourceServers queue (its
// NextHopDomain the connector's name, as Exchange shows it) and goes the
// same way to the Transport service of one of the source servers, live
// ones first, which sends it out through the connector.
//
// Only a Transport service with an address (Config.Local) does this; a
// single server keeps every path as it was.

// serverHopRetryInterval caps the wait of a queue to another server after
// a failed attempt, whatever TransientFailureRetryInterval says: mail for
// a server that was down is delivered within a minute of its return.
const serverHopRetryInterval = 30 * time.Second

// returnCheckInterval is how often the liveness of the servers that
// queues wait for is looked at (wakeReturned), whatever the sweep
// interval: a server's return is seen within about a second.
const returnCheckInterval = time.Second

// hopsAt is which other servers queues to other servers wait for, as of
// a store generation: the server holding each mailbox database, by
// lower-case Guid, and the source servers of each send connector, by
// lower-case Guid; and where each other server's Transport service is
// reached (serverTargets), by lower-case name.
type hopsAt struct {
	gen     uint64
	servers map[string]string
	sources map[string][]string
	targets map[string]target
	// others are the lower-case names of the servers other than this
	// one that hold a database or are a send connector's source server.
	others []string
}

// databaseServer names the server holding the database with Guid guid,
// "" when unknown. The table is read once per store generation.
func (t *Transport) databaseServer(guid string) string {
	return t.hops().servers[strings.ToLower(guid)]
}

// hops is the table of the servers queues wait for, read again when the
// store's generation changed.
func (t *Transport) hops() *hopsAt {
	gen := t.st.Generation()
	old := t.cachedHops.Load()
	c := old
	if c == nil || c.gen != gen {
		c = &hopsAt{gen: gen, servers: map[string]string{}, sources: map[string][]string{}, targets: map[string]target{}}
		others := map[string]bool{}
		other := func(name string) {
			if name != "" && !strings.EqualFold(name, t.cfg.ServerName) && !others[strings.ToLower(name)] {
				others[strings.ToLower(name)] = true
				c.others = append(c.others, strings.ToLower(name))
			}
		}
		err := t.st.View(func(tx state.Tx) error {
			dbs, err := tx.MailboxDatabases()
			if err != nil {
				return err
			}
			for _, db := range dbs {
				c.servers[strings.ToLower(db.Guid)] = db.Server
				other(db.Server)
			}
			scs, err := tx.SendConnectors()
			for _, sc := range scs {
				var names []string
				for _, s := range sc.SourceTransportServers {
					name, _, _ := strings.Cut(s, ".")
					names = append(names, strings.ToLower(name))
					other(name)
				}
				c.sources[strings.ToLower(sc.Guid)] = names
			}
			if err != nil {
				return err
			}
			rcs, err := tx.ReceiveConnectors()
			if err != nil {
				return err
			}
			srvs, err := tx.Servers()
			for _, srv := range srvs {
				if h, ok := state.PickServerHub(srv, rcs, "Default "+srv.Name); ok {
					c.targets[strings.ToLower(srv.Name)] = target{host: srv.Fqdn, addr: h.Addr.String(), ip: h.Addr.Addr().String(), server: true}
				}
			}
			return err
		})
		if err != nil {
			// A table read in part would take another server's database
			// for this one's: the last whole one serves until a read
			// succeeds.
			t.log.Warn("reading the organisation's servers for the queues to them", "err", err)
			if old != nil {
				return old
			}
			return c
		}
		t.cachedHops.Store(c)
	}
	return c
}

// othersAlive reports whether every other server that a queue may wait
// for (hopsAt.others) is alive.
func (t *Transport) othersAlive() bool {
	for _, s := range t.hops().others {
		if !t.cfg.Alive(s) {
			return false
		}
	}
	return true
}

// waitsFor are the other servers a queue to other servers waits for, by
// lower-case name: the server of its database (SmtpDeliveryToMailbox),
// or its send connector's source servers other than this one
// (SmtpRelayToConnectorSourceServers); none for any other queue.
func (t *Transport) waitsFor(qr *state.QueueRecord) []string {
	switch qr.DeliveryType {
	case state.DeliveryToMailbox:
		if t.remoteDatabase(qr) {
			return []string{strings.ToLower(t.databaseServer(qr.NextHopConnector))}
		}
	case state.DeliveryRelayToSourceServers:
		var out []string
		for _, s := range t.hops().sources[strings.ToLower(qr.NextHopConnector)] {
			if !strings.EqualFold(s, t.cfg.ServerName) {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// remoteDatabase reports whether a SmtpDeliveryToMailbox queue is for a
// database of another server. Always false on a single server.
func (t *Transport) remoteDatabase(qr *state.QueueRecord) bool {
	if !t.cfg.Local.IsValid() {
		return false
	}
	s := t.databaseServer(qr.NextHopConnector)
	return s != "" && !strings.EqualFold(s, t.cfg.ServerName)
}

// intraOrgConnector is Exchange's implicit send connector for the hops
// between the organisation's servers, logged at the Transport service's
// IntraOrgConnectorProtocolLoggingLevel (kept with the other settings).
func (t *Transport) intraOrgConnector() *state.SendConnector {
	return &state.SendConnector{Name: intraOrgConnectorId, Guid: zeroGuid, Enabled: true,
		ProtocolLoggingLevel: t.settings().IntraOrgConnectorProtocolLoggingLevel}
}

// sourceServers are the servers to relay a send connector's mail to: its
// SourceTransportServers other than this one, live ones first, each group
// in the connector's order.
func (t *Transport) sourceServers(c *state.SendConnector) []string {
	var live, down []string
	for _, s := range c.SourceTransportServers {
		name, _, _ := strings.Cut(s, ".")
		if strings.EqualFold(name, t.cfg.ServerName) {
			continue
		}
		if t.cfg.Alive == nil || t.cfg.Alive(name) {
			live = append(live, name)
		} else {
			down = append(down, name)
		}
	}
	return append(live, down...)
}

// serverTargets are the Transport services of servers: each one's
// "Default <S>" connector (or another enabled hub connector that grants
// ExchangeServers), on the server's address and port offset
// (state.PickServerHub), as of the store's generation.
func (t *Transport) serverTargets(servers []string) ([]target, *sendError) {
	known := t.hops().targets
	var out []target
	for _, name := range servers {
		if tg, ok := known[strings.ToLower(name)]; ok {
			out = append(out, tg)
		}
	}
	if len(out) == 0 {
		// No server to hand the mail to is known: it waits, as for a
		// next hop that cannot be reached.
		return nil, &sendError{status: "451 4.4.0 DNS query failed"}
	}
	return out, nil
}

// hopData is a message as it goes to another server's Transport service:
// the organisation's headers stay, and an Originating message says so,
// as the next server cannot tell from its session.
func hopData(m *state.QueuedMessage, d []byte) []byte {
	if m.Directionality != "Originating" {
		return d
	}
	const field = "X-MS-Exchange-Organization-MessageDirectionality: Originating\r\n"
	out := make([]byte, 0, len(field)+len(d))
	return append(append(out, field...), d...)
}

// returnGrace is how long after a server's return its queues are woken
// again when an attempt fails: a server is alive (its liveness key is
// back) a little before its Transport service listens.
const returnGrace = 30 * time.Second

// serverReturns is wakeReturned's memory of the other servers, by lower
// case name: those seen down, and when those seen return came back.
type serverReturns struct {
	down map[string]bool
	back map[string]time.Time
}

func newServerReturns() *serverReturns {
	return &serverReturns{down: map[string]bool{}, back: map[string]time.Time{}}
}

// wakeReturned retries now the queues to other servers (waitsFor: the
// queues of other servers' databases and those relaying to a send
// connector's source servers) that wait for a server that was down at an
// earlier look and is alive again (Config.Alive), rather than waiting for
// the queue's next retry. Within returnGrace of the return, a queue whose
// attempt failed again (the server was not yet listening) is woken again,
// every other look at most. The sweep loop alone calls it.
func (t *Transport) wakeReturned(r *serverReturns) {
	if t.cfg.Alive == nil || !t.cfg.Local.IsValid() {
		return
	}
	if len(r.down) == 0 && len(r.back) == 0 && t.othersAlive() {
		// No server was seen down and none is: no queue to wake, and
		// the queues are not read every second for nothing.
		return
	}
	var waiting []*state.QueueRecord
	_ = t.st.QueueView(func(q state.QueueTx) error {
		qs, err := q.Queues()
		for _, qr := range qs {
			if (qr.DeliveryType == state.DeliveryToMailbox || qr.DeliveryType == state.DeliveryRelayToSourceServers) &&
				qr.LastError != "" && qr.MessageCount > 0 {
				waiting = append(waiting, qr)
			}
		}
		return err
	})
	now := t.now()
	// How each server a queue waits for is at this look, asked once.
	const (
		isDown = iota + 1
		returned
		inGrace
		settled
	)
	status := map[string]int{}
	look := func(server string) int {
		if st, ok := status[server]; ok {
			return st
		}
		st := settled
		switch back, ok := r.back[server]; {
		case !t.cfg.Alive(server):
			r.down[server] = true
			delete(r.back, server)
			st = isDown
		case r.down[server]:
			r.back[server] = now
			st = returned
		case ok && now.Sub(back) < returnGrace:
			st = inGrace
		}
		status[server] = st
		return st
	}
	for _, qr := range waiting {
		wake := false
		for _, server := range t.waitsFor(qr) {
			switch look(server) {
			case returned:
				wake = true
			case inGrace:
				if now.Sub(qr.LastRetryTime) >= 2*returnCheckInterval && qr.NextRetryTime.After(now) {
					wake = true
				}
			}
		}
		if wake {
			if err := t.RetryQueue(t.queueIdentity(qr.Number), false); err != nil {
				t.log.Error("retrying the queue of a server that returned", "queue", qr.Number, "err", err)
			}
		}
	}
	for server := range r.down {
		if _, seen := status[server]; !seen || t.cfg.Alive(server) {
			delete(r.down, server)
		}
	}
	for server, back := range r.back {
		if now.Sub(back) >= returnGrace {
			delete(r.back, server)
		}
	}
}
