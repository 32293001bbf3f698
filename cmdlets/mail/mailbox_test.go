package mail

import (
	"errors"
	"strings"
	"testing"
	"time"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/boltdb"
)

func openStore(t *testing.T) *boltdb.Store {
	t.Helper()
	st, err := boltdb.OpenDataPath(t.TempDir(), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.InitQueues(time.Now()); err != nil {
		t.Fatal(err)
	}
	return st
}

const ndr = "Received: from EX01.contoso.com (127.0.0.1) by EX01.contoso.com (127.0.0.1) with Microsoft SMTP Server id 15.2.1118.7; Fri, 27 Nov 2026 10:00:02 +0000\r\n" +
	"From: Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>\r\n" +
	"To: chris@contoso.com\r\n" +
	"Subject: Undeliverable: Hello\r\n" +
	"Message-ID: <ndr1@EX01.contoso.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nDelivery has failed to these recipients or groups:\r\n\r\nann@fabrikam.com\r\n" +
	"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns;EX01.contoso.com\r\n\r\nFinal-recipient: rfc822;ann@fabrikam.com\r\nAction: failed\r\nStatus: 5.4.1\r\n" +
	"--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: chris@contoso.com\r\nSubject: Hello\r\n\r\nHi\r\n" +
	"--b1--\r\n"

const plainMsg = "Received: from EX01.contoso.com (127.0.0.1) by EX01.contoso.com (127.0.0.1) with Microsoft SMTP Server id 15.2.1118.7; Fri, 27 Nov 2026 09:00:02 +0000\r\n" +
	"Received: from WS01 (127.0.0.56) by EX01.contoso.com (127.0.0.1) with Microsoft SMTP Server id 15.2.1118.7; Fri, 27 Nov 2026 09:00:01 +0000\r\n" +
	"From: Michelle <michelle@contoso.com>\r\n" +
	"To: chris@contoso.com, ann@contoso.com\r\n" +
	"Subject: =?utf-8?B?R3LDvMOfZQ==?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"Hello Chris\r\n"

func TestGetMailboxMessage(t *testing.T) {
	st := openStore(t)
	var chris, user *state.Recipient
	err := st.Update(func(tx state.Tx) error {
		chris = &state.Recipient{Name: "Chris Green", Alias: "chris", PrimarySmtpAddress: "chris@contoso.com",
			EmailAddresses: []string{"SMTP:chris@contoso.com"}, RecipientType: "UserMailbox", UserPrincipalName: "chris@contoso.com", SamAccountName: "chris"}
		if err := tx.PutRecipient(chris); err != nil {
			return err
		}
		user = &state.Recipient{Name: "svc", Alias: "svc", RecipientType: "User", UserPrincipalName: "svc@contoso.com", SamAccountName: "svc"}
		return tx.PutRecipient(user)
	})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 9, 0, 2, 0, time.UTC)
	err = st.QueueUpdate(func(q state.QueueTx) error {
		if err := q.Deliver(&state.MailboxItem{Mailbox: chris.Guid, ReceivedTime: t0, From: "michelle@contoso.com", Subject: "Grüße", MessageId: "<m1@EX01.contoso.com>"}, []byte(plainMsg)); err != nil {
			return err
		}
		return q.Deliver(&state.MailboxItem{Mailbox: chris.Guid, ReceivedTime: t0.Add(time.Hour), From: "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com", Subject: "Undeliverable: Hello"}, []byte(ndr))
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := find(t, Cmdlets(&cmdlets.Deps{Store: st, Mailboxes: StoreMailboxes(st)}), "Get-MailboxMessage")

	for _, ident := range []any{"chris", "Chris Green", "chris@contoso.com", chris.Guid, object.New("x").Add("Identity", "chris")} {
		rt, err := invoke(t, cmd, map[string]any{"Identity": ident})
		if err != nil || len(rt.Errors) > 0 {
			t.Fatalf("%v: %v %v", ident, err, rt.Errors)
		}
		if len(rt.Objects) != 2 {
			t.Fatalf("%v: %d objects", ident, len(rt.Objects))
		}
		first := rt.Objects[0].(*object.PSObject)
		if s, _ := first.Get("Subject"); s != "Undeliverable: Hello" {
			t.Errorf("newest first: got %v", s)
		}
	}

	rt, _ := invoke(t, cmd, map[string]any{"Identity": "chris", "ResultSize": "1"})
	if len(rt.Objects) != 1 || len(rt.Warnings) != 0 {
		t.Fatalf("ResultSize 1: %d objects, warnings %v", len(rt.Objects), rt.Warnings)
	}
	ndrObj := rt.Objects[0].(*object.PSObject)
	body, _ := ndrObj.Get("Body")
	if !strings.HasPrefix(body.(string), "Delivery has failed to these recipients or groups:") || !strings.Contains(body.(string), "Status: 5.4.1") {
		t.Errorf("NDR body %q", body)
	}
	if att, _ := ndrObj.Get("Attachments"); len(att.([]any)) != 1 || att.([]any)[0] != "Hello.eml" {
		t.Errorf("NDR attachments %v", att)
	}

	rt, _ = invoke(t, cmd, map[string]any{"Identity": "chris@contoso.com"})
	m := rt.Objects[1].(*object.PSObject)
	want := map[string]any{
		"Identity": `chris\1`,
		"Mailbox":  "Chris Green",
		"From":     "Michelle <michelle@contoso.com>",
		"Subject":  "Grüße",
		"Body":     "Hello Chris",
	}
	for k, v := range want {
		if got, _ := m.Get(k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if rcv, _ := m.Get("Received"); len(rcv.([]any)) != 2 || !strings.HasPrefix(rcv.([]any)[1].(string), "from WS01 (127.0.0.56)") {
		t.Errorf("Received %v", rcv)
	}
	if to, _ := m.Get("To"); len(to.([]any)) != 2 {
		t.Errorf("To %v", to)
	}
	if size, _ := m.Get("Size"); size.(state.ByteSize) != state.ByteSize(len(plainMsg)) {
		t.Errorf("Size %v", size)
	}
	if h, _ := m.Get("Headers"); !strings.HasSuffix(h.(string), "Content-Type: text/plain; charset=us-ascii") {
		t.Errorf("Headers %q", h)
	}

	// Every mailbox.
	rt, _ = invoke(t, cmd, nil)
	if len(rt.Objects) != 2 {
		t.Errorf("all mailboxes: %d", len(rt.Objects))
	}

	// An account without a mailbox, and nothing at all.
	for _, ident := range []string{"svc", "nobody"} {
		rt, _ = invoke(t, cmd, map[string]any{"Identity": ident})
		var e *interp.ErrorRecord
		if len(rt.Errors) != 1 || !errors.As(rt.Errors[0], &e) ||
			e.Message != "The operation couldn't be performed because object '"+ident+"' couldn't be found on 'EX01.contoso.com'." {
			t.Errorf("%s: %v", ident, rt.Errors)
		}
	}

	_, err = invoke(t, cmd, map[string]any{"Identity": "chris", "ResultSize": "0"})
	if err == nil || !strings.Contains(err.Error(), "The value must be a positive number or Unlimited.") {
		t.Errorf("ResultSize 0: %v", err)
	}
}
