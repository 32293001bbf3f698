package cmdlets

import (
	"strings"

	"exsh/shell/interp"
	"exsh/shell/object"
)

// ShouldProcess asks whether a change may go ahead, given Exchange's own
// description of it, such as `Removing Receive connector "EX01\Relay".`
// or `Creating Receive connector "Relay" on server "EX01".`.
//
// -WhatIf prints the description after "What if: ", as the Exchange
// Management Shell does, and the change is not made. A confirmation (an
// explicit -Confirm, or a cmdlet whose ConfirmImpact reaches
// $ConfirmPreference, such as the Remove-* cmdlets) shows the description
// under "Are you sure you want to perform this action?". Without an
// interactive host (scripts, -Command) the confirmation is accepted;
// -Confirm:$false never asks.
func ShouldProcess(c *interp.Call, description string) bool {
	if v, ok := c.Bound["WhatIf"]; ok && object.ToBool(v) {
		c.WriteHost("What if: "+description, true)
		return false
	}
	action, target := SplitDescription(description)
	return c.ShouldProcessDescription(description, target, action)
}

// SplitDescription splits an Exchange confirmation text into PowerShell's
// action and target: `Removing Receive connector "EX01\Relay".` gives
// ("Removing Receive connector", `EX01\Relay`). A text without a quoted
// name is all action.
func SplitDescription(description string) (action, target string) {
	i := strings.IndexByte(description, '"')
	if i < 0 {
		return strings.TrimSuffix(description, "."), ""
	}
	j := strings.IndexByte(description[i+1:], '"')
	if j < 0 {
		return strings.TrimSuffix(description, "."), ""
	}
	return strings.TrimSpace(description[:i]), description[i+1 : i+1+j]
}
