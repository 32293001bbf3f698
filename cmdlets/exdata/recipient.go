package exdata

import (
	"strings"

	"exsh/shell/object"
)

// Type names of the recipient types.
const (
	SmtpProxyAddressType   = "Microsoft.Exchange.Data.SmtpProxyAddress"
	CustomProxyAddressType = "Microsoft.Exchange.Data.CustomProxyAddress"
	ProxyAddressPrefixType = "Microsoft.Exchange.Data.ProxyAddressPrefix"
	RecipientInfoType      = "Microsoft.Exchange.Data.QueueViewer.RecipientInfo"
)

var proxyAddressBases = []string{"Microsoft.Exchange.Data.ProxyAddress", "Microsoft.Exchange.Data.ProxyAddressBase", "System.Object"}

// ProxyAddress returns one of a recipient's EmailAddresses ("SMTP:bob@
// contoso.com" for the primary address, "smtp:..." for a secondary one,
// "X500:..." and other types) as Exchange's ProxyAddress. An SMTP address
// is an SmtpProxyAddress with SmtpAddress, AddressString,
// ProxyAddressString, Prefix, IsPrimaryAddress and PrefixString; any other
// type a CustomProxyAddress without SmtpAddress. Text without a prefix is
// an SMTP address.
func ProxyAddress(s string) any {
	in := strings.TrimSpace(s)
	prefix, addr, ok := strings.Cut(in, ":")
	if !ok {
		prefix, addr = "smtp", in
	}
	if prefix == "" || addr == "" {
		return s
	}
	// The prefix in capitals marks the primary address of its type.
	primary := prefix == strings.ToUpper(prefix) && prefix != strings.ToLower(prefix)
	upper := strings.ToUpper(prefix)
	full := prefix + ":" + addr
	p := newObject(text(upper), []string{ProxyAddressPrefixType, "System.Object"},
		"PrimaryPrefix", upper, "SecondaryPrefix", strings.ToLower(prefix), "DisplayName", upper)
	if upper == "SMTP" {
		return newObject(text(full), append([]string{SmtpProxyAddressType}, proxyAddressBases...),
			"SmtpAddress", addr, "AddressString", addr, "ProxyAddressString", full,
			"Prefix", p, "IsPrimaryAddress", primary, "PrefixString", upper)
	}
	return newObject(text(full), append([]string{CustomProxyAddressType}, proxyAddressBases...),
		"AddressString", addr, "ProxyAddressString", full,
		"Prefix", p, "IsPrimaryAddress", primary, "PrefixString", upper)
}

// Recipient is what RecipientInfo is made from: one recipient of a queued
// message.
type Recipient struct {
	Address          string
	Type             string // Mailbox, External, Unknown
	FinalDestination string
	Status           string // Ready, Retry, Complete, ...
	LastError        string
	Text             string // what the recipient shows as in a list
}

// RecipientInfo returns one element of Get-Message -IncludeRecipientInfo's
// Recipients as Exchange's RecipientInfo.
func RecipientInfo(r Recipient) *object.PSObject {
	t := r.Text
	if t == "" {
		t = r.Address
	}
	return newObject(text(t), []string{RecipientInfoType, "System.Object"},
		"Address", r.Address, "Type", r.Type, "FinalDestination", r.FinalDestination,
		"Status", r.Status, "LastError", r.LastError, "OutboundIPPool", 0)
}
