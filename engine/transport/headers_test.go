package transport

import (
	"strings"
	"testing"
	"time"
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
		h2 := parseHeader(out)
		if h2.Get("Message-Id") != h.messageID {
			t.Errorf("%q: reparsed id %q, want %q", c.in, h2.Get("Message-Id"), h.messageID)
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
