package smtpclient

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// FuzzWriteDotStuffed checks the DATA form against a plain reading of RFC
// 5321: no bare LF, no lone "." before the end, and a receiver that
// removes one leading dot per line gets the content back with its bare
// LFs as CRLF (and a CRLF after a last line without one).
func FuzzWriteDotStuffed(f *testing.F) {
	for _, s := range []string{"", ".", "\n.\n", "a\r\n.\r\nb", "\r.\r\n..", "\x00\xff\n\r\n."} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var b bytes.Buffer
		if err := WriteDotStuffed(&b, msg); err != nil {
			t.Fatal(err)
		}
		out := b.Bytes()
		if !bytes.HasSuffix(out, []byte("\r\n.\r\n")) && !bytes.Equal(out, []byte(".\r\n")) {
			t.Fatalf("%q: no end of data", out)
		}
		body := out[:len(out)-3]
		var want []byte
		for i, c := range msg {
			if c == '\n' && (i == 0 || msg[i-1] != '\r') {
				want = append(want, '\r')
			}
			want = append(want, c)
		}
		if len(want) > 0 && want[len(want)-1] != '\n' {
			want = append(want, '\r', '\n')
		}
		var got []byte
		for len(body) > 0 {
			line := body
			if i := bytes.Index(body, []byte("\r\n")); i >= 0 {
				line, body = body[:i+2], body[i+2:]
			} else {
				body = nil
			}
			if bytes.Equal(line, []byte(".\r\n")) {
				t.Fatalf("%q: a lone dot inside the content", out)
			}
			got = append(got, bytes.TrimPrefix(line, []byte("."))...)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: unstuffed %q, want %q", msg, got, want)
		}
		if hasBareLF(out) {
			t.Fatalf("%q: bare LF", out)
		}
	})
}

func hasBareLF(b []byte) bool {
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return true
		}
	}
	return false
}

// FuzzParseReply checks that no reply a server sends makes the client
// panic, and that a parsed reply keeps the first line's code.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"250 ok", "250-2.0.0 ok\n250", "550-5.1.1 a\n550 5.1.1 b", "250-a\n250 b", "220"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(s, "\n")
		r, err := ParseReply(lines)
		if err == nil && strconv.Itoa(r.Code) != lines[0][:3] {
			t.Fatalf("%q: code %d", lines, r.Code)
		}
	})
}
