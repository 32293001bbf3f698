package org

import (
	"fmt"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/setup"
)

var emailAddressesProp = prop{name: "EmailAddresses", kind: interp.KindString, multi: true, canon: canonProxy, key: proxyKey,
	help: "Specifies the recipient's email addresses (proxy addresses). \"SMTP:\" marks the primary address and \"smtp:\" a secondary one; an address without a prefix is secondary. Use @{Add=\"smtp:a@contoso.com\";Remove=\"smtp:b@contoso.com\"} to change the list without replacing it."}

func mailboxCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := recipientCompleter(d, "UserMailbox")
	idHelp := "Specifies the mailbox: name, alias, email address, user principal name, DOMAIN\\account, distinguished name or GUID."

	get := &interp.CmdletInfo{
		Name:        "Get-Mailbox",
		Synopsis:    "Gets mailboxes.",
		Description: "Get-Mailbox returns user mailboxes. -ResultSize limits the count (1000 by default; Unlimited for all); -Filter selects with an OPATH expression.",
		OutputType:  MailboxType,
		Params: []*interp.ParamInfo{
			identityParam(idHelp+" Wildcards are allowed.", false, complete),
			named("Database", interp.KindString, "Returns the mailboxes of the given mailbox database."),
			{Name: "Server", Kind: interp.KindString, Position: -1, Complete: cmdlets.CompleteServers(d),
				Help: "Returns the mailboxes on the given server (its name, FQDN or GUID). Without it, the mailboxes of every server are returned."},
			{Name: "RecipientTypeDetails", Kind: interp.KindString, Array: true, Position: -1, Help: "Returns only mailboxes with the given RecipientTypeDetails (UserMailbox)."},
			filterParam(), resultSizeParam(), domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: "Get-Mailbox", Remarks: "Lists mailboxes: Name, Alias, ServerName and ProhibitSendQuota."},
			{Code: "Get-Mailbox bob | Format-List EmailAddresses,PrimarySmtpAddress", Remarks: "Shows a mailbox's addresses."},
			{Code: "Get-Mailbox -ResultSize Unlimited -Filter \"Alias -like 'test*'\"", Remarks: "Lists every mailbox whose alias starts with test."},
		},
	}
	get.Process = func(c *interp.Call) error {
		server := ""
		if c.Has("Server") {
			err := view(d, c, func(r *run, tx state.Tx) error {
				srv, err := r.server(tx, c.String("Server"))
				if err == nil {
					server = srv.Name
				}
				return err
			})
			if err != nil {
				return report(c, err)
			}
		}
		return listRecipients(d, c, mailboxTypeNames, func(rc *state.Recipient) bool {
			if !rc.HasMailbox() {
				return false
			}
			if c.Has("Database") && !strings.EqualFold(c.String("Database"), rc.Database) {
				return false
			}
			if server != "" && !strings.EqualFold(server, rc.ServerName) {
				return false
			}
			if c.Has("RecipientTypeDetails") && !containsFold(c.Strings("RecipientTypeDetails"), rc.RecipientTypeDetails) {
				return false
			}
			return true
		})
	}

	accountParams := []*interp.ParamInfo{
		named("Alias", interp.KindString, "Specifies the Exchange alias (mail nickname); the default is the left part of the user principal name, or the name without spaces."),
		named("DisplayName", interp.KindString, "Specifies the display name; the default is Name."),
		named("FirstName", interp.KindString, "Specifies the user's first name."),
		named("LastName", interp.KindString, "Specifies the user's last name."),
		named("UserPrincipalName", interp.KindString, "Specifies the logon name (user@domain); the default is alias@<organisation domain>."),
		named("SamAccountName", interp.KindString, "Specifies the pre-Windows 2000 logon name (at most 20 characters); the default is the alias."),
		named("OrganizationalUnit", interp.KindString, "Specifies the organizational unit; the lab has only <domain>/Users."),
		{Name: "Password", Kind: interp.KindSecureString, Position: -1, Help: "Specifies the account's password (ConvertTo-SecureString -AsPlainText -Force). Only a salted hash is stored."},
	}
	newParams := []*interp.ParamInfo{
		{Name: "Name", Kind: interp.KindString, Mandatory: true, Position: 0, Help: "Specifies the unique name of the mailbox (at most 64 characters)."},
	}
	newParams = append(newParams, accountParams...)
	newParams = append(newParams,
		named("PrimarySmtpAddress", interp.KindString, "Specifies the primary SMTP address; the default is alias@<default accepted domain>."),
		named("Database", interp.KindString, "Specifies the mailbox database; the default is the server's database."),
		named("ResetPasswordOnNextLogon", interp.KindBool, "Accepted for compatibility; the lab doesn't force password changes."),
		domainControllerParam())
	newMB := &interp.CmdletInfo{
		Name:     "New-Mailbox",
		Synopsis: "Creates a user account with a mailbox.",
		Description: "New-Mailbox creates a user and its mailbox. The primary address is alias@<default accepted domain>; the account can authenticate " +
			"to SMTP with its user principal name, DOMAIN\\account or alias and the password.",
		OutputType:            MailboxType,
		SupportsShouldProcess: true,
		Params:                newParams,
		Examples: []interp.Example{
			{Code: `New-Mailbox -Name "Bob Smith" -Alias bob -UserPrincipalName bob@contoso.com -Password (ConvertTo-SecureString 'P@ssw0rd' -AsPlainText -Force)`,
				Remarks: "Creates Bob's mailbox, bob@contoso.com."},
		},
	}
	newMB.Process = func(c *interp.Call) error {
		var out *object.PSObject
		err := update(d, c, func(r *run, tx state.Tx) error {
			out = nil
			rc, err := r.newAccount(tx, true)
			if err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Creating mailbox \"%s\" with user principal name \"%s\" in organizational unit \"%s\".", rc.Name, rc.UserPrincipalName, rc.OrganizationalUnit)) {
				return errSkip
			}
			if err := tx.PutRecipient(rc); err != nil {
				return err
			}
			out = cmdlets.ToObject(mailboxTypeNames, rc)
			return nil
		})
		if err != nil || out == nil {
			return report(c, err)
		}
		return c.WriteObject(out)
	}

	setParams := []*interp.ParamInfo{
		identityParam(idHelp, true, complete),
		named("Alias", interp.KindString, "Specifies a new alias. Existing addresses are kept."),
		named("DisplayName", interp.KindString, "Specifies the display name."),
		named("Name", interp.KindString, "Specifies a new name."),
		named("UserPrincipalName", interp.KindString, "Specifies a new logon name."),
		named("PrimarySmtpAddress", interp.KindString, "Specifies the primary SMTP address; the old primary address stays as a secondary address."),
		emailAddressesProp.param(),
		named("ProhibitSendQuota", interp.KindString, "Specifies the size at which the mailbox can't send (for example 2GB, or Unlimited)."),
		named("MaxSendSize", interp.KindString, "Specifies the largest message the mailbox may send (for example 25MB, or Unlimited). A mailbox's own limit takes the place of the organisation's MaxSendSize."),
		named("MaxReceiveSize", interp.KindString, "Specifies the largest message the mailbox may receive (for example 25MB, or Unlimited). A mailbox's own limit takes the place of the organisation's MaxReceiveSize."),
		{Name: "Password", Kind: interp.KindSecureString, Position: -1, Help: "Resets the account's password. Only a salted hash is stored."},
		domainControllerParam(),
	}
	setMB := &interp.CmdletInfo{
		Name:                  "Set-Mailbox",
		Synopsis:              "Changes a mailbox.",
		Description:           "Set-Mailbox changes a mailbox's names, addresses and password. EmailAddresses takes a list that replaces the addresses, or @{Add=...;Remove=...}.",
		SupportsShouldProcess: true,
		Params:                setParams,
		Examples: []interp.Example{
			{Code: `Set-Mailbox bob -EmailAddresses @{Add='smtp:robert@contoso.com'}`, Remarks: "Adds a secondary address."},
			{Code: `Set-Mailbox bob -PrimarySmtpAddress robert@contoso.com`, Remarks: "Makes robert@contoso.com the primary address."},
		},
	}
	setMB.Process = func(c *interp.Call) error { return report(c, setRecipient(d, c, true)) }

	removeMB := &interp.CmdletInfo{
		Name:                  "Remove-Mailbox",
		Synopsis:              "Removes a mailbox and its user account.",
		Description:           "Remove-Mailbox deletes the user account and its mailbox.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                []*interp.ParamInfo{identityParam(idHelp, true, complete), named("Permanent", interp.KindBool, "Accepted for compatibility; the lab always removes the mailbox at once."), domainControllerParam()},
		Examples:              []interp.Example{{Code: "Remove-Mailbox bob -Confirm:$false", Remarks: "Removes Bob's account and mailbox."}},
	}
	removeMB.Process = removeRecipient(d, (*state.Recipient).HasMailbox,
		"Removing the mailbox \"%s\" will remove the Active Directory user object and mark the mailbox and the archive (if present) in the database for removal.")

	enableMB := &interp.CmdletInfo{
		Name:                  "Enable-Mailbox",
		Synopsis:              "Creates a mailbox for an existing user.",
		Description:           "Enable-Mailbox gives a user account (RecipientType User) a mailbox, with the primary address alias@<default accepted domain>.",
		OutputType:            MailboxType,
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			identityParam("Specifies the user: name, user principal name, DOMAIN\\account, distinguished name or GUID.", true, recipientCompleter(d, "User")),
			named("Alias", interp.KindString, "Specifies the alias; the default is the left part of the user principal name."),
			named("PrimarySmtpAddress", interp.KindString, "Specifies the primary SMTP address."),
			named("Database", interp.KindString, "Specifies the mailbox database."),
			domainControllerParam(),
		},
		Examples: []interp.Example{{Code: "Enable-Mailbox svc-scanner", Remarks: "Gives the scanner's account a mailbox, so it may send as itself."}},
	}
	enableMB.Process = func(c *interp.Call) error {
		var out *object.PSObject
		err := update(d, c, func(r *run, tx state.Tx) error {
			out = nil
			rc, err := r.recipient(tx, false)
			if err != nil {
				return err
			}
			if rc.HasMailbox() {
				return r.task.InvalidOperation(cmdlets.ReasonRecipientTask, "The user \"%s\" already has a mailbox.", rc.Identity)
			}
			alias := c.String("Alias")
			if alias == "" {
				alias = defaultAlias(rc.Name, rc.UserPrincipalName)
			}
			if err := r.checkAlias(alias); err != nil {
				return err
			}
			if err := r.mailboxPlacement(tx, rc, alias); err != nil {
				return err
			}
			if err := r.checkAccount(tx, rc); err != nil {
				return err
			}
			if err := r.checkAddresses(tx, rc); err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Enabling mailbox for user \"%s\".", rc.Identity)) {
				return errSkip
			}
			if err := tx.PutRecipient(rc); err != nil {
				return err
			}
			out = cmdlets.ToObject(mailboxTypeNames, rc)
			return nil
		})
		if err != nil || out == nil {
			return report(c, err)
		}
		return c.WriteObject(out)
	}
	return []*interp.CmdletInfo{get, newMB, setMB, removeMB, enableMB}
}

