package state

import "slices"

// Clone returns a deep copy of the connector: slices are not shared.
func (rc *ReceiveConnector) Clone() *ReceiveConnector {
	c := *rc
	c.AuthMechanism = slices.Clone(rc.AuthMechanism)
	c.Bindings = slices.Clone(rc.Bindings)
	c.PermissionGroups = slices.Clone(rc.PermissionGroups)
	c.RemoteIPRanges = slices.Clone(rc.RemoteIPRanges)
	c.TlsDomainCapabilities = slices.Clone(rc.TlsDomainCapabilities)
	c.ObjectClass = slices.Clone(rc.ObjectClass)
	return &c
}

// Clone returns a deep copy of the recipient: slices are not shared.
func (r *Recipient) Clone() *Recipient {
	c := *r
	c.EmailAddresses = slices.Clone(r.EmailAddresses)
	c.Members = slices.Clone(r.Members)
	c.ManagedBy = slices.Clone(r.ManagedBy)
	c.SendAs = slices.Clone(r.SendAs)
	c.RoleGroups = slices.Clone(r.RoleGroups)
	if r.Permissions != nil {
		c.Permissions = make([]MailboxPermission, len(r.Permissions))
		for i, p := range r.Permissions {
			p.AccessRights = slices.Clone(p.AccessRights)
			c.Permissions[i] = p
		}
	}
	return &c
}
