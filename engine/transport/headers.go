package transport

import (
	"bytes"
	"fmt"
	"mime"
	"net/netip"
	"strings"
	"time"

	"exsh/state"
)

// messageHeader holds what the queues show of a message's header.
type messageHeader struct {
	messageID string
	subject   string
	from      string
}

// headerEnd returns the offset of the empty line that ends the header
// block (the offset where the body separator starts), or len(data) if the
// message has no body.
func headerEnd(data []byte) int {
	if bytes.HasPrefix(data, []byte("\r\n")) || bytes.HasPrefix(data, []byte("\n")) {
		return 0
	}
	i := bytes.Index(data, []byte("\r\n\r\n"))
	j := bytes.Index(data, []byte("\n\n"))
	switch {
	case i >= 0 && (j < 0 || i < j):
		return i + 2
	case j >= 0:
		return j + 1
	}
	return len(data)
}

// headerFields returns the value of the first field of the message's
// header named by each of names (case-insensitive), unfolded, as go-message's
// textproto.ReadHeader and Header.Get give it: parsing stops at the empty
// line, at a line without a colon, at a name with a byte outside 33-126,
// and at once when the first line starts with a space or tab; a value's
// lines are trimmed of spaces and tabs and joined with one space. It reads
// data in place: every queued and every delivered message passes here.
func headerFields(data []byte, names ...string) []string {
	values := make([]string, len(names))
	var found uint64 // bit i: names[i] found
	left := len(names)
	if len(data) > 0 && (data[0] == ' ' || data[0] == '\t') {
		return values
	}
	for len(data) > 0 && left > 0 {
		end := lineEnd(data, 0)
		if len(trimLineEnd(data[:end])) == 0 {
			break // the empty line ends the header
		}
		// The continuation lines belong to the field.
		for end < len(data) && (data[end] == ' ' || data[end] == '\t') {
			end = lineEnd(data, end)
		}
		field := data[:end]
		data = data[end:]
		colon := bytes.IndexByte(field, ':')
		if colon < 0 {
			break
		}
		key := trimBlank(field[:colon])
		for _, c := range key {
			if c < 33 || c > 126 {
				return values
			}
		}
		for i, name := range names {
			if found&(1<<i) == 0 && len(key) > 0 && bytes.EqualFold(key, []byte(name)) {
				values[i] = unfold(field[colon+1:])
				found |= 1 << i
				left--
			}
		}
	}
	return values
}

// lineEnd is the index just past the line of data starting at from (past
// its LF, or the end of data).
func lineEnd(data []byte, from int) int {
	if nl := bytes.IndexByte(data[from:], '\n'); nl >= 0 {
		return from + nl + 1
	}
	return len(data)
}

// trimLineEnd drops a line's LF and the CR before it.
func trimLineEnd(l []byte) []byte {
	l = bytes.TrimSuffix(l, []byte("\n"))
	return bytes.TrimSuffix(l, []byte("\r"))
}

// trimBlank drops leading and trailing spaces and tabs.
func trimBlank(b []byte) []byte {
	return bytes.Trim(b, " \t")
}

// unfold joins a field value's lines, each without its line end and
// trimmed of spaces and tabs, with one space, leaving out empty ones.
func unfold(v []byte) string {
	var b strings.Builder
	for len(v) > 0 {
		line := v
		if nl := bytes.IndexByte(v, '\n'); nl >= 0 {
			line, v = bytes.TrimSuffix(v[:nl], []byte("\r")), v[nl+1:]
		} else {
			v = nil // the end of a message that is all header: its CR stays
		}
		line = trimBlank(line)
		if len(line) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(line)
	}
	return b.String()
}

func decodeWords(s string) string {
	if out, err := (&mime.WordDecoder{}).DecodeHeader(s); err == nil {
		return out
	}
	return s
}

// prepareMessage adds the Message-ID (Exchange's transport form, a dashed
// GUID at the server FQDN) and Date headers a message lacks, and returns
// what the queues need from its header.
func prepareMessage(data []byte, fqdn string, received time.Time) ([]byte, messageHeader) {
	at, insert, mh := prepareInsert(data, fqdn, received)
	if len(insert) == 0 {
		return data, mh
	}
	out := make([]byte, 0, len(data)+len(insert))
	return append(append(append(out, data[:at]...), insert...), data[at:]...), mh
}

