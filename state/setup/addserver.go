package setup

import (
	"errors"
	"fmt"
	"path/filepath"

	"exsh/state"
)

// AddServer adds a Mailbox server to an organisation of several servers,
// as Exchange setup does when it installs another server: its
// ExchangeServer record (with opts.IPAddress and opts.PortOffset), its
// five default receive connectors, its Transport, Front End Transport and
// Mailbox Transport service settings and its own mailbox database
// ("Mailbox Database <10 digits>", Server = it, files under opts.DataPath).
// The organisation's domain is the organisation's own; opts.Domain is not
// used. For a server that is already a member only its address and port
// offset are brought up to date, so AddServer is safe on every start.
func AddServer(st state.Store, opts Options) error {
	opts.Domain = "" // the organisation's is used, so opts.Domain is not checked
	if err := opts.fill(); err != nil {
		return err
	}
	if opts.DataPath == "" {
		opts.DataPath = filepath.Dir(st.Path())
	}
	// A member already in place changes nothing (and needs no majority).
	current := false
	if err := st.View(func(tx state.Tx) error {
		s, err := tx.Server(opts.ServerName)
		current = err == nil && s.IPAddress == opts.IPAddress && s.PortOffset == opts.PortOffset
		return nil
	}); err != nil {
		return err
	}
	if current {
		return nil
	}
	now := opts.Now()
	dbName, err := databaseName()
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	return st.Update(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return fmt.Errorf("setup: the organisation to add %s to: %w", opts.ServerName, err)
		}
		if s, err := tx.Server(opts.ServerName); err == nil {
			if s.IPAddress == opts.IPAddress && s.PortOffset == opts.PortOffset {
				return nil
			}
			s.IPAddress, s.PortOffset = opts.IPAddress, opts.PortOffset
			return tx.PutServer(s)
		} else if !errors.Is(err, state.ErrNotFound) {
			return err
		}
		o := opts
		o.Domain = org.DomainName
		server := newServer(o, now)
		if err := tx.PutServer(server); err != nil {
			return err
		}
		certName := ""
		if cert, err := tx.Certificate(); err == nil {
			certName = cert.TlsCertificateName()
		} else if !errors.Is(err, state.ErrNotFound) {
			return err
		}
		if err := tx.PutMailboxDatabase(newDatabase(o, dbName, now)); err != nil {
			return err
		}
		return putServerSettings(tx, server, certName, o, now)
	})
}
