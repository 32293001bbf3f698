package exdata

import (
	"reflect"

	"exsh/shell/interp"
	"exsh/state"
)

// fieldTypes says which record fields hold which Exchange type, by record
// type and field. Fields not listed keep their value, except sizes and
// limits, which Field converts by their Go type.
var fieldTypes = map[string]map[string]func(string) any{
	"ReceiveConnector": {"Bindings": IPBinding, "RemoteIPRanges": IPRange},
	"SendConnector":    {"AddressSpaces": AddressSpace},
	"Recipient":        {"EmailAddresses": ProxyAddress, "ProhibitSendQuota": unlimitedSizeText},
	// Get-DistributionGroup's and Get-MailContact's views.
	"groupView":   mailRecipientFields,
	"contactView": mailRecipientFields,
}

var mailRecipientFields = map[string]func(string) any{
	"EmailAddresses": ProxyAddress, "MaxSendSize": unlimitedSizeText, "MaxReceiveSize": unlimitedSizeText,
}

// unlimitedSizeText reads a quota kept as its text ("Unlimited", "2 GB
// (2,147,483,648 bytes)") as an Unlimited<ByteQuantifiedSize>; text that
// is no size stays text.
func unlimitedSizeText(s string) any {
	n, err := interp.ParseByteSize(s)
	if err != nil {
		return s
	}
	return UnlimitedByteSize(int64(n))
}

// unlimitedSizes are the size fields Exchange types
// Unlimited<ByteQuantifiedSize>; every other size is a ByteQuantifiedSize.
var unlimitedSizes = map[string]map[string]bool{
	"SendConnector": {"MaxMessageSize": true},
	"TransportService": {
		"ReceiveProtocolLogMaxDirectorySize": true, "ReceiveProtocolLogMaxFileSize": true,
		"SendProtocolLogMaxDirectorySize": true, "SendProtocolLogMaxFileSize": true,
		"MessageTrackingLogMaxDirectorySize": true,
	},
}

// Field converts the value of a record's field (record is the Go type's
// name, "ReceiveConnector") to the Exchange type the Exchange Management
// Shell gives that property. The second result is false when the field
// keeps its value.
func Field(record, field string, v any) (any, bool) {
	switch x := v.(type) {
	case []string:
		if conv := fieldTypes[record][field]; conv != nil {
			out := make([]any, len(x))
			for i, s := range x {
				out[i] = conv(s)
			}
			return out, true
		}
	case string:
		if conv := fieldTypes[record][field]; conv != nil {
			return conv(x), true
		}
	case state.ByteSize:
		if unlimitedSizes[record][field] || x < 0 {
			return UnlimitedByteSize(int64(x)), true
		}
		return ByteQuantifiedSize(int64(x)), true
	case state.Limit:
		return UnlimitedInt(int64(x)), true
	}
	return nil, false
}

// Converts reports whether Field converts the field of a record whose Go
// type is t, so a caller can ask once per record type, not per value.
func Converts(record, field string, t reflect.Type) bool {
	switch t {
	case reflect.TypeFor[state.ByteSize](), reflect.TypeFor[state.Limit]():
		return true
	case reflect.TypeFor[string](), reflect.TypeFor[[]string]():
		return fieldTypes[record][field] != nil
	}
	return false
}

// Value converts a size or limit outside a record (a queued message's
// Size) as Field does; other values are returned as they are.
func Value(v any) any {
	if c, ok := Field("", "", v); ok {
		return c
	}
	return v
}
