package org

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// Distribution group and mail contact type names.
const (
	DistributionGroupType = "Microsoft.Exchange.Data.Directory.Management.DistributionGroup"
	MailContactType       = "Microsoft.Exchange.Data.Directory.Management.MailContact"
)

var (
	groupTypeNames   = []string{DistributionGroupType, "Microsoft.Exchange.Data.Directory.Management.MailEnabledRecipient", "Microsoft.Exchange.Data.Directory.ADObject", "System.Object"}
	contactTypeNames = []string{MailContactType, "Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson", "Microsoft.Exchange.Data.Directory.ADObject", "System.Object"}
)

// mailRecipientView holds the properties that Get-DistributionGroup and
// Get-MailContact share, after each one's own.
type mailRecipientView struct {
	Alias                              string
	DisplayName                        string
	EmailAddresses                     []string
	HiddenFromAddressListsEnabled      bool
	MaxSendSize                        string
	MaxReceiveSize                     string
	PrimarySmtpAddress                 string
	RecipientType                      string
	RecipientTypeDetails               string
	RequireSenderAuthenticationEnabled bool
	Name                               string
	DistinguishedName                  string
	Identity                           string
	Guid                               string
	OrganizationalUnit                 string
	WhenChanged                        time.Time
	WhenCreated                        time.Time
}

func newMailRecipientView(rc *state.Recipient) mailRecipientView {
	return mailRecipientView{
		Alias: rc.Alias, DisplayName: rc.DisplayName, EmailAddresses: rc.EmailAddresses, MaxSendSize: "Unlimited", MaxReceiveSize: "Unlimited",
		PrimarySmtpAddress: rc.PrimarySmtpAddress, RecipientType: rc.RecipientType, RecipientTypeDetails: rc.RecipientTypeDetails,
		RequireSenderAuthenticationEnabled: rc.RequireSenderAuthenticationEnabled, Name: rc.Name, DistinguishedName: rc.DistinguishedName,
		Identity: rc.Identity, Guid: rc.Guid, OrganizationalUnit: rc.OrganizationalUnit, WhenChanged: rc.WhenChanged, WhenCreated: rc.WhenCreated,
	}
}

// groupView is a distribution group as Get-DistributionGroup shows it.
type groupView struct {
	GroupType                         string
	SamAccountName                    string
	BypassNestedModerationEnabled     bool
	ManagedBy                         []string
	MemberJoinRestriction             string
	MemberDepartRestriction           string
	ReportToManagerEnabled            bool
	ReportToOriginatorEnabled         bool
	SendOofMessageToOriginatorEnabled bool
	mailRecipientView
}

// contactView is a mail contact as Get-MailContact shows it.
type contactView struct {
	ExternalEmailAddress string
	mailRecipientView
}

// getRecipients is the Process of a Get- cmdlet over one kind of
// recipient: those -Identity names (all without it) that keep selects, at
// most -ResultSize, made objects by toObject; an -Identity without
// wildcards that names none of them is Exchange's not-found error.
func getRecipients(d *cmdlets.Deps, keep func(*state.Recipient) bool, toObject func(state.Tx, *state.Recipient) *object.PSObject) func(*interp.Call) error {
	return func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			limit, _, err := resultSize(r)
			if err != nil {
				return err
			}
			rs, err := r.findRecipients(tx, c.Value("Identity"), c.Has("Identity"))
			if err != nil {
				return err
			}
			for _, rc := range rs {
				if keep(rc) && (limit < 0 || len(out) < limit) {
					out = append(out, toObject(tx, rc))
				}
			}
			if len(out) == 0 && c.Has("Identity") && !cmdlets.HasWildcard(cmdlets.IdentityText(c.Value("Identity"))) {
				return r.task.NotFound(cmdlets.IdentityText(c.Value("Identity")))
			}
			return nil
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}
}

func groupObject(tx state.Tx, g *state.Recipient) *object.PSObject {
	typ := "Universal"
	if g.RecipientType == "MailUniversalSecurityGroup" {
		typ = "Universal, SecurityEnabled"
	}
	v := &groupView{
		GroupType: typ, SamAccountName: g.SamAccountName, ManagedBy: recipientNames(tx, g.ManagedBy),
		MemberJoinRestriction: "Closed", MemberDepartRestriction: "Closed", ReportToOriginatorEnabled: true,
		mailRecipientView: newMailRecipientView(g),
	}
	o := cmdlets.ToObject(groupTypeNames, v)
	o.StringProperty = "Name"
	return o
}

