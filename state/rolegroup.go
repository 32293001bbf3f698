package state

import "strings"

// OrganizationManagement is the role group of the organisation's
// administrators: its members may sign in to the Exchange admin center.
const OrganizationManagement = "Organization Management"

// IsBuiltInAdministrator reports whether rec is the organisation's
// built-in Administrator account, which setup makes a member of
// Organization Management.
func IsBuiltInAdministrator(rec *Recipient) bool {
	return rec != nil && strings.EqualFold(rec.SamAccountName, "Administrator")
}

// InRoleGroup reports whether rec is a member of the role group (the
// built-in Administrator always is of Organization Management).
func InRoleGroup(rec *Recipient, group string) bool {
	if rec == nil {
		return false
	}
	if strings.EqualFold(group, OrganizationManagement) && IsBuiltInAdministrator(rec) {
		return true
	}
	for _, g := range rec.RoleGroups {
		if strings.EqualFold(g, group) {
			return true
		}
	}
	return false
}
