package cmdlets

import (
	"strings"
	"time"

	"exsh/shell/interp"
	"exsh/state"
)

// Module is the module name Get-Command shows as Source for every Exchange
// cmdlet.
const Module = "Microsoft.Exchange.Management.PowerShell.SnapIn"

// Exchange declares c an Exchange cmdlet: it belongs to Module and, as in
// the Exchange Management Shell, runs in the remote session to the
// server (interp.CmdletInfo.Remote), so its errors show as remote errors
// and Get-Command lists it as a Function. Every Exchange cmdlet is
// declared through it; IsExchange tells them apart.
func Exchange(c *interp.CmdletInfo) *interp.CmdletInfo {
	c.Module = Module
	c.Remote = true
	return c
}

// IsExchange reports whether c is an Exchange cmdlet.
func IsExchange(c *interp.CmdletInfo) bool { return c.Remote }

// Deps is what the Exchange cmdlets run with. cmd/exsh fills it once per
// process; cmdlets read it and never replace its fields.
type Deps struct {
	// Store is the organisation. Each cmdlet that changes it does so in one
	// Store.Update.
	Store state.Store
	// DataPath is the exsh data directory ($exinstall).
	DataPath string
	// The transport engine running in this process, in the parts the
	// cmdlets use (see engine.go). Each is nil when no engine runs here.
	//
	// Queues is the Transport service's queue administration (Get-Queue,
	// Get-Message and the queue actions).
	Queues QueueAdmin
	// Tracking is the message tracking log (Get-MessageTrackingLog); nil
	// reads the log files on disk.
	Tracking TrackingLog
	// Mailboxes is the mailbox store Mailbox Transport Delivery writes
	// (Get-MailboxMessage).
	Mailboxes MailboxReader
	// Submitter is the Transport service's submission (Test-Mailflow).
	Submitter Submitter
	// Ports translates this server's configured ports into the ports its
	// receive connectors listen on (Send-MailMessage to this server).
	Ports PortMapper
	// ServerName is the server this shell runs on (the process's own
	// server, exsh -ServerName); "" takes the organisation's server, as on
	// a single server. In an organisation of several servers
	// Organization.ServerName is only the founder.
	ServerName string
	// Remote reaches another server of the organisation (by name) over
	// the management channel, for its per-server data; nil where there
	// is none (a single server). See At.
	Remote func(server string) (RemoteServer, error)
	// Alive reports whether a server of an organisation of several
	// servers is running (Get-ExchangeServer's ServerState); nil takes
	// every server for running.
	Alive func(server string) bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PasswordCost is the bcrypt cost of the password hashes cmdlets
	// store; 0 means state.PasswordCost. Tests lower it to stay fast.
	PasswordCost int
}

// HashPassword hashes a password with d's cost; only the hash is kept.
func (d *Deps) HashPassword(password string) (string, error) {
	cost := state.PasswordCost
	if d != nil && d.PasswordCost != 0 {
		cost = d.PasswordCost
	}
	return state.HashPasswordCost(password, cost)
}

// Clock returns the current time from d.Now, or time.Now when unset.
func (d *Deps) Clock() time.Time {
	if d == nil || d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// Site is where an object lives, as error texts and identities need it:
// the local server and the organisation's domain.
type Site struct {
	Server        string // "EX01"
	ServerFqdn    string // "EX01.contoso.com"
	Domain        string // "contoso.com"
	NetBIOSDomain string // "CONTOSO"
	OrgName       string // "First Organization"
}

// LoadSite reads the organisation record into a Site. A store without an
// organisation gives the lab's defaults, so an error text can still be
// produced.
func LoadSite(tx state.Tx) Site {
	s := Site{Server: "EX01", Domain: "contoso.com", NetBIOSDomain: "CONTOSO", OrgName: "First Organization"}
	if org, err := tx.Org(); err == nil && org != nil {
		if org.ServerName != "" {
			s.Server = org.ServerName
		}
		if org.DomainName != "" {
			s.Domain = org.DomainName
		}
		if org.NetBIOSDomain != "" {
			s.NetBIOSDomain = org.NetBIOSDomain
		}
		if org.Name != "" {
			s.OrgName = org.Name
		}
	}
	s.ServerFqdn = s.Server + "." + s.Domain
	if srv, err := tx.Server(s.Server); err == nil && srv != nil && srv.Fqdn != "" {
		s.ServerFqdn = srv.Fqdn
	}
	return s
}

// DomainController is the name error texts give as the domain controller
// that was asked ("couldn't be found on 'EX01.contoso.com'"): the lab's
// server plays its own domain controller.
func (s Site) DomainController() string { return s.ServerFqdn }

// ComputerName is the server as the Exchange Management Shell's remote
// session names it (PSComputerName): its FQDN in lower case.
func (s Site) ComputerName() string {
	if s.ServerFqdn == "" {
		return strings.ToLower(s.Server)
	}
	return strings.ToLower(s.ServerFqdn)
}
