package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/smtpclient"
	"exsh/state"
	"exsh/state/setup"
)

// awkwardBody is what every hop must carry: every byte value, bare LFs,
// bare CRs, lone dots and lines that start with dots.
func awkwardBody() []byte {
	var b bytes.Buffer
	for i := 0; i < 256; i++ {
		b.WriteByte(byte(i))
	}
	b.WriteString("\r\nbare LF\nline\n.\n..two\n.one\nbare CR\rstill the same line\r\n.\r\n..\r\n.dot\r\n\r\n.\r\nlast line\r\n")
	return b.Bytes()
}

// dataForm is how Exchange keeps content that came with DATA: a bare LF
// ends a line, stored as CRLF (the receive side does so, and DATA has no
// other line end to send it with); every other byte, bare CRs and NULs
// included, is kept.
func dataForm(b []byte) []byte {
	var out []byte
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

func bodyOf(msg []byte) []byte {
	_, body, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		return nil
	}
	return body
}

// sendThrough sends a message with exsh's own client, as BINARYMIME with
// BDAT or as 8BITMIME with DATA, to a connector of the engine; user logs on
// first (after STARTTLS) when not empty.
func sendThrough(t *testing.T, addr string, binary bool, user, to string, body []byte) {
	t.Helper()
	c, err := smtpclient.Dial(context.Background(), addr, smtpclient.Options{Timeout: 10 * time.Second, NoChunking: !binary})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Start("device.contoso.com", &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	if user != "" {
		if err := c.Auth(sasl.NewLoginClient(user, setup.DefaultAdministratorPassword)); err != nil {
			t.Fatal(err)
		}
	}
	msg := append([]byte("From: administrator@contoso.com\r\nTo: "+to+"\r\nSubject: every byte\r\nContent-Type: application/octet-stream\r\n\r\n"), body...)
	p := smtpclient.MailParams{Body: "8BITMIME", Size: int64(len(msg))}
	if binary {
		p.Body = "BINARYMIME"
	}
	res, err := c.Send("administrator@contoso.com", p, []string{to}, nil, msg)
	if err != nil || res.Final().Code != 250 {
		t.Fatalf("send: %+v %v", res, err)
	}
	c.Quit()
}

// Into a mailbox: client -> Front End (25) -> hub (2525) -> mailbox.
// BINARYMIME arrives byte for byte; 8BITMIME with DATA in its DATA form.
func TestEveryByteIntoTheMailbox(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Submitter: withTransport})
	for i, binary := range []bool{true, false} {
		sendThrough(t, e.Addr(25), binary, "", "administrator@contoso.com", awkwardBody())
		var got []string
		if !enginetest.WaitFor(t, 15*time.Second, func() bool {
			got = mailbox(t, e.Store, "administrator@contoso.com")
			return len(got) == i+1
		}) {
			t.Fatalf("%d messages delivered", len(got))
		}
		want := awkwardBody()
		if !binary {
			want = dataForm(want)
		}
		if body := bodyOf([]byte(got[i])); !bytes.Equal(body, want) {
			t.Errorf("binary=%v: the body changed on its way:\n got %q\nwant %q", binary, body, want)
		}
	}
}