func contactObject(ct *state.Recipient) *object.PSObject {
	v := &contactView{ExternalEmailAddress: ct.ExternalEmailAddress, mailRecipientView: newMailRecipientView(ct)}
	o := cmdlets.ToObject(contactTypeNames, v)
	o.StringProperty = "Name"
	return o
}

// recipientNames turns recipient Guids into their names, skipping those
// that no longer exist.
func recipientNames(tx state.Tx, guids []string) []string {
	out := []string{}
	for _, g := range guids {
		if rc, err := tx.Recipient(g); err == nil {
			out = append(out, rc.Name)
		}
	}
	return out
}

// recipientOf resolves the identity in parameter param to exactly one
// recipient that keep accepts.
func (r *run) recipientOf(tx state.Tx, param string, keep func(*state.Recipient) bool) (*state.Recipient, error) {
	return r.recipientArg(tx, r.c.Value(param), keep)
}

// recipientArg resolves an identity argument to exactly one recipient that
// keep (nil: any) accepts; the others are not found.
func (r *run) recipientArg(tx state.Tx, arg any, keep func(*state.Recipient) bool) (*state.Recipient, error) {
	text := cmdlets.IdentityText(arg)
	rs, err := r.findRecipients(tx, arg, true)
	if err != nil {
		return nil, err
	}
	if keep != nil {
		var kept []*state.Recipient
		for _, rc := range rs {
			if keep(rc) {
				kept = append(kept, rc)
			}
		}
		rs = kept
	}
	return cmdlets.One(r.task, rs, text)
}

func isGroup(rc *state.Recipient) bool   { return rc.IsGroup() }
func isContact(rc *state.Recipient) bool { return rc.IsContact() }

// isMailEnabled reports whether rc can receive mail: a mailbox, a group or
// a contact.
func isMailEnabled(rc *state.Recipient) bool {
	return rc.HasMailbox() || rc.IsGroup() || rc.IsContact()
}

func groupCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := completer(d, func(tx state.Tx) ([]string, error) {
		rs, err := tx.Recipients()
		var out []string
		for _, rc := range rs {
			if rc.IsGroup() {
				out = append(out, rc.Name)
			}
		}
		return out, err
	})
	idHelp := "Specifies the distribution group: name, alias, email address, distinguished name or GUID."
	memberComplete := completer(d, func(tx state.Tx) ([]string, error) {
		rs, err := tx.Recipients()
		var out []string
		for _, rc := range rs {
			if isMailEnabled(rc) && rc.RecipientTypeDetails != "ArbitrationMailbox" {
				out = append(out, rc.Name)
			}
		}
		return out, err
	})
	memberHelp := "Specifies the member: a mailbox, mail contact or distribution group, by name, alias, email address or GUID."

	get := &interp.CmdletInfo{
		Name:        "Get-DistributionGroup",
		Synopsis:    "Gets distribution groups.",
		Description: "Get-DistributionGroup returns the organisation's distribution groups and mail-enabled security groups.",
		OutputType:  DistributionGroupType,
		Params:      []*interp.ParamInfo{identityParam(idHelp+" Wildcards are allowed.", false, complete), resultSizeParam(), domainControllerParam()},
		Examples: []interp.Example{
			{Code: "Get-DistributionGroup", Remarks: "Lists the groups: Name, DisplayName, GroupType and PrimarySmtpAddress."},
			{Code: "Get-DistributionGroup Sales | Format-List RequireSenderAuthenticationEnabled,ManagedBy", Remarks: "Shows whether anonymous senders may write to Sales."},
		},
	}
	get.Process = getRecipients(d, (*state.Recipient).IsGroup, groupObject)

	newGroup := &interp.CmdletInfo{
		Name:     "New-DistributionGroup",
		Synopsis: "Creates a distribution group.",
		Description: "New-DistributionGroup creates a universal distribution group (or, with -Type Security, a mail-enabled security group) with the " +
			"address alias@<default accepted domain>. New groups accept mail only from authenticated senders (RequireSenderAuthenticationEnabled $true).",
		OutputType:            DistributionGroupType,
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			{Name: "Name", Kind: interp.KindString, Mandatory: true, Position: 0, Help: "Specifies the unique name of the group (at most 64 characters)."},
			named("Alias", interp.KindString, "Specifies the alias; the default is the name without spaces."),
			named("DisplayName", interp.KindString, "Specifies the display name; the default is Name."),
			named("PrimarySmtpAddress", interp.KindString, "Specifies the primary SMTP address; the default is alias@<default accepted domain>."),
			{Name: "Type", Kind: interp.KindEnum, Position: -1, Values: []string{"Distribution", "Security"}, Help: "Specifies the group type: Distribution (the default) or Security."},
			{Name: "Members", Kind: interp.KindString, Array: true, Position: -1, Complete: memberComplete, Help: "Specifies the first members: mailboxes, mail contacts or groups."},
			{Name: "ManagedBy", Kind: interp.KindString, Array: true, Position: -1, Complete: memberComplete, Help: "Specifies the owners of the group."},
			named("RequireSenderAuthenticationEnabled", interp.KindBool, "Specifies whether only authenticated senders may send to the group ($true by default)."),
			named("OrganizationalUnit", interp.KindString, "Specifies the organizational unit; the lab has only <domain>/Users."),
			domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: "New-DistributionGroup -Name Sales -Members Administrator", Remarks: "Creates sales@contoso.com with the Administrator as its first member."},
			{Code: "New-DistributionGroup -Name Alerts -RequireSenderAuthenticationEnabled $false", Remarks: "Creates a group that a monitoring device may write to without authenticating."},
		},
	}
	newGroup.Process = func(c *interp.Call) error {
		var out *object.PSObject
		err := update(d, c, func(r *run, tx state.Tx) error {
			out = nil
			g, err := r.newMailRecipient(tx, "MailUniversalDistributionGroup")
			if err != nil {
				return err
			}
			if strings.EqualFold(c.String("Type"), "Security") {
				g.RecipientType, g.RecipientTypeDetails = "MailUniversalSecurityGroup", "MailUniversalSecurityGroup"
			}
			if g.SamAccountName, err = uniqueSamAccountName(tx, g.Alias); err != nil {
				return err
			}
			g.RequireSenderAuthenticationEnabled = true
			if c.Has("RequireSenderAuthenticationEnabled") {
				g.RequireSenderAuthenticationEnabled = c.Bool("RequireSenderAuthenticationEnabled")
			}
			for _, m := range c.Strings("Members") {
				member, err := r.memberByText(tx, m)
				if err != nil {
					return err
				}
				if !containsGuid(g.Members, member.Guid) {
					g.Members = append(g.Members, member.Guid)
				}
			}
			for _, m := range c.Strings("ManagedBy") {
				owner, err := r.recipientByText(tx, m)
				if err != nil {
					return err
				}
				g.ManagedBy = append(g.ManagedBy, owner.Guid)
			}
			if err := r.checkAccount(tx, g); err != nil {
				return err
			}
			if err := r.checkAddresses(tx, g); err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Creating distribution group \"%s\" in organizational unit \"%s\".", g.Name, g.OrganizationalUnit)) {
				return errSkip
			}
			if err := tx.PutRecipient(g); err != nil {
				return err
			}
			out = groupObject(tx, g)
			return nil
		})
		if err != nil || out == nil {
			return report(c, err)
		}
		return c.WriteObject(out)
	}

	setGroup := &interp.CmdletInfo{
		Name:                  "Set-DistributionGroup",
		Synopsis:              "Changes a distribution group.",
		Description:           "Set-DistributionGroup changes a group's names, addresses, owners and whether it accepts mail from anonymous senders.",
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			identityParam(idHelp, true, complete),
			named("Alias", interp.KindString, "Specifies a new alias."),
			named("DisplayName", interp.KindString, "Specifies the display name."),
			named("PrimarySmtpAddress", interp.KindString, "Specifies the primary SMTP address; the old one stays as a secondary address."),
			emailAddressesProp.param(),
			{Name: "ManagedBy", Kind: interp.KindString, Array: true, Position: -1, Complete: memberComplete, Help: "Replaces the owners of the group."},
			named("RequireSenderAuthenticationEnabled", interp.KindBool, "Specifies whether only authenticated senders may send to the group."),
			domainControllerParam(),
		},
		Examples: []interp.Example{{Code: "Set-DistributionGroup Sales -RequireSenderAuthenticationEnabled $false", Remarks: "Lets senders from outside (anonymous) write to Sales."}},
	}
	setGroup.Process = func(c *interp.Call) error {
		var warn string
		err := update(d, c, func(r *run, tx state.Tx) error {
			warn = ""
			g, err := r.recipientOf(tx, "Identity", isGroup)
			if err != nil {
				return err
			}
			before := *g
			before.EmailAddresses = append([]string(nil), g.EmailAddresses...)
			if c.Has("DisplayName") {
				g.DisplayName = strings.TrimSpace(c.String("DisplayName"))
			}
			if c.Has("Alias") {
				g.Alias = strings.TrimSpace(c.String("Alias"))
				if err := r.checkAlias(g.Alias); err != nil {
					return err
				}
			}
			if c.Has("RequireSenderAuthenticationEnabled") {
				g.RequireSenderAuthenticationEnabled = c.Bool("RequireSenderAuthenticationEnabled")
			}
			if c.Has("ManagedBy") {
				g.ManagedBy = nil
				for _, m := range c.Strings("ManagedBy") {
					owner, err := r.recipientByText(tx, m)
					if err != nil {
						return err
					}
					g.ManagedBy = append(g.ManagedBy, owner.Guid)
				}
			}
			if err := r.apply([]prop{emailAddressesProp}, g); err != nil {
				return err
			}
			if c.Has("PrimarySmtpAddress") {
				addr, err := r.primarySmtpArg()
				if err != nil {
					return err
				}
				g.EmailAddresses = setPrimary(g.EmailAddresses, addr)
			}
			return r.putChanged(tx, &before, g, "distribution group", &warn)
		})
		if warn != "" {
			c.WriteWarning(warn)
		}
		return report(c, err)
	}

	removeGroup := &interp.CmdletInfo{
		Name:                  "Remove-DistributionGroup",
		Synopsis:              "Removes a distribution group.",
		Description:           "Remove-DistributionGroup deletes the group; its members are not touched.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                []*interp.ParamInfo{identityParam(idHelp, true, complete), domainControllerParam()},
		Examples:              []interp.Example{{Code: "Remove-DistributionGroup Sales -Confirm:$false", Remarks: "Removes the Sales group."}},
	}
	removeGroup.Process = removeRecipient(d, isGroup, "Removing distribution group \"%s\".")

	getMembers := &interp.CmdletInfo{
		Name:        "Get-DistributionGroupMember",
		Synopsis:    "Gets the members of a distribution group.",
		Description: "Get-DistributionGroupMember returns the direct members of a group; nested groups are listed, not expanded.",
		OutputType:  RecipientType,
		Params:      []*interp.ParamInfo{identityParam(idHelp, true, complete), resultSizeParam(), domainControllerParam()},
		Examples:    []interp.Example{{Code: "Get-DistributionGroupMember Sales", Remarks: "Lists Sales's members with their recipient type."}},
	}
	getMembers.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			g, err := r.recipientOf(tx, "Identity", isGroup)
			if err != nil {
				return err
			}
			for _, guid := range g.Members {
				if m, err := tx.Recipient(guid); err == nil {
					out = append(out, cmdlets.ToObject(recipientTypeNames, m))
				}
			}
			return nil
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	memberParams := []*interp.ParamInfo{
		identityParam(idHelp, true, complete),
		{Name: "Member", Kind: interp.KindObject, Mandatory: true, Position: -1, FromPipelineByPropertyName: true, Help: memberHelp, Complete: memberComplete},
		named("BypassSecurityGroupManagerCheck", interp.KindSwitch, "Accepted for compatibility; the lab's administrator may change every group."),
		domainControllerParam(),
	}
	addMember := &interp.CmdletInfo{
		Name:                  "Add-DistributionGroupMember",
		Synopsis:              "Adds a member to a distribution group.",
		Description:           "Add-DistributionGroupMember adds a mailbox, mail contact or group to a group. A group can't contain itself; nested loops are cut when mail is expanded.",
		SupportsShouldProcess: true,
		Params:                memberParams,
		Examples:              []interp.Example{{Code: "Add-DistributionGroupMember Sales -Member alice", Remarks: "Adds Alice to Sales."}},
	}
	addMember.Process = func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			g, err := r.recipientOf(tx, "Identity", isGroup)
			if err != nil {
				return err
			}
			m, err := r.memberByText(tx, cmdlets.IdentityText(c.Value("Member")))
			if err != nil {
				return err
			}
			if m.Guid == g.Guid {
				return r.task.Errorf(cmdlets.CategoryInvalidOperation, ReasonMemberSelf, "The group \"%s\" can't be a member of itself.", g.Identity)
			}
			if containsGuid(g.Members, m.Guid) {
				return r.task.Errorf(cmdlets.CategoryNotSpecified, ReasonMemberExists, "The recipient \"%s\" is already a member of the group \"%s\".", m.Identity, g.Identity)
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Adding recipient \"%s\" to distribution group \"%s\".", m.Identity, g.Identity)) {
				return errSkip
			}
			g.Members = append(g.Members, m.Guid)
			return tx.PutRecipient(g)
		}))
	}
	removeMember := &interp.CmdletInfo{
		Name:                  "Remove-DistributionGroupMember",
		Synopsis:              "Removes a member from a distribution group.",
		Description:           "Remove-DistributionGroupMember removes one member from a group.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                memberParams,
		Examples:              []interp.Example{{Code: "Remove-DistributionGroupMember Sales -Member bob -Confirm:$false", Remarks: "Removes Bob from Sales."}},
	}
	removeMember.Process = func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			g, err := r.recipientOf(tx, "Identity", isGroup)
			if err != nil {
				return err
			}
			m, err := r.recipientByText(tx, cmdlets.IdentityText(c.Value("Member")))
			if err != nil {
				return err
			}
			if !containsGuid(g.Members, m.Guid) {
				return r.task.Errorf(cmdlets.CategoryNotSpecified, ReasonMemberNotFound, "The recipient \"%s\" isn't a member of the group \"%s\".", m.Identity, g.Identity)
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Removing recipient \"%s\" from distribution group \"%s\".", m.Identity, g.Identity)) {
				return errSkip
			}
			g.Members = removeGuid(g.Members, m.Guid)
			return tx.PutRecipient(g)
		}))
	}
	return []*interp.CmdletInfo{get, newGroup, setGroup, removeGroup, getMembers, addMember, removeMember}
}

