package engine_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"exsh/engine/enginetest"
)

// A BINARYMIME message (BDAT, bare LFs, NULs, every byte value) reaches
// the mailbox through the Front End and the hub byte for byte.
func TestBinaryMIMEThroughTheFrontEnd(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Submitter: withTransport})
	var body strings.Builder
	body.WriteString("Subject: binary\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
	for i := 0; i < 256; i++ {
		body.WriteByte(byte(i))
	}
	body.WriteString("\nbare LF\n.\nlone dot line\r\n.\r\nend")
	msg := body.String()
	d := enginetest.Dial(t, e.Addr(25))
	d.Expect(anonymousBanner)
	d.Do("EHLO mta.fabrikam.com", "~^250 ")
	d.Do("MAIL FROM:<mta@fabrikam.com> BODY=BINARYMIME RET=HDRS ENVID=QQ+2B314159", "250 2.1.0 Sender OK")
	d.Do("RCPT TO:<administrator@contoso.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;administrator@contoso.com", "250 2.1.5 Recipient OK")
	d.Raw(fmt.Sprintf("BDAT %d LAST\r\n", len(msg)) + msg)
	d.Expect("~^250 2\\.6\\.0 ")
	d.Do("QUIT", "~^221")

	var got []string
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		got = mailbox(t, e.Store, "administrator@contoso.com")
		return len(got) == 1
	}) {
		t.Fatalf("%d messages delivered", len(got))
	}
	_, content, _ := strings.Cut(msg, "\r\n\r\n")
	_, delivered, _ := strings.Cut(got[0], "\r\n\r\n")
	if delivered != content {
		t.Errorf("the body changed on its way:\n got %q\nwant %q", delivered, content)
	}
	// The proxy hop went with BDAT and kept the DSN parameters.
	dir := filepath.Join(e.DataPath, "TransportRoles", "Logs", "FrontEnd", "ProtocolLog", "SmtpSend")
	wants := []*regexp.Regexp{
		regexp.MustCompile(`>,MAIL FROM:<mta@fabrikam\.com> BODY=BINARYMIME SIZE=\d+ RET=HDRS ENVID=QQ\+2B314159,`),
		regexp.MustCompile(`>,"RCPT TO:<administrator@contoso\.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;administrator@contoso\.com",`),
		regexp.MustCompile(`>,BDAT \d+ LAST,`),
	}
	var send string
	if !enginetest.WaitFor(t, 5*time.Second, func() bool {
		send = readLogs(dir)
		for _, w := range wants {
			if !w.MatchString(send) {
				return false
			}
		}
		return true
	}) {
		t.Errorf("the Front End's send log lacks the BDAT transaction:\n%s", send)
	}
}
