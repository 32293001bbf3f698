// Package all assembles exsh's one command table: the language's utility
// cmdlets and every group of Exchange cmdlets, bound to the dependencies
// cmd/exsh opened. Binding, tab completion, Get-Command and Get-Help all
// read the table it returns.
package all

import (
	"exsh/cmdlets"
	"exsh/cmdlets/logs"
	"exsh/cmdlets/mail"
	"exsh/cmdlets/org"
	"exsh/cmdlets/queue"
	"exsh/cmdlets/utility"
	"exsh/shell/interp"
)

// Options configure the groups beyond what [cmdlets.Deps] carries.
type Options struct {
	// PortMap turns a port of this server as Exchange configures it (25,
	// 587, ...) into the port exsh listens on (-PortOffset); nil keeps
	// ports unchanged.
	PortMap func(port int) int
}

// Table is the command table, split by what the commands need.
type Table struct {
	// Language commands need nothing but the session: Where-Object,
	// Format-Table, Get-Date ...
	Language []*interp.CmdletInfo
	// Exchange commands use the organisation, the queues or the engine
	// (and Send-MailMessage, which reaches this server through the
	// engine's ports); their Deps must be ready before they run.
	Exchange []*interp.CmdletInfo
}

// All returns every command, language commands first.
func (t *Table) All() []*interp.CmdletInfo {
	out := make([]*interp.CmdletInfo, 0, len(t.Language)+len(t.Exchange))
	out = append(out, t.Language...)
	return append(out, t.Exchange...)
}

// New returns the command table bound to d.
func New(d *cmdlets.Deps, o Options) *Table {
	t := &Table{Language: utility.Cmdlets()}
	t.Exchange = append(t.Exchange, org.Cmdlets(d)...)
	t.Exchange = append(t.Exchange, queue.Cmdlets(d)...)
	t.Exchange = append(t.Exchange, logs.Cmdlets(d)...)
	t.Exchange = append(t.Exchange, mail.CmdletsWith(d, mail.Options{PortMap: o.PortMap})...)
	t.Exchange = append(t.Exchange, mail.MailboxCmdlets(d)...)
	return t
}

// Cmdlets returns every command bound to d with default options.
func Cmdlets(d *cmdlets.Deps) []*interp.CmdletInfo { return New(d, Options{}).All() }
