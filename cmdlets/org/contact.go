package org

import (
	"fmt"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

func contactCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := recipientCompleter(d, "MailContact")
	idHelp := "Specifies the mail contact: name, alias, email address, distinguished name or GUID."

	get := &interp.CmdletInfo{
		Name:        "Get-MailContact",
		Synopsis:    "Gets mail contacts.",
		Description: "Get-MailContact returns the organisation's mail contacts: recipients outside the organisation with an entry in the address book.",
		OutputType:  MailContactType,
		Params:      []*interp.ParamInfo{identityParam(idHelp+" Wildcards are allowed.", false, complete), resultSizeParam(), domainControllerParam()},
		Examples:    []interp.Example{{Code: "Get-MailContact | Format-Table Name,ExternalEmailAddress", Remarks: "Lists the contacts and where their mail goes."}},
	}
	get.Process = getRecipients(d, (*state.Recipient).IsContact, func(_ state.Tx, rc *state.Recipient) *object.PSObject { return contactObject(rc) })

	newContact := &interp.CmdletInfo{
		Name:     "New-MailContact",
		Synopsis: "Creates a mail contact.",
		Description: "New-MailContact creates a recipient for an address outside the organisation. Its primary address is the external address " +
			"unless -PrimarySmtpAddress gives one in an accepted domain; mail to either goes to the external address.",
		OutputType:            MailContactType,
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			{Name: "Name", Kind: interp.KindString, Mandatory: true, Position: 0, Help: "Specifies the unique name of the contact (at most 64 characters)."},
			{Name: "ExternalEmailAddress", Kind: interp.KindString, Mandatory: true, Position: -1, Help: "Specifies the contact's address outside the organisation (chris@fabrikam.com)."},
			named("Alias", interp.KindString, "Specifies the alias; the default is the name without spaces."),
			named("DisplayName", interp.KindString, "Specifies the display name; the default is Name."),
			named("FirstName", interp.KindString, "Specifies the contact's first name."),
			named("LastName", interp.KindString, "Specifies the contact's last name."),
			named("PrimarySmtpAddress", interp.KindString, "Specifies the primary SMTP address; the default is the external address."),
			named("OrganizationalUnit", interp.KindString, "Specifies the organizational unit; the lab has only <domain>/Users."),
			domainControllerParam(),
		},
		Examples: []interp.Example{{Code: "New-MailContact -Name \"Chris Ashton\" -ExternalEmailAddress chris@fabrikam.com", Remarks: "Creates a contact whose mail goes to chris@fabrikam.com."}},
	}
	newContact.Process = func(c *interp.Call) error {
		var out *object.PSObject
		err := update(d, c, func(r *run, tx state.Tx) error {
			out = nil
			ct, err := r.newMailRecipient(tx, "MailContact")
			if err != nil {
				return err
			}
			ct.FirstName, ct.LastName = c.String("FirstName"), c.String("LastName")
			addr, err := externalAddressArg(r, c.String("ExternalEmailAddress"))
			if err != nil {
				return err
			}
			ct.ExternalEmailAddress = "SMTP:" + addr
			primary := addr
			if c.Has("PrimarySmtpAddress") {
				if primary, err = r.primarySmtpArg(); err != nil {
					return err
				}
			}
			ct.EmailAddresses = setPrimary(nil, primary)
			if !strings.EqualFold(primary, addr) {
				ct.EmailAddresses = append(ct.EmailAddresses, "smtp:"+addr)
			}
			ct.PrimarySmtpAddress = primary
			if err := r.checkAccount(tx, ct); err != nil {
				return err
			}
			for _, a := range ct.EmailAddresses {
				_, v, _ := strings.Cut(a, ":")
				if err := r.addressFree(tx, ct, v); err != nil {
					return err
				}
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Creating mail contact \"%s\" with external email address \"%s\" in organizational unit \"%s\".", ct.Name, ct.ExternalEmailAddress, ct.OrganizationalUnit)) {
				return errSkip
			}
			if err := tx.PutRecipient(ct); err != nil {
				return err
			}
			out = contactObject(ct)
			return nil
		})
		if err != nil || out == nil {
			return report(c, err)
		}
		return c.WriteObject(out)
	}

	setContact := &interp.CmdletInfo{
		Name:                  "Set-MailContact",
		Synopsis:              "Changes a mail contact.",
		Description:           "Set-MailContact changes a contact's names, its external address (where its mail goes) and its proxy addresses.",
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			identityParam(idHelp, true, complete),
			named("Alias", interp.KindString, "Specifies a new alias."),
			named("DisplayName", interp.KindString, "Specifies the display name."),
			named("FirstName", interp.KindString, "Specifies the contact's first name."),
			named("LastName", interp.KindString, "Specifies the contact's last name."),
			named("ExternalEmailAddress", interp.KindString, "Specifies the address outside the organisation that the contact's mail goes to."),
			named("PrimarySmtpAddress", interp.KindString, "Specifies the primary SMTP address; the old one stays as a secondary address."),
			emailAddressesProp.param(),
			domainControllerParam(),
		},
		Examples: []interp.Example{{Code: "Set-MailContact \"Chris Ashton\" -ExternalEmailAddress chris@tailspintoys.com", Remarks: "Sends Chris's mail to a new address outside."}},
	}
	setContact.Process = func(c *interp.Call) error {
		var warn string
		err := update(d, c, func(r *run, tx state.Tx) error {
			warn = ""
			ct, err := r.recipientOf(tx, "Identity", isContact)
			if err != nil {
				return err
			}
			before := *ct
			before.EmailAddresses = append([]string(nil), ct.EmailAddresses...)
			if c.Has("DisplayName") {
				ct.DisplayName = strings.TrimSpace(c.String("DisplayName"))
			}
			if c.Has("FirstName") {
				ct.FirstName = c.String("FirstName")
			}
			if c.Has("LastName") {
				ct.LastName = c.String("LastName")
			}
			if c.Has("Alias") {
				ct.Alias = strings.TrimSpace(c.String("Alias"))
				if err := r.checkAlias(ct.Alias); err != nil {
					return err
				}
			}
			if err := r.apply([]prop{emailAddressesProp}, ct); err != nil {
				return err
			}
			if c.Has("ExternalEmailAddress") {
				addr, err := externalAddressArg(r, c.String("ExternalEmailAddress"))
				if err != nil {
					return err
				}
				// The new external address becomes a proxy address as
				// New-MailContact makes it one; the old one is kept.
				ct.ExternalEmailAddress = "SMTP:" + addr
				if !hasAddress(ct.EmailAddresses, addr) {
					ct.EmailAddresses = append(ct.EmailAddresses, "smtp:"+addr)
				}
			}
			if c.Has("PrimarySmtpAddress") {
				addr, err := r.primarySmtpArg()
				if err != nil {
					return err
				}
				ct.EmailAddresses = setPrimary(ct.EmailAddresses, addr)
			}
			return r.putChanged(tx, &before, ct, "mail contact", &warn)
		})
		if warn != "" {
			c.WriteWarning(warn)
		}
		return report(c, err)
	}

	removeContact := &interp.CmdletInfo{
		Name:                  "Remove-MailContact",
		Synopsis:              "Removes a mail contact.",
		Description:           "Remove-MailContact deletes the contact and takes it out of every group.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                []*interp.ParamInfo{identityParam(idHelp, true, complete), domainControllerParam()},
		Examples:              []interp.Example{{Code: "Remove-MailContact \"Chris Ashton\" -Confirm:$false", Remarks: "Removes the contact."}},
	}
	removeContact.Process = removeRecipient(d, isContact, "Removing mail contact \"%s\".")
	return []*interp.CmdletInfo{get, newContact, setContact, removeContact}
}

// externalAddressArg reads -ExternalEmailAddress: an SMTP address, with or
// without its "SMTP:" prefix.
func externalAddressArg(r *run, text string) (string, error) {
	ext, err := canonProxy(text)
	if err != nil || !strings.HasPrefix(strings.ToLower(ext), "smtp:") {
		if err == nil {
			err = textf("The address \"%s\" isn't an SMTP address.", text)
		}
		return "", r.task.InvalidArgument("Cannot process argument transformation on parameter 'ExternalEmailAddress'. %s", err.Error())
	}
	_, addr, _ := strings.Cut(ext, ":")
	return addr, nil
}

// hasAddress reports whether addrs (proxy addresses) hold the SMTP address addr.
func hasAddress(addrs []string, addr string) bool {
	for _, a := range addrs {
		if _, v, ok := strings.Cut(a, ":"); ok && strings.EqualFold(v, addr) {
			return true
		}
	}
	return false
}
