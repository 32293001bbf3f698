package engine_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"exsh/engine"
	"exsh/engine/enginetest"
)

// TestSessionEnd checks the session-end report: one per session, with the
// connector, the binding, the client, the messages accepted and the last
// refusal.
func TestSessionEnd(t *testing.T) {
	env := enginetest.Start(t, enginetest.Options{})
	var mu sync.Mutex
	var got []engine.SessionEnd
	env.Service.OnSessionEnd(func(e engine.SessionEnd) {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	})
	frontEnd := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range got {
			if e.Connector == "Default Frontend EX01" {
				return true
			}
		}
		return false
	}

	d := enginetest.Dial(t, env.Addr(25))
	d.Expect("~^220 ")
	d.Do("EHLO client.fabrikam.lab", "~^250 ")
	d.Do("MAIL FROM:<a@fabrikam.lab>", "250 2.1.0 Sender OK")
	d.Do("RCPT TO:<someone@example.net>", "~^550 5.7.54 ")
	d.Do("RCPT TO:<administrator@contoso.com>", "250 2.1.5 Recipient OK")
	d.Do("DATA", "~^354 ")
	d.Raw("Subject: hi\r\n\r\nbody\r\n.\r\n")
	d.Expect("~^250 ")
	d.Do("QUIT", "~^221 ")
	if !enginetest.WaitFor(t, 5*time.Second, frontEnd) {
		t.Fatalf("no session-end report for Default Frontend EX01: %+v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	var fe *engine.SessionEnd
	for i := range got {
		if got[i].Connector == "Default Frontend EX01" {
			fe = &got[i]
		}
	}
	if fe == nil {
		t.Fatalf("no report for Default Frontend EX01 in %+v", got)
	}
	if fe.Identity != `EX01\Default Frontend EX01` || fe.Role != "FrontendTransport" || fe.Remote != "127.0.0.1" || fe.Accepted != 1 ||
		!strings.HasPrefix(fe.Refusal, "550 5.7.54") || !strings.HasSuffix(fe.Binding, ":25") {
		t.Errorf("report = %+v", *fe)
	}
}
