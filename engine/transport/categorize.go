package transport

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
	"exsh/state/boltdb"
)

// Recipient status texts the categorizer gives.
const (
	statusRecipNotFound  = "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found"
	statusSizeLimit      = "550 5.3.4 ROUTING.SizeLimit; message size exceeds fixed maximum size for route"
	errNoMatchConnector  = "A matching connector cannot be found to route the external recipient"
	intraOrgConnectorId  = "Intra-Organization SMTP Send Connector"
	unreachableQueueName = "Unreachable Domain"
)

// routing is the organisation as the categorizer needs it, read once per
// transaction.
type routing struct {
	org        state.Tx
	domains    []*state.AcceptedDomain
	connectors []*state.SendConnector
	server     string
	limits     *state.TransportConfig // read on first use (limits.go)
}

// routingAt is what routing read from the organisation, as of a store
// generation.
type routingAt struct {
	gen        uint64
	server     string
	domains    []*state.AcceptedDomain
	connectors []*state.SendConnector
}

// routing returns the routing tables for a transaction, reading accepted
// domains and send connectors again only when the organisation changed
// since they were last read. The tables are shared and only read.
func (t *Transport) routing(org state.Tx) (*routing, error) {
	gen := t.st.Generation()
	if c := t.cachedRouting.Load(); c != nil && c.gen == gen && c.server == t.cfg.ServerName {
		return &routing{org: org, domains: c.domains, connectors: c.connectors, server: c.server}, nil
	}
	rt, err := loadRouting(org, t.cfg.ServerName)
	if err != nil {
		return nil, err
	}
	t.cachedRouting.Store(&routingAt{gen: gen, server: rt.server, domains: rt.domains, connectors: rt.connectors})
	return rt, nil
}

func loadRouting(org state.Tx, server string) (*routing, error) {
	domains, err := org.AcceptedDomains()
	if err != nil {
		return nil, err
	}
	connectors, err := org.SendConnectors()
	if err != nil {
		return nil, err
	}
	return &routing{org: org, domains: domains, connectors: connectors, server: server}, nil
}

// routeResult is where one recipient goes.
type routeResult struct {
	queue   *state.QueueRecord // template of the destination queue; nil when failed
	rcpt    state.QueuedRecipient
	fail    string // recipient status when the recipient is NDR'd
	changed bool   // the address was rewritten to the primary address (RESOLVE)
	group   string // the distribution group this recipient was expanded from
}

// route resolves and routes one recipient as the categorizer does: a
// mailbox (by any of its proxy addresses, case-insensitively) goes to its
// database's delivery queue under its primary address; an unknown address
// in an authoritative domain fails with 5.1.1; anything else goes to the
// send connector with the most specific address space (then lowest cost,
// then name), or to Unreachable.
func (rt *routing) route(r state.QueuedRecipient, size int64) routeResult {
	res := routeResult{rcpt: r}
	res.rcpt.Status = state.RecipientReady
	res.rcpt.LastError = ""
	if res.rcpt.OriginalAddress == "" {
		res.rcpt.OriginalAddress = r.Address
	}
	domain := state.AddressDomain(r.Address)
	res.rcpt.Domain = domain
	if rec, err := rt.org.RecipientByAddress(r.Address); err == nil {
		if !rec.HasMailbox() {
			res.fail = statusRecipNotFound
			return res
		}
		primary := rec.PrimarySmtpAddress
		if primary == "" {
			primary = r.Address
		}
		res.changed = !strings.EqualFold(primary, r.Address)
		res.rcpt.Address = primary
		res.rcpt.RecipientGuid = rec.Guid
		dbName, dbGuid := rec.Database, zeroGuid
		if db, err := rt.org.MailboxDatabase(rec.Database); err == nil {
			dbName, dbGuid = db.Name, db.Guid
		}
		res.rcpt.Database = dbName
		res.queue = &state.QueueRecord{
			DeliveryType:     state.DeliveryToMailbox,
			NextHopDomain:    strings.ToLower(dbName),
			NextHopConnector: dbGuid,
			NextHopCategory:  "Internal",
		}
		return res
	}
	return rt.routeByDomain(res, domain, size)
}

