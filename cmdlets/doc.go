// Package cmdlets is the plumbing every group of Exchange cmdlets shares:
// the dependencies a cmdlet runs with ([Deps]), the conversion of state
// records to shell objects ([ToObject]), identity parsing as the Exchange
// Management Shell accepts it, Exchange's error records (object not found,
// object already exists, validation failures) and the @{Add=...;Remove=...}
// rules for multivalued properties.
//
// The cmdlets themselves live in sub-packages (cmdlets/org, ...), each of
// which returns its []*interp.CmdletInfo for cmd/exsh to register.
package cmdlets
