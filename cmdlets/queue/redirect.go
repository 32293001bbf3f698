package queue

import (
	"errors"
	"fmt"
	"strings"

	"exsh/cmdlets"
	"exsh/engine/transport"
	"exsh/shell/interp"
	"exsh/state"
)

// redirectMessage is Redirect-Message: it hands the messages queued on a
// server to other Mailbox servers of the organisation before maintenance.
// The source server's Transport service (this one, or another over the
// management channel) moves them to a SmtpRelayToServers queue that sends
// them to the targets, which route them again.
func redirectMessage(d *cmdlets.Deps) *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Redirect-Message",
		Synopsis: "Moves the messages queued on a server to other Mailbox servers.",
		Description: "Redirect-Message drains the delivery queues of a server that is being taken down for maintenance (after " +
			"Set-ServerComponentState <server> -Component HubTransport -State Draining -Requester Maintenance) by handing their messages to " +
			"other Mailbox servers of the organisation, named by FQDN in -Target. The messages waiting in the delivery queues (not those " +
			"being delivered, suspended messages, or the Submission, Unreachable and Poison queues) move to a queue of DeliveryType " +
			"SmtpRelayToServers on the source server and are sent to the first target that takes them, which routes them again. " +
			"A target must be another Exchange server of the organisation.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params: []*interp.ParamInfo{
			{Name: "Server", Kind: interp.KindString, Mandatory: true, Position: -1, Complete: cmdlets.CompleteServers(d),
				Help: "Specifies the source server whose queues are drained: name or FQDN."},
			{Name: "Target", Kind: interp.KindString, Array: true, Mandatory: true, Position: -1, Complete: cmdlets.CompleteServers(d),
				Help: "Specifies the FQDN of each Mailbox server that takes the messages."},
		},
		Examples: []interp.Example{
			{Code: "Redirect-Message -Server EX01 -Target ex02.contoso.com", Remarks: "Hands EX01's queued messages to EX02."},
		},
		Process: func(c *interp.Call) error {
			r := newSiteRun(d, c)
			var src *state.ExchangeServer
			var targets []string
			err := d.Store.View(func(tx state.Tx) error {
				var err error
				src, err = tx.Server(c.String("Server"))
				if err != nil {
					return r.task.NotFound(c.String("Server"))
				}
				for _, t := range c.Strings("Target") {
					t = strings.TrimSpace(t)
					dst, err := tx.Server(t)
					if err != nil {
						return r.task.NotFound(t)
					}
					if dst.Guid == src.Guid {
						return r.task.InvalidArgument("The target server %s is the server whose messages are being redirected. Specify another Mailbox server of the organization.", t)
					}
					targets = append(targets, dst.Name)
				}
				return nil
			})
			if err != nil {
				if rec, ok := err.(*interp.ErrorRecord); ok {
					c.WriteError(rec)
					return nil
				}
				return r.task.StoreError(err)
			}
			list := strings.Join(c.Strings("Target"), ", ")
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Redirecting messages from server \"%s\" to \"%s\".", src.Fqdn, list)) {
				return nil
			}
			if err := r.use(src.Name); err != nil {
				return err
			}
			moved, err := r.admin.RedirectMessages(targets)
			switch {
			case errors.Is(err, transport.ErrInvalidOperation):
				c.WriteError(r.task.InvalidOperation(cmdlets.ReasonInvalidOp, "Messages can't be redirected to %s. %s", list, invalidOpText(err)))
			case err != nil:
				c.WriteError(r.engineErr(src.Name, err))
			default:
				c.WriteVerbose(fmt.Sprintf("%d messages were moved from the delivery queues of %s to be sent to %s.", moved, src.Name, list))
			}
			return nil
		},
	}
}
