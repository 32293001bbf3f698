package backend

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/state"
)

// Default timeouts of a Dialer.
const (
	// DefaultDialTimeout bounds connecting and the TLS handshake: a server
	// that is down is reported within it.
	DefaultDialTimeout = 3 * time.Second
	// DefaultTimeout bounds one call, answer included.
	DefaultTimeout = 20 * time.Second
)

// maxReply bounds an answer (Export-Message of a large message).
const maxReply = 256 << 20

// Dialer reaches the other servers of the organisation. It is safe for
// concurrent use; connections are kept and reused.
type Dialer struct {
	// Store is the organisation: where each server listens and the
	// certificate every server must present.
	Store state.Store
	// Credential is this server's, sent with every request.
	Credential mail.ServerCredential
	// DialTimeout and Timeout default to DefaultDialTimeout and
	// DefaultTimeout.
	DialTimeout, Timeout time.Duration

	once sync.Once
	http *http.Client
	pin  orgCert
}

func (d *Dialer) init() {
	d.once.Do(func() {
		dial := d.DialTimeout
		if dial <= 0 {
			dial = DefaultDialTimeout
		}
		tr := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: dial}).DialContext,
			TLSHandshakeTimeout: dial,
			ForceAttemptHTTP2:   false,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     time.Minute,
			TLSClientConfig: &tls.Config{
				MinVersion: tls.VersionTLS12,
				// The organisation's certificate names the server that
				// made it, not every server: it is pinned instead of
				// checked by name (VerifyConnection).
				InsecureSkipVerify: true,
				VerifyConnection:   d.verify,
			},
		}
		d.http = &http.Client{Transport: tr}
	})
}

// Close drops the kept connections.
func (d *Dialer) Close() {
	if d.http != nil {
		d.http.CloseIdleConnections()
	}
}

// verify accepts the organisation's certificate and nothing else.
func (d *Dialer) verify(cs tls.ConnectionState) error {
	pin, err := d.pin.get(d.Store)
	if err != nil {
		return err
	}
	if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, pin.Certificate[0]) {
		return ErrCertificate
	}
	return nil
}