// Reasons of the membership errors.
const (
	ReasonMemberExists   = "MemberAlreadyExistsException"
	ReasonMemberNotFound = "MemberNotFoundException"
	ReasonMemberSelf     = "RecipientTaskException"
)

// uniqueSamAccountName is a group's pre-Windows 2000 name: the alias (at
// most 20 characters), with a number added when an account has it, as
// the directory does for a new group.
func uniqueSamAccountName(tx state.Tx, alias string) (string, error) {
	base := samAccountName(alias)
	name := base
	for n := 1; ; n++ {
		if _, err := tx.RecipientByLogin(name); errors.Is(err, state.ErrNotFound) {
			return name, nil
		} else if err != nil {
			return "", err
		}
		suffix := strconv.Itoa(n)
		name = samAccountName(base[:min(len(base), 20-len(suffix))] + suffix)
	}
}

// recipientByText resolves an identity given as text to one recipient.
func (r *run) recipientByText(tx state.Tx, text string) (*state.Recipient, error) {
	return r.recipientArg(tx, text, nil)
}

// memberByText resolves a would-be group member; it must be mail-enabled.
func (r *run) memberByText(tx state.Tx, text string) (*state.Recipient, error) {
	m, err := r.recipientByText(tx, text)
	if err != nil {
		return nil, err
	}
	if !isMailEnabled(m) {
		return nil, r.task.Errorf(cmdlets.CategoryNotSpecified, cmdlets.ReasonRecipientTask,
			"The recipient \"%s\" isn't mail-enabled and can't be a member of a distribution group.", m.Identity)
	}
	return m, nil
}

