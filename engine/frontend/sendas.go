package frontend

import (
	"strings"

	"exsh/state"
)

// mayUseSender reports whether the authenticated account may send as
// from: one of its own addresses if it has a mailbox, or the address of a
// recipient that granted it Send As (Add-ADPermission -ExtendedRights
// "Send As"), which needs no mailbox of its own.
func (r *Receive) mayUseSender(from string) bool {
	if r.Account == nil {
		return false
	}
	if r.Account.HasMailbox() && ownsAddress(r.Account, from) {
		return true
	}
	return r.sendAsGranted(from)
}

// sendAsGranted reports whether the recipient owning from granted the
// session's account Send As.
func (r *Receive) sendAsGranted(from string) bool {
	if from == "" || r.Store == nil {
		return false
	}
	granted := false
	_ = r.Store.View(func(tx state.Tx) error {
		owner, err := tx.RecipientByAddress(from)
		if err != nil {
			return nil
		}
		for _, g := range owner.SendAs {
			if strings.EqualFold(g, r.Account.Guid) {
				granted = true
			}
		}
		return nil
	})
	return granted
}
