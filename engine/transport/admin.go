package transport

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// Errors of the administration API. Each is wrapped with the identity it
// is about; match with errors.Is.
var (
	// ErrQueueNotFound: no queue has that identity.
	ErrQueueNotFound = errors.New("the queue couldn't be found")
	// ErrMessageNotFound: no queued message has that identity.
	ErrMessageNotFound = errors.New("the message couldn't be found")
	// ErrAmbiguousIdentity: an action that takes one message matched several.
	ErrAmbiguousIdentity = errors.New("the identity matches more than one message; use -Filter to act on several")
	// ErrInvalidOperation: the action is not allowed on this queue or
	// message (remove from Submission, export a message that is not
	// suspended, suspend a poison message, Retry-Queue on Unreachable
	// without -Resubmit, ...). The wrapping text says which.
	ErrInvalidOperation = errors.New("the operation isn't valid")
)

// QueueInfo is one queue as Get-Queue shows it. Time fields are zero when
// unset (shown empty).
type QueueInfo struct {
	Identity                         string // "EX01\Submission", "EX01\4"
	DeliveryType                     string
	Status                           string // Active, Ready, Retry, Suspended
	MessageCount                     int64
	Velocity                         float64
	RiskLevel                        string
	OutboundIPPool                   int
	NextHopDomain                    string
	NextHopConnector                 string
	NextHopCategory                  string
	NextHopKey                       string
	DeferredMessageCount             int64
	LockedMessageCount               int64
	MessageCountsPerPriority         []int64
	DeferredMessageCountsPerPriority []int64
	PriorityDescriptions             []string
	IncomingRate                     float64
	OutgoingRate                     float64
	LastError                        string
	LastRetryTime                    time.Time
	NextRetryTime                    time.Time
	FirstRetryTime                   time.Time
	RetryCount                       int
	TlsDomain                        string
	OverrideSource                   string
	QueueIdentity                    string
	Number                           int64 `exsh:"-"`
}

// MessageRecipient is one element of a queued message's Recipients.
type MessageRecipient struct {
	Address         string
	Status          string // Ready, Retry, Failed, Delivered
	LastError       string
	OriginalAddress string
	// Type is Mailbox for a recipient resolved to a mailbox, External for
	// one routed (or unreachable) out of the organisation, Unknown before
	// categorization.
	Type string
	// FinalDestination is the mailbox database a Mailbox recipient is
	// delivered to.
	FinalDestination string
}

// String renders the recipient as Get-Message -IncludeRecipientInfo does:
// "address;status;last error".
func (r MessageRecipient) String() string {
	return r.Address + ";" + r.Status + ";" + r.LastError
}

// MessageInfo is one queued message copy as Get-Message shows it.
type MessageInfo struct {
	Identity                        string // "EX01\Unreachable\4294967297"
	Subject                         string
	InternetMessageId               string
	FromAddress                     string
	Status                          string
	Size                            state.ByteSize
	MessageSourceName               string
	SourceIP                        string
	SCL                             int
	DateReceived                    time.Time
	ExpirationTime                  time.Time
	LastError                       string
	LastErrorTime                   time.Time
	RetryCount                      int
	Recipients                      []MessageRecipient // filled with IncludeRecipientInfo
	ComponentLatency                []string
	MessageLatency                  string
	DeferReason                     string
	Directionality                  string
	OriginalFromAddress             string
	Priority                        string
	AccountForest                   string
	ExternalDirectoryOrganizationId string
	TrafficType                     string
	Queue                           string // "EX01\Unreachable"
	NextRetryTime                   time.Time
	InternalId                      int64  `exsh:"-"`
	NetworkMessageId                string `exsh:"-"`
}

// MessageFilter selects messages for Messages. Identity and Queue accept
// Exchange's forms (see ResolveMessages and ResolveQueues); both empty
// means every queue. ResultSize 0 means 1000; negative means unlimited.
type MessageFilter struct {
	Identity             string
	Queue                string
	ResultSize           int
	IncludeRecipientInfo bool
}

