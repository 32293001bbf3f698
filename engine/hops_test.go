package engine_test

import (
	"strings"
	"testing"

	"exsh/engine/enginetest"
	"exsh/state"
)

// MaxLocalHopCount (5 on the default connectors) counts the Received:
// fields added by this server; more than that is a mail loop. Hops through
// other servers count only against MaxHopCount (60). The hub checks again
// with the Front End's own line added, so mail entering on 25 may carry
// four local hops.
func TestMaxLocalHopCount(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	local := "Received: from EX01.contoso.com (127.0.0.1) by EX01.contoso.com (127.0.0.1)\r\n with Microsoft SMTP Server id 15.2.1118.7; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	other := "Received: from mx.fabrikam.com (192.0.2.1) by mx.tailspintoys.com (192.0.2.2); Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	send := func(d *enginetest.Dialog, header, want string) {
		t.Helper()
		d.Do("MAIL FROM:<chris@fabrikam.com>", "250 2.1.0 Sender OK")
		d.Do("RCPT TO:<administrator@contoso.com>", "250 2.1.5 Recipient OK")
		d.Do("DATA", "~^354")
		d.Raw(header + "Subject: loop\r\n\r\nx\r\n.\r\n")
		d.Expect(want)
	}
	d := enginetest.Dial(t, e.Addr(25))
	d.Expect(anonymousBanner)
	d.Do("EHLO mx.fabrikam.com", "~^250 CHUNKING$")
	send(d, strings.Repeat(local, 4)+strings.Repeat(other, 20), `~^250 2\.6\.0 `)
	send(d, strings.Repeat(local, 5), "554 5.4.6 Hop count exceeded - possible mail loop") // at the hub
	send(d, strings.Repeat(local, 6), "554 5.4.6 Hop count exceeded - possible mail loop")
	send(d, strings.Repeat(other, 61), "554 5.4.6 Hop count exceeded - possible mail loop")
	if n := len(e.Recorder.Submissions()); n != 1 {
		t.Errorf("%d messages reached the hub, want 1", n)
	}

	// 0 turns the check off (here on both hops).
	e.Update(func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		rc.MaxLocalHopCount = 0
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
		hub, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
		if err != nil {
			return err
		}
		hub.MaxLocalHopCount = 0
		return tx.PutReceiveConnector(hub)
	})
	d = enginetest.Dial(t, e.Addr(25))
	d.Expect(anonymousBanner)
	d.Do("EHLO mx.fabrikam.com", "~^250 CHUNKING$")
	send(d, strings.Repeat(local, 30), `~^250 2\.6\.0 `)
}
