package org

import (
	"fmt"
	"sort"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// roleGroups are Exchange 2019's built-in management role groups. The lab
// keeps their membership only; Organization Management's members may sign
// in to the Exchange admin center.
var roleGroups = []string{
	"Compliance Management", "Delegated Setup", "Discovery Management", "Help Desk", "Hygiene Management",
	"Organization Management", "Public Folder Management", "Recipient Management", "Records Management",
	"Server Management", "UM Management", "View-Only Organization Management",
}

// roleGroup resolves a role group name (case-insensitive) to its spelling.
func (r *run) roleGroup() (string, error) {
	text := cmdlets.IdentityText(r.c.Value("Identity"))
	for _, g := range roleGroups {
		if strings.EqualFold(g, strings.TrimSpace(text)) {
			return g, nil
		}
	}
	return "", r.task.NotFound(text)
}

// member resolves -Member to one recipient.
func (r *run) member(tx state.Tx) (*state.Recipient, error) {
	arg := r.c.Value("Member")
	rs, err := r.findRecipients(tx, arg, true)
	if err != nil {
		return nil, err
	}
	return cmdlets.One(r.task, rs, cmdlets.IdentityText(arg))
}

func roleGroupCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	groupParam := func() *interp.ParamInfo {
		return &interp.ParamInfo{Name: "Identity", Kind: interp.KindObject, Mandatory: true, Position: 0, FromPipeline: true, FromPipelineByPropertyName: true,
			Values: roleGroups, Help: "Specifies the role group: " + strings.Join(roleGroups, ", ") + ".",
			Complete: completer(d, func(state.Tx) ([]string, error) { return roleGroups, nil })}
	}
	memberParam := func() *interp.ParamInfo {
		return &interp.ParamInfo{Name: "Member", Kind: interp.KindObject, Mandatory: true, Position: -1,
			Help: "Specifies the user or mailbox: name, alias, email address, user principal name or DOMAIN\\account.", Complete: recipientCompleter(d, "")}
	}

	get := &interp.CmdletInfo{
		Name:        "Get-RoleGroupMember",
		Synopsis:    "Gets the members of a management role group.",
		Description: "Get-RoleGroupMember lists the users and mailboxes in a role group. Members of Organization Management administer the whole organisation and may sign in to the Exchange admin center.",
		OutputType:  RecipientType,
		Params:      []*interp.ParamInfo{groupParam(), resultSizeParam(), domainControllerParam()},
		Examples: []interp.Example{
			{Code: `Get-RoleGroupMember "Organization Management"`, Remarks: "Lists the organisation's administrators."},
		},
	}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			g, err := r.roleGroup()
			if err != nil {
				return err
			}
			rs, err := tx.Recipients()
			if err != nil {
				return err
			}
			sort.Slice(rs, func(i, j int) bool { return strings.ToLower(rs[i].Name) < strings.ToLower(rs[j].Name) })
			for _, rc := range rs {
				if state.InRoleGroup(rc, g) {
					out = append(out, cmdlets.ToObject(recipientTypeNames, rc))
				}
			}
			return nil
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	change := func(add bool) func(c *interp.Call) error {
		return func(c *interp.Call) error {
			return report(c, update(d, c, func(r *run, tx state.Tx) error {
				g, err := r.roleGroup()
				if err != nil {
					return err
				}
				rc, err := r.member(tx)
				if err != nil {
					return err
				}
				member := state.InRoleGroup(rc, g)
				switch {
				case add && member:
					return r.task.InvalidOperation("MemberAlreadyExistsException", "The recipient \"%s\" is already a member of the group \"%s\".", rc.Name, g)
				case !add && !member:
					return r.task.InvalidOperation("MemberNotFoundException", "The recipient \"%s\" isn't a member of the group \"%s\".", rc.Name, g)
				case !add && state.IsBuiltInAdministrator(rc) && g == state.OrganizationManagement:
					return r.task.InvalidOperation("InvalidOperationException", "The recipient \"%s\" is the organization's built-in administrator and can't be removed from the group \"%s\".", rc.Name, g)
				}
				verb, prep := "Adding", "to"
				if !add {
					verb, prep = "Removing", "from"
				}
				if !cmdlets.ShouldProcess(c, fmt.Sprintf("%s member \"%s\" %s role group \"%s\".", verb, rc.Name, prep, g)) {
					return errSkip
				}
				if add {
					rc.RoleGroups = append(rc.RoleGroups, g)
				} else {
					var keep []string
					for _, x := range rc.RoleGroups {
						if !strings.EqualFold(x, g) {
							keep = append(keep, x)
						}
					}
					rc.RoleGroups = keep
				}
				return tx.PutRecipient(rc)
			}))
		}
	}
	addMember := &interp.CmdletInfo{
		Name:                  "Add-RoleGroupMember",
		Synopsis:              "Adds a user or mailbox to a management role group.",
		Description:           "Add-RoleGroupMember adds a member to a role group. Members of Organization Management may sign in to the Exchange admin center.",
		SupportsShouldProcess: true,
		Params:                []*interp.ParamInfo{groupParam(), memberParam(), domainControllerParam()},
		Examples: []interp.Example{
			{Code: `Add-RoleGroupMember "Organization Management" -Member bob`, Remarks: "Makes bob an organisation administrator."},
		},
		Process: change(true),
	}
	removeMember := &interp.CmdletInfo{
		Name:                  "Remove-RoleGroupMember",
		Synopsis:              "Removes a user or mailbox from a management role group.",
		Description:           "Remove-RoleGroupMember removes a member from a role group. The built-in Administrator stays in Organization Management.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                []*interp.ParamInfo{groupParam(), memberParam(), domainControllerParam()},
		Examples: []interp.Example{
			{Code: `Remove-RoleGroupMember "View-Only Organization Management" -Member bob -Confirm:$false`, Remarks: "Takes bob out of View-Only Organization Management."},
		},
		Process: change(false),
	}
	return []*interp.CmdletInfo{get, addMember, removeMember}
}
