package org

import (
	"fmt"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// MailboxPermissionType is the type name of Get-MailboxPermission's objects.
const MailboxPermissionType = "Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject"

var mailboxPermissionTypeNames = []string{MailboxPermissionType, "Microsoft.Exchange.Management.RecipientTasks.AcePresentationObject", "System.Object"}

// mailboxRightNames are the rights of Add-MailboxPermission -AccessRights.
var mailboxRightNames = []string{"ChangeOwner", "ChangePermission", "DeleteItem", "ExternalAccount", "FullAccess", "ReadPermission"}

// Extended rights on a recipient (Add-ADPermission -Identity <mailbox>).
const (
	RightSendAs    = "Send-As"
	RightReceiveAs = "Receive-As"
)

// mailboxPermissionView is one entry as Get-MailboxPermission shows it.
type mailboxPermissionView struct {
	AccessRights    []string
	Deny            bool
	InheritanceType string
	User            string
	Identity        string
	IsInherited     bool
	IsValid         bool
	ObjectState     string
}

func mailboxPermissionCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := recipientCompleter(d, "UserMailbox")
	idHelp := "Specifies the mailbox: name, alias, email address, user principal name, DOMAIN\\account or GUID."
	userParam := func(mandatory bool) *interp.ParamInfo {
		return &interp.ParamInfo{Name: "User", Kind: interp.KindString, Mandatory: mandatory, Position: -1, FromPipelineByPropertyName: true,
			Complete: principalCompleter(d), Help: "Specifies the account the entry is for: DOMAIN\\account, user principal name, alias or name."}
	}
	rightsParam := func(mandatory bool) *interp.ParamInfo {
		return &interp.ParamInfo{Name: "AccessRights", Kind: interp.KindEnum, Array: true, Mandatory: mandatory, Position: -1, Values: mailboxRightNames,
			FromPipelineByPropertyName: true, Help: "Specifies the rights: FullAccess, ReadPermission, ChangePermission, ChangeOwner, DeleteItem, ExternalAccount. FullAccess opens the mailbox; it doesn't allow sending as its owner (that is the Send As right, granted with Add-ADPermission)."}
	}

	get := &interp.CmdletInfo{
		Name:        "Get-MailboxPermission",
		Synopsis:    "Gets the permissions on a mailbox.",
		Description: "Get-MailboxPermission lists who may open a mailbox: its owner (NT AUTHORITY\\SELF) and the entries added with Add-MailboxPermission.",
		OutputType:  MailboxPermissionType,
		Params:      []*interp.ParamInfo{identityParam(idHelp, true, complete), userParam(false), domainControllerParam()},
		Examples:    []interp.Example{{Code: "Get-MailboxPermission bob | where {$_.IsInherited -eq $false}", Remarks: "Shows the explicit entries on Bob's mailbox."}},
	}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			mb, err := r.recipientOf(tx, "Identity", (*state.Recipient).HasMailbox)
			if err != nil {
				return err
			}
			user, err := r.userFilter(tx)
			if err != nil {
				return err
			}
			for _, v := range r.mailboxACEs(tx, mb) {
				if user == "" || strings.EqualFold(v.User, user) {
					out = append(out, cmdlets.ToObject(mailboxPermissionTypeNames, v))
				}
			}
			return nil
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	add := &interp.CmdletInfo{
		Name:                  "Add-MailboxPermission",
		Synopsis:              "Grants permissions on a mailbox.",
		Description:           "Add-MailboxPermission grants (or with -Deny denies) an account rights on a mailbox, such as FullAccess.",
		OutputType:            MailboxPermissionType,
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{identityParam(idHelp, true, complete), userParam(true), rightsParam(true),
			named("Deny", interp.KindSwitch, "Denies the rights instead of granting them."),
			{Name: "InheritanceType", Kind: interp.KindEnum, Position: -1, Values: []string{"None", "All", "Descendents", "SelfAndChildren", "Children"}, Default: "All", Help: "Specifies how the entry is inherited; All by default."},
			named("AutoMapping", interp.KindBool, "Accepted for compatibility; the lab has no Outlook profiles."),
			domainControllerParam()},
		Examples: []interp.Example{{Code: "Add-MailboxPermission bob -User alice -AccessRights FullAccess", Remarks: "Lets Alice open Bob's mailbox."}},
	}
	add.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		var warn string
		err := update(d, c, func(r *run, tx state.Tx) error {
			out, warn = nil, ""
			mb, err := r.recipientOf(tx, "Identity", (*state.Recipient).HasMailbox)
			if err != nil {
				return err
			}
			trustee, user, err := r.trustee(tx)
			if err != nil {
				return err
			}
			rights := canonicalRights(c.Strings("AccessRights"))
			inherit := "All"
			if c.Has("InheritanceType") {
				inherit = canonical(c.String("InheritanceType"), []string{"None", "All", "Descendents", "SelfAndChildren", "Children"})
			}
			deny := c.Bool("Deny")
			for _, p := range mb.Permissions {
				if strings.EqualFold(p.User, trustee.Guid) && p.Deny == deny && sameRights(p.AccessRights, rights) {
					warn = fmt.Sprintf("An existing permission entry was found for user: %s.", trustee.Name)
					return errSkip
				}
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Adding mailbox permission \"%s\" for user \"%s\" with access rights \"'%s'\".", mb.Identity, user, strings.Join(rights, "', '"))) {
				return errSkip
			}
			p := state.MailboxPermission{User: trustee.Guid, AccessRights: rights, Deny: deny, InheritanceType: inherit}
			mb.Permissions = append(mb.Permissions, p)
			if err := tx.PutRecipient(mb); err != nil {
				return err
			}
			out = append(out, cmdlets.ToObject(mailboxPermissionTypeNames, &mailboxPermissionView{
				AccessRights: rights, Deny: deny, InheritanceType: inherit, User: user, Identity: mb.Identity, IsValid: true, ObjectState: "Unchanged"}))
			return nil
		})
		if warn != "" {
			c.WriteWarning(warn)
		}
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	remove := &interp.CmdletInfo{
		Name:                  "Remove-MailboxPermission",
		Synopsis:              "Removes permissions from a mailbox.",
		Description:           "Remove-MailboxPermission removes rights an account was granted on a mailbox with Add-MailboxPermission.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params: []*interp.ParamInfo{identityParam(idHelp, true, complete), userParam(true), rightsParam(true),
			named("Deny", interp.KindSwitch, "Removes a deny entry instead of a grant."),
			{Name: "InheritanceType", Kind: interp.KindEnum, Position: -1, Values: []string{"None", "All", "Descendents", "SelfAndChildren", "Children"}, Help: "Accepted for compatibility."},
			domainControllerParam()},
		Examples: []interp.Example{{Code: "Remove-MailboxPermission bob -User svc-scanner -AccessRights FullAccess -Confirm:$false", Remarks: "Takes the scanner account's access to Bob's mailbox away."}},
	}
	remove.Process = func(c *interp.Call) error {
		var warn string
		err := update(d, c, func(r *run, tx state.Tx) error {
			warn = ""
			mb, err := r.recipientOf(tx, "Identity", (*state.Recipient).HasMailbox)
			if err != nil {
				return err
			}
			trustee, user, err := r.trustee(tx)
			if err != nil {
				return err
			}
			rights := canonicalRights(c.Strings("AccessRights"))
			deny := c.Bool("Deny")
			var kept []state.MailboxPermission
			removed := false
			for _, p := range mb.Permissions {
				if strings.EqualFold(p.User, trustee.Guid) && p.Deny == deny {
					left := withoutRights(p.AccessRights, rights)
					if len(left) != len(p.AccessRights) {
						removed = true
					}
					if len(left) == 0 {
						continue
					}
					p.AccessRights = left
				}
				kept = append(kept, p)
			}
			if !removed {
				warn = fmt.Sprintf("Can't remove the access control entry on the object \"%s\" for account \"%s\" because the ACE doesn't exist on the object.", mb.Identity, user)
				return errSkip
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Removing mailbox permission \"%s\" for user \"%s\" with access rights \"'%s'\".", mb.Identity, user, strings.Join(rights, "', '"))) {
				return errSkip
			}
			mb.Permissions = kept
			return tx.PutRecipient(mb)
		})
		if warn != "" {
			c.WriteWarning(warn)
		}
		return report(c, err)
	}
	return []*interp.CmdletInfo{get, add, remove}
}

