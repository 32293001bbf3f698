package smtpclient

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"exsh/engine/replies"
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

// plainReadReply is readReply as a plain reading of RFC 5321 gives it, a
// line at a time: what the buffered version must answer.
func plainReadReply(br *bufio.Reader) (replies.Reply, []string, error) {
	var lines []string
	for {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return replies.Reply{}, nil, fmt.Errorf("%w: reply line longer than %d bytes", ErrProtocol, maxReplyLine)
		}
		if err != nil {
			if err == io.EOF && len(raw) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return replies.Reply{}, nil, err
		}
		l := strings.TrimRight(string(raw), "\r\n")
		if len(l) < 3 || (len(l) > 3 && l[3] != ' ' && l[3] != '-') || (len(lines) > 0 && l[:3] != lines[0][:3]) {
			return replies.Reply{}, nil, fmt.Errorf("%w: malformed reply %q", ErrProtocol, l)
		}
		lines = append(lines, l)
		if len(l) == 3 || l[3] == ' ' {
			break
		}
		if len(lines) >= maxReplyLines {
			return replies.Reply{}, nil, fmt.Errorf("%w: reply of more than %d lines", ErrProtocol, maxReplyLines)
		}
	}
	r, err := ParseReply(lines)
	if err != nil {
		return r, nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return r, lines, nil
}

// FuzzReadReply: the client reads every stream of replies as the plain
// reading does, reply by reply, errors included.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"220 EX01.contoso.com ready\r\n250-EX01 Hello\r\n250-SIZE 37748736\r\n250 CHUNKING\r\n",
		"250-a\r\n251 b\r\n", "25\r\n", "250 ok", "550-5.1.1 a\n550 5.1.1 b\n", "250-" + strings.Repeat("x", 600) + "\r\n250 y\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		c := &Client{conn: a, opts: Options{Timeout: time.Minute}, br: bufio.NewReaderSize(bytes.NewReader(data), maxReplyLine)}
		plain := bufio.NewReaderSize(bytes.NewReader(data), maxReplyLine)
		for range 20 {
			r1, l1, err1 := c.readReply()
			r2, l2, err2 := plainReadReply(plain)
			if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
				t.Fatalf("%q: error %v, plain %v", data, err1, err2)
			}
			if err1 != nil {
				return
			}
			if !reflect.DeepEqual(r1, r2) || !slices.Equal(l1, l2) {
				t.Fatalf("%q: %+v %q, plain %+v %q", data, r1, l1, r2, l2)
			}
		}
	})
}