// mailboxPlacement turns rc into a mailbox: type, database, server,
// quota and the primary address.
func (r *run) mailboxPlacement(tx state.Tx, rc *state.Recipient, alias string) error {
	org, err := tx.Org()
	if err != nil {
		return err
	}
	db, err := r.database(tx)
	if err != nil {
		return err
	}
	// The mailbox lives on its database's server.
	srv, err := tx.Server(db.Server)
	if err != nil {
		srv, _ = tx.Server(r.site.Server)
	}
	domains, err := tx.AcceptedDomains()
	if err != nil {
		return err
	}
	domain := org.DomainName
	if def := state.DefaultAcceptedDomain(domains); def != nil {
		domain = def.DomainName
	}
	mb := setup.NewMailboxDefaults(rc.Name, alias, org, srv, db)
	rc.Alias = alias
	rc.RecipientType, rc.RecipientTypeDetails = mb.RecipientType, mb.RecipientTypeDetails
	rc.Database, rc.ServerName, rc.ProhibitSendQuota = mb.Database, mb.ServerName, mb.ProhibitSendQuota
	rc.MaxSendSize, rc.MaxReceiveSize = mb.MaxSendSize, mb.MaxReceiveSize
	primary := alias + "@" + domain
	if r.c.Has("PrimarySmtpAddress") {
		var err error
		if primary, err = r.primarySmtpArg(); err != nil {
			return err
		}
	}
	rc.EmailAddresses = setPrimary(rc.EmailAddresses, primary)
	return nil
}