// routeByDomain routes a recipient that is no recipient of the
// organisation by its domain: an authoritative domain fails with 5.1.1,
// anything else goes to a send connector or to Unreachable.
func (rt *routing) routeByDomain(res routeResult, domain string, size int64) routeResult {
	if ad := state.MatchAcceptedDomain(rt.domains, domain); ad != nil && strings.EqualFold(ad.DomainType, "Authoritative") {
		res.fail = statusRecipNotFound
		return res
	}
	cr, ok := state.SelectSendConnector(rt.connectors, domain, size)
	if !ok {
		if _, fits := state.SelectSendConnector(rt.connectors, domain, -1); fits {
			res.fail = statusSizeLimit
			return res
		}
		res.rcpt.LastError = errNoMatchConnector
		res.queue = &state.QueueRecord{Number: state.QueueUnreachable}
		return res
	}
	c := cr.Connector
	res.rcpt.Connector = c.Guid
	q := &state.QueueRecord{NextHopConnector: c.Guid, NextHopCategory: "External"}
	switch {
	case !rt.isLocalSource(c):
		q.DeliveryType, q.NextHopDomain, q.NextHopCategory = state.DeliveryRelayToSourceServers, c.Name, "Internal"
	case c.DNSRoutingEnabled && len(c.SmartHosts) == 0:
		q.DeliveryType, q.NextHopDomain = state.DeliveryDnsConnector, domain
	default:
		q.DeliveryType, q.NextHopDomain = state.DeliverySmartHostConnector, smartHostList(c)
	}
	res.queue = q
	return res
}

// isLocalSource reports whether this server may send through c (it is one
// of the connector's SourceTransportServers, or none are set).
func (rt *routing) isLocalSource(c *state.SendConnector) bool {
	if len(c.SourceTransportServers) == 0 {
		return true
	}
	for _, s := range c.SourceTransportServers {
		if strings.EqualFold(s, rt.server) || strings.HasPrefix(strings.ToLower(s), strings.ToLower(rt.server)+".") {
			return true
		}
	}
	return false
}

// smartHostList is a SmartHostConnectorDelivery queue's NextHopDomain: the
// smart hosts as configured, IP addresses in brackets, comma-separated.
func smartHostList(c *state.SendConnector) string {
	if c.SmartHostsString != "" {
		return c.SmartHostsString
	}
	var parts []string
	for _, h := range c.SmartHosts {
		h = strings.TrimSpace(h)
		if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			h = "[" + a.String() + "]"
		}
		parts = append(parts, h)
	}
	return strings.Join(parts, ",")
}

// testHookRoute, set only by tests before Start, runs as each message is
// routed (tests make it panic to exercise poison handling).
var testHookRoute atomic.Pointer[func(m *state.QueuedMessage)]

const zeroGuid = "00000000-0000-0000-0000-000000000000"

// failure is a recipient that will not be delivered, with the status the
// NDR and the FAIL event carry.
type failure struct {
	rcpt      state.QueuedRecipient
	status    string
	lastError string
	remote    string // the remote server that refused, if any
}

