package smtpd

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"exsh/engine/replies"
)

// MailParams are the MAIL FROM parameters exsh understands (RFC 1870 SIZE,
// RFC 6152/3030 BODY, RFC 4954 AUTH, RFC 6531 SMTPUTF8, RFC 3461 RET/ENVID).
type MailParams struct {
	Size     int64  // 0 when absent
	Body     string // "", "7BIT", "8BITMIME", "BINARYMIME"
	Auth     string // AUTH= value, xtext-decoded; "<>" for none
	SMTPUTF8 bool
	Ret      string // "FULL", "HDRS"
	EnvID    string
}

// RcptParams are the RCPT TO parameters (RFC 3461 NOTIFY, ORCPT).
type RcptParams struct {
	Notify string
	ORcpt  string
}

// maxAddressLength is Exchange's limit with LongAddressesEnabled $false.
const maxAddressLength = 571

// ParseCommand splits a command line into its upper-cased verb and the
// argument text after one space.
func ParseCommand(line string) (verb, arg string) {
	line = strings.TrimRight(line, "\r\n")
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), strings.TrimSpace(arg)
}

// errSyntax is returned with a reply for a malformed command.
type syntaxError struct{ reply replies.Reply }

func (e syntaxError) Error() string { return e.reply.String() }

func syntax(r replies.Reply) error { return syntaxError{r} }

// ParseMail parses the argument of MAIL ("FROM:<a@b> SIZE=10"). The error
// is a syntaxError carrying the reply to send.
func ParseMail(arg string) (from string, p MailParams, err error) {
	rest, ok := cutPrefixFold(arg, "FROM:")
	if !ok {
		return "", p, syntax(replies.MissingPath)
	}
	from, rest, err = parsePath(strings.TrimLeft(rest, " "), true)
	if err != nil {
		return "", p, syntax(replies.InvalidAddress)
	}
	for _, kv := range strings.Fields(rest) {
		k, v, hasV := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "SIZE":
			n, err := strconv.ParseInt(v, 10, 64)
			if !hasV || err != nil || n < 0 {
				return "", p, syntax(replies.InvalidArguments)
			}
			p.Size = n
		case "BODY":
			switch b := strings.ToUpper(v); b {
			case "7BIT", "8BITMIME", "BINARYMIME":
				p.Body = b
			default:
				return "", p, syntax(replies.InvalidArguments)
			}
		case "AUTH":
			if !hasV {
				return "", p, syntax(replies.InvalidArguments)
			}
			p.Auth = xtextDecode(v)
		case "SMTPUTF8":
			if hasV {
				return "", p, syntax(replies.InvalidArguments)
			}
			p.SMTPUTF8 = true
		case "RET":
			switch r := strings.ToUpper(v); r {
			case "FULL", "HDRS":
				p.Ret = r
			default:
				return "", p, syntax(replies.InvalidArguments)
			}
		case "ENVID":
			p.EnvID = xtextDecode(v)
		default:
			return "", p, syntax(replies.UnknownParameter)
		}
	}
	if !p.SMTPUTF8 && !isASCII(from) {
		return "", p, syntax(replies.InvalidAddress)
	}
	return from, p, nil
}

// ParseRcpt parses the argument of RCPT ("TO:<a@b> NOTIFY=NEVER").
func ParseRcpt(arg string, utf8Allowed bool) (to string, p RcptParams, err error) {
	rest, ok := cutPrefixFold(arg, "TO:")
	if !ok {
		return "", p, syntax(replies.MissingPath)
	}
	to, rest, err = parsePath(strings.TrimLeft(rest, " "), false)
	if err != nil || (!utf8Allowed && !isASCII(to)) {
		return "", p, syntax(replies.InvalidRecipient)
	}
	for _, kv := range strings.Fields(rest) {
		k, v, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "NOTIFY":
			for _, n := range strings.Split(strings.ToUpper(v), ",") {
				if n != "NEVER" && n != "SUCCESS" && n != "FAILURE" && n != "DELAY" {
					return "", p, syntax(replies.InvalidArguments)
				}
			}
			p.Notify = strings.ToUpper(v)
		case "ORCPT":
			p.ORcpt = xtextDecode(v)
		default:
			return "", p, syntax(replies.UnknownParameter)
		}
	}
	return to, p, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

