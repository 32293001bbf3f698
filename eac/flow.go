package eac

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"exsh/state"
)

// SessionEvent is an SMTP session that ended on a receive connector, as
// the transport engine reports it: the mail flow map counts them.
type SessionEvent struct {
	Time      time.Time
	Connector string // "Default Frontend EX01"
	Identity  string // "EX01\Default Frontend EX01"
	Remote    string // the client's address
	Accepted  int    // messages accepted
	Refusal   string // the last 4xx/5xx reply, "" when none
}

// SessionEnded records an SMTP session for the mail flow map; open maps
// update within a moment. It returns at once.
func (s *Server) SessionEnded(ev SessionEvent) { s.flow.record(ev) }

// connCount is what the map shows on a receive connector.
type connCount struct {
	Messages int64 `json:"messages"`
	Sessions int64 `json:"sessions"`
	Refused  int64 `json:"refused"`
}

type refusal struct {
	Time      string `json:"time"`
	Source    string `json:"source"`
	Connector string `json:"connector"`
	Reply     string `json:"reply"`
}

// flow keeps the map's counters and wakes the open event streams.
type flow struct {
	s        *Server
	mu       sync.Mutex
	counts   map[string]*connCount // by lower-case connector identity
	refusals []refusal             // newest first
	wake     chan struct{}         // closed and replaced on every change
	watchers int
}

const maxRefusals = 12

func newFlow(s *Server) *flow {
	return &flow{s: s, counts: map[string]*connCount{}, wake: make(chan struct{})}
}

func (f *flow) record(ev SessionEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := strings.ToLower(ev.Identity)
	c := f.counts[key]
	if c == nil {
		c = &connCount{}
		f.counts[key] = c
	}
	c.Sessions++
	c.Messages += int64(ev.Accepted)
	if ev.Refusal != "" {
		c.Refused++
		f.refusals = append([]refusal{{Time: ev.Time.Format("15:04:05"), Source: ev.Remote, Connector: ev.Connector, Reply: ev.Refusal}}, f.refusals...)
		if len(f.refusals) > maxRefusals {
			f.refusals = f.refusals[:maxRefusals]
		}
	}
	f.notifyLocked()
}

func (f *flow) notifyLocked() {
	close(f.wake)
	f.wake = make(chan struct{})
}

func (f *flow) notify() {
	f.mu.Lock()
	f.notifyLocked()
	f.mu.Unlock()
}

// changed returns the channel closed at the next change.
func (f *flow) changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wake
}

func (f *flow) watch(delta int) {
	f.mu.Lock()
	f.watchers += delta
	f.mu.Unlock()
}

// run watches the queues while a map is open: mail moving through them
// changes no receive connector's count, so it is looked for.
func (f *flow) run(done <-chan struct{}) {
	t := time.NewTicker(f.s.cfg.MapInterval)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		f.mu.Lock()
		n := f.watchers
		f.mu.Unlock()
		if n == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		qs := f.s.queueData(ctx)
		cancel()
		sig := fmt.Sprint(qs)
		if sig != last {
			last = sig
			f.notify()
		}
	}
}

// ---- the map's model ----

type mapBox struct {
	Key        string // the connector's identity
	Name       string
	Short      string // Name cut to fit the box
	Sub        string // "port 25", "SMTP:*;1"
	X, Y, W, H int
	Disabled   bool
	Count      connCount
}

type mapQueue struct {
	Identity string `json:"identity"`
	NextHop  string `json:"nextHop"`
	Type     string `json:"type"`
	Status   string `json:"status"`
	Count    int64  `json:"count"`
}

type mapEdge struct {
	D     string
	Label string
	LX    int
	LY    int
}

type mapModel struct {
	W, H       int
	Frontend   []mapBox
	Hub        []mapBox
	Send       []mapBox
	FE         mapBox // Front End Transport service
	TS         mapBox // Transport service
	MT         mapBox // Mailbox Transport
	DB         mapBox // the mailbox database
	Net        mapBox // the Internet / smart hosts
	QueueArea  mapBox
	Edges      []mapEdge
	Queues     []mapQueue
	Refusals   []refusal
	Sig        string
	ServerName string
	SendTitleY int
}

// flowData is what the event stream sends.
type flowData struct {
	Connectors map[string]connCount `json:"connectors"`
	Queues     []mapQueue           `json:"queues"`
	Refusals   []refusal            `json:"refusals"`
	Sig        string               `json:"sig"`
}

func (s *Server) queueData(ctx context.Context) []mapQueue {
	objs, _ := s.get(ctx, cmd("Get-Queue"))
	var out []mapQueue
	for _, o := range objs {
		out = append(out, mapQueue{Identity: prop(o, "Identity"), NextHop: prop(o, "NextHopDomain"), Type: prop(o, "DeliveryType"), Status: prop(o, "Status"), Count: propInt(o, "MessageCount")})
	}
	return out
}

