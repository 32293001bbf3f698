// Package opath parses and evaluates the OPATH filter strings that Exchange
// cmdlets take in -Filter, such as
//
//	"MessageCount -gt 0"
//	"Status -eq 'Retry'"
//	"DeliveryType -eq 'SmtpDeliveryToMailbox' -and MessageCount -ge 10"
//	"-not (FromAddress -like '*@contoso.com') -or Subject -eq $null"
//
// The grammar is the one the Exchange Management Shell accepts:
// comparisons "Property -op Value" joined by -and and -or (-and binds
// tighter), negated by -not, grouped with parentheses. Operators are -eq,
// -ne, -gt, -ge, -lt, -le, -like and -notlike; all comparisons of text are
// case-insensitive, as in Exchange. A value is a single- or double-quoted
// string, a bare word, a number, or $true, $false or $null.
//
// Values are compared by the type of the property they are compared with:
// numbers as numbers (byte sizes such as 10MB included), dates as dates,
// time spans as time spans, booleans as booleans, enums and everything else
// as case-insensitive text. A multivalued property matches when any of its
// elements matches, as Exchange filters on multivalued attributes do.
//
// Errors carry the text Exchange prints, so cmdlets can report them as
// parameter binding errors with [BindError].
package opath