var errBadPath = errors.New("bad path")

// parsePath reads "<addr>" (or, leniently, a bare address up to the first
// space) and returns the address and what follows. A source route
// "<@a,@b:user@c>" is dropped, as RFC 5321 §4.1.1.3 tells a server to do,
// so relay decisions see only the final address. The null path "<>" is
// allowed only for MAIL.
func parsePath(s string, null bool) (addr, rest string, err error) {
	if s == "" {
		return "", "", errBadPath
	}
	if s[0] != '<' {
		// Lenient: MAIL FROM:user@domain without brackets.
		addr, rest, _ = strings.Cut(s, " ")
		if strings.ContainsAny(addr, "<>") {
			return "", "", errBadPath
		}
	} else {
		end := -1
		inQuote := false
		for i := 1; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && inQuote:
				i++
			case c == '"':
				inQuote = !inQuote
			case c == '>' && !inQuote:
				end = i
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			return "", "", errBadPath
		}
		addr, rest = s[1:end], s[end+1:]
		if rest != "" && rest[0] != ' ' {
			return "", "", errBadPath
		}
	}
	if strings.HasPrefix(addr, "@") {
		i := strings.IndexByte(addr, ':')
		if i < 0 {
			return "", "", errBadPath
		}
		addr = addr[i+1:]
	}
	if addr == "" {
		if null {
			return "", rest, nil
		}
		return "", "", errBadPath
	}
	if err := checkAddress(addr, null); err != nil {
		return "", "", err
	}
	return addr, rest, nil
}

// checkAddress accepts local@domain where local is a dot-atom or a quoted
// string and domain is a host name or an address literal. A RCPT without a
// domain is allowed only for "postmaster" (RFC 5321 §4.5.1).
func checkAddress(addr string, mail bool) error {
	if len(addr) > maxAddressLength || !utf8.ValidString(addr) {
		return errBadPath
	}
	for i := 0; i < len(addr); i++ {
		if addr[i] < 0x20 || addr[i] == 0x7f {
			return errBadPath
		}
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		if !mail && strings.EqualFold(addr, "postmaster") {
			return nil
		}
		return errBadPath
	}
	local, domain := addr[:at], addr[at+1:]
	if local == "" || len(local) > 64 && !strings.HasPrefix(local, "\"") {
		return errBadPath
	}
	if strings.HasPrefix(local, "\"") {
		if len(local) < 2 || !strings.HasSuffix(local, "\"") {
			return errBadPath
		}
	} else {
		if strings.ContainsAny(local, " \"(),:;<>@[\\]") || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
			return errBadPath
		}
	}
	if !validDomain(domain) {
		return errBadPath
	}
	return nil
}

// validDomain accepts a host name (labels of letters, digits, hyphens and
// non-ASCII for SMTPUTF8) or an address literal [1.2.3.4] / [IPv6:...].
func validDomain(d string) bool {
	if d == "" || len(d) > 255 {
		return false
	}
	if d[0] == '[' {
		if d[len(d)-1] != ']' {
			return false
		}
		lit := d[1 : len(d)-1]
		if v6, ok := cutPrefixFold(lit, "IPv6:"); ok {
			a, err := netip.ParseAddr(v6)
			return err == nil && a.Is6()
		}
		a, err := netip.ParseAddr(lit)
		return err == nil && a.Is4()
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80) {
				return false
			}
		}
	}
	return true
}

// ValidHelo reports whether a HELO/EHLO argument is a domain or an address
// literal.
func ValidHelo(s string) bool { return validDomain(s) }

func xtextDecode(s string) string {
	if !strings.Contains(s, "+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// XtextEncode encodes a DSN parameter value (ENVID, ORCPT) as RFC 3461
// xtext: '+', '=', controls, space and non-ASCII bytes become "+HH".
func XtextEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			b.WriteString("+" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
