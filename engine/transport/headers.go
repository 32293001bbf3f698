package transport

import (
	"bufio"
	"bytes"
	"fmt"
	"mime"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

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

func parseHeader(data []byte) textproto.Header {
	end := headerEnd(data)
	block := data[:end]
	if end == len(data) {
		// A message without a body: add the empty line the parser expects.
		block = append(append([]byte(nil), block...), "\r\n\r\n"...)
	}
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(block)))
	return h
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
	h := parseHeader(data)
	var mh messageHeader
	mh.subject = decodeWords(strings.TrimSpace(h.Get("Subject")))
	mh.from = fromAddress(h.Get("From"))
	mh.messageID = strings.TrimSpace(h.Get("Message-Id"))
	var add []string
	if mh.messageID == "" {
		mh.messageID = "<" + state.NewGuid() + "@" + fqdn + ">"
		add = append(add, "Message-ID: "+mh.messageID)
	}
	if h.Get("Date") == "" {
		add = append(add, "Date: "+received.Format(time.RFC1123Z))
	}
	if len(add) == 0 {
		return data, mh
	}
	return insertAtHeaderEnd(data, add), mh
}

// insertAtHeaderEnd appends header fields at the end of the header block.
func insertAtHeaderEnd(data []byte, fields []string) []byte {
	end := headerEnd(data)
	var b bytes.Buffer
	b.Grow(len(data) + 256)
	b.Write(data[:end])
	if end > 0 && data[end-1] != '\n' {
		b.WriteString("\r\n")
	}
	for _, f := range fields {
		b.WriteString(f)
		b.WriteString("\r\n")
	}
	if end == len(data) {
		b.WriteString("\r\n")
	}
	b.Write(data[end:])
	return b.Bytes()
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

// mailboxHeaders returns the message as Mailbox Transport Delivery stores
// it: the delivery hop's Received: line on top and the organisation
// headers at the end of the header block.
func (t *Transport) mailboxHeaders(m *state.QueuedMessage, data []byte, now time.Time) []byte {
	ip := m.ServerIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	received := fmt.Sprintf("Received: from %s (%s) by %s (%s)\r\n with Microsoft SMTP Server\r\n (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id %s\r\n via Mailbox Transport; %s\r\n",
		t.cfg.Fqdn, ip, t.cfg.Fqdn, ip, t.build, exchangeDate(now))
	data = stripOrgHeaders(data)
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
	body := insertAtHeaderEnd(data, org)
	out := make([]byte, 0, len(received)+len(body))
	out = append(out, received...)
	return append(out, body...)
}

// stripOrgHeaders removes X-MS-Exchange-Organization-* and
// X-MS-Exchange-Forest-* fields (with their continuation lines): the
// header firewall drops them when a message leaves the organisation, and
// Mailbox Transport writes its own.
func stripOrgHeaders(data []byte) []byte {
	end := headerEnd(data)
	hdr := data[:end]
	if !bytes.Contains(bytes.ToLower(hdr), []byte("x-ms-exchange-")) {
		return data
	}
	var b bytes.Buffer
	b.Grow(len(data))
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
	b.Write(data[end:])
	return b.Bytes()
}