func (t *Transport) queueIdentity(n int64) string {
	switch n {
	case state.QueueSubmission:
		return t.cfg.ServerName + `\Submission`
	case state.QueueUnreachable:
		return t.cfg.ServerName + `\Unreachable`
	case state.QueuePoison:
		return t.cfg.ServerName + `\Poison`
	}
	return t.cfg.ServerName + `\` + strconv.FormatInt(n, 10)
}

func (t *Transport) queueInfo(qr *state.QueueRecord, now time.Time) QueueInfo {
	in, out := t.rates.rates(qr.Number, now)
	status := "Ready"
	switch {
	case qr.Suspended:
		status = "Suspended"
	case t.isBusy(qr.Number):
		status = "Active"
	case qr.LastError != "" && qr.Number > state.QueuePoison:
		status = "Retry"
	}
	id := t.queueIdentity(qr.Number)
	return QueueInfo{
		Identity:                         id,
		DeliveryType:                     qr.DeliveryType,
		Status:                           status,
		MessageCount:                     qr.MessageCount,
		Velocity:                         out - in,
		RiskLevel:                        "Normal",
		NextHopDomain:                    qr.NextHopDomain,
		NextHopConnector:                 qr.NextHopConnector,
		NextHopCategory:                  qr.NextHopCategory,
		NextHopKey:                       "[" + qr.DeliveryType + "][" + qr.NextHopDomain + "][" + qr.NextHopConnector + "]",
		DeferredMessageCount:             qr.DeferredMessageCount,
		LockedMessageCount:               qr.LockedMessageCount,
		MessageCountsPerPriority:         []int64{0, qr.MessageCount - qr.DeferredMessageCount, 0, 0},
		DeferredMessageCountsPerPriority: []int64{0, qr.DeferredMessageCount, 0, 0},
		PriorityDescriptions:             []string{"High", "Normal", "Low", "None"},
		IncomingRate:                     in,
		OutgoingRate:                     out,
		LastError:                        qr.LastError,
		LastRetryTime:                    qr.LastRetryTime,
		NextRetryTime:                    qr.NextRetryTime,
		FirstRetryTime:                   qr.FirstRetryTime,
		RetryCount:                       qr.RetryCount,
		TlsDomain:                        qr.TlsDomain,
		QueueIdentity:                    id,
		Number:                           qr.Number,
	}
}

// Queues lists the queues in Identity order (delivery queues by number,
// then Poison, Submission, Unreachable), as Get-Queue does. The Poison
// queue is hidden while empty. It reads the maintained counters only.
func (t *Transport) Queues() ([]QueueInfo, error) {
	var recs []*state.QueueRecord
	err := t.st.QueueView(func(q state.QueueTx) error {
		var err error
		recs, err = q.Queues()
		return err
	})
	if err != nil {
		return nil, err
	}
	now := t.now()
	var out []QueueInfo
	for _, r := range recs {
		if r.Number == state.QueuePoison && r.MessageCount == 0 {
			continue
		}
		out = append(out, t.queueInfo(r, now))
	}
	sort.SliceStable(out, func(i, j int) bool { return queueLess(out[i].Number, out[j].Number) })
	return out, nil
}

// queueLess orders queues by Identity as Get-Queue lists them: delivery
// queues by number, then Poison, Submission and Unreachable by name.
func queueLess(a, b int64) bool {
	rank := func(n int64) int64 {
		switch n {
		case state.QueuePoison:
			return 1 << 60
		case state.QueueSubmission:
			return 1<<60 + 1
		case state.QueueUnreachable:
			return 1<<60 + 2
		}
		return n
	}
	return rank(a) < rank(b)
}

// ResolveQueues finds the queues an identity names: "EX01\Submission",
// "Submission", "EX01\Unreachable", "EX01\Poison", "EX01\<number>",
// "EX01\<NextHopDomain>" (wildcards allowed), "EX01\*", "*". The server part
// is optional and must be this server.
func (t *Transport) ResolveQueues(identity string) ([]QueueInfo, error) {
	all, err := t.allQueues()
	if err != nil {
		return nil, err
	}
	recs, err := t.matchQueues(all, identity)
	if err != nil {
		return nil, err
	}
	now := t.now()
	out := make([]QueueInfo, 0, len(recs))
	for _, r := range recs {
		out = append(out, t.queueInfo(r, now))
	}
	sort.SliceStable(out, func(i, j int) bool { return queueLess(out[i].Number, out[j].Number) })
	return out, nil
}

func (t *Transport) allQueues() ([]*state.QueueRecord, error) {
	var recs []*state.QueueRecord
	err := t.st.QueueView(func(q state.QueueTx) error {
		var err error
		recs, err = q.Queues()
		return err
	})
	return recs, err
}

func (t *Transport) stripServer(identity string) (string, bool) {
	identity = strings.TrimSpace(identity)
	if i := strings.IndexByte(identity, '\\'); i >= 0 {
		srv := identity[:i]
		if srv != "*" && !strings.EqualFold(srv, t.cfg.ServerName) && !strings.EqualFold(srv, t.cfg.Fqdn) {
			return "", false
		}
		return identity[i+1:], true
	}
	return identity, true
}

func (t *Transport) matchQueues(all []*state.QueueRecord, identity string) ([]*state.QueueRecord, error) {
	name, ok := t.stripServer(identity)
	if !ok || strings.HasPrefix(strings.ToLower(name), `shadow\`) {
		return nil, fmt.Errorf("%q: %w", identity, ErrQueueNotFound)
	}
	var out []*state.QueueRecord
	lname := strings.ToLower(name)
	for _, r := range all {
		var match bool
		switch {
		case name == "" || name == "*":
			match = r.Number != state.QueuePoison || r.MessageCount > 0
		case r.Number == state.QueueSubmission && lname == "submission",
			r.Number == state.QueueUnreachable && lname == "unreachable",
			r.Number == state.QueuePoison && lname == "poison":
			match = true
		case strconv.FormatInt(r.Number, 10) == name && r.Number > state.QueuePoison:
			match = true
		case r.Number > state.QueuePoison:
			m, _ := path.Match(lname, strings.ToLower(r.NextHopDomain))
			match = m
		}
		if match {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: %w", identity, ErrQueueNotFound)
	}
	return out, nil
}

// parseMessageIdentity splits "EX01\Queue\123", "Queue\123", "EX01\*\123",
// "*\123" or "123" into a queue identity ("" for all queues) and the
// message integer.
func (t *Transport) parseMessageIdentity(identity string) (string, int64, error) {
	parts := strings.Split(strings.TrimSpace(identity), `\`)
	id, err := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("%q: %w", identity, ErrMessageNotFound)
	}
	switch len(parts) {
	case 1:
		return "", id, nil
	case 2:
		if parts[0] == "*" {
			return "", id, nil
		}
		return parts[0], id, nil
	case 3:
		if parts[0] != "*" && !strings.EqualFold(parts[0], t.cfg.ServerName) && !strings.EqualFold(parts[0], t.cfg.Fqdn) {
			return "", 0, fmt.Errorf("%q: %w", identity, ErrMessageNotFound)
		}
		if parts[1] == "*" {
			return "", id, nil
		}
		return parts[1], id, nil
	}
	return "", 0, fmt.Errorf("%q: %w", identity, ErrMessageNotFound)
}

// resolveMessages finds the copies an identity names.
func (t *Transport) resolveMessages(q state.QueueTx, identity string) ([]*state.QueuedMessage, error) {
	queueName, id, err := t.parseMessageIdentity(identity)
	if err != nil {
		return nil, err
	}
	var queues []int64
	if queueName == "" {
		if queues, err = q.Copies(id); err != nil {
			return nil, err
		}
	} else {
		all, err := q.Queues()
		if err != nil {
			return nil, err
		}
		recs, err := t.matchQueues(all, queueName)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", identity, ErrMessageNotFound)
		}
		for _, r := range recs {
			queues = append(queues, r.Number)
		}
	}
	var out []*state.QueuedMessage
	for _, n := range queues {
		if m, err := q.Message(n, id); err == nil {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: %w", identity, ErrMessageNotFound)
	}
	return out, nil
}

func (t *Transport) messageInfo(m *state.QueuedMessage, withRecipients bool, now time.Time) MessageInfo {
	qid := t.queueIdentity(m.Queue)
	status := m.Status
	if status == state.MessageActive && m.Queue == state.QueuePoison {
		status = state.MessageSuspended
	}
	mi := MessageInfo{
		Identity:                        qid + `\` + strconv.FormatInt(m.InternalId, 10),
		Subject:                         m.Subject,
		InternetMessageId:               m.MessageId,
		FromAddress:                     m.FromAddress,
		Status:                          status,
		Size:                            state.ByteSize(m.Size),
		MessageSourceName:               m.SourceName,
		SourceIP:                        m.SourceIP,
		SCL:                             m.SCL,
		DateReceived:                    m.DateReceived,
		ExpirationTime:                  m.ExpirationTime,
		LastError:                       m.LastError,
		LastErrorTime:                   m.LastErrorTime,
		RetryCount:                      m.RetryCount,
		MessageLatency:                  latency(now.Sub(m.DateReceived)),
		DeferReason:                     "None",
		Directionality:                  m.Directionality,
		OriginalFromAddress:             m.FromAddress,
		Priority:                        m.Priority,
		ExternalDirectoryOrganizationId: zeroGuid,
		Queue:                           qid,
		NextRetryTime:                   m.NextRetryTime,
		InternalId:                      m.InternalId,
		NetworkMessageId:                m.NetworkMessageId,
	}
	if m.DeferReason != "" {
		mi.DeferReason = m.DeferReason
	}
	if withRecipients {
		for _, r := range m.Recipients {
			mr := MessageRecipient{Address: r.Address, Status: r.Status, LastError: r.LastError, OriginalAddress: r.OriginalAddress, Type: "Unknown"}
			switch {
			case r.RecipientGuid != "" || r.Database != "":
				mr.Type, mr.FinalDestination = "Mailbox", r.Database
			case r.Connector != "" || m.Queue != state.QueueSubmission:
				// Categorized and not a mailbox: routed out of the
				// organisation (or unreachable there).
				mr.Type = "External"
			}
			mi.Recipients = append(mi.Recipients, mr)
		}
	}
	return mi
}

// latency renders a duration as "hh:mm:ss.ff".
func latency(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	s := int(d % time.Minute / time.Second)
	cs := int(d % time.Second / (10 * time.Millisecond))
	return fmt.Sprintf("%02d:%02d:%02d.%02d", h, m, s, cs)
}

// Messages lists queued messages (Get-Message) in Identity order, at most
// f.ResultSize of them. It reads only the messages it returns.
func (t *Transport) Messages(f MessageFilter) ([]MessageInfo, error) {
	return t.MessagesContext(context.Background(), f)
}

// MessagesContext is Messages that stops, with ctx's error, when ctx
// ends (a caller that went away or gave up) while it walks the queues.
func (t *Transport) MessagesContext(ctx context.Context, f MessageFilter) ([]MessageInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit := f.ResultSize
	if limit == 0 {
		limit = 1000
	}
	now := t.now()
	var out []MessageInfo
	err := t.st.QueueView(func(q state.QueueTx) error {
		out = nil
		if f.Identity != "" {
			ms, err := t.resolveMessages(q, f.Identity)
			if err != nil {
				return err
			}
			for _, m := range ms {
				out = append(out, t.messageInfo(m, f.IncludeRecipientInfo, now))
			}
			return nil
		}
		all, err := q.Queues()
		if err != nil {
			return err
		}
		recs := all
		sort.SliceStable(recs, func(i, j int) bool { return queueLess(recs[i].Number, recs[j].Number) })
		if f.Queue != "" {
			if recs, err = t.matchQueues(all, f.Queue); err != nil {
				return err
			}
		}
		for _, r := range recs {
			err := q.ForEachMessage(r.Number, 0, func(m *state.QueuedMessage) error {
				if limit > 0 && len(out) >= limit {
					return state.ErrStopWalk
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				out = append(out, t.messageInfo(m, f.IncludeRecipientInfo, now))
				return nil
			})
			if err != nil {
				return err
			}
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (t *Transport) updateQueues(identity string, fn func(q state.QueueTx, r *state.QueueRecord) error) ([]int64, error) {
	var touched []int64
	err := t.st.QueueUpdate(func(q state.QueueTx) error {
		touched = nil
		all, err := q.Queues()
		if err != nil {
			return err
		}
		recs, err := t.matchQueues(all, identity)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := fn(q, r); err != nil {
				return err
			}
			touched = append(touched, r.Number)
		}
		return nil
	})
	return touched, err
}

// SuspendQueue suspends the queues an identity names (Suspend-Queue): new
// messages still enter, in-flight ones finish, nothing else leaves.
func (t *Transport) SuspendQueue(identity string) error {
	_, err := t.updateQueues(identity, func(q state.QueueTx, r *state.QueueRecord) error {
		r.Suspended = true
		return q.PutQueue(r)
	})
	return err
}

// ResumeQueue resumes suspended queues (Resume-Queue).
func (t *Transport) ResumeQueue(identity string) error {
	ns, err := t.updateQueues(identity, func(q state.QueueTx, r *state.QueueRecord) error {
		r.Suspended = false
		return q.PutQueue(r)
	})
	for _, n := range ns {
		t.kick(n)
	}
	return err
}

// RetryQueue forces a connection attempt on queues in Retry now
// (Retry-Queue). With resubmit the queue's messages go back through the
// categorizer (Submission), which is how mail in Unreachable is routed
// again after a send connector is added; Unreachable requires resubmit.
func (t *Transport) RetryQueue(identity string, resubmit bool) error {
	now := t.now()
	var resub []int64
	ns, err := t.updateQueues(identity, func(q state.QueueTx, r *state.QueueRecord) error {
		switch {
		case r.Number == state.QueueUnreachable && !resubmit:
			return fmt.Errorf("%s: the Unreachable queue can only be retried with -Resubmit $true: %w", t.queueIdentity(r.Number), ErrInvalidOperation)
		case resubmit && (r.Number == state.QueueSubmission || r.Number == state.QueuePoison):
			return fmt.Errorf("%s: messages in this queue can't be resubmitted: %w", t.queueIdentity(r.Number), ErrInvalidOperation)
		case resubmit:
			resub = append(resub, r.Number)
			return nil
		}
		r.NextRetryTime = now
		if err := q.PutQueue(r); err != nil {
			return err
		}
		var due []*state.QueuedMessage
		err := q.ForEachMessage(r.Number, 0, func(m *state.QueuedMessage) error {
			if m.Status == state.MessageRetry {
				due = append(due, m)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, m := range due {
			m.NextRetryTime = now
			if err := q.PutMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range resub {
		if err := t.resubmitQueue(n, true); err != nil {
			return err
		}
	}
	for _, n := range ns {
		t.kick(n)
	}
	return nil
}

// resubmitQueue moves a queue's waiting messages back to Submission in one
// transaction. Unless explicit (Retry-Queue -Resubmit), a suspended queue
// is left alone.
func (t *Transport) resubmitQueue(n int64, explicit bool) error {
	moved := 0
	err := t.st.QueueUpdate(func(q state.QueueTx) error {
		moved = 0
		qr, err := q.Queue(n)
		if err != nil {
			return err
		}
		if qr.Suspended && !explicit {
			return nil
		}
		ms, err := waitingMessages(q, n)
		if err != nil {
			return err
		}
		for _, m := range ms {
			readyAgain(m)
			m.ResubmitCount++
			if err := q.MoveMessage(m, state.QueueSubmission); err != nil {
				return err
			}
			moved++
		}
		if moved > 0 && n > state.QueuePoison {
			qr, err = q.Queue(n)
			if err != nil {
				return err
			}
			qr.LastError, qr.RetryCount = "", 0
			qr.NextRetryTime, qr.FirstRetryTime = time.Time{}, time.Time{}
			return q.PutQueue(qr)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if moved > 0 {
		now := t.now()
		t.rates.outgoing(n, now, moved)
		t.rates.add(state.QueueSubmission, now, true, moved)
		t.kick(state.QueueSubmission)
	}
	return nil
}

// waitingMessages are the messages of queue n waiting for a next attempt
// (Ready or Retry): what Retry-Queue -Resubmit and Redirect-Message move.
func waitingMessages(q state.QueueTx, n int64) ([]*state.QueuedMessage, error) {
	var ms []*state.QueuedMessage
	err := q.ForEachMessage(n, 0, func(m *state.QueuedMessage) error {
		if m.Status == state.MessageReady || m.Status == state.MessageRetry {
			ms = append(ms, m)
		}
		return nil
	})
	return ms, err
}

// readyAgain makes a waiting message that moves to another queue Ready
// there, its recipients waiting for a retry Ready too.
func readyAgain(m *state.QueuedMessage) {
	m.Status, m.CrashCount = state.MessageReady, 0
	m.NextRetryTime = time.Time{}
	for i := range m.Recipients {
		if m.Recipients[i].Status == state.RecipientRetry {
			m.Recipients[i].Status = state.RecipientReady
		}
	}
}

// oneMessage resolves an identity that must name exactly one copy.
func (t *Transport) oneMessage(q state.QueueTx, identity string) (*state.QueuedMessage, error) {
	ms, err := t.resolveMessages(q, identity)
	if err != nil {
		return nil, err
	}
	if len(ms) > 1 {
		return nil, fmt.Errorf("%q: %w", identity, ErrAmbiguousIdentity)
	}
	return ms[0], nil
}

// SuspendMessage suspends one message (Suspend-Message). A message being
// delivered becomes PendingSuspend and is suspended when the attempt ends.
func (t *Transport) SuspendMessage(identity string) error {
	return t.st.QueueUpdate(func(q state.QueueTx) error {
		m, err := t.oneMessage(q, identity)
		if err != nil {
			return err
		}
		switch m.Status {
		case state.MessageSuspended, state.MessagePendingSuspend:
			if m.Queue == state.QueuePoison {
				return fmt.Errorf("%q: messages in the poison message queue are already suspended: %w", identity, ErrInvalidOperation)
			}
			return nil
		case state.MessageActive:
			m.Status = state.MessagePendingSuspend
			return q.PutMessage(m)
		case state.MessagePendingRemove:
			return fmt.Errorf("%q: the message is being removed: %w", identity, ErrInvalidOperation)
		}
		return q.SetMessageStatus(m, state.MessageSuspended)
	})
}

// ResumeMessage resumes a suspended message (Resume-Message). A message in
// the Poison queue is resubmitted to the categorizer.
func (t *Transport) ResumeMessage(identity string) error {
	var kick int64
	err := t.st.QueueUpdate(func(q state.QueueTx) error {
		m, err := t.oneMessage(q, identity)
		if err != nil {
			return err
		}
		switch {
		case m.Queue == state.QueuePoison:
			m.CrashCount = 0
			m.ResubmitCount++
			if err := q.SetMessageStatus(m, state.MessageReady); err != nil {
				return err
			}
			kick = state.QueueSubmission
			return q.MoveMessage(m, state.QueueSubmission)
		case m.Status == state.MessagePendingSuspend:
			m.Status = state.MessageActive
			return q.PutMessage(m)
		case m.Status != state.MessageSuspended:
			return nil
		}
		kick = m.Queue
		return q.SetMessageStatus(m, state.MessageReady)
	})
	if err == nil && kick != 0 {
		t.kick(kick)
	}
	return err
}

// RemoveMessage deletes one message copy (Remove-Message). With withNDR
// (Exchange's default) the sender gets an NDR for its pending recipients.
// Messages can't be removed from the Submission queue. A message being
// delivered becomes PendingRemove.
func (t *Transport) RemoveMessage(identity string, withNDR bool) error {
	now := t.now()
	var after []func()
	err := t.st.QueueUpdate(func(q state.QueueTx) error {
		after = nil
		m, err := t.oneMessage(q, identity)
		if err != nil {
			return err
		}
		if m.Queue == state.QueueSubmission {
			return fmt.Errorf("%q: messages can't be removed from the Submission queue: %w", identity, ErrInvalidOperation)
		}
		var failed []failure
		for _, r := range m.Recipients {
			if r.Status != state.RecipientDone && r.Status != state.RecipientFailed {
				failed = append(failed, failure{rcpt: r, status: "550 4.3.2 QUEUE.Admin; message deleted by administrative action"})
			}
		}
		var rcpts, status []string
		for _, f := range failed {
			rcpts, status = append(rcpts, f.rcpt.Address), append(status, f.status)
		}
		after = append(after, func() {
			t.track(tracking.PrefixTransport, m, tracking.Event{
				EventId: tracking.EventFail, Source: tracking.SourceAdmin,
				Recipients: rcpts, RecipientStatus: status,
			})
		})
		if withNDR {
			if err := t.addDSN(q, m, failed, dsnFailed, now, &after); err != nil {
				return err
			}
		}
		if m.Status == state.MessageActive || m.Status == state.MessagePendingSuspend {
			m.Status = state.MessagePendingRemove
			return q.PutMessage(m)
		}
		n := m.Queue
		after = append(after, func() { t.rates.outgoing(n, now, 1) })
		return q.RemoveMessage(m.Queue, m.InternalId)
	})
	if err != nil {
		return err
	}
	for _, f := range after {
		f()
	}
	return nil
}

// ExportMessage returns the raw bytes of one queued message
// (Export-Message). The message must be suspended first (poison messages
// are); it can't be exported from the Submission queue. It stays queued.
func (t *Transport) ExportMessage(identity string) ([]byte, error) {
	var data []byte
	err := t.st.QueueView(func(q state.QueueTx) error {
		m, err := t.oneMessage(q, identity)
		if err != nil {
			return err
		}
		if m.Queue == state.QueueSubmission {
			return fmt.Errorf("%q: messages can't be exported from the Submission queue: %w", identity, ErrInvalidOperation)
		}
		if m.Status != state.MessageSuspended && m.Queue != state.QueuePoison {
			return fmt.Errorf("%q: the message must be suspended before it can be exported: %w", identity, ErrInvalidOperation)
		}
		data, err = q.Data(m.InternalId)
		return err
	})
	return data, err
}

// MailboxItems lists the messages delivered to the mailbox that owns an
// address (any proxy address).
func (t *Transport) MailboxItems(address string) ([]*state.MailboxItem, error) {
	var items []*state.MailboxItem
	err := t.st.QueueView(func(q state.QueueTx) error {
		rec, err := q.Org().RecipientByAddress(address)
		if err != nil {
			return err
		}
		items, err = q.MailboxItems(rec.Guid)
		return err
	})
	return items, err
}

// MailboxItemData returns a delivered message as stored.
func (t *Transport) MailboxItemData(item *state.MailboxItem) ([]byte, error) {
	var data []byte
	err := t.st.QueueView(func(q state.QueueTx) error {
		var err error
		data, err = q.MailboxItemData(item.Mailbox, item.Id)
		return err
	})
	return data, err
}
