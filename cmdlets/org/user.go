package org

import (
	"fmt"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

func userCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := recipientCompleter(d, "")
	idHelp := "Specifies the user: name, user principal name, DOMAIN\\account, alias, distinguished name or GUID."

	get := &interp.CmdletInfo{
		Name:        "Get-User",
		Synopsis:    "Gets user accounts, with or without a mailbox.",
		Description: "Get-User returns user accounts. RecipientType is User for an account without a mailbox and UserMailbox for a mailbox user.",
		OutputType:  UserType,
		Params: []*interp.ParamInfo{
			identityParam(idHelp+" Wildcards are allowed.", false, complete),
			{Name: "RecipientTypeDetails", Kind: interp.KindString, Array: true, Position: -1, Help: "Returns only users with the given RecipientTypeDetails (User, UserMailbox)."},
			filterParam(), resultSizeParam(), domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: "Get-User", Remarks: "Lists every user: Name and RecipientType."},
			{Code: "Get-User -RecipientTypeDetails User", Remarks: "Lists the accounts without a mailbox."},
		},
	}
	get.Process = func(c *interp.Call) error {
		return listRecipients(d, c, userTypeNames, func(rc *state.Recipient) bool {
			if rc.RecipientType != "User" && rc.RecipientType != "UserMailbox" {
				return false
			}
			return !c.Has("RecipientTypeDetails") || containsFold(c.Strings("RecipientTypeDetails"), rc.RecipientTypeDetails)
		})
	}

	newUser := &interp.CmdletInfo{
		Name:     "New-User",
		Synopsis: "Creates a user account without a mailbox.",
		Description: "New-User creates an account that can authenticate (for example to submit mail over SMTP) but has no mailbox and no email address. " +
			"Such an account can't send as any address: Exchange answers 550 5.7.60 until it gets a mailbox (Enable-Mailbox) or send-as rights.",
		OutputType:            UserType,
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			{Name: "Name", Kind: interp.KindString, Mandatory: true, Position: 0, Help: "Specifies the unique name of the user (at most 64 characters)."},
			{Name: "UserPrincipalName", Kind: interp.KindString, Mandatory: true, Position: -1, Help: "Specifies the logon name, user@domain."},
			{Name: "Password", Kind: interp.KindSecureString, Mandatory: true, Position: -1, Help: "Specifies the password (ConvertTo-SecureString -AsPlainText -Force). Only a salted hash is stored."},
			named("FirstName", interp.KindString, "Specifies the first name."),
			named("LastName", interp.KindString, "Specifies the last name."),
			named("DisplayName", interp.KindString, "Specifies the display name; the default is Name."),
			named("SamAccountName", interp.KindString, "Specifies the pre-Windows 2000 logon name (at most 20 characters); the default is the left part of the user principal name."),
			named("OrganizationalUnit", interp.KindString, "Specifies the organizational unit; the lab has only <domain>/Users."),
			named("ResetPasswordOnNextLogon", interp.KindBool, "Accepted for compatibility; the lab doesn't force password changes."),
			domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: `New-User -Name "Scanner" -UserPrincipalName scanner@contoso.com -Password (ConvertTo-SecureString 'P@ssw0rd' -AsPlainText -Force)`,
				Remarks: "Creates an SMTP submission account without a mailbox."},
		},
	}
	newUser.Process = func(c *interp.Call) error {
		var out *object.PSObject
		err := update(d, c, func(r *run, tx state.Tx) error {
			out = nil
			rc, err := r.newAccount(tx, false)
			if err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Creating user \"%s\" with user principal name \"%s\" in organizational unit \"%s\".", rc.Name, rc.UserPrincipalName, rc.OrganizationalUnit)) {
				return errSkip
			}
			if err := tx.PutRecipient(rc); err != nil {
				return err
			}
			out = cmdlets.ToObject(userTypeNames, rc)
			return nil
		})
		if err != nil || out == nil {
			return report(c, err)
		}
		return c.WriteObject(out)
	}

	setUser := &interp.CmdletInfo{
		Name:                  "Set-User",
		Synopsis:              "Changes a user account.",
		Description:           "Set-User changes the names and logon names of a user account, with or without a mailbox.",
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			identityParam(idHelp, true, complete),
			named("DisplayName", interp.KindString, "Specifies the display name."),
			named("FirstName", interp.KindString, "Specifies the first name."),
			named("LastName", interp.KindString, "Specifies the last name."),
			named("Name", interp.KindString, "Specifies a new name."),
			named("UserPrincipalName", interp.KindString, "Specifies a new logon name."),
			named("SamAccountName", interp.KindString, "Specifies a new pre-Windows 2000 logon name."),
			domainControllerParam(),
		},
		Examples: []interp.Example{{Code: `Set-User scanner -DisplayName "Floor 2 scanner"`, Remarks: "Renames the scanner account's display name."}},
	}
	setUser.Process = func(c *interp.Call) error { return report(c, setRecipient(d, c, false)) }

	removeUser := &interp.CmdletInfo{
		Name:                  "Remove-User",
		Synopsis:              "Removes a user account.",
		Description:           "Remove-User deletes a user account; a mailbox user loses its mailbox too.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                []*interp.ParamInfo{identityParam(idHelp, true, complete), domainControllerParam()},
		Examples:              []interp.Example{{Code: "Remove-User scanner -Confirm:$false", Remarks: "Deletes the scanner account."}},
	}
	removeUser.Process = func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			rc, err := r.recipient(tx, false)
			if err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Removing user \"%s\".", rc.Identity)) {
				return errSkip
			}
			if err := removeFromGroups(tx, rc.Guid); err != nil {
				return err
			}
			return tx.DeleteRecipient(rc.Guid)
		}))
	}
	return []*interp.CmdletInfo{get, newUser, setUser, removeUser}
}
