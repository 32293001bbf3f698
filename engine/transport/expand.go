package transport

import (
	"strings"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// statusAuthRequired fails a group that accepts only authenticated senders
// (RequireSenderAuthenticationEnabled) for an anonymous sender.
const statusAuthRequired = "550 5.7.1 RESOLVER.RST.AuthRequired; authentication required"

// statusExpanded is the RecipientStatus of an EXPAND tracking event.
const statusExpanded = "250 2.1.5 RESOLVER.GRP.Expanded; distribution list expanded"

// maxExpansionDepth bounds nested group expansion; loops are cut by the
// visited set, this only guards against absurd nesting.
const maxExpansionDepth = 64

// resolve turns one envelope recipient into the recipients the categorizer
// routes: the organisation's limits first, then a distribution group
// expanded into its members (nested groups too, each group once), a mail
// contact into its external address, anything else as route does. limit
// is m's messageLimit, worked out once per message. The recipient is
// looked up once.
func (rt *routing) resolve(m *state.QueuedMessage, r state.QueuedRecipient, limit string) []routeResult {
	if limit != "" {
		return []routeResult{failed(r, limit)}
	}
	rec, err := rt.org.RecipientByAddress(r.Address)
	if err != nil {
		return []routeResult{rt.routeRecipient(r, nil, m.Size)}
	}
	switch {
	case rec.IsGroup():
		return rt.expandGroup(m, r, rec)
	case rec.IsContact():
		return []routeResult{rt.routeContact(r, rec, m.Size)}
	case rec.HasMailbox():
		if status := rt.receiveLimit(m, rec); status != "" {
			return []routeResult{failed(r, status)}
		}
	}
	return []routeResult{rt.routeRecipient(r, rec, m.Size)}
}

// failed is a recipient that the categorizer NDRs with status.
func failed(r state.QueuedRecipient, status string) routeResult {
	res := routeResult{rcpt: r, fail: status}
	if res.rcpt.OriginalAddress == "" {
		res.rcpt.OriginalAddress = r.Address
	}
	res.rcpt.Domain = state.AddressDomain(r.Address)
	return res
}

// expandGroup expands a distribution group into its members. A group that
// requires authenticated senders fails for an anonymous one; a group met a
// second time (a loop, or a group nested twice) is skipped.
func (rt *routing) expandGroup(m *state.QueuedMessage, r state.QueuedRecipient, group *state.Recipient) []routeResult {
	if group.RequireSenderAuthenticationEnabled && !fromInside(m) {
		return []routeResult{failed(r, statusAuthRequired)}
	}
	if status := rt.receiveLimit(m, group); status != "" {
		return []routeResult{failed(r, status)}
	}
	visited := map[string]bool{group.Guid: true}
	var out []routeResult
	rt.expandMembers(m, group, visited, 0, &out)
	return out
}

func (rt *routing) expandMembers(m *state.QueuedMessage, group *state.Recipient, visited map[string]bool, depth int, out *[]routeResult) {
	groupAddr := group.PrimarySmtpAddress
	for _, guid := range group.Members {
		if visited[guid] {
			continue
		}
		visited[guid] = true
		member, err := rt.org.Recipient(guid)
		if err != nil || member.PrimarySmtpAddress == "" {
			continue // removed since, or not mail-enabled
		}
		r := state.QueuedRecipient{Address: member.PrimarySmtpAddress, OriginalAddress: member.PrimarySmtpAddress, Status: state.RecipientReady}
		switch {
		case member.IsGroup():
			if member.RequireSenderAuthenticationEnabled && !fromInside(m) {
				res := failed(r, statusAuthRequired)
				res.group = groupAddr
				*out = append(*out, res)
				continue
			}
			if depth < maxExpansionDepth {
				// The nested group itself is expanded: its EXPAND event
				// names it, and its members follow.
				*out = append(*out, routeResult{rcpt: r, group: groupAddr, nested: true})
				rt.expandMembers(m, member, visited, depth+1, out)
			}
		case member.IsContact():
			res := rt.routeContact(r, member, m.Size)
			res.group = groupAddr
			*out = append(*out, res)
		default:
			res := rt.routeRecipient(r, member, m.Size)
			if status := rt.receiveLimit(m, member); status != "" && member.HasMailbox() {
				res = failed(r, status)
			}
			res.group = groupAddr
			*out = append(*out, res)
		}
	}
}

// routeContact routes a mail contact to its external address.
func (rt *routing) routeContact(r state.QueuedRecipient, contact *state.Recipient, size int64) routeResult {
	target := externalAddress(contact)
	res := routeResult{rcpt: r}
	res.rcpt.Status = state.RecipientReady
	res.rcpt.LastError = ""
	if res.rcpt.OriginalAddress == "" {
		res.rcpt.OriginalAddress = r.Address
	}
	res.changed = !strings.EqualFold(target, r.Address)
	res.rcpt.Address = target
	res.rcpt.RecipientGuid = contact.Guid
	domain := state.AddressDomain(target)
	res.rcpt.Domain = domain
	return rt.routeByDomain(res, domain, size)
}

// externalAddress is a contact's target address without its "SMTP:" type.
func externalAddress(contact *state.Recipient) string {
	a := strings.TrimSpace(contact.ExternalEmailAddress)
	if typ, rest, ok := strings.Cut(a, ":"); ok && strings.EqualFold(typ, "smtp") {
		a = rest
	}
	if a == "" {
		a = contact.PrimarySmtpAddress
	}
	return a
}

// trackExpansions writes one EXPAND event per expanded group, naming the
// group as RelatedRecipientAddress and its members as recipients, as
// Exchange's categorizer does. It returns the results without the nested
// group markers.
func (t *Transport) trackExpansions(m *state.QueuedMessage, results []routeResult, after *[]func()) []routeResult {
	var order []string
	members := map[string][]string{}
	kept := results[:0:0]
	for _, res := range results {
		if !res.nested {
			kept = append(kept, res)
		}
		if res.group == "" {
			continue
		}
		if _, ok := members[res.group]; !ok {
			order = append(order, res.group)
		}
		members[res.group] = append(members[res.group], res.rcpt.OriginalAddress)
	}
	for _, g := range order {
		g, rcpts := g, members[g]
		*after = append(*after, func() {
			t.track(tracking.PrefixTransport, m, tracking.Event{
				EventId: tracking.EventExpand, Source: tracking.SourceRouting,
				Recipients: rcpts, RecipientStatus: []string{statusExpanded}, RelatedRecipientAddress: g,
			})
		})
	}
	return kept
}
