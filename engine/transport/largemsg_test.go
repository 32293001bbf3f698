package transport

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"exsh/state"
)

// oldMailboxHeaders is the mailbox form built the simple way, copy by
// copy; mailboxMessage must give the same bytes.
func (t *Transport) oldMailboxHeaders(m *state.QueuedMessage, data []byte, now time.Time) []byte {
	ip := m.ServerIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	received := t.mailboxReceived(ip, nil, data, now)
	data = stripOrgHeaders(data)
	org := []string{
		"X-MS-Exchange-Organization-Network-Message-Id: " + m.NetworkMessageId,
		"X-MS-Exchange-Organization-AuthSource: " + t.cfg.Fqdn,
		"X-MS-Exchange-Organization-AuthAs: " + m.AuthAs,
		fmt.Sprintf("X-MS-Exchange-Organization-SCL: %d", m.SCL),
		"X-MS-Exchange-Organization-OriginalArrivalTime: " + originalArrivalTime(m.DateReceived),
		"X-MS-Exchange-Organization-MessageDirectionality: " + m.Directionality,
		fmt.Sprintf("X-MS-Exchange-Organization-OriginalSize: %d", m.Size),
		fmt.Sprintf("X-MS-Exchange-Organization-TotalRecipientCount: %d", len(m.Recipients)),
		"X-MS-Exchange-Organization-Recipient-Limit-Verified: True",
		"X-MS-Exchange-Forest-ArrivalHubServer: " + t.cfg.Fqdn,
	}
	if m.OriginalClientIP != "" {
		org = append(org, "X-MS-Exchange-Organization-OriginalClientIPAddress: "+m.OriginalClientIP)
	}
	if m.ServerIP != "" {
		org = append(org, "X-MS-Exchange-Organization-OriginalServerIPAddress: "+m.ServerIP)
	}
	return append([]byte(received), insertAtHeaderEnd(data, org)...)
}

var headerShapes = []string{
	"Subject: hi\r\nFrom: A <a@b.c>\r\n\r\nbody\r\n",
	"Subject: hi\r\nX-MS-Exchange-Organization-SCL: 5\r\n continued\r\nX-MS-Exchange-Forest-Foo: x\r\nTo: b@c.d\r\n\r\nX-MS-Exchange-Organization-InBody: stays\r\n",
	"X-MS-Exchange-Organization-SCL: 5\r\n\r\nonly org fields\r\n",
	"Subject: lf only\n\nbody\n",
	"Subject: mixed\nTo: x@y.z\r\n\r\nbody\r\n",
	"Subject: header only\r\n",
	"Subject: no newline at all",
	"\r\nno header at all\r\n",
	"\nlf no header\n",
	"",
	"Subject: empty body\r\n\r\n",
	"Message-ID: <a@b>\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n\r\nhas both\r\n",
}

// Submit stores the fields it adds beside the data (prepareInsert); the
// parts put together are what prepareMessage builds, and mailbox delivery
// from the parts gives the same bytes as from the whole message.
func TestMailboxMessageFromParts(t *testing.T) {
	tr := &Transport{cfg: Config{Fqdn: "EX01.contoso.com"}, build: "15.2.1118.7"}
	m := &state.QueuedMessage{NetworkMessageId: state.NewGuid(), AuthAs: "Anonymous", Directionality: "Incoming",
		DateReceived: epoch, Size: 42, ServerIP: "127.0.0.1", OriginalClientIP: "192.0.2.1",
		Recipients: []state.QueuedRecipient{{Address: "a@contoso.com"}}}
	for _, in := range headerShapes {
		data := []byte(in)
		whole, _ := prepareMessage(data, "EX01.contoso.com", epoch)
		at, insert, _ := prepareInsert(data, "EX01.contoso.com", epoch)
		joined := string(data[:at]) + string(insert) + string(data[at:])
		// prepareMessage and prepareInsert draw their own Message-ID.
		idRE := func(s string) string { return guidRE.ReplaceAllString(s, "GUID") }
		if idRE(joined) != idRE(string(whole)) {
			t.Errorf("%q: parts give %q, prepareMessage %q", in, joined, whole)
		}
		want := tr.oldMailboxHeaders(m, []byte(joined), epoch)
		if got := tr.mailboxMessage(m, nil, []byte(joined), epoch); !bytes.Equal(got, want) {
			t.Errorf("%q whole:\n got %q\nwant %q", in, got, want)
		}
		head := append(append([]byte(nil), data[:at]...), insert...)
		if got := tr.mailboxMessage(m, head, data[at:], epoch); !bytes.Equal(got, want) {
			t.Errorf("%q from parts:\n got %q\nwant %q", in, got, want)
		}
		// Any other cut of the message, too.
		for cut := 0; cut <= len(joined); cut++ {
			if got := tr.mailboxMessage(m, []byte(joined[:cut]), []byte(joined[cut:]), epoch); !bytes.Equal(got, want) {
				t.Errorf("%q cut at %d:\n got %q\nwant %q", in, cut, got, want)
				break
			}
		}
	}
}

