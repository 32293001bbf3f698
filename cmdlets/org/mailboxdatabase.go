package org

import (
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// MailboxDatabaseType is the type name of Get-MailboxDatabase's objects.
const MailboxDatabaseType = "Microsoft.Exchange.Data.Directory.SystemConfiguration.MailboxDatabase"

func mailboxDatabaseCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := completer(d, func(tx state.Tx) ([]string, error) {
		dbs, err := tx.MailboxDatabases()
		var out []string
		for _, db := range dbs {
			out = append(out, db.Name)
		}
		return out, err
	})
	typeNames := []string{MailboxDatabaseType, "Microsoft.Exchange.Data.Directory.SystemConfiguration.Database", "Microsoft.Exchange.Data.Directory.ADObject", "System.Object"}
	get := &interp.CmdletInfo{
		Name:        "Get-MailboxDatabase",
		Synopsis:    "Gets mailbox databases.",
		Description: "Get-MailboxDatabase returns the mailbox databases of the organisation.",
		OutputType:  MailboxDatabaseType,
		Params: []*interp.ParamInfo{
			identityParam("Specifies the database: its name or GUID. Wildcards are allowed.", false, complete),
			{Name: "Server", Kind: interp.KindString, Position: -1, Complete: cmdlets.CompleteServers(d),
				Help: "Returns the databases on the given server (its name, FQDN or GUID). Without it, the databases of every server of the organisation are returned."},
			named("Status", interp.KindSwitch, "Accepted for compatibility: Mounted is always filled in."),
			domainControllerParam(),
		},
		Examples: []interp.Example{{Code: "Get-MailboxDatabase", Remarks: "Lists the databases: Name, Server, Recovery and ReplicationType."}},
	}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			dbs, err := tx.MailboxDatabases()
			if err != nil {
				return err
			}
			text, onServer := "", ""
			if c.Has("Identity") {
				text = cmdlets.IdentityText(c.Value("Identity"))
				// "EX02\Mailbox Database 0123456789": that server's.
				if id := cmdlets.ParseServerScoped(text); id.Server != "" && id.Guid == "" {
					srv, err := tx.Server(id.Server)
					if err != nil {
						return r.task.NotFound(text)
					}
					onServer, text = srv.Name, id.Name
				}
			}
			if c.Has("Server") {
				srv, err := r.server(tx, c.String("Server"))
				if err != nil {
					return err
				}
				if onServer != "" && !strings.EqualFold(onServer, srv.Name) {
					return r.task.NotFound(cmdlets.IdentityText(c.Value("Identity")))
				}
				onServer = srv.Name
			}
			for _, db := range dbs {
				if onServer != "" && !strings.EqualFold(onServer, db.Server) {
					continue
				}
				if text == "" || cmdlets.MatchName(text, db.Name) || strings.EqualFold(text, db.Guid) {
					out = append(out, cmdlets.ToObject(typeNames, db))
				}
			}
			if len(out) == 0 && text != "" && !cmdlets.HasWildcard(text) {
				return r.task.NotFound(cmdlets.IdentityText(c.Value("Identity")))
			}
			return nil
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}
	return []*interp.CmdletInfo{get}
}
