package smtpd

import (
	"bufio"
	"context"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func FuzzCommandParse(f *testing.F) {
	for _, s := range []string{
		"MAIL FROM:<a@b.com> SIZE=10 BODY=8BITMIME",
		"MAIL FROM:<> RET=HDRS ENVID=x+2By",
		"MAIL FROM: <\"q\\\"x\"@[1.2.3.4]> SMTPUTF8 AUTH=<>",
		"RCPT TO:<@a,@b:c@d.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d.com",
		"RCPT TO:<postmaster>",
		"RCPT TO:<user%gmail.com@contoso.com>",
		"rcpt to:user@[IPv6:::1]",
		"BDAT 100 LAST",
		"AUTH PLAIN AGFsaWNlAHB3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		verb, arg := ParseCommand(line)
		if verb != strings.ToUpper(verb) {
			t.Fatalf("verb %q not upper case", verb)
		}
		check := func(addr string, err error) {
			if err != nil {
				if _, ok := err.(syntaxError); !ok {
					t.Fatalf("error %T is not a syntax error", err)
				}
				return
			}
			if strings.ContainsAny(addr, "\r\n\x00<>") && !strings.HasPrefix(addr, "\"") {
				t.Fatalf("address %q accepted from %q", addr, line)
			}
			if addr != "" && addr != "postmaster" && !strings.EqualFold(addr, "postmaster") && !strings.Contains(addr, "@") {
				t.Fatalf("address %q without domain accepted from %q", addr, line)
			}
		}
		from, _, err := ParseMail(arg)
		check(from, err)
		to, _, err := ParseRcpt(arg, true)
		check(to, err)
		if err == nil && to == "" {
			t.Fatalf("empty recipient accepted from %q", line)
		}
	})
}

var replyLine = regexp.MustCompile(`^[2-5]\d\d[ -]`)

func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"EHLO x\nMAIL FROM:<a@b.com>\nRCPT TO:<c@d.com>\nDATA\nSubject: x\n\nbody\n.\nQUIT",
		"HELO x\nMAIL FROM:<a@b.com>\nRCPT TO:<c@d.com>\nBDAT 5 LAST\nhello\nRSET\nQUIT",
		"EHLO x\nAUTH LOGIN\nYWxpY2U=\nUGFzc3cwcmQ=\nMAIL FROM:<a@b.com>\nQUIT",
		"EHLO x\nAUTH PLAIN\n*\nAUTH FOO\nSTARTTLS\nVRFY x\nHELP\nNOOP\nEXPN x",
		"MAIL FROM:<a@b.com>\nRCPT TO:<x>\nDATA\nBDAT x\nBDAT 99999999999999999999\n",
		"EHLO x\nMAIL FROM:<a@b.com> SIZE=99999999999\nMAIL FROM:<a@b.com> BODY=BINARYMIME\nRCPT TO:<c@d.com>\nDATA\n",
		"\x00\x00\nEHLO \x00\n" + strings.Repeat("A", 3000) + "\nQUIT",
	} {
		f.Add(s)
	}
	f.Fuzz(runSessionInput)
}

// runSessionInput feeds input, one command per line, to a live session
// over an in-memory connection and checks every reply line's form.
func runSessionInput(t *testing.T, input string) {
	{
		server, client := socketPair(t)
		cfg := testConfig()
		cfg.BasicAuthRequireTLS = false
		cfg.InactivityTimeout = 200 * time.Millisecond
		cfg.ConnectionTimeout = 2 * time.Second
		cfg.MaxProtocolErrors = 50
		cfg.MaxMessageSize = 4096
		h := &recorder{refuseTo: "user@gmail.com"}
		s := NewSession(server, cfg, h, nil, nil)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Serve(context.Background())
		}()
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			br := bufio.NewReader(client)
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if !replyLine.MatchString(l) || !strings.HasSuffix(l, "\r\n") {
					t.Errorf("malformed reply line %q", l)
				}
			}
		}()
		go func() {
			data := strings.ReplaceAll(input, "\n", "\r\n") + "\r\n"
			client.SetWriteDeadline(time.Now().Add(3 * time.Second))
			client.Write([]byte(data))
			// End of input: the session sees EOF and ends.
			client.CloseWrite()
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("session did not end for input %q", input)
		}
		client.Close()
		<-readDone
	}
}

// socketPair returns the two ends of a connected Unix stream socket, so
// the client can half-close after its input as a TCP client would.
func socketPair(t *testing.T) (net.Conn, *net.UnixConn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return conn(fds[0]), conn(fds[1]).(*net.UnixConn)
}
