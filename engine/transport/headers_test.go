package transport

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
)

func TestPrepareMessage(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		in, subject, from string
		addsID, addsDate  bool
	}{
		{"Subject: hi\r\nFrom: A <a@b.c>\r\nMessage-ID: <x@y>\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n\r\nbody\r\n", "hi", "a@b.c", false, false},
		{"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nbody\r\n", "Grüße", "", true, true},
		{"Subject: header only\r\n", "header only", "", true, true},
		{"Subject: lf only\n\nbody\n", "lf only", "", true, true},
	}
	for _, c := range cases {
		out, h := prepareMessage([]byte(c.in), "EX01.contoso.com", at)
		if h.subject != c.subject || h.from != c.from {
			t.Errorf("%q: subject %q from %q", c.in, h.subject, h.from)
		}
		s := string(out)
		if n := strings.Count(s, "Message-ID: <"); n != 1 {
			t.Errorf("%q: %d Message-ID fields", c.in, n)
		}
		if c.addsID && (!strings.HasSuffix(h.messageID, "@EX01.contoso.com>") || !guidRE.MatchString(h.messageID)) {
			t.Errorf("generated id %q", h.messageID)
		}
		if got := strings.Contains(s, "Date: Fri, 27 Nov 2026 09:00:00 +0000"); c.addsDate && !got {
			t.Errorf("%q: Date not added:\n%s", c.in, s)
		}
		if !strings.Contains(s, "\n\n") && !strings.Contains(s, "\r\n\r\n") {
			t.Errorf("%q: no header/body separator in %q", c.in, s)
		}
		// Re-parsing gives the same subject and the added id.
		if id := headerFields(out, "Message-Id")[0]; id != h.messageID {
			t.Errorf("%q: reparsed id %q, want %q", c.in, id, h.messageID)
		}
	}
}

func TestStripOrgHeaders(t *testing.T) {
	in := "X-MS-Exchange-Organization-SCL: -1\r\nSubject: s\r\nX-MS-Exchange-Organization-Long: a\r\n b\r\nX-MS-Exchange-Forest-ArrivalHubServer: x\r\nX-MS-Has-Attach: yes\r\n\r\nX-MS-Exchange-Organization-InBody: stays\r\n"
	want := "Subject: s\r\nX-MS-Has-Attach: yes\r\n\r\nX-MS-Exchange-Organization-InBody: stays\r\n"
	if got := string(stripOrgHeaders([]byte(in))); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// goMessageFields is what go-message's header parser gives for names: the
// behaviour headerFields keeps without building the whole header.
func goMessageFields(data []byte, names ...string) []string {
	end := headerEnd(data)
	block := data[:end]
	if end == len(data) {
		block = append(append([]byte(nil), block...), "\r\n\r\n"...)
	}
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(block)))
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = h.Get(n)
	}
	return out
}

var headerFieldCases = []string{
	"Subject: hi\r\nFrom: A <a@contoso.com>\r\n\r\nbody",
	"subject: lower\r\nSUBJECT: second\r\n\r\n",
	"Subject: folded\r\n  over\r\n\tlines \r\nFrom: x\r\n\r\n",
	"Subject:\r\nFrom: empty subject first\r\nSubject: later\r\n\r\n",
	" leading: space\r\nSubject: never\r\n\r\n",
	"Subject: bare lf\nFrom: b@c\n\nbody",
	"Subject: no body at all",
	"Subject: s\r\nno colon here\r\nFrom: after a bad line\r\n\r\n",
	"Bad Key: v\r\nFrom: after a bad key\r\n\r\n",
	"Subject : spaced key\r\n\r\n",
	": empty key\r\nFrom: f\r\n\r\n",
	"Subject: a\r\n\r\n continuation of the empty line\r\n",
	"X-A: 1\r\n\r\nSubject: in the body\r\n",
	"Message-ID: <id@x>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n",
	"Subject: cr\rinside\r\n\r\n",
	"Subject: ends with cr\r",
	"First\r\n second: v\r\nFrom: f\r\n\r\n",
	"",
	"\r\nSubject: after the empty line",
}

func TestHeaderFieldsAsGoMessage(t *testing.T) {
	names := []string{"Subject", "From", "Message-Id", "Date"}
	for _, c := range headerFieldCases {
		got, want := headerFields([]byte(c), names...), goMessageFields([]byte(c), names...)
		if !slices.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", c, got, want)
		}
	}
}

func FuzzHeaderFields(f *testing.F) {
	for _, c := range headerFieldCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		names := []string{"Subject", "From", "Message-Id", "Date"}
		got, want := headerFields(data, names...), goMessageFields(data, names...)
		if !slices.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", data, got, want)
		}
	})
}