// totalAlloc is the bytes allocated so far by the whole process.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// A large message costs about one copy of itself to queue (bbolt's page
// buffer at commit) and about two to deliver into a mailbox (the stored
// form, then bbolt's page buffer), and arrives intact with the fields
// Submit added.
func TestLargeMessageCopies(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 60 MiB")
	}
	e := newEnv(t)
	e.addMailbox("big", "big@contoso.com")
	// The organisation's 10 MB limits would NDR it; an admin raises them.
	e.setTransportConfig(func(c *state.TransportConfig) { c.MaxReceiveSize, c.MaxSendSize = state.Unlimited, state.Unlimited })
	const size = 30 << 20
	line := strings.Repeat("0123456789abcdef", 63) + "\r\n"
	var msg bytes.Buffer
	msg.WriteString("Received: from a (127.0.0.1) by b (127.0.0.1); Fri, 27 Nov 2026 09:00:00 +0000\r\nFrom: <big@fabrikam.com>\r\nSubject: big\r\n\r\n")
	for msg.Len() < size {
		msg.WriteString(line)
	}
	data := msg.Bytes()
	sub := testSubmission("big@fabrikam.com", []string{"big@contoso.com"}, "big")
	sub.Data = data

	if err := e.tr.SuspendQueue(`EX01\Submission`); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	before := totalAlloc()
	rc, err := e.tr.Submit(sub)
	if err != nil {
		t.Fatal(err)
	}
	queued := float64(totalAlloc()-before) / float64(len(data))
	t.Logf("Submit of a %d MiB message allocated %.2fx its size", size>>20, queued)
	if queued > 1.5 {
		t.Errorf("Submit allocated %.2fx the message size, want about 1 (bbolt's page buffer)", queued)
	}

	runtime.GC()
	before = totalAlloc()
	if err := e.tr.ResumeQueue(`EX01\Submission`); err != nil {
		t.Fatal(err)
	}
	e.waitFor("delivery", func() bool { return len(e.mailbox("big@contoso.com")) == 1 })
	delivered := float64(totalAlloc()-before) / float64(len(data))
	t.Logf("categorising and delivering it allocated %.2fx its size", delivered)
	if delivered > 2.5 {
		t.Errorf("delivery allocated %.2fx the message size, want about 2", delivered)
	}

	got, err := e.tr.MailboxItemData(e.mailbox("big@contoso.com")[0])
	if err != nil {
		t.Fatal(err)
	}
	hdr, rest := splitHeader(nil, got)
	if !bytes.Contains(hdr, []byte("\r\nMessage-ID: "+rc.MessageID+"\r\n")) || !bytes.Contains(hdr, []byte("\r\nDate: ")) {
		t.Errorf("the delivered header lacks the added fields:\n%s", hdr)
	}
	_, body := splitHeader(nil, data)
	if !bytes.Equal(rest[0], body[0]) {
		t.Error("the delivered body differs from the submitted one")
	}
}
