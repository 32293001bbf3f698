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
			named("Server", interp.KindString, "Returns the databases on the given server."),
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
			text := ""
			if c.Has("Identity") {
				text = cmdlets.IdentityText(c.Value("Identity"))
			}
			for _, db := range dbs {
				if c.Has("Server") && !strings.EqualFold(c.String("Server"), db.Server) {
					continue
				}
				if text == "" || cmdlets.MatchName(text, db.Name) || strings.EqualFold(text, db.Guid) {
					out = append(out, cmdlets.ToObject(typeNames, db))
				}
			}
			if len(out) == 0 && text != "" && !cmdlets.HasWildcard(text) {
				return r.task.NotFound(text)
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