// newMailRecipient builds a group or contact from -Name, -Alias,
// -DisplayName and -PrimarySmtpAddress.
func (r *run) newMailRecipient(tx state.Tx, recipientType string) (*state.Recipient, error) {
	c := r.c
	name := strings.TrimSpace(c.String("Name"))
	if name == "" {
		return nil, r.task.ParameterValidation("Name", "The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
	}
	alias := strings.TrimSpace(c.String("Alias"))
	if alias == "" {
		alias = defaultAlias(name, "")
	}
	if err := r.checkAlias(alias); err != nil {
		return nil, err
	}
	if c.Has("OrganizationalUnit") {
		ou := strings.TrimSpace(c.String("OrganizationalUnit"))
		if !strings.EqualFold(ou, r.site.Domain+"/Users") && !strings.EqualFold(ou, "Users") && !strings.EqualFold(ou, "CN=Users,"+state.DomainDN(r.site.Domain)) {
			return nil, r.task.NotFound(ou)
		}
	}
	rc := &state.Recipient{Name: name, Alias: alias, DisplayName: name, RecipientType: recipientType, RecipientTypeDetails: recipientType,
		OrganizationalUnit: r.site.Domain + "/Users", EmailAddresses: []string{}}
	if c.Has("DisplayName") {
		rc.DisplayName = c.String("DisplayName")
	}
	setRecipientIdentity(rc, r.site)
	if recipientType == "MailContact" {
		return rc, nil
	}
	domains, err := tx.AcceptedDomains()
	if err != nil {
		return nil, err
	}
	domain := r.site.Domain
	if def := state.DefaultAcceptedDomain(domains); def != nil {
		domain = strings.TrimPrefix(def.DomainName, "*.")
	}
	primary := alias + "@" + domain
	if c.Has("PrimarySmtpAddress") {
		if primary, err = r.primarySmtpArg(); err != nil {
			return nil, err
		}
	}
	rc.EmailAddresses = setPrimary(rc.EmailAddresses, primary)
	return rc, nil
}

func containsGuid(list []string, g string) bool {
	for _, v := range list {
		if strings.EqualFold(v, g) {
			return true
		}
	}
	return false
}

func removeGuid(list []string, g string) []string {
	var out []string
	for _, v := range list {
		if !strings.EqualFold(v, g) {
			out = append(out, v)
		}
	}
	return out
}

// removeRecipient is the Process of a Remove- cmdlet over one kind of
// recipient: it resolves -Identity to one recipient that keep accepts,
// asks with action (its %s is the identity), takes the recipient out of
// every group and permission, and deletes it.
func removeRecipient(d *cmdlets.Deps, keep func(*state.Recipient) bool, action string) func(*interp.Call) error {
	return func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			rc, err := r.recipientOf(tx, "Identity", keep)
			if err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf(action, rc.Identity)) {
				return errSkip
			}
			if err := removeFromGroups(tx, rc.Guid); err != nil {
				return err
			}
			return tx.DeleteRecipient(rc.Guid)
		}))
	}
}

// removeFromGroups takes a recipient that is being removed out of every
// group's members and owners, and out of every Send As and mailbox
// permission entry.
func removeFromGroups(tx state.Tx, guid string) error {
	all, err := tx.Recipients()
	if err != nil {
		return err
	}
	for _, rc := range all {
		if rc.Guid == guid {
			continue
		}
		n := len(rc.Members) + len(rc.ManagedBy) + len(rc.SendAs) + len(rc.Permissions)
		rc.Members = removeGuid(rc.Members, guid)
		rc.ManagedBy = removeGuid(rc.ManagedBy, guid)
		rc.SendAs = removeGuid(rc.SendAs, guid)
		var perms []state.MailboxPermission
		for _, p := range rc.Permissions {
			if !strings.EqualFold(p.User, guid) {
				perms = append(perms, p)
			}
		}
		rc.Permissions = perms
		if len(rc.Members)+len(rc.ManagedBy)+len(rc.SendAs)+len(rc.Permissions) != n {
			if err := tx.PutRecipient(rc); err != nil {
				return err
			}
		}
	}
	return nil
}