// trustee resolves -User to an account of the organisation and its
// DOMAIN\account name.
func (r *run) trustee(tx state.Tx) (*state.Recipient, string, error) {
	text := strings.TrimSpace(r.c.String("User"))
	rc, err := tx.RecipientByLogin(text)
	if err != nil {
		if rc, err = tx.RecipientByName(text); err != nil {
			return nil, "", r.task.NotFound(text)
		}
	}
	return rc, r.site.NetBIOSDomain + `\` + rc.SamAccountName, nil
}

// mailboxACEs are a mailbox's entries: its owner's, then the explicit ones.
func (r *run) mailboxACEs(tx state.Tx, mb *state.Recipient) []*mailboxPermissionView {
	out := []*mailboxPermissionView{{AccessRights: []string{"FullAccess", "ReadPermission"}, InheritanceType: "All", User: `NT AUTHORITY\SELF`, Identity: mb.Identity, IsValid: true, ObjectState: "Unchanged"}}
	for _, p := range mb.Permissions {
		user := p.User
		if rc, err := tx.Recipient(p.User); err == nil {
			user = r.site.NetBIOSDomain + `\` + rc.SamAccountName
		}
		out = append(out, &mailboxPermissionView{AccessRights: p.AccessRights, Deny: p.Deny, InheritanceType: p.InheritanceType, User: user,
			Identity: mb.Identity, IsValid: true, ObjectState: "Unchanged"})
	}
	return out
}

func canonicalRights(in []string) []string {
	var out []string
	for _, v := range in {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				if c := canonical(part, mailboxRightNames); !hasFold(out, c) {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

func sameRights(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, v := range a {
		if !hasFold(b, v) {
			return false
		}
	}
	return true
}

func withoutRights(have, drop []string) []string {
	var out []string
	for _, v := range have {
		if !hasFold(drop, v) {
			out = append(out, v)
		}
	}
	return out
}

// Send As: Add-ADPermission, Get-ADPermission and Remove-ADPermission on a
// recipient instead of a Receive connector.

// recipientTarget returns the recipient -Identity names when it is not a
// Receive connector (Add-ADPermission -Identity bob ...), or nil.
func (r *run) recipientTarget(tx state.Tx) *state.Recipient {
	arg := r.c.Value("Identity")
	if arg == nil {
		return nil
	}
	if rc, ok := cmdlets.BaseOf[*state.Recipient](arg); ok {
		if cur, err := tx.Recipient(rc.Guid); err == nil {
			return cur
		}
	}
	if _, ok := cmdlets.BaseOf[*state.ReceiveConnector](arg); ok {
		return nil
	}
	if ace, ok := cmdlets.BaseOf[*state.ADPermission](arg); ok {
		if ace.ConnectorGuid != "" {
			return nil
		}
		arg = ace.Identity // an entry piped from Get-ADPermission on a recipient
	}
	if _, err := r.receiveConnectorArg(tx, arg); err == nil {
		return nil
	}
	rs, err := r.findRecipients(tx, arg, true)
	if err != nil || len(rs) != 1 || !isMailEnabled(rs[0]) {
		return nil
	}
	return rs[0]
}

// recipientRights reads -ExtendedRights for a recipient: Send As (spelt
// "Send As" or "Send-As") or Receive As.
func (r *run) recipientRights() ([]string, error) {
	var out []string
	for _, v := range cmdlets.ValueStrings(r.c.Value("ExtendedRights")) {
		for _, part := range strings.Split(v, ",") {
			key := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(part), " ", "-"))
			switch key {
			case "":
				continue
			case "send-as":
				out = append(out, RightSendAs)
			case "receive-as":
				out = append(out, RightReceiveAs)
			default:
				return nil, r.task.NotFound(strings.TrimSpace(part))
			}
		}
	}
	if len(out) == 0 {
		return nil, r.task.InvalidArgument("Specify the AccessRights or ExtendedRights parameter.")
	}
	return out, nil
}

// recipientACEs are the explicit extended-right entries on a recipient.
func (r *run) recipientACEs(tx state.Tx, rc *state.Recipient) []*state.ADPermission {
	var out []*state.ADPermission
	for _, g := range rc.SendAs {
		user := g
		if a, err := tx.Recipient(g); err == nil {
			user = r.site.NetBIOSDomain + `\` + a.SamAccountName
		}
		out = append(out, &state.ADPermission{Identity: rc.Identity, User: user, ExtendedRights: []string{RightSendAs}, AccessRights: []string{"ExtendedRight"}})
	}
	return out
}

// getRecipientADPermission is Get-ADPermission on a recipient.
func (r *run) getRecipientADPermission(tx state.Tx, rc *state.Recipient) ([]*object.PSObject, error) {
	user := ""
	if r.c.Has("User") {
		var err error
		if user, err = r.principal(tx, r.c.String("User")); err != nil {
			return nil, err
		}
	}
	var out []*object.PSObject
	for _, a := range r.recipientACEs(tx, rc) {
		if user == "" || strings.EqualFold(a.User, user) {
			out = append(out, aceObject(a))
		}
	}
	return out, nil
}

// addRecipientADPermission is Add-ADPermission on a recipient: Send As.
func (r *run) addRecipientADPermission(tx state.Tx, rc *state.Recipient) ([]*object.PSObject, error) {
	trustee, user, err := r.trustee(tx)
	if err != nil {
		return nil, err
	}
	rights, err := r.recipientRights()
	if err != nil {
		return nil, err
	}
	if r.c.Bool("Deny") || hasFold(rights, RightReceiveAs) {
		return nil, r.task.InvalidOperation(cmdlets.ReasonInvalidOp, "The lab keeps only Send As grants on recipients; deny entries and Receive As aren't supported.")
	}
	if containsGuid(rc.SendAs, trustee.Guid) {
		return nil, r.task.InvalidOperation("ADOperationException", "The appropriate access control entry is already present on the object \"%s\" for account \"%s\".", rc.DistinguishedName, user)
	}
	if !cmdlets.ShouldProcess(r.c, fmt.Sprintf("Adding Active Directory permission \"%s\" for user \"%s\" with access rights \"'%s'\".", rc.Identity, user, RightSendAs)) {
		return nil, errSkip
	}
	rc.SendAs = append(rc.SendAs, trustee.Guid)
	if err := tx.PutRecipient(rc); err != nil {
		return nil, err
	}
	return []*object.PSObject{aceObject(&state.ADPermission{Identity: rc.Identity, User: user, ExtendedRights: []string{RightSendAs}, AccessRights: []string{"ExtendedRight"}})}, nil
}

// removeRecipientADPermission is Remove-ADPermission on a recipient.
func (r *run) removeRecipientADPermission(tx state.Tx, rc *state.Recipient) error {
	trustee, user, err := r.trustee(tx)
	if err != nil {
		return err
	}
	if _, err := r.recipientRights(); err != nil {
		return err
	}
	if !containsGuid(rc.SendAs, trustee.Guid) {
		return r.task.InvalidOperation("ADOperationException", "Can't remove the access control entry on the object \"%s\" for account \"%s\" because the ACE doesn't exist on the object.", rc.DistinguishedName, user)
	}
	if !cmdlets.ShouldProcess(r.c, fmt.Sprintf("Removing Active Directory permission \"%s\" for user \"%s\" with access rights \"'%s'\".", rc.Identity, user, RightSendAs)) {
		return errSkip
	}
	rc.SendAs = removeGuid(rc.SendAs, trustee.Guid)
	return tx.PutRecipient(rc)
}
