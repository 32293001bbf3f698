package state

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ValidateDomainName checks an accepted domain's DomainName: a domain
// ("contoso.com") or a leading wildcard ("*.contoso.com"); no embedded
// wildcard, at most 256 characters. It returns the name in lower case.
func ValidateDomainName(s string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(s))
	if d == "" {
		return "", fmt.Errorf("%q is not a valid SMTP domain: empty", s)
	}
	if len(d) > 256 {
		return "", fmt.Errorf("%q is not a valid SMTP domain: longer than 256 characters", s)
	}
	rest := strings.TrimPrefix(d, "*.")
	if err := checkDomainLabels(rest); err != nil {
		return "", fmt.Errorf("%q is not a valid SMTP domain: %v", s, err)
	}
	return d, nil
}

func checkDomainLabels(d string) error {
	if d == "" {
		return fmt.Errorf("empty domain")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" {
			return fmt.Errorf("empty label")
		}
		if len(label) > 63 {
			return fmt.Errorf("label %q is longer than 63 characters", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for _, c := range label {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return fmt.Errorf("label %q has character %q", label, c)
			}
		}
	}
	return nil
}

// DomainMatches reports whether a domain pattern covers domain
// (case-insensitive): "contoso.com" matches only itself, "*.contoso.com"
// matches contoso.com and every subdomain, and "*" matches everything.
func DomainMatches(pattern, domain string) bool {
	p := strings.ToLower(strings.TrimSpace(pattern))
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	if p == "*" {
		return d != ""
	}
	if base, ok := strings.CutPrefix(p, "*."); ok {
		return d == base || strings.HasSuffix(d, "."+base)
	}
	return p == d
}

// domainSpecificity ranks a matching pattern: an exact domain beats any
// wildcard, a longer wildcard base beats a shorter one, and "*" comes last.
func domainSpecificity(pattern string) int {
	p := strings.ToLower(pattern)
	if p == "*" {
		return 0
	}
	if base, ok := strings.CutPrefix(p, "*."); ok {
		return 2 * (strings.Count(base, ".") + 1)
	}
	return 2*(strings.Count(p, ".")+1) + 1
}

// Matches reports whether the accepted domain covers domain.
func (d *AcceptedDomain) Matches(domain string) bool {
	if d.MatchSubDomains && !strings.HasPrefix(d.DomainName, "*.") {
		return DomainMatches("*."+d.DomainName, domain)
	}
	return DomainMatches(d.DomainName, domain)
}

// MatchAcceptedDomain returns the accepted domain that covers domain most
// specifically (contoso.com before *.contoso.com), or nil when the domain
// is not accepted.
func MatchAcceptedDomain(domains []*AcceptedDomain, domain string) *AcceptedDomain {
	var best *AcceptedDomain
	bestRank := -1
	for _, d := range domains {
		if !d.Matches(domain) {
			continue
		}
		pattern := d.DomainName
		if d.MatchSubDomains && !strings.HasPrefix(pattern, "*.") {
			pattern = "*." + pattern
		}
		if r := domainSpecificity(pattern); r > bestRank {
			best, bestRank = d, r
		}
	}
	return best
}

// DefaultAcceptedDomain returns the domain marked Default, or nil.
func DefaultAcceptedDomain(domains []*AcceptedDomain) *AcceptedDomain {
	for _, d := range domains {
		if d.Default {
			return d
		}
	}
	return nil
}

// AddressDomain returns the domain part of an SMTP address, lower case.
func AddressDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], ">"))
}

// AddressSpace is one value of a send connector's AddressSpaces,
// "SMTP:*.contoso.com;1".
type AddressSpace struct {
	Type   string // "SMTP" (the default), "X400", or any other type
	Domain string // "*", "*.com", "*.contoso.com", "contoso.com"; lower case for SMTP
	Cost   int    // 1–100, lower is preferred
}