// Out through a send connector, directly from the hub and through the
// Outbound Proxy Frontend: to a sink that offers BINARYMIME and CHUNKING
// (BDAT, byte for byte) and to one that knows DATA only (8BITMIME in its
// DATA form; BINARYMIME content is refused with 554 5.6.1, not altered).
func TestEveryByteThroughASendConnector(t *testing.T) {
	for _, proxied := range []bool{false, true} {
		t.Run(fmt.Sprintf("FrontendProxyEnabled=%v", proxied), func(t *testing.T) {
			chunking := startByteSink(t)
			dataOnly := startDataOnlySink(t)
			cred, err := mail.NewServerCredential(mail.ServerAccount("CONTOSO", "EX01"))
			if err != nil {
				t.Fatal(err)
			}
			e := enginetest.Start(t, enginetest.Options{
				Credential: cred,
				Prepare: func(tx state.Tx) error {
					for name, port := range map[string]int{"chunking.fabrikam.com": chunking.port, "dataonly.fabrikam.com": dataOnly.port} {
						sc := toSmartHost(name, name, port)
						sc.FrontendProxyEnabled = proxied
						if err := tx.PutSendConnector(sc); err != nil {
							return err
						}
					}
					return nil
				},
				Submitter: transportWith(cred, nil),
			})
			const admin = "administrator@contoso.com"
			sendThrough(t, e.Addr(587), true, admin, "user@chunking.fabrikam.com", awkwardBody())
			sendThrough(t, e.Addr(587), false, admin, "user@chunking.fabrikam.com", awkwardBody())
			sendThrough(t, e.Addr(587), false, admin, "user@dataonly.fabrikam.com", awkwardBody())
			sendThrough(t, e.Addr(587), true, admin, "user@dataonly.fabrikam.com", awkwardBody())

			if !enginetest.WaitFor(t, 20*time.Second, func() bool { return len(chunking.got()) == 2 && len(dataOnly.got()) == 1 }) {
				t.Fatalf("the sinks got %d and %d messages", len(chunking.got()), len(dataOnly.got()))
			}
			byBody := map[string][]byte{}
			for _, m := range chunking.got() {
				byBody[m.body] = m.data
			}
			if got := byBody["BINARYMIME"]; !bytes.Equal(bodyOf(got), awkwardBody()) {
				t.Errorf("BINARYMIME with BDAT changed:\n got %q\nwant %q", bodyOf(got), awkwardBody())
			}
			if got := byBody["8BITMIME"]; !bytes.Equal(bodyOf(got), dataForm(awkwardBody())) {
				t.Errorf("8BITMIME with BDAT changed:\n got %q\nwant %q", bodyOf(got), dataForm(awkwardBody()))
			}
			if m := dataOnly.got()[0]; m.body != "8BITMIME" || !bytes.Equal(bodyOf(m.data), dataForm(awkwardBody())) {
				t.Errorf("8BITMIME with DATA (BODY=%s) changed:\n got %q\nwant %q", m.body, bodyOf(m.data), dataForm(awkwardBody()))
			}
			// The binary message for the DATA-only host comes back to the
			// sender as an NDR.
			var ndr string
			if !enginetest.WaitFor(t, 20*time.Second, func() bool {
				for _, m := range mailbox(t, e.Store, admin) {
					if strings.Contains(m, "5.6.1") {
						ndr = m
						return true
					}
				}
				return false
			}) {
				t.Fatal("no NDR for the binary message to the DATA-only host")
			}
			if !strings.Contains(ndr, "Body type not supported by Remote Host") {
				t.Errorf("NDR:\n%s", ndr)
			}
		})
	}
}

// byteSink is a go-smtp server with BINARYMIME and CHUNKING that records
// each message's BODY and bytes.
type byteSink struct {
	port int
	mu   sync.Mutex
	msgs []sunkBytes
}

type sunkBytes struct {
	body string
	data []byte
}

func (s *byteSink) got() []sunkBytes {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkBytes(nil), s.msgs...)
}

func startByteSink(t *testing.T) *byteSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &byteSink{port: ln.Addr().(*net.TCPAddr).Port}
	srv := smtp.NewServer(s)
	srv.Domain = "mx.fabrikam.com"
	srv.EnableBINARYMIME = true
	srv.ErrorLog = quietLog{}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *byteSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &byteSinkSession{s: s}, nil }

type byteSinkSession struct {
	s    *byteSink
	body string
}

func (ss *byteSinkSession) Mail(_ string, o *smtp.MailOptions) error {
	ss.body = ""
	if o != nil {
		ss.body = string(o.Body)
	}
	return nil
}
func (ss *byteSinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *byteSinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, sunkBytes{body: ss.body, data: b})
	ss.s.mu.Unlock()
	return nil
}
func (ss *byteSinkSession) Reset()        {}
func (ss *byteSinkSession) Logout() error { return nil }

// startDataOnlySink is a loopback SMTP server that offers 8BITMIME but no
// CHUNKING (go-smtp's server always offers CHUNKING): DATA only. It takes
// every message and undoes the dot-stuffing, nothing else.
func startDataOnlySink(t *testing.T) *byteSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &byteSink{port: ln.Addr().(*net.TCPAddr).Port}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(30 * time.Second))
				s.serve(bufio.NewReader(conn), conn)
			}()
		}
	}()
	return s
}

func (s *byteSink) serve(r *bufio.Reader, w io.Writer) {
	say := func(line string) { io.WriteString(w, line+"\r\n") }
	say("220 dataonly.fabrikam.com ESMTP")
	body := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimRight(line, "\r\n"))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-dataonly.fabrikam.com\r\n250-8BITMIME\r\n250-SIZE\r\n250 ENHANCEDSTATUSCODES")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			body = ""
			if i := strings.Index(cmd, " BODY="); i >= 0 {
				body, _, _ = strings.Cut(cmd[i+6:], " ")
			}
			say("250 2.1.0 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			say("250 2.1.5 OK")
		case cmd == "DATA":
			say("354 Go ahead")
			var data []byte
			for {
				l, err := r.ReadBytes('\n')
				if err != nil {
					return
				}
				if string(l) == ".\r\n" {
					break
				}
				data = append(data, bytes.TrimPrefix(l, []byte("."))...)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, sunkBytes{body: body, data: data})
			s.mu.Unlock()
			say("250 2.0.0 OK: queued")
		case cmd == "QUIT":
			say("221 2.0.0 Bye")
			return
		default:
			say("250 2.0.0 OK")
		}
	}
}