func portOf(bindings []string) string {
	seen := map[string]bool{}
	var ports []string
	for _, b := range bindings {
		if ap, err := state.ParseBinding(b); err == nil {
			p := strconv.Itoa(int(ap.Port()))
			if !seen[p] {
				seen[p] = true
				ports = append(ports, p)
			}
		}
	}
	if len(ports) == 0 {
		return "not bound"
	}
	return "port " + strings.Join(ports, ", ")
}

// shorten cuts a name to n characters for a box of the map.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func hpath(x1, y1, x2, y2 int) string {
	mid := (x1 + x2) / 2
	return fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", x1, y1, mid, y1, mid, y2, x2-6, y2)
}

// model builds the map: the seed article's Figure 1 for this server.
func (s *Server) model(ctx context.Context) *mapModel {
	m := &mapModel{W: 1180}
	rcs, _ := s.get(ctx, cmd("Get-ReceiveConnector"))
	scs, _ := s.get(ctx, cmd("Get-SendConnector"))
	dbs, _ := s.get(ctx, cmd("Get-MailboxDatabase"))
	m.Queues = s.queueData(ctx)

	s.flow.mu.Lock()
	counts := map[string]connCount{}
	for k, v := range s.flow.counts {
		counts[k] = *v
	}
	m.Refusals = append([]refusal(nil), s.flow.refusals...)
	s.flow.mu.Unlock()

	var sig []string
	for _, o := range rcs {
		rc := receiveRecord(o)
		if rc == nil {
			continue
		}
		m.ServerName = rc.Server
		b := mapBox{Key: rc.Identity, Name: rc.Name, Short: shorten(rc.Name, 25), Sub: portOf(rc.Bindings), Disabled: !rc.Enabled, Count: counts[strings.ToLower(rc.Identity)]}
		if strings.EqualFold(rc.TransportRole, "FrontendTransport") {
			m.Frontend = append(m.Frontend, b)
		} else {
			m.Hub = append(m.Hub, b)
		}
		sig = append(sig, rc.Identity+"|"+b.Sub+"|"+strconv.FormatBool(rc.Enabled))
	}
	byPort := func(l []mapBox) {
		sort.SliceStable(l, func(i, j int) bool {
			pi, _ := strconv.Atoi(strings.Fields(l[i].Sub + " 0 0")[1])
			pj, _ := strconv.Atoi(strings.Fields(l[j].Sub + " 0 0")[1])
			if pi != pj {
				return pi < pj
			}
			return l[i].Name < l[j].Name
		})
	}
	byPort(m.Frontend)
	byPort(m.Hub)
	for _, o := range scs {
		b := mapBox{Key: prop(o, "Identity"), Name: prop(o, "Name"), Short: shorten(prop(o, "Name"), 27), Sub: strings.Join(props(o, "AddressSpaces"), ", "), Disabled: !propBool(o, "Enabled")}
		if hosts := props(o, "SmartHosts"); len(hosts) > 0 {
			b.Sub += " → " + strings.Join(hosts, ", ")
		}
		b.Sub = shorten(b.Sub, 30)
		m.Send = append(m.Send, b)
		sig = append(sig, "send|"+b.Key+"|"+b.Sub+"|"+strconv.FormatBool(!b.Disabled))
	}
	m.Sig = strings.Join(sig, ";")

	// Layout, left to right: Front End connectors, Front End Transport,
	// Transport service (its connectors and queues), Mailbox Transport
	// and the send connectors.
	const top, boxH, gap = 64, 58, 14
	y := top
	for i := range m.Frontend {
		m.Frontend[i].X, m.Frontend[i].Y, m.Frontend[i].W, m.Frontend[i].H = 20, y, 262, boxH
		y += boxH + gap
	}
	feBottom := max(y-gap, top+boxH)
	m.FE = mapBox{Name: "Front End Transport", Sub: "picks the connector, checks permissions, proxies", X: 320, Y: top, W: 190, H: feBottom - top}

	m.TS = mapBox{Name: "Transport service", X: 580, Y: top - 10, W: 290}
	y = top + 34
	for i := range m.Hub {
		m.Hub[i].X, m.Hub[i].Y, m.Hub[i].W, m.Hub[i].H = 600, y, 250, boxH
		y += boxH + gap
	}
	m.QueueArea = mapBox{Name: "Submission queue → categorizer → delivery queues", X: 600, Y: y + 6, W: 250}
	queueRows := max(len(m.Queues), 2)
	m.QueueArea.H = 30 + queueRows*30
	m.TS.H = m.QueueArea.Y + m.QueueArea.H + 14 - m.TS.Y

	m.MT = mapBox{Name: "Mailbox Transport", Sub: "delivers into the mailbox database", X: 940, Y: top, W: 220, H: 74}
	m.DB = mapBox{Name: "Mailbox database", X: 950, Y: top + 112, W: 200, H: 50}
	if len(dbs) > 0 {
		m.DB.Name = prop(dbs[0], "Name")
	}
	y = m.DB.Y + m.DB.H + 54
	m.SendTitleY = y - 12
	for i := range m.Send {
		m.Send[i].X, m.Send[i].Y, m.Send[i].W, m.Send[i].H = 940, y, 220, boxH
		y += boxH + gap
	}
	if len(m.Send) == 0 {
		m.Net = mapBox{Name: "No send connector", Sub: "external mail waits in Unreachable", X: 940, Y: y, W: 220, H: boxH}
	} else {
		m.Net = mapBox{Name: "Internet / smart hosts", X: 940, Y: y, W: 220, H: 44}
	}
	m.H = max(feBottom, m.TS.Y+m.TS.H, m.Net.Y+m.Net.H) + 24

	// Edges.
	feMid := m.FE.Y + m.FE.H/2
	for _, b := range m.Frontend {
		m.Edges = append(m.Edges, mapEdge{D: hpath(b.X+b.W, b.Y+b.H/2, m.FE.X, min(max(b.Y+b.H/2, m.FE.Y+12), m.FE.Y+m.FE.H-12))})
	}
	for i, b := range m.Hub {
		e := mapEdge{D: hpath(m.FE.X+m.FE.W, feMid, b.X, b.Y+b.H/2)}
		if i == 0 {
			e.Label, e.LX, e.LY = "SMTP", (m.FE.X+m.FE.W+b.X)/2, min(feMid, b.Y+b.H/2)-12
		}
		m.Edges = append(m.Edges, e)
	}
	tsRight := m.TS.X + m.TS.W
	m.Edges = append(m.Edges, mapEdge{D: hpath(tsRight, m.MT.Y+m.MT.H/2, m.MT.X, m.MT.Y+m.MT.H/2), Label: "SMTP", LX: (tsRight + m.MT.X) / 2, LY: m.MT.Y + m.MT.H/2 - 8})
	m.Edges = append(m.Edges, mapEdge{D: fmt.Sprintf("M%d,%d L%d,%d", m.MT.X+m.MT.W/2, m.MT.Y+m.MT.H, m.DB.X+m.DB.W/2, m.DB.Y-6), Label: "RPC", LX: m.MT.X + m.MT.W/2 + 22, LY: m.MT.Y + m.MT.H + 24})
	qMid := m.QueueArea.Y + m.QueueArea.H/2
	for _, b := range m.Send {
		m.Edges = append(m.Edges, mapEdge{D: hpath(tsRight, qMid, b.X, b.Y+b.H/2)})
	}
	if len(m.Send) > 0 {
		last := m.Send[len(m.Send)-1]
		m.Edges = append(m.Edges, mapEdge{D: fmt.Sprintf("M%d,%d L%d,%d", last.X+last.W/2, last.Y+last.H, m.Net.X+m.Net.W/2, m.Net.Y-6)})
	} else {
		m.Edges = append(m.Edges, mapEdge{D: hpath(tsRight, qMid, m.Net.X, m.Net.Y+m.Net.H/2)})
	}
	return m
}

