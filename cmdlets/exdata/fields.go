package exdata

import (
	"exsh/shell/interp"
	"exsh/state"
)

// fieldTypes says which record fields hold which Exchange type, keyed by
// "<record type>.<field>". Fields not listed keep their value, except
// sizes and limits, which Value converts by their Go type.
var fieldTypes = map[string]func(string) any{
	"ReceiveConnector.Bindings":       IPBinding,
	"ReceiveConnector.RemoteIPRanges": IPRange,
	"SendConnector.AddressSpaces":     AddressSpace,
	"Recipient.EmailAddresses":        ProxyAddress,
	"Recipient.ProhibitSendQuota":     unlimitedSizeText,
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

// unlimitedSizes are the size fields Exchange types Unlimited<ByteQuantifiedSize>;
// every other size is a ByteQuantifiedSize.
var unlimitedSizes = map[string]bool{
	"SendConnector.MaxMessageSize":                        true,
	"TransportService.ReceiveProtocolLogMaxDirectorySize": true,
	"TransportService.ReceiveProtocolLogMaxFileSize":      true,
	"TransportService.SendProtocolLogMaxDirectorySize":    true,
	"TransportService.SendProtocolLogMaxFileSize":         true,
	"TransportService.MessageTrackingLogMaxDirectorySize": true,
}

// Field converts the value of a record's field (record is the Go type's
// name, "ReceiveConnector") to the Exchange type the Exchange Management
// Shell gives that property. The second result is false when the field
// keeps its value.
func Field(record, field string, v any) (any, bool) {
	key := record + "." + field
	if conv, ok := fieldTypes[key]; ok {
		switch x := v.(type) {
		case []string:
			out := make([]any, len(x))
			for i, s := range x {
				out[i] = conv(s)
			}
			return out, true
		case string:
			return conv(x), true
		}
		return nil, false
	}
	switch x := v.(type) {
	case state.ByteSize:
		if unlimitedSizes[key] || x < 0 {
			return UnlimitedByteSize(int64(x)), true
		}
		return ByteQuantifiedSize(int64(x)), true
	case state.Limit:
		return UnlimitedInt(int64(x)), true
	}
	return nil, false
}

// Value converts a size or limit outside a record (a queued message's
// Size) as Field does; other values are returned as they are.
func Value(v any) any {
	if c, ok := Field("", "", v); ok {
		return c
	}
	return v
}
