package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// attachment is one file attached to a message.
type attachment struct {
	Name string
	Data []byte
}

// message is what Send-MailMessage composes, before it is put on the wire.
type message struct {
	From     *mail.Address
	To       []*mail.Address
	Cc       []*mail.Address
	Bcc      []*mail.Address
	ReplyTo  []*mail.Address
	Subject  string
	Body     string
	HTML     bool
	Encoding string // canonical -Encoding name; "" chooses us-ascii or utf-8
	Priority string // Normal, High, Low
	Date     time.Time
	// MessageID is the Message-ID header value with angle brackets.
	MessageID   string
	Attachments []attachment
}

// envelope returns the RCPT TO addresses: To, Cc and Bcc in that order,
// as .NET's SmtpClient sends them.
func (m *message) envelope() []string {
	var out []string
	for _, l := range [][]*mail.Address{m.To, m.Cc, m.Bcc} {
		for _, a := range l {
			out = append(out, a.Address)
		}
	}
	return out
}

// newMessageID returns "<random@host>".
func newMessageID(host string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	if host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("<%x@%s>", b, host)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// charset returns the MIME charset for the body and the body bytes in it.
func (m *message) charset() (string, []byte) {
	switch m.Encoding {
	case "ASCII":
		var b strings.Builder
		for _, r := range m.Body {
			if r >= 0x80 {
				r = '?'
			}
			b.WriteRune(r)
		}
		return "us-ascii", []byte(b.String())
	case "Unicode", "BigEndianUnicode":
		u := utf16.Encode([]rune(m.Body))
		out := make([]byte, 0, 2*len(u))
		for _, c := range u {
			if m.Encoding == "Unicode" {
				out = append(out, byte(c), byte(c>>8))
			} else {
				out = append(out, byte(c>>8), byte(c))
			}
		}
		if m.Encoding == "Unicode" {
			return "utf-16", out
		}
		return "utf-16BE", out
	case "Latin1":
		var b []byte
		for _, r := range m.Body {
			if r > 0xff {
				r = '?'
			}
			b = append(b, byte(r))
		}
		return "iso-8859-1", b
	case "":
		if isASCII(m.Body) {
			return "us-ascii", []byte(m.Body)
		}
	}
	return "utf-8", []byte(m.Body)
}

func addressList(l []*mail.Address) string {
	parts := make([]string, len(l))
	for i, a := range l {
		parts[i] = formatAddress(a)
	}
	return strings.Join(parts, ", ")
}

// formatAddress writes "Name <addr>" (the name encoded when not ASCII) or
// the bare address, as .NET does when there is no display name.
func formatAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.String()
}

func encodeHeader(s string) string {
	if isASCII(s) {
		return s
	}
	return mime.BEncoding.Encode("utf-8", s)
}

// Bytes renders the message in RFC 5322 form with CRLF line ends.
func (m *message) Bytes() []byte {
	var buf bytes.Buffer
	h := func(k, v string) {
		buf.WriteString(k)
		buf.WriteString(": ")
		buf.WriteString(v)
		buf.WriteString("\r\n")
	}
	h("MIME-Version", "1.0")
	h("From", formatAddress(m.From))
	if len(m.To) > 0 {
		h("To", addressList(m.To))
	}
	if len(m.Cc) > 0 {
		h("Cc", addressList(m.Cc))
	}
	if len(m.ReplyTo) > 0 {
		h("Reply-To", addressList(m.ReplyTo))
	}
	switch m.Priority {
	case "High":
		h("X-Priority", "1")
		h("Priority", "urgent")
		h("Importance", "high")
	case "Low":
		h("X-Priority", "5")
		h("Priority", "non-urgent")
		h("Importance", "low")
	}
	h("Date", m.Date.Format(time.RFC1123Z))
	h("Subject", encodeHeader(m.Subject))
	h("Message-ID", m.MessageID)

	charset, body := m.charset()
	ctype := "text/plain"
	if m.HTML {
		ctype = "text/html"
	}
	ctype = mime.FormatMediaType(ctype, map[string]string{"charset": charset})
	cte := "quoted-printable"
	if strings.HasPrefix(charset, "utf-16") {
		cte = "base64"
	}

	if len(m.Attachments) == 0 {
		h("Content-Type", ctype)
		h("Content-Transfer-Encoding", cte)
		buf.WriteString("\r\n")
		writeBody(&buf, body, cte)
		return buf.Bytes()
	}

	mw := multipart.NewWriter(&buf)
	h("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}))
	buf.WriteString("\r\n")
	part, _ := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {ctype},
		"Content-Transfer-Encoding": {cte},
	})
	var pb bytes.Buffer
	writeBody(&pb, body, cte)
	part.Write(pb.Bytes())
	for _, a := range m.Attachments {
		name := filepath.Base(a.Name)
		ct := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
		if ct == "" {
			ct = "application/octet-stream"
		}
		ct, params, err := mime.ParseMediaType(ct)
		if err != nil {
			ct, params = "application/octet-stream", nil
		}
		if params == nil {
			params = map[string]string{}
		}
		params["name"] = name
		part, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(ct, params)},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
		})
		var ab bytes.Buffer
		writeBody(&ab, a.Data, "base64")
		part.Write(ab.Bytes())
	}
	mw.Close()
	return buf.Bytes()
}

// writeBody writes data in the transfer encoding with CRLF line ends.
func writeBody(buf *bytes.Buffer, data []byte, cte string) {
	switch cte {
	case "base64":
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			buf.WriteString(enc[:76])
			buf.WriteString("\r\n")
			enc = enc[76:]
		}
		if enc != "" {
			buf.WriteString(enc)
			buf.WriteString("\r\n")
		}
	default:
		// Normalise line ends first so the encoder emits CRLF only.
		text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
		w := quotedprintable.NewWriter(buf)
		for i, line := range strings.Split(text, "\n") {
			if i > 0 {
				w.Write([]byte("\r\n"))
			}
			w.Write([]byte(line))
		}
		w.Close()
		if !bytes.HasSuffix(buf.Bytes(), []byte("\r\n")) {
			buf.WriteString("\r\n")
		}
	}
}

// parseAddresses parses Send-MailMessage address arguments: each may be
// "user@domain", "Name <user@domain>" or a comma-separated list of those.
func parseAddresses(values []string) ([]*mail.Address, error) {
	var out []*mail.Address
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		l, err := mail.ParseAddressList(v)
		if err != nil {
			a, err2 := parseBare(v)
			if err2 != nil {
				return nil, err
			}
			l = []*mail.Address{a}
		}
		out = append(out, l...)
	}
	return out, nil
}

// parseBare accepts an address net/mail refuses but .NET takes, such as a
// local part with a trailing dot; it must still have one '@' and no spaces.
func parseBare(s string) (*mail.Address, error) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " <>,;\"") || !utf8.ValidString(s) {
		return nil, fmt.Errorf("invalid address %q", s)
	}
	return &mail.Address{Address: s}, nil
}
