package backend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/state"
)

// Port is the port of Exchange's back-end web site, where the channel
// listens before a server's port offset is added.
const Port = 444

// pathPrefix is where the operations live: POST pathPrefix + name.
const pathPrefix = "/exsh/backend/v1/"

// Addr is where a server's channel listens: its IPAddress and Port plus
// its PortOffset. It is "" for a server without an address (a single
// server, which has no channel).
func Addr(srv *state.ExchangeServer) string {
	if srv == nil || srv.IPAddress == "" {
		return ""
	}
	return net.JoinHostPort(srv.IPAddress, strconv.Itoa(Port+srv.PortOffset))
}

// The parts of a server the channel serves, which a Client implements in
// turn. The cmdlets use them under their own names (cmdlets.QueueAdmin,
// TrackingLog, MailboxReader) for the local server and a remote one
// alike.

// Queues is the Transport service's queue administration;
// *transport.Transport implements it. MessagesContext is Messages that
// stops when ctx ends: the channel serves Messages with it.
type Queues interface {
	Queues() ([]transport.QueueInfo, error)
	ResolveQueues(identity string) ([]transport.QueueInfo, error)
	Messages(f transport.MessageFilter) ([]transport.MessageInfo, error)
	MessagesContext(ctx context.Context, f transport.MessageFilter) ([]transport.MessageInfo, error)
	SuspendQueue(identity string) error
	ResumeQueue(identity string) error
	RetryQueue(identity string, resubmit bool) error
	SuspendMessage(identity string) error
	ResumeMessage(identity string) error
	RemoveMessage(identity string, withNDR bool) error
	ExportMessage(identity string) ([]byte, error)
	// RedirectMessages moves the messages of the delivery queues to a
	// queue for the target servers (by name or FQDN) and reports how
	// many moved.
	RedirectMessages(targets []string) (int, error)
}

// Tracking searches the message tracking log; *tracking.Log implements
// it. SearchContext is Search that stops when ctx ends: the channel
// serves Search with it.
type Tracking interface {
	Search(q tracking.Query) ([]tracking.Event, error)
	SearchContext(ctx context.Context, q tracking.Query) ([]tracking.Event, error)
}

// Mailboxes reads the mailbox store.
type Mailboxes interface {
	// MailboxItems lists a mailbox's items (by the recipient's Guid) in
	// delivery order.
	MailboxItems(mailbox string) ([]*state.MailboxItem, error)
	// MailboxItemData returns one item's raw message.
	MailboxItemData(mailbox string, id int64) ([]byte, error)
}

var (
	_ Queues    = (*transport.Transport)(nil)
	_ Tracking  = (*tracking.Log)(nil)
	_ Queues    = (*Client)(nil)
	_ Tracking  = (*Client)(nil)
	_ Mailboxes = (*Client)(nil)
)

// Checker checks the credential a calling server logs on with.
// mail.ServerCredential implements it for one account; an organisation
// whose servers can check each other's credentials gives one that accepts
// every server's.
type Checker interface {
	Check(user, password string) bool
}

// Errors of the channel; match them with errors.Is.
var (
	// ErrUnreachable: the server could not be reached (down, not
	// listening, no address, a certificate that is not the
	// organisation's, no answer in time). The error is an
	// *UnreachableError naming the server.
	ErrUnreachable = errors.New("the server cannot be reached")
	// ErrAccessDenied: the server refused this server's credential.
	ErrAccessDenied = errors.New("access is denied")
	// ErrNotRunning: the server runs, but not the part asked for (its
	// Transport service is not running).
	ErrNotRunning = errors.New("the service isn't running on the server")
	// ErrNoChannel: the server has no address in the organisation (a
	// single server), so it has no channel.
	ErrNoChannel = errors.New("the server has no IP address in the organisation")
	// ErrCertificate: the server's certificate is not the organisation's.
	ErrCertificate = errors.New("the server's certificate is not the organisation's certificate")
	// ErrBusy: the server answers as many requests as it serves at once
	// and refused one more; trying again shortly may succeed. The error
	// is a *BusyError naming the server.
	ErrBusy = errors.New("the server is busy")
)

