package transport

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
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
func (c *categorizer) routing(org state.Tx) (*routing, error) {
	t := c.t
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
	// nested marks a group expanded inside group: it is tracked as a
	// member of its parent and is neither delivered nor NDR'd.
	nested bool
}

// route resolves and routes one recipient as the categorizer does: a
// mailbox (by any of its proxy addresses, case-insensitively) goes to its
// database's delivery queue under its primary address; an unknown address
// in an authoritative domain fails with 5.1.1; anything else goes to the
// send connector with the most specific address space (then lowest cost,
// then name), or to Unreachable.
func (rt *routing) route(r state.QueuedRecipient, size int64) routeResult {
	rec, err := rt.org.RecipientByAddress(r.Address)
	if err != nil {
		rec = nil
	}
	return rt.routeRecipient(r, rec, size)
}

// routeRecipient is route for a recipient already looked up: rec is the
// organisation's recipient at r's address, or nil when there is none.
func (rt *routing) routeRecipient(r state.QueuedRecipient, rec *state.Recipient, size int64) routeResult {
	res := routeResult{rcpt: r}
	res.rcpt.Status = state.RecipientReady
	res.rcpt.LastError = ""
	if res.rcpt.OriginalAddress == "" {
		res.rcpt.OriginalAddress = r.Address
	}
	domain := state.AddressDomain(r.Address)
	res.rcpt.Domain = domain
	if rec != nil {
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

// categorizer is the categorize stage: it takes claimed messages from the
// Submission queue, resolves and routes their recipients, puts one copy
// per next hop into the delivery queues (creating them as needed), NDRs
// the recipients that fail, and removes the message from Submission, all
// in one transaction.
type categorizer struct {
	t   *Transport
	now time.Time
	rt  *routing // the organisation as of the transaction's run
	// touched is the delivery queues this run added to; their activity
	// is recorded once, at the end.
	touched map[int64]bool
}

// batchSize: the categorizer takes up to 100 messages per transaction.
func (c *categorizer) batchSize() int { return 100 }

func (c *categorizer) work(_ *state.QueueRecord, claimed []*state.QueuedMessage, next *nextClaim) {
	c.now = c.t.now()
	runBatch(c.t, batch{stage: "categorizer", queue: state.QueueSubmission, messages: claimed, next: next}, c)
}

// categorize runs the categorize stage on a batch claimed from the
// Submission queue.
func (t *Transport) categorize(claimed []*state.QueuedMessage, next *nextClaim) {
	(&categorizer{t: t}).work(nil, claimed, next)
}

func (c *categorizer) begin(q state.QueueTx) error {
	rt, err := c.routing(q.Org())
	c.rt = rt
	c.touched = map[int64]bool{}
	return err
}

func (c *categorizer) end(q state.QueueTx) error {
	for n := range c.touched {
		if err := c.t.touchQueue(q, n, c.now); err != nil {
			return err
		}
	}
	return nil
}

func (c *categorizer) plan(_ state.QueueTx, m *state.QueuedMessage) ([]routeResult, error) {
	return planRoutes(c.rt, m), nil
}

func (c *categorizer) apply(q state.QueueTx, m *state.QueuedMessage, results []routeResult, after *[]func()) error {
	return c.applyRoutes(q, m, results, after)
}

func (c *categorizer) committed() {}

func (c *categorizer) failed(error) (string, time.Time) {
	return "451 4.3.1 Insufficient system resources", c.now.Add(time.Minute)
}

// planRoutes routes every pending recipient of m. It reads only.
func planRoutes(rt *routing, m *state.QueuedMessage) (results []routeResult) {
	if hook := testHookRoute.Load(); hook != nil {
		(*hook)(m)
	}
	seen := map[string]bool{}
	limit := rt.messageLimit(m)
	for _, r := range m.Recipients {
		if r.Status == state.RecipientDone || r.Status == state.RecipientFailed {
			continue
		}
		for _, res := range rt.resolve(m, r, limit) {
			key := strings.ToLower(res.rcpt.Address)
			if seen[key] {
				continue // the same mailbox twice: one delivery
			}
			seen[key] = true
			results = append(results, res)
		}
	}
	return results
}

// applyRoutes writes the outcome of categorizing m: its copies in the
// delivery queues, the NDR for the recipients that failed, and its removal
// from Submission.
func (c *categorizer) applyRoutes(q state.QueueTx, m *state.QueuedMessage, results []routeResult, after *[]func()) error {
	t, now := c.t, c.now
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
		c.touched[qr.Number] = true
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

// domain is the default accepted domain (the postmaster's domain).
func (t *Transport) domain() string {
	gen := t.st.Generation()
	if c := t.cachedDomain.Load(); c != nil && c.gen == gen {
		return c.domain
	}
	d := ""
	_ = t.st.View(func(tx state.Tx) error {
		d = defaultDomain(tx)
		return nil
	})
	t.cachedDomain.Store(&domainAt{gen: gen, domain: d})
	return d
}

// domainAt is the default accepted domain as of a store generation.
type domainAt struct {
	gen    uint64
	domain string
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
