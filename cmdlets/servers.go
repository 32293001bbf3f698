package cmdlets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"exsh/engine/backend"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// Management anywhere (SPEC section 8): every shell sees the whole
// organisation. Organisation records are replicated to every server, so
// cmdlets read them from the store; per-server data (queues, messages,
// the tracking log, mailboxes' content) lives on each server, and a
// cmdlet reaches another server's over the management channel
// (engine/backend) through Deps.Remote.

// RemoteServer is another server's per-server data, reached over the
// management channel; *backend.Client implements it.
type RemoteServer interface {
	QueueAdmin
	TrackingLog
	MailboxReader
}

var _ RemoteServer = (*backend.Client)(nil)

// ServerParts is one server's per-server data as a cmdlet uses it: the
// engine in this process for this server, the channel for another.
type ServerParts struct {
	Name  string // "EX02"
	Fqdn  string // "EX02.contoso.com"
	Local bool   // this shell's own server
	// Queues is nil when no Transport service runs here (local only).
	Queues QueueAdmin
	// Tracking is nil locally when the log files are read from disk.
	Tracking  TrackingLog
	Mailboxes MailboxReader
}

// ErrUnknownServer is returned by Deps.At for a server the organisation
// does not have; it matches state.ErrNotFound too.
var ErrUnknownServer = fmt.Errorf("no such Exchange server: %w", state.ErrNotFound)

// LocalServer is the name of the server this shell runs on: Deps.ServerName,
// else the organisation's (a single server).
func (d *Deps) LocalServer(tx state.Tx) string {
	if d != nil && d.ServerName != "" {
		return d.ServerName
	}
	if org, err := tx.Org(); err == nil && org != nil && org.ServerName != "" {
		return org.ServerName
	}
	return "EX01"
}

// LoadSite is LoadSite for the server this shell runs on: error texts and
// identities name this server, not the organisation's founder.
func (d *Deps) LoadSite(tx state.Tx) Site {
	s := LoadSite(tx)
	if d == nil || d.ServerName == "" || strings.EqualFold(d.ServerName, s.Server) {
		return s
	}
	s.Server = d.ServerName
	s.ServerFqdn = s.Server + "." + s.Domain
	if srv, err := tx.Server(s.Server); err == nil && srv != nil {
		s.Server = srv.Name
		if srv.Fqdn != "" {
			s.ServerFqdn = srv.Fqdn
		}
	}
	return s
}

// IsLocalName reports whether a -Server value names this shell's own
// server without asking the organisation: "", ".", "localhost", its name
// or FQDN.
func (s Site) IsLocalName(name string) bool {
	return name == "" || name == "." || strings.EqualFold(name, "localhost") ||
		strings.EqualFold(name, s.Server) || strings.EqualFold(name, s.ServerFqdn)
}

// At returns the per-server data of a server (its name, FQDN or Guid;
// "" for this shell's own server). A server the organisation does not
// have gives ErrUnknownServer; a server that cannot be reached, the
// channel's error (backend.ErrUnreachable, backend.ErrAccessDenied).
func (d *Deps) At(server string) (*ServerParts, error) {
	var (
		site Site
		srv  *state.ExchangeServer
		err  error
	)
	if d == nil || d.Store == nil {
		return nil, errors.New("no organisation")
	}
	if verr := d.Store.View(func(tx state.Tx) error {
		site = d.LoadSite(tx)
		if site.IsLocalName(server) {
			return nil
		}
		srv, err = tx.Server(server)
		return nil
	}); verr != nil {
		return nil, verr
	}
	if srv == nil && err == nil || srv != nil && (strings.EqualFold(srv.Name, site.Server)) {
		return &ServerParts{Name: site.Server, Fqdn: site.ServerFqdn, Local: true,
			Queues: d.Queues, Tracking: d.Tracking, Mailboxes: d.Mailboxes}, nil
	}
	if err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, fmt.Errorf("%q: %w", server, ErrUnknownServer)
		}
		return nil, err
	}
	p := &ServerParts{Name: srv.Name, Fqdn: srv.Fqdn}
	if p.Fqdn == "" {
		p.Fqdn = srv.Name + "." + site.Domain
	}
	if d.Remote == nil {
		return p, &backend.UnreachableError{Server: srv.Name, Fqdn: p.Fqdn, Addr: backend.Addr(srv), Err: errors.New("this shell has no management channel to other servers")}
	}
	r, err := d.Remote(srv.Name)
	if err != nil {
		return p, err
	}
	p.Queues, p.Tracking, p.Mailboxes = r, r, r
	return p, nil
}