// Server returns a client for the server of that name (its name, FQDN or
// Guid). A server the organisation does not have gives state.ErrNotFound;
// one without an address an *UnreachableError (ErrNoChannel). Nothing is
// dialled until a method is called.
func (d *Dialer) Server(name string) (*Client, error) {
	d.init()
	var srv *state.ExchangeServer
	err := d.Store.View(func(tx state.Tx) error {
		var err error
		srv, err = tx.Server(name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("server %q: %w", name, err)
	}
	addr := Addr(srv)
	if addr == "" {
		return nil, &UnreachableError{Server: srv.Name, Fqdn: srv.Fqdn, Err: ErrNoChannel}
	}
	return &Client{d: d, name: srv.Name, fqdn: srv.Fqdn, addr: addr}, nil
}

// Client is another server's per-server data, reached over the channel.
// Its methods are those of the local parts (Queues, Tracking, Mailboxes).
type Client struct {
	d          *Dialer
	name, fqdn string
	addr       string
}

// Name is the server's name ("EX02").
func (c *Client) Name() string { return c.name }

// Fqdn is the server's FQDN ("EX02.contoso.com").
func (c *Client) Fqdn() string { return c.fqdn }

// call runs one operation: args is sent as JSON, the result decoded into
// out (nil: none). It gives up after the Dialer's Timeout, and tells the
// server how long it waits, so that the server stops working for it then.
func (c *Client) call(op string, args, out any) error {
	return c.callContext(context.Background(), op, args, out)
}

// callContext is call that gives up when ctx ends too.
func (c *Client) callContext(ctx context.Context, op string, args, out any) error {
	timeout := c.d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := json.Marshal(args)
	if err != nil {
		return err
	}
	u := url.URL{Scheme: "https", Host: c.addr, Path: pathPrefix + op}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if dl, ok := ctx.Deadline(); ok {
		req.Header.Set(timeoutHeader, time.Until(dl).Round(time.Millisecond).String())
	}
	req.SetBasicAuth(c.d.Credential.Account, c.d.Credential.Secret)
	resp, err := c.d.http.Do(req)
	if err != nil {
		if perr := parent.Err(); perr != nil {
			return perr // the caller gave up, not the server
		}
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the server %s refused the logon of %s: %w", c.name, c.d.Credential.Account, ErrAccessDenied)
	case http.StatusTooManyRequests:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the server %s refused the logon of %s after too many failed logons from this computer; try again in %s: %w",
			c.name, c.d.Credential.Account, seconds(retryAfter(resp)), ErrAccessDenied)
	case http.StatusServiceUnavailable:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return &BusyError{Server: c.name, Fqdn: c.fqdn, RetryAfter: retryAfter(resp)}
	default:
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the server %s answered %s: %s", c.name, resp.Status, bytes.TrimSpace(text))
	}
	var rep struct {
		Result json.RawMessage `json:"result"`
		Error  *wireError      `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxReply)).Decode(&rep); err != nil {
		if perr := parent.Err(); perr != nil {
			return perr
		}
		return c.unreachable(fmt.Errorf("reading the answer: %w", err))
	}
	if rep.Error != nil {
		return rep.Error.err()
	}
	if out != nil && len(rep.Result) > 0 {
		if err := json.Unmarshal(rep.Result, out); err != nil {
			return fmt.Errorf("the server %s answered %s with %w", c.name, op, err)
		}
	}
	return nil
}

// retryAfter is an answer's Retry-After in seconds (a second when it has
// none).
func retryAfter(resp *http.Response) time.Duration {
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || n < 1 {
		n = 1
	}
	return time.Duration(n) * time.Second
}

// seconds writes a whole number of seconds: "1 second", "5 seconds".
func seconds(d time.Duration) string {
	n := int((d + time.Second - 1) / time.Second)
	if n == 1 {
		return "1 second"
	}
	return strconv.Itoa(n) + " seconds"
}

// unreachable wraps a failure to reach the server.
func (c *Client) unreachable(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, ErrCertificate) {
		err = ErrCertificate
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.New("no answer in time")
	}
	return &UnreachableError{Server: c.name, Fqdn: c.fqdn, Addr: c.addr, Err: err}
}

// Queues lists the server's queues.
func (c *Client) Queues() (out []transport.QueueInfo, err error) {
	err = c.call("Queues", struct{}{}, &out)
	return out, err
}

// ResolveQueues finds the server's queues an identity names.
func (c *Client) ResolveQueues(identity string) (out []transport.QueueInfo, err error) {
	err = c.call("ResolveQueues", identityArgs{Identity: identity}, &out)
	return out, err
}

// Messages lists the server's queued messages.
func (c *Client) Messages(f transport.MessageFilter) ([]transport.MessageInfo, error) {
	return c.MessagesContext(context.Background(), f)
}

// MessagesContext is Messages that gives up, and makes the server stop,
// when ctx ends.
func (c *Client) MessagesContext(ctx context.Context, f transport.MessageFilter) (out []transport.MessageInfo, err error) {
	err = c.callContext(ctx, "Messages", f, &out)
	return out, err
}

// SuspendQueue suspends queues on the server.
func (c *Client) SuspendQueue(identity string) error {
	return c.call("SuspendQueue", identityArgs{Identity: identity}, nil)
}

// ResumeQueue resumes queues on the server.
func (c *Client) ResumeQueue(identity string) error {
	return c.call("ResumeQueue", identityArgs{Identity: identity}, nil)
}

// RetryQueue retries (or resubmits) queues on the server.
func (c *Client) RetryQueue(identity string, resubmit bool) error {
	return c.call("RetryQueue", identityArgs{Identity: identity, Flag: resubmit}, nil)
}

// RedirectMessages hands the messages of the server's delivery queues to
// the target servers (Redirect-Message).
func (c *Client) RedirectMessages(targets []string) (int, error) {
	var moved int
	err := c.call("RedirectMessages", redirectArgs{Targets: targets}, &moved)
	return moved, err
}

// SuspendMessage suspends a message on the server.
func (c *Client) SuspendMessage(identity string) error {
	return c.call("SuspendMessage", identityArgs{Identity: identity}, nil)
}

// ResumeMessage resumes a message on the server.
func (c *Client) ResumeMessage(identity string) error {
	return c.call("ResumeMessage", identityArgs{Identity: identity}, nil)
}

// RemoveMessage removes a message on the server.
func (c *Client) RemoveMessage(identity string, withNDR bool) error {
	return c.call("RemoveMessage", identityArgs{Identity: identity, Flag: withNDR}, nil)
}

// ExportMessage returns a suspended message's bytes from the server.
func (c *Client) ExportMessage(identity string) (out []byte, err error) {
	err = c.call("ExportMessage", identityArgs{Identity: identity}, &out)
	return out, err
}

// Search searches the server's message tracking log.
func (c *Client) Search(q tracking.Query) ([]tracking.Event, error) {
	return c.SearchContext(context.Background(), q)
}

// SearchContext is Search that gives up, and makes the server stop, when
// ctx ends.
func (c *Client) SearchContext(ctx context.Context, q tracking.Query) (out []tracking.Event, err error) {
	err = c.callContext(ctx, "Search", q, &out)
	return out, err
}

// MailboxItems lists a mailbox's items in the server's mailbox store.
func (c *Client) MailboxItems(mailbox string) (out []*state.MailboxItem, err error) {
	err = c.call("MailboxItems", mailboxArgs{Mailbox: mailbox}, &out)
	return out, err
}

// MailboxItemData returns one item's message from the server's mailbox
// store.
func (c *Client) MailboxItemData(mailbox string, id int64) (out []byte, err error) {
	err = c.call("MailboxItemData", mailboxArgs{Mailbox: mailbox, ID: id}, &out)
	return out, err
}