// categorize takes claimed messages from the Submission queue, resolves and
// routes their recipients, puts one copy per next hop into the delivery
// queues (creating them as needed), NDRs the recipients that fail, and
// removes the message from Submission: all in one transaction.
func (t *Transport) categorize(batch []*state.QueuedMessage, next *nextClaim) {
	var after []func()
	var crashedMsgs []*state.QueuedMessage
	now := t.now()
	err := t.st.QueueBatch(func(q *boltdb.QueueTx) error {
		after, crashedMsgs = nil, nil
		rt, err := t.routing(q.Org())
		if err != nil {
			return err
		}
		for _, c := range batch {
			m, err := q.Message(state.QueueSubmission, c.InternalId)
			if err != nil {
				continue
			}
			switch m.Status {
			case state.MessagePendingRemove:
				if err := q.RemoveMessage(m.Queue, m.InternalId); err != nil {
					return err
				}
				continue
			case state.MessagePendingSuspend:
				if err := q.SetMessageStatus(m, state.MessageSuspended); err != nil {
					return err
				}
				continue
			}
			results, ok := t.planRoutes(rt, m)
			if !ok {
				crashedMsgs = append(crashedMsgs, m)
				continue
			}
			if err := t.applyRoutes(q, m, results, now, &after); err != nil {
				return err
			}
		}
		return next.in(q, batch)
	})
	if err != nil {
		t.log.Error("categorizer: cannot route messages; they will be retried", "err", err)
		t.releaseForRetry(batch, "451 4.3.1 Insufficient system resources", now.Add(time.Minute))
		return
	}
	next.committed()
	for _, f := range after {
		f()
	}
	if len(crashedMsgs) > 0 {
		t.crashed(state.QueueSubmission, crashedMsgs, "categorizer failure")
	}
}

// planRoutes routes every pending recipient of m. It reads only; a panic
// (a message that breaks the categorizer) is reported as !ok.
func (t *Transport) planRoutes(rt *routing, m *state.QueuedMessage) (results []routeResult, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("categorizer panic", "message", m.InternalId, "panic", fmt.Sprint(p))
			results, ok = nil, false
		}
	}()
	if hook := testHookRoute.Load(); hook != nil {
		(*hook)(m)
	}
	seen := map[string]bool{}
	for _, r := range m.Recipients {
		if r.Status == state.RecipientDone || r.Status == state.RecipientFailed {
			continue
		}
		for _, res := range rt.resolve(m, r) {
			key := strings.ToLower(res.rcpt.Address)
			if seen[key] {
				continue // the same mailbox twice: one delivery
			}
			seen[key] = true
			results = append(results, res)
		}
	}
	return results, true
}

// applyRoutes writes the outcome of categorizing m.
func (t *Transport) applyRoutes(q *boltdb.QueueTx, m *state.QueuedMessage, results []routeResult, now time.Time, after *[]func()) error {
	type group struct {
		queue *state.QueueRecord
		rcpts []state.QueuedRecipient
	}
	var order []string
	groups := map[string]*group{}
	var failed []failure
	var resolved []routeResult
	results = t.trackExpansions(m, results, after)
	for _, res := range results {
		if res.changed {
			resolved = append(resolved, res)
		}
		if res.queue == nil {
			failed = append(failed, failure{rcpt: res.rcpt, status: res.fail})
			continue
		}
		key := fmt.Sprint(res.queue.Number)
		if res.queue.Number == 0 {
			key = res.queue.NextHopKey()
		}
		g := groups[key]
		if g == nil {
			g = &group{queue: res.queue}
			groups[key] = g
			order = append(order, key)
		}
		g.rcpts = append(g.rcpts, res.rcpt)
	}
	viaSMTP := !m.IsDSN && strings.HasPrefix(m.SourceName, "SMTP:")
	for _, res := range resolved {
		res := res
		*after = append(*after, func() {
			t.track(tracking.PrefixTransport, m, tracking.Event{
				EventId: tracking.EventResolve, Source: tracking.SourceRouting,
				Recipients: []string{res.rcpt.Address}, RelatedRecipientAddress: res.rcpt.OriginalAddress,
				RecipientStatus: []string{"250 2.1.5 Recipient OK"},
			})
		})
	}
	if viaSMTP && m.ResubmitCount == 0 {
		*after = append(*after, func() {
			t.track(tracking.PrefixTransport, m, tracking.Event{
				EventId: tracking.EventAgentInfo, Source: tracking.SourceAgent,
				Recipients: recipientAddrs(m.Recipients),
				CustomData: "S:CompCost=|ETR=0;S:DeliveryPriority=Normal;S:AccountForest=" + t.domain(),
			})
		})
	}
	if len(failed) > 0 {
		if err := t.failRecipients(q, m, failed, tracking.SourceRouting, now, after); err != nil {
			return err
		}
	}
	for _, key := range order {
		g := groups[key]
		qr := g.queue
		if qr.Number == 0 {
			tmpl := *qr
			tmpl.Created, tmpl.LastActivity = now, now
			var err error
			if qr, err = q.EnsureQueue(&tmpl); err != nil {
				return err
			}
		} else {
			var err error
			if qr, err = q.Queue(qr.Number); err != nil {
				return err
			}
		}
		cp := *m
		cp.Queue = qr.Number
		cp.Recipients = g.rcpts
		cp.Status = state.MessageReady
		cp.CrashCount, cp.RetryCount = 0, 0
		cp.LastError, cp.LastErrorTime, cp.NextRetryTime = "", time.Time{}, time.Time{}
		if qr.Number == state.QueueUnreachable {
			cp.LastError, cp.LastErrorTime = errNoMatchConnector, now
		}
		if err := q.AddMessage(&cp, nil); err != nil {
			return err
		}
		if err := t.touchQueue(q, qr.Number, now); err != nil {
			return err
		}
		n := qr.Number
		*after = append(*after, func() {
			t.rates.incoming(n, now)
			t.kick(n)
		})
	}
	if err := q.RemoveMessage(state.QueueSubmission, m.InternalId); err != nil {
		return err
	}
	*after = append(*after, func() { t.rates.outgoing(state.QueueSubmission, now, 1) })
	return nil
}

