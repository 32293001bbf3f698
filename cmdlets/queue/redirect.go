package queue

import (
	"fmt"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/state"
)

// redirectMessage is Redirect-Message: it hands the messages queued on a
// server to other Mailbox servers of the organisation before maintenance.
// The targets must be other servers of the organisation; the lab has one
// server, so the cmdlet checks its arguments as Exchange does and refuses.
func redirectMessage(d *cmdlets.Deps) *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Redirect-Message",
		Synopsis: "Moves the messages queued on a server to other Mailbox servers.",
		Description: "Redirect-Message drains the delivery queues of a server that is being taken down for maintenance (after " +
			"Set-ServerComponentState <server> -Component HubTransport -State Draining -Requester Maintenance) by handing its messages to " +
			"other Mailbox servers of the organisation, named by FQDN in -Target. A target must be another Exchange server of the organisation; " +
			"the lab's organisation has one server, so there is no server to redirect to and the queued messages stay where they are until delivered.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params: []*interp.ParamInfo{
			{Name: "Server", Kind: interp.KindString, Mandatory: true, Position: -1, Help: "Specifies the source server whose queues are drained: name or FQDN."},
			{Name: "Target", Kind: interp.KindString, Array: true, Mandatory: true, Position: -1, Help: "Specifies the FQDN of each Mailbox server that takes the messages."},
		},
		Examples: []interp.Example{
			{Code: "Redirect-Message -Server EX01 -Target ex02.contoso.com", Remarks: "Hands EX01's queued messages to EX02 (in an organisation that has an EX02)."},
		},
		Process: func(c *interp.Call) error {
			var task *cmdlets.Task
			err := d.Store.View(func(tx state.Tx) error {
				site := d.LoadSite(tx)
				task = cmdlets.NewTask(d, c.Info.Name, site)
				src, err := tx.Server(c.String("Server"))
				if err != nil {
					return task.NotFound(c.String("Server"))
				}
				targets := c.Strings("Target")
				for _, t := range targets {
					t = strings.TrimSpace(t)
					dst, err := tx.Server(t)
					if err != nil {
						return task.NotFound(t)
					}
					if dst.Guid == src.Guid {
						return task.InvalidArgument("The target server %s is the server whose messages are being redirected. Specify another Mailbox server of the organization.", t)
					}
				}
				if !cmdlets.ShouldProcess(c, fmt.Sprintf("Redirecting messages from server \"%s\" to \"%s\".", src.Fqdn, strings.Join(targets, ", "))) {
					return nil
				}
				return task.InvalidOperation(cmdlets.ReasonInvalidOp, "Messages can't be redirected to %s: this lab runs the Transport service of server %s only.", strings.Join(targets, ", "), src.Name)
			})
			if err == nil {
				return nil
			}
			if rec, ok := err.(*interp.ErrorRecord); ok {
				c.WriteError(rec)
				return nil
			}
			if task == nil {
				return err
			}
			return task.StoreError(err)
		},
	}
}
