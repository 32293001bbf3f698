package state

import (
	"fmt"
	"strings"
)

// ByteSize is an Exchange ByteQuantifiedSize in bytes. Unlimited is -1.
type ByteSize int64

// Unlimited marks a ByteSize or Limit without a bound.
const Unlimited = -1

// String renders the size as the Exchange Management Shell does:
// "36 MB (37,748,736 bytes)", "Unlimited".
func (b ByteSize) String() string {
	if b < 0 {
		return "Unlimited"
	}
	n := int64(b)
	units := []struct {
		name string
		size int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}}
	head := fmt.Sprintf("%d B", n)
	for _, u := range units {
		if n >= u.size {
			v := float64(n) / float64(u.size)
			s := fmt.Sprintf("%.3f", v)
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
			head = s + " " + u.name
			break
		}
	}
	return fmt.Sprintf("%s (%s bytes)", head, groupThousands(n))
}

func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Limit is a count that may be Unlimited (-1), such as MessageRateLimit or
// MaxInboundConnectionPerSource.
type Limit int64

func (l Limit) String() string {
	if l < 0 {
		return "Unlimited"
	}
	return fmt.Sprint(int64(l))
}

// Flags is a flags enum (AuthMechanism, PermissionGroups) kept as its member
// names in canonical (flag-bit) order; it prints as "Tls, BasicAuth" like
// the shell shows a .NET flags enum, and "None" when empty.
type Flags []string

func (f Flags) String() string {
	if len(f) == 0 {
		return "None"
	}
	return strings.Join(f, ", ")
}

// Has reports whether the flag is set (case-insensitive).
func (f Flags) Has(name string) bool {
	for _, v := range f {
		if strings.EqualFold(v, name) {
			return true
		}
	}
	return false
}

// AuthMechanism members in flag-bit order.
var AuthMechanisms = []string{"None", "Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer", "ExternalAuthoritative"}

// PermissionGroup members in flag-bit order.
var PermissionGroupNames = []string{"None", "AnonymousUsers", "ExchangeUsers", "ExchangeServers", "ExchangeLegacyServers", "Partners", "Custom"}

// NormalizeFlags validates names against members (case-insensitive), drops
// "None", and returns them in canonical order.
func NormalizeFlags(names []string, members []string) (Flags, error) {
	set := map[string]bool{}
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			found := ""
			for _, m := range members {
				if strings.EqualFold(m, part) {
					found = m
				}
			}
			if found == "" {
				return nil, fmt.Errorf("unable to match the identifier name %s to a valid enumerator name. Specify one of the following enumerator names and try again: %s", part, strings.Join(members, ", "))
			}
			set[found] = true
		}
	}
	var out Flags
	for _, m := range members {
		if m != "None" && set[m] {
			out = append(out, m)
		}
	}
	return out, nil
}
