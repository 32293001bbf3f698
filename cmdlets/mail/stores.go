package mail

import (
	"errors"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/state"
)

// serverArg resolves a -Server value (a server's name, FQDN or Guid;
// ".", "localhost" or "" for this server) to the server's name, or
// Exchange's not-found error.
func serverArg(tx state.Tx, site cmdlets.Site, task *cmdlets.Task, s string) (string, error) {
	s = strings.TrimSpace(s)
	if srv, err := tx.Server(s); err == nil {
		return srv.Name, nil
	}
	if site.IsLocalName(s) {
		return site.Server, nil
	}
	return "", task.NotFound(s)
}

// storeReason is the exception a mailbox store that cannot be reached
// reports.
const storeReason = "ConnectionFailedTransientException"

// mailboxStores hands out the mailbox store of each server for one call:
// this server's in process, another's over its management channel. A
// server that cannot be reached is reported once and its mailboxes left
// out.
type mailboxStores struct {
	d       *cmdlets.Deps
	c       *interp.Call
	task    *cmdlets.Task
	readers map[string]cmdlets.MailboxReader
	parts   map[string]*cmdlets.ServerParts // another server's, for its errors
	failed  map[string]bool
}

func newMailboxStores(d *cmdlets.Deps, c *interp.Call, task *cmdlets.Task) *mailboxStores {
	return &mailboxStores{d: d, c: c, task: task, readers: map[string]cmdlets.MailboxReader{},
		parts: map[string]*cmdlets.ServerParts{}, failed: map[string]bool{}}
}

// of returns the mailbox store of a server: "", this server or a server
// the organisation does not have (a database of no known server) is this
// server's. For a server that cannot be reached it writes the error (the
// first time) and returns nil, nil; it fails when this server runs no
// mailbox store.
func (m *mailboxStores) of(server string) (cmdlets.MailboxReader, error) {
	key := strings.ToLower(server)
	if r, ok := m.readers[key]; ok {
		return r, nil
	}
	if m.failed[key] {
		return nil, nil
	}
	reader := m.d.Mailboxes
	if server != "" {
		p, err := m.d.At(server)
		switch {
		case errors.Is(err, cmdlets.ErrUnknownServer):
		case err != nil:
			m.failed[key] = true
			m.c.WriteError(m.task.AtError(cmdlets.ServiceStore, storeReason, server, p, err))
			return nil, nil
		default:
			reader = p.Mailboxes
			m.parts[key] = p
		}
	}
	if reader == nil {
		return nil, m.task.InvalidOperation(cmdlets.ReasonInvalidOp, "The mailbox store isn't available: the Microsoft Exchange Transport service isn't running in this process.")
	}
	m.readers[key] = reader
	return reader, nil
}

// readErr is the error record of a failed read of server's store (as
// given to of): Exchange's connection error, naming the server, when the
// server went away (the bool is then true: the other mailboxes can still
// be read), else a store error.
func (m *mailboxStores) readErr(server string, err error) (*interp.ErrorRecord, bool) {
	if e := m.task.ServerError(cmdlets.ServiceStore, storeReason, m.parts[strings.ToLower(server)], err); e != nil {
		return e, true
	}
	return m.task.StoreError(err), false
}