// ServerNames lists the organisation's servers by name, this shell's own
// first ("" without an organisation: this server alone) (Get-QueueDigest -Forest, Get-MessageTrackingLog across servers).
func (d *Deps) ServerNames() ([]string, error) {
	if d == nil || d.Store == nil {
		return []string{""}, nil // this server alone
	}
	var out []string
	err := d.Store.View(func(tx state.Tx) error {
		local := d.LocalServer(tx)
		srvs, err := tx.Servers()
		if err != nil {
			return err
		}
		out = append(out, local)
		for _, s := range srvs {
			if !strings.EqualFold(s.Name, local) {
				out = append(out, s.Name)
			}
		}
		return nil
	})
	return out, err
}

// CompleteServers offers the organisation's server names (for -Server).
func CompleteServers(d *Deps) func(ctx context.Context, prefix string) []string {
	return func(_ context.Context, prefix string) []string {
		if d == nil || d.Store == nil {
			return nil
		}
		var out []string
		_ = d.Store.View(func(tx state.Tx) error {
			srvs, err := tx.Servers()
			for _, s := range srvs {
				if strings.HasPrefix(strings.ToLower(s.Name), strings.ToLower(prefix)) {
					out = append(out, s.Name)
				}
			}
			return err
		})
		return out
	}
}

// The types of the objects Get-ExchangeServer and Get-TransportService
// write; piped to a cmdlet that takes a server, they name theirs.
const (
	ExchangeServerType  = "Microsoft.Exchange.Data.Directory.Management.ExchangeServer"
	TransportServerType = "Microsoft.Exchange.Data.Directory.SystemConfiguration.TransportServer"
)

// ServerObject reports the server a Get-ExchangeServer or
// Get-TransportService object names (Get-TransportService | Get-Queue).
func ServerObject(v any) (string, bool) {
	o, ok := v.(*object.PSObject)
	if !ok {
		return "", false
	}
	for _, n := range o.TypeNames {
		if strings.EqualFold(n, TransportServerType) || strings.EqualFold(n, ExchangeServerType) {
			if name, ok := o.Get("Name"); ok && name != nil {
				return object.ToString(name), true
			}
			return IdentityText(o), true
		}
	}
	return "", false
}

// Services whose unreachable server the error texts name.
const (
	ServiceTransport = "Microsoft Exchange Transport"
	ServiceLogSearch = "Microsoft Exchange Transport Log Search"
	ServiceStore     = "Microsoft Exchange Information Store"
)

// ServerError turns a failure to reach a server's service into
// Exchange's error record; it returns nil for any other error.
//
//	Failed to connect to the Microsoft Exchange Transport service on computer "EX02.contoso.com". Verify that a valid computer name was used and the Microsoft Exchange Transport service is started.
func (t *Task) ServerError(service, reason string, p *ServerParts, err error) *interp.ErrorRecord {
	computer := ""
	if p != nil {
		computer = p.Fqdn
	}
	var ue *backend.UnreachableError
	if errors.As(err, &ue) && computer == "" {
		computer = ue.Fqdn
	}
	var e *interp.ErrorRecord
	switch {
	case errors.Is(err, backend.ErrAccessDenied):
		e = t.Errorf(CategoryPermissionDenied, reason,
			"Failed to connect to the %s service on computer \"%s\". Access is denied. %s", service, computer, Sentence(err.Error()))
	case errors.Is(err, backend.ErrBusy):
		e = t.Errorf(CategoryResourceBusy, reason,
			"Failed to connect to the %s service on computer \"%s\". The server is busy. %s", service, computer, Sentence(err.Error()))
	case errors.Is(err, backend.ErrUnreachable):
		e = t.Errorf(CategoryInvalidOperation, reason,
			"Failed to connect to the %s service on computer \"%s\". Verify that a valid computer name was used and the %s service is started. %s", service, computer, service, Sentence(err.Error()))
	case errors.Is(err, backend.ErrNotRunning):
		e = t.Errorf(CategoryInvalidOperation, reason,
			"The %s service isn't running on server %s.", service, strings.TrimSuffix(computer, "."+t.Site.Domain))
	default:
		return nil
	}
	e.Exception = err
	return e
}

// AtError is the error record of a failed Deps.At(server): Exchange's
// not-found error for a server the organisation does not have, the
// service's connection error (ServerError) for one that cannot be
// reached, else a store error.
func (t *Task) AtError(service, reason, server string, p *ServerParts, err error) *interp.ErrorRecord {
	if errors.Is(err, ErrUnknownServer) {
		return t.NotFound(server)
	}
	if e := t.ServerError(service, reason, p, err); e != nil {
		return e
	}
	return t.StoreError(err)
}