// prepareInsert is prepareMessage without the copy: the message with its
// added fields is data[:at] + insert + data[at:] (insert is empty when
// nothing is added).
func prepareInsert(data []byte, fqdn string, received time.Time) (at int, insert []byte, mh messageHeader) {
	h := headerFields(data, "Subject", "From", "Message-Id", "Date")
	mh.subject = decodeWords(strings.TrimSpace(h[0]))
	mh.from = fromAddress(h[1])
	mh.messageID = strings.TrimSpace(h[2])
	var add []string
	if mh.messageID == "" {
		mh.messageID = "<" + state.NewGuid() + "@" + fqdn + ">"
		add = append(add, "Message-ID: "+mh.messageID)
	}
	if h[3] == "" {
		add = append(add, "Date: "+received.Format(time.RFC1123Z))
	}
	if len(add) == 0 {
		return 0, nil, mh
	}
	at, insert = headerInsert(data, add)
	return at, insert, mh
}

// headerInsert returns what appending header fields at the end of the
// header block inserts, and where: data[:at] + insert + data[at:] is the
// message with the fields.
func headerInsert(data []byte, fields []string) (at int, insert []byte) {
	end := headerEnd(data)
	hdrEndsLine := end == 0 || data[end-1] == '\n'
	return end, appendFields(nil, fields, hdrEndsLine, end == len(data))
}

// appendFields appends header fields to b, each ended by CRLF: after a CRLF
// when the header before them does not end its last line, and followed by
// the empty line that ends the header when the message has no body
// separator.
func appendFields(b []byte, fields []string, hdrEndsLine, noBody bool) []byte {
	if !hdrEndsLine {
		b = append(b, "\r\n"...)
	}
	for _, f := range fields {
		b = append(append(b, f...), "\r\n"...)
	}
	if noBody {
		b = append(b, "\r\n"...)
	}
	return b
}

// fieldsLen is the length appendFields adds.
func fieldsLen(fields []string, hdrEndsLine, noBody bool) int {
	n := 0
	if !hdrEndsLine {
		n += 2
	}
	for _, f := range fields {
		n += len(f) + 2
	}
	if noBody {
		n += 2
	}
	return n
}

// insertAtHeaderEnd appends header fields at the end of the header block,
// in a new slice.
func insertAtHeaderEnd(data []byte, fields []string) []byte {
	at, insert := headerInsert(data, fields)
	out := make([]byte, 0, len(data)+len(insert))
	return append(append(append(out, data[:at]...), insert...), data[at:]...)
}

