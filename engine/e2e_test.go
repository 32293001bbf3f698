package engine_test

import (
	"context"
	"crypto/tls"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// withTransport runs the real Transport service behind the hub connectors.
func withTransport(st *boltdb.Store, dataPath string, ports func(int) int) (mail.Submitter, func()) {
	return transportWith(mail.ServerCredential{}, nil)(st, dataPath, ports)
}

// transportWith is withTransport with the server credential the receive
// side shares; out, when not nil, gets the Transport service.
func transportWith(cred mail.ServerCredential, out **transport.Transport) func(*boltdb.Store, string, func(int) int) (mail.Submitter, func()) {
	return func(st *boltdb.Store, dataPath string, ports func(int) int) (mail.Submitter, func()) {
		tr, err := transport.New(st, transport.Config{ServerName: "EX01", Fqdn: "EX01.contoso.com", DataPath: dataPath, PortMap: ports, Credential: cred})
		if err != nil {
			panic(err)
		}
		if err := tr.Start(context.Background()); err != nil {
			panic(err)
		}
		if out != nil {
			*out = tr
		}
		return tr, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tr.Stop(ctx)
		}
	}
}

// mailbox returns the raw messages delivered to a recipient.
func mailbox(t *testing.T, st *boltdb.Store, addr string) []string {
	t.Helper()
	var guid string
	if err := st.View(func(tx state.Tx) error {
		r, err := tx.RecipientByAddress(addr)
		if err != nil {
			return err
		}
		guid = r.Guid
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var out []string
	err := st.QueueView(func(q state.QueueTx) error {
		items, err := q.MailboxItems(guid)
		if err != nil {
			return err
		}
		for _, it := range items {
			data, err := q.MailboxItemData(guid, it.Id)
			if err != nil {
				return err
			}
			out = append(out, string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// End to end: anonymous on 25 and authenticated on 587, through the real
// Transport service into the Administrator mailbox, with every hop's
// Received: line (the seed article's Figure 2).
func TestEndToEndDelivery(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Submitter: withTransport})
	d := enginetest.Dial(t, e.Addr(25))
	d.Script(`
		S: ` + anonymousBanner + `
		C: EHLO nas.contoso.com
		S: ~^250
		C: MAIL FROM:<synology@exchangelabs.nl>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<administrator@contoso.com>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: ~^354
		C: Subject: anonymous
		C:
		C: from the NAS
		C: .
		S: ~^250 2\.6\.0 <[^>]+> \[InternalId=\d+, Hostname=EX01\.contoso\.com\] Queued mail for delivery$
		C: QUIT
		S: ~^221
	`)

	c, err := smtp.DialStartTLS(e.Addr(587), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Hello("laptop")
	if err := c.Auth(sasl.NewLoginClient("administrator@contoso.com", setup.DefaultAdministratorPassword)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("administrator@contoso.com", []string{"administrator@contoso.com"}, strings.NewReader("Subject: to myself\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Quit()

	var msgs []string
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		msgs = mailbox(t, e.Store, "administrator@contoso.com")
		return len(msgs) == 2
	}) {
		t.Fatalf("%d messages delivered", len(msgs))
	}
	for _, m := range msgs {
		var hops []string
		for _, ln := range strings.Split(m, "\r\n") {
			if strings.HasPrefix(ln, "Received: ") {
				hops = append(hops, ln)
			}
		}
		t.Logf("received chain:\n%s", strings.Join(hops, "\n"))
		if strings.Contains(m, "Subject: anonymous") {
			// Mailbox Transport, hub, Front End.
			if len(hops) != 3 || !strings.Contains(m, "via Frontend Transport") || !strings.Contains(m, "via Mailbox Transport") {
				t.Errorf("anonymous message hops:\n%s", m)
			}
		} else {
			// Mailbox Transport, hub (naming the client); no Front End line.
			if len(hops) != 2 || !regexp.MustCompile(`(?m)^Received: from laptop \(127\.0\.0\.1\) by EX01\.contoso\.com`).MatchString(m) || strings.Contains(m, "via Frontend Transport") {
				t.Errorf("submitted message hops:\n%s", m)
			}
		}
	}
}

// An unknown recipient in the authoritative domain is accepted at RCPT;
// the NDR comes from the categorizer.
func TestUnknownRecipientAccepted(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Submitter: withTransport})
	d := enginetest.Dial(t, e.Addr(25))
	d.Script(`
		S: ~^220
		C: HELO x
		S: ~^250
		C: MAIL FROM:<administrator@contoso.com>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<nobody@contoso.com>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: ~^354
		C: Subject: to nobody
		C:
		C: .
		S: ~^250 2\.6\.0
	`)
	var msgs []string
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		msgs = mailbox(t, e.Store, "administrator@contoso.com")
		return len(msgs) == 1
	}) {
		t.Fatalf("no NDR in the sender's mailbox (%d messages)", len(msgs))
	}
	if !strings.Contains(msgs[0], "5.1.1") {
		t.Errorf("NDR:\n%s", msgs[0])
	}
}