// BusyError is the error for a server too busy to answer.
type BusyError struct {
	Server     string        // "EX02"
	Fqdn       string        // "EX02.contoso.com"
	RetryAfter time.Duration // when to try again, as the server said
}

func (e *BusyError) Error() string {
	msg := "the server " + e.Server + " is busy: it is answering as many requests as it serves at once"
	if e.RetryAfter > 0 {
		msg += "; try again in " + seconds(e.RetryAfter)
	}
	return msg
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// UnreachableError is the error for a server that cannot be reached.
type UnreachableError struct {
	Server string // "EX02"
	Fqdn   string // "EX02.contoso.com"
	Addr   string // "127.0.0.12:444"; "" when it has no address
	Err    error  // why: the dial's error, ErrNoChannel, ErrCertificate ...
}

func (e *UnreachableError) Error() string {
	msg := "the server " + e.Server + " cannot be reached"
	if e.Addr != "" {
		msg += " at " + e.Addr
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrUnreachable) true.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

func (e *UnreachableError) Unwrap() error { return e.Err }

// Error kinds on the wire: the sentinel errors a remote call can return,
// so that errors.Is works on the calling side as on the serving one.
var errorKinds = []struct {
	kind string
	err  error
}{
	{"QueueNotFound", transport.ErrQueueNotFound},
	{"MessageNotFound", transport.ErrMessageNotFound},
	{"AmbiguousIdentity", transport.ErrAmbiguousIdentity},
	{"InvalidOperation", transport.ErrInvalidOperation},
	{"Stopped", transport.ErrStopped},
	{"NotFound", state.ErrNotFound},
	{"NotRunning", ErrNotRunning},
}

// wireError is an error as it crosses the channel.
type wireError struct {
	Kind string `json:"kind,omitempty"`
	Text string `json:"text"`
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Text: err.Error()}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			w.Kind = k.kind
			break
		}
	}
	return w
}

// remoteError is an error a server returned: its text as the server
// wrote it, matching the sentinel of its kind.
type remoteError struct {
	text string
	kind error
}

func (e *remoteError) Error() string { return e.text }
func (e *remoteError) Unwrap() error { return e.kind }

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	e := &remoteError{text: w.Text}
	for _, k := range errorKinds {
		if strings.EqualFold(w.Kind, k.kind) {
			e.kind = k.err
		}
	}
	return e
}

// The operations' arguments.
type (
	identityArgs struct {
		Identity string `json:"identity"`
		Flag     bool   `json:"flag,omitempty"` // Resubmit, WithNDR
	}
	mailboxArgs struct {
		Mailbox string `json:"mailbox"`
		ID      int64  `json:"id,omitempty"`
	}
	redirectArgs struct {
		Targets []string `json:"targets"`
	}
	// reply is every answer: a result or an error.
	reply struct {
		Result any        `json:"result,omitempty"`
		Error  *wireError `json:"error,omitempty"`
	}
)

// orgCert is the organisation's certificate, which a server presents and
// a client pins, read again whenever the organisation changed.
type orgCert struct {
	mu   sync.Mutex
	gen  uint64
	cert *tls.Certificate
}

func (c *orgCert) get(st state.Store) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen := st.Generation()
	if c.cert != nil && gen == c.gen {
		return c.cert, nil
	}
	var rec *state.Certificate
	err := st.View(func(tx state.Tx) error {
		var err error
		rec, err = tx.Certificate()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("the organisation's certificate: %w", err)
	}
	tc, err := rec.TLSCertificate()
	if err != nil {
		return nil, fmt.Errorf("the organisation's certificate: %w", err)
	}
	c.cert, c.gen = &tc, gen
	return c.cert, nil
}