// touchQueue records activity on a queue (it is not idle).
func (t *Transport) touchQueue(q *boltdb.QueueTx, n int64, now time.Time) error {
	qr, err := q.Queue(n)
	if err != nil {
		return err
	}
	qr.LastActivity = now
	return q.PutQueue(qr)
}

// releaseForRetry puts claimed messages back after a failed step (a store
// error, not a crash): Retry at next, their CrashCount lowered again.
func (t *Transport) releaseForRetry(batch []*state.QueuedMessage, why string, next time.Time) {
	now := t.now()
	err := t.giveBack(batch, func(m *state.QueuedMessage) {
		m.Status = state.MessageRetry
		m.LastError, m.LastErrorTime, m.NextRetryTime = why, now, next
	})
	if err != nil {
		t.log.Error("cannot release messages for retry; they are retried after a restart", "err", err)
	}
}

// giveBack undoes the claim of messages that were not processed: each one
// still Active gets its CrashCount lowered again and is changed by set. An
// administrator's action that waited for the attempt to end (Suspend-Message,
// Remove-Message on a claimed message) takes effect now.
func (t *Transport) giveBack(claimed []*state.QueuedMessage, set func(m *state.QueuedMessage)) error {
	return t.st.QueueBatch(func(q *boltdb.QueueTx) error {
		for _, c := range claimed {
			m, err := q.Message(c.Queue, c.InternalId)
			if err != nil {
				continue
			}
			switch m.Status {
			case state.MessagePendingSuspend:
				err = q.SetMessageStatus(m, state.MessageSuspended)
			case state.MessagePendingRemove:
				err = q.RemoveMessage(m.Queue, m.InternalId)
			case state.MessageActive:
				if m.CrashCount > 0 {
					m.CrashCount--
				}
				set(m)
				err = q.PutMessage(m)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// domain is the default accepted domain (the postmaster's domain).
func (t *Transport) domain() string {
	d := ""
	_ = t.st.View(func(tx state.Tx) error {
		d = defaultDomain(tx)
		return nil
	})
	return d
}

func defaultDomain(org state.Tx) string {
	if ds, err := org.AcceptedDomains(); err == nil {
		if d := state.DefaultAcceptedDomain(ds); d != nil {
			return strings.TrimPrefix(d.DomainName, "*.")
		}
	}
	if o, err := org.Org(); err == nil && o.DomainName != "" {
		return o.DomainName
	}
	return "contoso.com"
}