// ParseAddressSpace parses "Type:AddressSpace;Cost". The type defaults to
// SMTP and the cost to 1, so "SMTP:contoso.com;1", "contoso.com;1",
// "SMTP:contoso.com" and "contoso.com" are the same address space. For SMTP,
// "*", "*.com" and "*.contoso.com" are valid wildcards; "*contoso.com" and
// embedded wildcards are not.
func ParseAddressSpace(s string) (AddressSpace, error) {
	in := strings.TrimSpace(s)
	as := AddressSpace{Type: "SMTP", Cost: 1}
	if i := strings.LastIndexByte(in, ';'); i >= 0 {
		body, cost := in[:i], in[i+1:]
		n, err := strconv.Atoi(strings.TrimSpace(cost))
		if err != nil || n < 1 || n > 100 {
			return AddressSpace{}, fmt.Errorf("%q is not a valid address space: the cost must be a number from 1 to 100", s)
		}
		as.Cost = n
		in = strings.TrimSpace(body)
	}
	if typ, rest, ok := strings.Cut(in, ":"); ok {
		as.Type = strings.TrimSpace(typ)
		in = strings.TrimSpace(rest)
		if strings.EqualFold(as.Type, "SMTP") {
			as.Type = "SMTP"
		}
	}
	if in == "" || as.Type == "" {
		return AddressSpace{}, fmt.Errorf("%q is not a valid address space", s)
	}
	if as.Type != "SMTP" {
		as.Domain = in
		return as, nil
	}
	d := strings.ToLower(in)
	switch {
	case d == "*":
	case d == "--":
		return AddressSpace{}, fmt.Errorf("%q is not a valid address space: \"--\" is valid only on an Edge Transport server", s)
	default:
		rest := strings.TrimPrefix(d, "*.")
		if strings.Contains(rest, "*") {
			return AddressSpace{}, fmt.Errorf("%q is not a valid address space: a wildcard is allowed only as \"*\" or a leading \"*.\"", s)
		}
		if err := checkDomainLabels(rest); err != nil {
			return AddressSpace{}, fmt.Errorf("%q is not a valid address space: %v", s, err)
		}
	}
	as.Domain = d
	return as, nil
}

// String renders the address space as the shell shows it: "SMTP:*;1".
func (a AddressSpace) String() string {
	return a.Type + ":" + a.Domain + ";" + strconv.Itoa(a.Cost)
}

// Matches reports whether an SMTP address space covers domain.
func (a AddressSpace) Matches(domain string) bool {
	return a.Type == "SMTP" && DomainMatches(a.Domain, domain)
}

// Specificity ranks a matching address space; higher is more specific
// (marketing.contoso.com, then *.contoso.com, then *).
func (a AddressSpace) Specificity() int { return domainSpecificity(a.Domain) }

// ConnectorRoute is a candidate returned by SelectSendConnector.
type ConnectorRoute struct {
	Connector    *SendConnector
	AddressSpace AddressSpace
}

// SelectSendConnector picks the send connector for a recipient domain as
// Exchange's routing does: enabled connectors whose MaxMessageSize allows
// the message (size < 0 skips the check), with the most specific matching
// address space, then the lowest cost, then the lowest name. It returns
// false when no connector matches.
func SelectSendConnector(connectors []*SendConnector, domain string, size int64) (ConnectorRoute, bool) {
	var cands []ConnectorRoute
	for _, c := range connectors {
		if !c.Enabled {
			continue
		}
		if size >= 0 && c.MaxMessageSize >= 0 && size > int64(c.MaxMessageSize) {
			continue
		}
		var best *AddressSpace
		for _, v := range c.AddressSpaces {
			as, err := ParseAddressSpace(v)
			if err != nil || !as.Matches(domain) {
				continue
			}
			if best == nil || as.Specificity() > best.Specificity() ||
				as.Specificity() == best.Specificity() && as.Cost < best.Cost {
				as := as
				best = &as
			}
		}
		if best != nil {
			cands = append(cands, ConnectorRoute{Connector: c, AddressSpace: *best})
		}
	}
	if len(cands) == 0 {
		return ConnectorRoute{}, false
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if sa, sb := a.AddressSpace.Specificity(), b.AddressSpace.Specificity(); sa != sb {
			return sa > sb
		}
		if a.AddressSpace.Cost != b.AddressSpace.Cost {
			return a.AddressSpace.Cost < b.AddressSpace.Cost
		}
		return strings.ToLower(a.Connector.Name) < strings.ToLower(b.Connector.Name)
	})
	return cands[0], true
}