func fromAddress(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	return v
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

// exchangeDate formats a time as Exchange's Received: lines do.
func exchangeDate(t time.Time) string { return t.Format("Mon, 2 Jan 2006 15:04:05 -0700") }

// originalArrivalTime is X-MS-Exchange-Organization-OriginalArrivalTime's
// form: "30 Mar 2024 21:36:32.9947 (UTC)".
func originalArrivalTime(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s.%04d (UTC)", t.Format("02 Jan 2006 15:04:05"), t.Nanosecond()/100000)
}

// mailboxMessage returns the message head + body (as QueueTx.DataParts
// returns it; head may be empty) as Mailbox Transport Delivery stores it:
// the delivery hop's Received: line on top and the organisation headers at
// the end of the header block.
func (t *Transport) mailboxMessage(m *state.QueuedMessage, head, body []byte, now time.Time) []byte {
	front, tail := t.mailboxParts(m, head, body, now)
	return append(front, tail...)
}

// mailboxParts is mailboxMessage as the bytes Mailbox Transport writes
// (front) and the end of body they are followed by (tail, not copied), so
// the mailbox can share the queued bytes instead of storing them again.
func (t *Transport) mailboxParts(m *state.QueuedMessage, head, body []byte, now time.Time) (front, tail []byte) {
	ip := m.ServerIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	received := t.mailboxReceived(ip, head, body, now)
	hdr, rest := splitHeader(head, body)
	hdr = stripOrgFields(hdr)
	org := []string{
		"X-MS-Exchange-Organization-Network-Message-Id: " + m.NetworkMessageId,
		"X-MS-Exchange-Organization-AuthSource: " + t.cfg.Fqdn,
		"X-MS-Exchange-Organization-AuthAs: " + m.AuthAs,
		fmt.Sprintf("X-MS-Exchange-Organization-SCL: %d", m.SCL),
		"X-MS-Exchange-Organization-OriginalArrivalTime: " + originalArrivalTime(m.DateReceived),
		"X-MS-Exchange-Organization-MessageDirectionality: " + m.Directionality,
		fmt.Sprintf("X-MS-Exchange-Organization-OriginalSize: %d", m.Size),
		fmt.Sprintf("X-MS-Exchange-Organization-TotalRecipientCount: %d", len(m.Recipients)),
		"X-MS-Exchange-Organization-Recipient-Limit-Verified: True",
		"X-MS-Exchange-Forest-ArrivalHubServer: " + t.cfg.Fqdn,
	}
	if m.OriginalClientIP != "" {
		org = append(org, "X-MS-Exchange-Organization-OriginalClientIPAddress: "+m.OriginalClientIP)
	}
	if m.ServerIP != "" {
		org = append(org, "X-MS-Exchange-Organization-OriginalServerIPAddress: "+m.ServerIP)
	}
	restLen := 0
	for _, r := range rest {
		restLen += len(r)
	}
	// rest ends with the end of body (splitHeader): that part is shared.
	if n := len(rest); n > 0 {
		tail, rest = rest[n-1], rest[:n-1]
	}
	hdrEndsLine := len(hdr) == 0 || hdr[len(hdr)-1] == '\n'
	out := make([]byte, 0, len(received)+len(hdr)+fieldsLen(org, hdrEndsLine, restLen == 0)+restLen-len(tail))
	out = append(append(out, received...), hdr...)
	out = appendFields(out, org, hdrEndsLine, restLen == 0)
	for _, r := range rest {
		out = append(out, r...)
	}
	return out, tail
}

// splitHeader splits the message head + body into its header block (up to
// where the empty line that ends it starts, as headerEnd) and the rest,
// without copying the body. The header is a copy only when it straddles
// head and body.
func splitHeader(head, body []byte) (hdr []byte, rest [][]byte) {
	if len(head) == 0 {
		end := headerEnd(body)
		return body[:end], [][]byte{body[end:]}
	}
	if end := headerEnd(head); end < len(head) {
		return head[:end], [][]byte{head[end:], body}
	}
	// The header goes on into body. As stored (QueueTx.DataParts) head
	// ends a line and body starts with the empty line: the header is head.
	if (bytes.HasSuffix(head, []byte("\r\n")) && bytes.HasPrefix(body, []byte("\r\n"))) ||
		(bytes.HasSuffix(head, []byte("\n")) && bytes.HasPrefix(body, []byte("\n"))) {
		return head, [][]byte{body}
	}
	// Any other cut: join head and body up to just past body's first empty
	// line (all of it when there is none) and look again.
	k := len(body)
	i, j := bytes.Index(body, []byte("\r\n\r\n")), bytes.Index(body, []byte("\n\n"))
	switch {
	case i >= 0 && (j < 0 || i < j):
		k = i + 4
	case j >= 0:
		k = j + 2
	}
	joined := append(append(make([]byte, 0, len(head)+k), head...), body[:k]...)
	if e := headerEnd(joined); e < len(joined) {
		return joined[:e], [][]byte{joined[e:], body[k:]}
	}
	return joined, [][]byte{body[k:]}
}

// stripOrgHeaders removes X-MS-Exchange-Organization-* and
// X-MS-Exchange-Forest-* fields (with their continuation lines): the
// header firewall drops them when a message leaves the organisation, and
// Mailbox Transport writes its own.
func stripOrgHeaders(data []byte) []byte {
	end := headerEnd(data)
	hdr := data[:end]
	if !hasOrgFields(hdr) {
		return data
	}
	stripped := stripOrgFields(hdr)
	out := make([]byte, 0, len(stripped)+len(data)-end)
	return append(append(out, stripped...), data[end:]...)
}

func hasOrgFields(hdr []byte) bool {
	return bytes.Contains(bytes.ToLower(hdr), []byte("x-ms-exchange-"))
}

// stripOrgFields is stripOrgHeaders for a header block alone; it returns
// hdr itself when there is nothing to remove.
func stripOrgFields(hdr []byte) []byte {
	if !hasOrgFields(hdr) {
		return hdr
	}
	var b bytes.Buffer
	b.Grow(len(hdr))
	skipping := false
	for len(hdr) > 0 {
		i := bytes.IndexByte(hdr, '\n')
		line := hdr
		if i >= 0 {
			line = hdr[:i+1]
		}
		hdr = hdr[len(line):]
		cont := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
		if !cont {
			l := bytes.ToLower(line)
			skipping = bytes.HasPrefix(l, []byte("x-ms-exchange-organization-")) || bytes.HasPrefix(l, []byte("x-ms-exchange-forest-"))
		}
		if !skipping {
			b.Write(line)
		}
	}
	return b.Bytes()
}
