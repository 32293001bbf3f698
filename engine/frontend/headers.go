package frontend

import (
	"bytes"
	"strings"

	"exsh/state"
)

// Header fields the Front End hands to the Transport service with a
// proxied message. The first four are Exchange's; ClientHelo is exsh's
// own (Exchange carries the client's EHLO name in its XPROXYFROM command,
// which exsh does not implement). The hub trusts them only from an
// authenticated Exchange server and removes ClientHelo.
const (
	HeaderOriginalClientIP = "X-MS-Exchange-Organization-OriginalClientIPAddress"
	HeaderOriginalServerIP = "X-MS-Exchange-Organization-OriginalServerIPAddress"
	HeaderAuthAs           = "X-MS-Exchange-Organization-AuthAs"
	HeaderAuthSource       = "X-MS-Exchange-Organization-AuthSource"
	HeaderClientHelo       = "X-MS-Exchange-Organization-OriginalClientHelo"
)

// SplitHeader returns the header section (with its final blank line) and
// the body of a message.
func SplitHeader(msg []byte) (header, body []byte) {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return msg[:i+4], msg[i+4:]
	}
	if bytes.HasPrefix(msg, []byte("\r\n")) {
		return msg[:2], msg[2:]
	}
	return msg, nil
}

// fields splits a header section into fields, each with its continuation
// lines and CRLFs.
// A field is a slice of header (capacity clipped), unless an empty line
// separates it from one of its continuation lines: then it is a copy.
func fields(header []byte) [][]byte {
	var out [][]byte
	end := -1 // offset in header where the last field ends, if it is a slice of header
	for off := 0; off < len(header); {
		rest := header[off:]
		i := bytes.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line = rest[:i+1]
		}
		start := off
		off += len(line)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			last := len(out) - 1
			if end == start {
				out[last] = header[start-len(out[last]) : off : off]
				end = off
			} else {
				out[last] = append(out[last][:len(out[last]):len(out[last])], line...)
				end = -1
			}
			continue
		}
		out = append(out, header[start:off:off])
		end = off
	}
	return out
}

func fieldName(f []byte) string {
	name, _, _ := bytes.Cut(f, []byte(":"))
	return string(bytes.TrimSpace(name))
}

// FilterHeader applies Exchange's header firewall to a message: without
// ms-Exch-Accept-Headers-Routing the Received: and Resent-* fields go,
// without ...-Organization the X-MS-Exchange-Organization-* fields, and
// without ...-Forest the X-MS-Exchange-Forest-* fields.
func FilterHeader(msg []byte, rights state.Rights) []byte {
	routing := rights.Has(state.RightAcceptHeadersRouting)
	org := rights.Has(state.RightAcceptHeadersOrganization)
	forest := rights.Has(state.RightAcceptHeadersForest)
	if routing && org && forest {
		return msg
	}
	return RemoveFields(msg, func(n string) bool {
		switch {
		case !routing && (strings.EqualFold(n, "received") || hasPrefixFold(n, "resent-")):
			return true
		case !org && hasPrefixFold(n, "x-ms-exchange-organization-"):
			return true
		case !forest && hasPrefixFold(n, "x-ms-exchange-forest-"):
			return true
		}
		return false
	})
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case, without the
// copy strings.ToLower makes of every field name of every message.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// RemoveFields drops the header fields for which drop returns true.
func RemoveFields(msg []byte, drop func(name string) bool) []byte {
	header, body := SplitHeader(msg)
	fs := fields(header)
	keep := make([]bool, len(fs))
	removed := false
	for i, f := range fs {
		keep[i] = !drop(fieldName(f))
		removed = removed || !keep[i]
	}
	if !removed {
		// No copy of the message (it may be tens of MiB) for nothing.
		return msg
	}
	var b bytes.Buffer
	b.Grow(len(msg))
	for i, f := range fs {
		if keep[i] {
			b.Write(f)
		}
	}
	if bytes.HasSuffix(header, []byte("\r\n\r\n")) || len(body) > 0 || bytes.Equal(header, []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	b.Write(body)
	return b.Bytes()
}

// FieldValue returns the unfolded value of the first field called name.
func FieldValue(msg []byte, name string) string {
	header, _ := SplitHeader(msg)
	for _, f := range fields(header) {
		if strings.EqualFold(fieldName(f), name) {
			_, v, _ := strings.Cut(string(f), ":")
			v = strings.ReplaceAll(v, "\r\n", "")
			return strings.TrimSpace(v)
		}
	}
	return ""
}
