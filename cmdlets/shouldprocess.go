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
// Exchange writes the description itself after "What if: ". The
// interpreter's ShouldProcess takes PowerShell's (target, action) pair, so
// the description is split there: the words before the first quoted name
// are the action and the name is the target, which -WhatIf shows as
// `What if: Performing the operation "Removing Receive connector" on
// target "EX01\Relay".`. When a -WhatIf value reaches Bound (the binder
// may pass it through), the description is written as Exchange does.
func ShouldProcess(c *interp.Call, description string) bool {
	if v, ok := c.Bound["WhatIf"]; ok && object.ToBool(v) {
		c.WriteHost("What if: "+description, true)
		return false
	}
	action, target := SplitDescription(description)
	return c.ShouldProcess(target, action)
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
