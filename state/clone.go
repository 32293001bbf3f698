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
