package org

import (
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// ExchangeServerType is the type name of Get-ExchangeServer's objects.
const ExchangeServerType = cmdlets.ExchangeServerType

func exchangeServerCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	get := &interp.CmdletInfo{
		Name:        "Get-ExchangeServer",
		Synopsis:    "Gets the Exchange servers of the organisation.",
		Description: "Get-ExchangeServer returns the Exchange servers: name, site, roles, edition and version. In an organisation of several servers, ServerState says whether each one is running (Up) or not (Down).",
		OutputType:  ExchangeServerType,
		Params: []*interp.ParamInfo{
			identityParam("Specifies the server: its name, FQDN or GUID. Wildcards are allowed.", false, cmdlets.CompleteServers(d)),
			domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: "Get-ExchangeServer", Remarks: "Lists the servers: Name, Site, ServerRole, Edition and AdminDisplayVersion."},
			{Code: "Get-ExchangeServer EX01 | Format-List AdminDisplayVersion,Fqdn", Remarks: "Shows the server's build and FQDN."},
			{Code: "Get-ExchangeServer | Format-Table Name,ServerState", Remarks: "Shows which servers of the organisation are running."},
		},
	}
	typeNames := []string{ExchangeServerType, "Microsoft.Exchange.Data.Directory.ADObject", "System.Object"}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			srvs, err := tx.Servers()
			if err != nil {
				return err
			}
			text := ""
			if c.Has("Identity") {
				text = cmdlets.IdentityText(c.Value("Identity"))
			}
			for _, s := range srvs {
				if text == "" || cmdlets.MatchName(text, s.Name) || strings.EqualFold(text, s.Fqdn) || strings.EqualFold(text, s.Guid) || strings.EqualFold(text, s.DistinguishedName) {
					o := cmdlets.ToObject(typeNames, s)
					if d.Alive != nil {
						o.Add("ServerState", serverState(d, s.Name))
					}
					out = append(out, o)
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

// serverState is "Up" for a running server of an organisation of several
// servers and "Down" for one whose liveness has lapsed (Deps.Alive). A
// single server's objects have no ServerState.
func serverState(d *cmdlets.Deps, name string) string {
	if d.Alive(name) {
		return "Up"
	}
	return "Down"
}