func (r *run) database(tx state.Tx) (*state.MailboxDatabase, error) {
	if r.c.Has("Database") {
		db, err := tx.MailboxDatabase(r.c.String("Database"))
		if err != nil {
			return nil, r.task.NotFound(r.c.String("Database"))
		}
		return db, nil
	}
	dbs, err := tx.MailboxDatabases()
	if err != nil {
		return nil, err
	}
	if len(dbs) == 0 {
		return nil, r.task.InvalidOperation(cmdlets.ReasonRecipientTask, "No mailbox database was found on server %s.", r.site.Server)
	}
	// In an organisation of several servers, the database of the server
	// the shell runs on.
	for _, db := range dbs {
		if strings.EqualFold(db.Server, r.site.Server) {
			return db, nil
		}
	}
	return dbs[0], nil
}

// newAccount builds a user (New-User) or a mailbox (New-Mailbox) from the
// bound parameters and validates it.
func (r *run) newAccount(tx state.Tx, mailbox bool) (*state.Recipient, error) {
	c := r.c
	name := strings.TrimSpace(c.String("Name"))
	if name == "" {
		return nil, r.task.ParameterValidation("Name", "The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
	}
	upn := strings.TrimSpace(c.String("UserPrincipalName"))
	alias := strings.TrimSpace(c.String("Alias"))
	if alias == "" {
		alias = defaultAlias(name, upn)
	}
	if err := r.checkAlias(alias); err != nil {
		return nil, err
	}
	if upn == "" {
		upn = alias + "@" + r.site.Domain
	}
	rc := &state.Recipient{
		Name:               name,
		DisplayName:        name,
		FirstName:          c.String("FirstName"),
		LastName:           c.String("LastName"),
		UserPrincipalName:  upn,
		SamAccountName:     samAccountName(alias),
		EmailAddresses:     []string{},
		RecipientType:      "User",
		OrganizationalUnit: r.site.Domain + "/Users",
	}
	rc.RecipientTypeDetails = "User"
	if c.Has("DisplayName") {
		rc.DisplayName = c.String("DisplayName")
	}
	if c.Has("SamAccountName") {
		rc.SamAccountName = c.String("SamAccountName")
		if len(rc.SamAccountName) > 20 {
			return nil, r.task.TooLong("SamAccountName", 20, len(rc.SamAccountName))
		}
	}
	if c.Has("OrganizationalUnit") {
		ou := strings.TrimSpace(c.String("OrganizationalUnit"))
		if !strings.EqualFold(ou, r.site.Domain+"/Users") && !strings.EqualFold(ou, "Users") && !strings.EqualFold(ou, "CN=Users,"+state.DomainDN(r.site.Domain)) {
			return nil, r.task.NotFound(ou)
		}
	}
	if mailbox {
		if err := r.mailboxPlacement(tx, rc, alias); err != nil {
			return nil, err
		}
	}
	setRecipientIdentity(rc, r.site)
	if err := r.checkAccount(tx, rc); err != nil {
		return nil, err
	}
	if err := r.checkAddresses(tx, rc); err != nil {
		return nil, err
	}
	if c.Has("Password") {
		h, err := r.password(c.Value("Password"))
		if err != nil {
			return nil, err
		}
		rc.PasswordHash = h
	}
	return rc, nil
}

// setRecipient is Set-Mailbox (mailbox true) and Set-User.
func setRecipient(d *cmdlets.Deps, c *interp.Call, mailbox bool) error {
	var warn string
	err := update(d, c, func(r *run, tx state.Tx) error {
		warn = ""
		rc, err := r.recipient(tx, mailbox)
		if err != nil {
			return err
		}
		before := *rc
		for _, f := range []struct {
			name string
			dst  *string
		}{{"DisplayName", &rc.DisplayName}, {"FirstName", &rc.FirstName}, {"LastName", &rc.LastName}, {"UserPrincipalName", &rc.UserPrincipalName},
			{"ProhibitSendQuota", &rc.ProhibitSendQuota}, {"MaxSendSize", &rc.MaxSendSize}, {"MaxReceiveSize", &rc.MaxReceiveSize}} {
			if c.Has(f.name) {
				*f.dst = strings.TrimSpace(c.String(f.name))
			}
		}
		for _, f := range []struct {
			name string
			dst  *string
		}{{"ProhibitSendQuota", &rc.ProhibitSendQuota}, {"MaxSendSize", &rc.MaxSendSize}, {"MaxReceiveSize", &rc.MaxReceiveSize}} {
			if !c.Has(f.name) {
				continue
			}
			n, err := parseByteQuantity(*f.dst)
			if err != nil {
				return r.task.InvalidArgument("Cannot process argument transformation on parameter '%s'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[Microsoft.Exchange.Data.ByteQuantifiedSize]\".", f.name, *f.dst)
			}
			if f.name != "ProhibitSendQuota" && n > 2097151<<10 {
				return r.task.OutOfRange(f.name, n, 0, 2097151<<10)
			}
			*f.dst = state.ByteSize(n).String()
		}
		if c.Has("Alias") {
			rc.Alias = strings.TrimSpace(c.String("Alias"))
			if err := r.checkAlias(rc.Alias); err != nil {
				return err
			}
		}
		if c.Has("Name") {
			rc.Name = strings.TrimSpace(c.String("Name"))
			setRecipientIdentity(rc, r.site)
		}
		if c.Has("SamAccountName") {
			rc.SamAccountName = strings.TrimSpace(c.String("SamAccountName"))
			if len(rc.SamAccountName) > 20 {
				return r.task.TooLong("SamAccountName", 20, len(rc.SamAccountName))
			}
		}
		if mailbox {
			if err := r.apply([]prop{emailAddressesProp}, rc); err != nil {
				return err
			}
			if c.Has("PrimarySmtpAddress") {
				addr, err := r.primarySmtpArg()
				if err != nil {
					return err
				}
				rc.EmailAddresses = setPrimary(rc.EmailAddresses, addr)
			} else if c.Has("EmailAddresses") && primaryOf(rc.EmailAddresses) == "" && before.PrimarySmtpAddress != "" {
				// Removing the primary address without naming a new one.
				return r.task.Invalid("The EmailAddresses property must contain exactly one primary SMTP address (prefix \"SMTP:\"); it contains 0.")
			} else if c.Has("EmailAddresses") {
				rc.EmailAddresses = onePrimary(rc.EmailAddresses, before.PrimarySmtpAddress)
			}
		}
		if c.Has("Password") {
			h, err := r.password(c.Value("Password"))
			if err != nil {
				return err
			}
			rc.PasswordHash = h
		}
		if !changed(before, *rc) {
			warn = cmdlets.NoChangeWarning(before.Identity)
			return errSkip
		}
		if err := r.checkAccount(tx, rc); err != nil {
			return err
		}
		if err := r.checkAddresses(tx, rc); err != nil {
			return err
		}
		noun := "user"
		if mailbox {
			noun = "mailbox"
		}
		if !cmdlets.ShouldProcess(c, fmt.Sprintf("Setting %s \"%s\".", noun, before.Identity)) {
			return errSkip
		}
		return tx.PutRecipient(rc)
	})
	if warn != "" {
		c.WriteWarning(warn)
	}
	return err
}

// onePrimary resolves several "SMTP:" entries after an @{Add=...}: a newly
// added primary wins and the previous one becomes secondary.
func onePrimary(addrs []string, old string) []string {
	var primaries []string
	for _, a := range addrs {
		if strings.HasPrefix(a, "SMTP:") {
			primaries = append(primaries, a[5:])
		}
	}
	if len(primaries) <= 1 {
		return addrs
	}
	for _, p := range primaries {
		if !strings.EqualFold(p, old) {
			return setPrimary(addrs, p)
		}
	}
	return addrs
}
