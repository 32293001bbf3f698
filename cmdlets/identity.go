package cmdlets

import (
	"reflect"
	"strings"

	"exsh/shell/object"
	"exsh/shell/wildcard"
	"exsh/state"
)

// IdentityText returns the identity an argument names: a string as given,
// the Identity (else Name) property of a shell object, or the text of any
// other value. Trailing and leading spaces are kept out.
func IdentityText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case *object.PSObject:
		for _, p := range []string{"Identity", "Name", "DistinguishedName"} {
			if id, ok := x.Get(p); ok && id != nil {
				if s := object.ToString(id); s != "" {
					return s
				}
			}
		}
		return strings.TrimSpace(object.ToString(x))
	}
	return strings.TrimSpace(object.ToString(v))
}

// GuidOf returns the Guid of the record behind a shell object (its Base
// record's Guid field, or its Guid property), or "" when v is not such an
// object. Cmdlets use it to find exactly the object piped to them.
func GuidOf(v any) string {
	o, ok := v.(*object.PSObject)
	if !ok {
		return ""
	}
	if o.Base != nil {
		rv := reflect.ValueOf(o.Base)
		for rv.Kind() == reflect.Pointer && !rv.IsNil() {
			rv = rv.Elem()
		}
		if rv.Kind() == reflect.Struct {
			if f := rv.FieldByName("Guid"); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
				return f.String()
			}
		}
	}
	if g, ok := o.Get("Guid"); ok {
		if s := object.ToString(g); state.IsGuid(s) {
			return state.CanonicalGuid(s)
		}
	}
	return ""
}

// BaseOf returns the record behind a shell object when it has type T.
func BaseOf[T any](v any) (T, bool) {
	var zero T
	o, ok := v.(*object.PSObject)
	if !ok {
		return zero, false
	}
	r, ok := o.Base.(T)
	return r, ok
}

// ServerScoped is a parsed identity of a per-server object such as a
// receive connector: "EX01\Default Frontend EX01", "Default Frontend EX01"
// (on the local server), a distinguished name, or a GUID.
type ServerScoped struct {
	Server string // "" when the identity named no server
	Name   string
	Guid   string // set when the identity is a GUID
}

// ParseServerScoped parses a per-server identity (exchange-receive.md §4.5).
func ParseServerScoped(id string) ServerScoped {
	id = strings.TrimSpace(id)
	if state.IsGuid(id) {
		return ServerScoped{Guid: state.CanonicalGuid(id)}
	}
	if dn, ok := ParseDN(id); ok && len(dn) > 0 {
		s := ServerScoped{Name: dn[0]}
		// CN=<name>,CN=SMTP Receive Connectors,CN=Protocols,CN=<server>,CN=Servers,...
		for i := 1; i < len(dn); i++ {
			if strings.EqualFold(dn[i], "Servers") {
				s.Server = dn[i-1]
				break
			}
		}
		return s
	}
	if server, name, ok := strings.Cut(id, `\`); ok {
		return ServerScoped{Server: strings.TrimSpace(server), Name: strings.TrimSpace(name)}
	}
	return ServerScoped{Name: id}
}

// ParseDN returns the CN values of a distinguished name, most specific
// first ("CN=Relay,CN=SMTP Receive Connectors,..." → ["Relay", "SMTP
// Receive Connectors", ...]); it reports false when s is not a DN.
func ParseDN(s string) ([]string, bool) {
	if len(s) < 3 || !strings.EqualFold(s[:3], "CN=") {
		return nil, false
	}
	var out []string
	for _, part := range splitDN(s) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, false
		}
		if strings.EqualFold(strings.TrimSpace(k), "CN") {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out, true
}

// splitDN splits on commas not escaped with a backslash.
func splitDN(s string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		case s[i] == ',':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(s[i])
		}
	}
	return append(parts, b.String())
}

// HasWildcard reports whether an identity is a PowerShell wildcard pattern.
func HasWildcard(s string) bool { return wildcard.HasWildcard(s) }

// Like reports whether s matches the PowerShell wildcard pattern, case-
// insensitively (see package wildcard); an invalid pattern matches nothing.
func Like(pattern, s string) bool { return wildcard.Match(pattern, s) }

// MatchName reports whether name matches an identity given as a plain name
// or a wildcard pattern, case-insensitively.
func MatchName(pattern, name string) bool {
	if HasWildcard(pattern) {
		return Like(pattern, name)
	}
	return strings.EqualFold(pattern, name)
}
