package org

import (
	"context"
	"fmt"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// ADPermissionType is the type name of Get-ADPermission's objects.
const ADPermissionType = "Microsoft.Exchange.Management.RecipientTasks.ADAcePresentationObject"

var adPermissionTypeNames = []string{ADPermissionType, "Microsoft.Exchange.Data.Directory.Management.ADPresentationObject", "System.Object"}

var accessRightNames = []string{"ExtendedRight", "GenericAll", "GenericRead", "GenericWrite", "ReadProperty", "WriteProperty", "ReadControl", "WriteDacl", "WriteOwner", "Delete", "ListChildren", "CreateChild", "DeleteChild", "Self"}

func adPermissionCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := completer(d, func(tx state.Tx) ([]string, error) {
		rcs, err := tx.ReceiveConnectors()
		var out []string
		for _, rc := range rcs {
			out = append(out, rc.Name)
		}
		return out, err
	})
	idHelp := "Specifies the Receive connector whose permissions are read or changed: its name, <Server>\\<Name>, distinguished name or GUID, or a connector piped from Get-ReceiveConnector; or a mailbox or other recipient, for its Send As permissions."
	userParam := func(mandatory bool) *interp.ParamInfo {
		return &interp.ParamInfo{Name: "User", Kind: interp.KindString, Position: -1, Mandatory: mandatory, FromPipelineByPropertyName: true,
			Help:     "Specifies the security principal: NT AUTHORITY\\ANONYMOUS LOGON, NT AUTHORITY\\Authenticated Users, MS Exchange\\Externally Secured Servers, a DOMAIN\\account or a user principal name.",
			Complete: principalCompleter(d)}
	}
	rightsParam := &interp.ParamInfo{Name: "ExtendedRights", Kind: interp.KindString, Array: true, Position: -1, FromPipelineByPropertyName: true, Values: state.ExtendedRightNames,
		Help: "Specifies the extended rights, separated by commas: ms-Exch-SMTP-Submit, ms-Exch-SMTP-Accept-Any-Recipient, ms-Exch-SMTP-Accept-Any-Sender, ms-Exch-SMTP-Accept-Authoritative-Domain-Sender, ms-Exch-Bypass-Anti-Spam, ..."}
	accessParam := &interp.ParamInfo{Name: "AccessRights", Kind: interp.KindEnum, Array: true, Position: -1, Values: accessRightNames, Default: "ExtendedRight",
		Help: "Specifies the access rights; ExtendedRight for extended rights on a connector."}
	denyParam := named("Deny", interp.KindSwitch, "Denies the rights instead of granting them. A deny wins over any grant.")
	otherParams := []*interp.ParamInfo{
		named("InheritanceType", interp.KindString, "Specifies how the entry is inherited (All, None, Descendents, SelfAndChildren, Children); connectors have no children, so it has no effect."),
		named("ChildObjectTypes", interp.KindString, "Accepted for compatibility; connectors have no child objects."),
		named("InheritedObjectType", interp.KindString, "Accepted for compatibility."),
		named("Properties", interp.KindString, "Accepted for compatibility."),
		domainControllerParam(),
	}

	get := &interp.CmdletInfo{
		Name:     "Get-ADPermission",
		Synopsis: "Gets the permissions on a Receive connector or a recipient.",
		Description: "Get-ADPermission lists the access control entries of a Receive connector: those its PermissionGroups grant and those added with Add-ADPermission, " +
			"one per principal and extended right.",
		OutputType: ADPermissionType,
		Params:     append([]*interp.ParamInfo{identityParam(idHelp, true, complete), userParam(false)}, domainControllerParam()),
		Examples: []interp.Example{
			{Code: `Get-ADPermission "Anonymous Relay" -User "NT AUTHORITY\ANONYMOUS LOGON" | where {($_.Deny -eq $false) -and ($_.IsInherited -eq $false)} | Format-Table User,ExtendedRights`,
				Remarks: "Shows the rights anonymous senders have on the connector."},
		},
	}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			if mb := r.recipientTarget(tx); mb != nil {
				var err error
				out, err = r.getRecipientADPermission(tx, mb)
				return err
			}
			_, aces, err := r.connectorACEs(tx, c.Value("Identity"))
			if err != nil {
				return err
			}
			user, err := r.userFilter(tx)
			if err != nil {
				return err
			}
			for _, a := range aces {
				if user != "" && !strings.EqualFold(a.User, user) {
					continue
				}
				out = append(out, aceObject(a))
			}
			return nil
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	add := &interp.CmdletInfo{
		Name:     "Add-ADPermission",
		Synopsis: "Adds permissions to a Receive connector, or Send As on a recipient.",
		Description: "Add-ADPermission grants (or with -Deny denies) extended rights on a Receive connector to a security principal. " +
			"Grants and denies stack with those of the connector's PermissionGroups; a deny wins. The connector keeps one entry per user, right and deny: " +
			"entries a permission group already grants are the group's, entries that together make up a group show as that group, and PermissionGroups shows Custom while entries remain that no group explains.",
		OutputType:            ADPermissionType,
		SupportsShouldProcess: true,
		Params:                append([]*interp.ParamInfo{identityParam(idHelp, true, complete), userParam(true), rightsParam, accessParam, denyParam}, otherParams...),
		Examples: []interp.Example{
			{Code: `Get-ReceiveConnector "Anonymous Relay" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"`,
				Remarks: "Lets anonymous senders on the connector relay to any domain."},
			{Code: `Add-ADPermission "IP Secured Inbound" -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights ms-Exch-SMTP-Submit,ms-Exch-SMTP-Accept-Any-Recipient,ms-Exch-Bypass-Anti-Spam`,
				Remarks: "Grants three rights at once."},
			{Code: `Add-ADPermission -Identity bob -User svc-scanner -ExtendedRights "Send As"`,
				Remarks: "Lets the svc-scanner account, which has no mailbox, send as Bob (the other fix for 5.7.60)."},
		},
	}
	add.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := update(d, c, func(r *run, tx state.Tx) error {
			out = nil
			if mb := r.recipientTarget(tx); mb != nil {
				var err error
				out, err = r.addRecipientADPermission(tx, mb)
				return err
			}
			rc, aces, err := r.connectorACEs(tx, c.Value("Identity"))
			if err != nil {
				return err
			}
			user, rights, access, err := r.aceArgs(tx)
			if err != nil {
				return err
			}
			deny := c.Bool("Deny")
			for _, right := range rights {
				for _, a := range aces {
					if strings.EqualFold(a.User, user) && a.Deny == deny && hasFold(a.ExtendedRights, right) {
						return r.task.InvalidOperation("ADOperationException", "The appropriate access control entry is already present on the object \"%s\" for account \"%s\".", rc.DistinguishedName, user)
					}
				}
			}
			desc := fmt.Sprintf("Adding Active Directory permission \"%s\" for user \"%s\" with access rights \"'%s'\".", rc.Identity, user, strings.Join(rights, "', '"))
			if !cmdlets.ShouldProcess(c, desc) {
				return errSkip
			}
			for _, right := range rights {
				p := &state.ADPermission{Identity: rc.Identity, User: user, Deny: deny, ExtendedRights: []string{right}, AccessRights: access, ConnectorGuid: rc.Guid}
				if err := tx.PutADPermission(p); err != nil {
					return err
				}
				out = append(out, aceObject(p))
			}
			return r.normalizeACL(tx, rc)
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	remove := &interp.CmdletInfo{
		Name:     "Remove-ADPermission",
		Synopsis: "Removes permissions from a Receive connector or a recipient.",
		Description: "Remove-ADPermission removes extended rights of a principal from a Receive connector, or the entries piped from Get-ADPermission. " +
			"Removing a right that a permission group grants replaces the group with its remaining entries and marks PermissionGroups Custom, as editing the connector's ACL does.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params: append([]*interp.ParamInfo{
			{Name: "Identity", Kind: interp.KindObject, Position: 0, FromPipeline: true, FromPipelineByPropertyName: true, Help: idHelp + " Entries piped from Get-ADPermission are removed as they are.", Complete: complete},
			userParam(false), rightsParam, accessParam, denyParam}, otherParams...),
		Examples: []interp.Example{
			{Code: `Remove-ADPermission -Identity "Default Frontend EX01" -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights ms-Exch-SMTP-Accept-Authoritative-Domain-Sender`,
				Remarks: "Stops anonymous senders from using the organisation's own domains on the Internet connector."},
			{Code: `Get-ADPermission "Anonymous Relay" -User "NT AUTHORITY\ANONYMOUS LOGON" | where {$_.ExtendedRights -like "*Any-Recipient"} | Remove-ADPermission -Confirm:$false`,
				Remarks: "Removes the relay right again."},
		},
	}
	remove.Process = func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			if mb := r.recipientTarget(tx); mb != nil {
				return r.removeRecipientADPermission(tx, mb)
			}
			var rc *state.ReceiveConnector
			var user string
			var rights []string
			deny := c.Bool("Deny")
			if ace, ok := cmdlets.BaseOf[*state.ADPermission](c.Value("Identity")); ok {
				var err error
				if rc, err = tx.ReceiveConnector(ace.ConnectorGuid); err != nil {
					return r.task.NotFound(ace.Identity)
				}
				user, rights, deny = ace.User, ace.ExtendedRights, ace.Deny
			} else {
				if c.Value("Identity") == nil {
					return missingMandatory(c, "Identity")
				}
				if !c.Has("User") {
					return missingMandatory(c, "User")
				}
				var err error
				if rc, err = r.receiveConnectorArg(tx, c.Value("Identity")); err != nil {
					return err
				}
				if user, rights, _, err = r.aceArgs(tx); err != nil {
					return err
				}
			}
			desc := fmt.Sprintf("Removing Active Directory permission \"%s\" for user \"%s\" with access rights \"'%s'\".", rc.Identity, user, strings.Join(rights, "', '"))
			if !cmdlets.ShouldProcess(c, desc) {
				return errSkip
			}
			return r.removeRights(tx, rc, user, rights, deny)
		}))
	}
	return []*interp.CmdletInfo{get, add, remove}
}

func hasFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// aceObject is an entry as Get-ADPermission shows it; IsInherited is the
// property filters use, Inherited the column.
func aceObject(p *state.ADPermission) *object.PSObject {
	o := cmdlets.ToObject(adPermissionTypeNames, p)
	o.Add("IsInherited", p.Inherited)
	o.Add("InheritanceType", "All")
	o.Add("Properties", []any{})
	o.Add("ChildObjectTypes", nil)
	o.Add("InheritedObjectType", nil)
	return o
}

// connectorACEs resolves a connector and returns every entry on it.
func (r *run) connectorACEs(tx state.Tx, arg any) (*state.ReceiveConnector, []*state.ADPermission, error) {
	rc, err := r.receiveConnectorArg(tx, arg)
	if err != nil {
		return nil, nil, err
	}
	explicit, err := tx.ADPermissions(rc.Guid)
	if err != nil {
		return nil, nil, err
	}
	return rc, state.ConnectorPermissions(rc, explicit, r.site.NetBIOSDomain), nil
}

// aceArgs reads -User, -ExtendedRights and -AccessRights.
func (r *run) aceArgs(tx state.Tx) (user string, rights, access []string, err error) {
	if user, err = r.principal(tx, r.c.String("User")); err != nil {
		return
	}
	for _, v := range cmdlets.ValueStrings(r.c.Value("ExtendedRights")) {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			canon, ok := state.CanonicalRight(part)
			if !ok {
				return "", nil, nil, r.task.NotFound(part)
			}
			if !hasFold(rights, canon) {
				rights = append(rights, canon)
			}
		}
	}
	for _, v := range cmdlets.ValueStrings(r.c.Value("AccessRights")) {
		access = append(access, canonical(v, accessRightNames))
	}
	if len(rights) == 0 && len(access) == 0 {
		return "", nil, nil, r.task.InvalidArgument("Specify the AccessRights or ExtendedRights parameter.")
	}
	if len(rights) > 0 && !hasFold(access, "ExtendedRight") {
		access = append(access, "ExtendedRight")
	}
	return user, rights, access, nil
}