func (s *Server) data(ctx context.Context) *flowData {
	m := s.model(ctx)
	d := &flowData{Connectors: map[string]connCount{}, Queues: m.Queues, Refusals: m.Refusals, Sig: m.Sig}
	for _, l := range [][]mapBox{m.Frontend, m.Hub} {
		for _, b := range l {
			d.Connectors[b.Key] = b.Count
		}
	}
	if d.Queues == nil {
		d.Queues = []mapQueue{}
	}
	if d.Refusals == nil {
		d.Refusals = []refusal{}
	}
	return d
}

func (s *Server) mapPage(w http.ResponseWriter, r *http.Request, u *userSession) {
	p := s.newPage(u, "mailflowmap", "", "mail flow map", s.model(r.Context()))
	s.render(w, "map", p)
}

func (s *Server) mapData(w http.ResponseWriter, r *http.Request, u *userSession) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.data(r.Context()))
}

// mapEvents is the map's server-sent event stream: a "flow" event with
// the counts at once, then after every change (an SMTP session ended, a
// queue changed).
func (s *Server) mapEvents(w http.ResponseWriter, r *http.Request, u *userSession) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s.flow.watch(1)
	defer s.flow.watch(-1)
	ctx := r.Context()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		wake := s.flow.changed()
		b, _ := json.Marshal(s.data(ctx))
		if _, err := fmt.Fprintf(w, "event: flow\ndata: %s\n\n", b); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		if !s.waitChange(ctx, w, rc, u, wake, keepAlive.C) {
			return
		}
	}
}

// waitChange waits for the next change of the map, sending keep-alive
// comments meanwhile. It returns false when the stream should end: the
// browser went away, the server stops, or the session was signed out.
func (s *Server) waitChange(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, u *userSession, wake <-chan struct{}, keepAlive <-chan time.Time) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-s.done:
			return false
		case <-keepAlive:
			if !s.alive(u) {
				return false
			}
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return false
			}
		case <-wake:
			// Let a burst of sessions settle into one update.
			time.Sleep(100 * time.Millisecond)
			return s.alive(u)
		}
	}
}