// wellKnownPrincipals are the principals that exist in every organisation.
func wellKnownPrincipals(netbios string) []string {
	return []string{
		state.PrincipalAnonymous, state.PrincipalAuthenticatedUsers, state.PrincipalEdgeTransportServers,
		state.PrincipalHubTransportServers, state.PrincipalExternallySecuredServers, state.PrincipalPartnerServers,
		state.ExchangeServersPrincipal(netbios), state.ExchangeLegacyInteropPrincipal(netbios),
		`NT AUTHORITY\SYSTEM`, `NT AUTHORITY\NETWORK SERVICE`, `Everyone`,
	}
}

// principal resolves -User to the name Get-ADPermission shows: a
// well-known principal in its canonical spelling, or DOMAIN\account.
func (r *run) principal(tx state.Tx, s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, p := range wellKnownPrincipals(r.site.NetBIOSDomain) {
		if strings.EqualFold(p, s) {
			return p, nil
		}
	}
	if !strings.Contains(s, `\`) {
		// "ANONYMOUS LOGON" names NT AUTHORITY\ANONYMOUS LOGON, as the
		// directory resolves a unique account name without its domain.
		for _, p := range wellKnownPrincipals(r.site.NetBIOSDomain) {
			if _, name, ok := strings.Cut(p, `\`); ok && strings.EqualFold(name, s) {
				return p, nil
			}
		}
	}
	if rc, err := tx.RecipientByLogin(s); err == nil {
		return r.site.NetBIOSDomain + `\` + rc.SamAccountName, nil
	}
	if rc, err := tx.RecipientByName(s); err == nil {
		return r.site.NetBIOSDomain + `\` + rc.SamAccountName, nil
	}
	return "", r.task.NotFound(s)
}

// userFilter is the principal a Get- cmdlet's -User names, or "" without
// -User (every entry).
func (r *run) userFilter(tx state.Tx) (string, error) {
	if !r.c.Has("User") {
		return "", nil
	}
	return r.principal(tx, r.c.String("User"))
}

func principalCompleter(d *cmdlets.Deps) func(context.Context, string) []string {
	return completer(d, func(tx state.Tx) ([]string, error) {
		site := cmdlets.LoadSite(tx)
		out := wellKnownPrincipals(site.NetBIOSDomain)
		rs, err := tx.Recipients()
		for _, rc := range rs {
			out = append(out, site.NetBIOSDomain+`\`+rc.SamAccountName)
		}
		return out, err
	})
}

// normalizeACL keeps one entry per (user, right, deny) on the connector
// and PermissionGroups as Exchange reads them back from the ACL
// (state.NormalizeConnectorACL).
func (r *run) normalizeACL(tx state.Tx, rc *state.ReceiveConnector) error {
	explicit, err := tx.ADPermissions(rc.Guid)
	if err != nil {
		return err
	}
	groups, put, del := state.NormalizeConnectorACL(rc, explicit, r.site.NetBIOSDomain)
	for _, g := range del {
		if err := tx.DeleteADPermission(g); err != nil {
			return err
		}
	}
	for _, p := range put {
		if err := tx.PutADPermission(p); err != nil {
			return err
		}
	}
	if groups.String() != rc.PermissionGroups.String() {
		rc.PermissionGroups = groups
		return tx.PutReceiveConnector(rc)
	}
	return nil
}

// removeRights removes rights of user (allow or deny entries) from a
// connector. Explicit entries are deleted. A right a permission group
// grants can only go with the group: the group is dropped from
// PermissionGroups, its other entries become explicit ones, and
// PermissionGroups gains Custom.
func (r *run) removeRights(tx state.Tx, rc *state.ReceiveConnector, user string, rights []string, deny bool) error {
	explicit, err := tx.ADPermissions(rc.Guid)
	if err != nil {
		return err
	}
	removed := map[string]bool{}
	for _, p := range explicit {
		if !strings.EqualFold(p.User, user) || p.Deny != deny {
			continue
		}
		var keep []string
		for _, right := range p.ExtendedRights {
			if hasFold(rights, right) {
				removed[strings.ToLower(right)] = true
			} else {
				keep = append(keep, right)
			}
		}
		if len(keep) == len(p.ExtendedRights) {
			continue
		}
		if len(keep) == 0 {
			err = tx.DeleteADPermission(p.Guid)
		} else {
			p.ExtendedRights = keep
			err = tx.PutADPermission(p)
		}
		if err != nil {
			return err
		}
	}
	if !deny {
		for _, g := range state.PermissionGroupNames {
			if !rc.PermissionGroups.Has(g) || g == "Custom" {
				continue
			}
			grants := state.ExpandPermissionGroups(state.Flags{g}, rc.AuthMechanism, r.site.NetBIOSDomain)
			hit := false
			for _, a := range grants {
				if strings.EqualFold(a.User, user) && hasFold(rights, a.ExtendedRights[0]) {
					hit = true
				}
			}
			if !hit {
				continue
			}
			for _, a := range grants {
				if strings.EqualFold(a.User, user) && hasFold(rights, a.ExtendedRights[0]) {
					removed[strings.ToLower(a.ExtendedRights[0])] = true
					continue
				}
				a.Identity, a.ConnectorGuid = rc.Identity, rc.Guid
				if err := tx.PutADPermission(a); err != nil {
					return err
				}
			}
			var groups []string
			for _, og := range rc.PermissionGroups {
				if og != g {
					groups = append(groups, og)
				}
			}
			groups = append(groups, "Custom")
			rc.PermissionGroups, _ = state.NormalizeFlags(groups, state.PermissionGroupNames)
			if err := tx.PutReceiveConnector(rc); err != nil {
				return err
			}
		}
	}
	for _, right := range rights {
		if !removed[strings.ToLower(right)] {
			return r.task.InvalidOperation("ADOperationException", "Can't remove the access control entry on the object \"%s\" for account \"%s\" because the ACE doesn't exist on the object.", rc.DistinguishedName, user)
		}
	}
	return nil
}
