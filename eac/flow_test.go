package eac

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"exsh/state/setup"
)

// TestMapEvents reads the map's event stream: the counts at once, a new
// event after an SMTP session, and the end of the stream at sign out.
func TestMapEvents(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	_, token := l.signIn(t, c, `CONTOSO\Administrator`, setup.DefaultAdministratorPassword)
	res, err := c.Get(l.url + "/ecp/mailflowmap/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan flowData, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var d flowData
				if err := json.Unmarshal([]byte(data), &d); err != nil {
					t.Errorf("event data %q: %v", data, err)
					return
				}
				events <- d
			}
		}
	}()
	next := func(what string) flowData {
		t.Helper()
		select {
		case d, ok := <-events:
			if !ok {
				t.Fatalf("%s: the stream ended", what)
			}
			return d
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no event", what)
		}
		return flowData{}
	}
	first := next("first event")
	if _, ok := first.Connectors[`EX01\Default Frontend EX01`]; !ok {
		t.Fatalf("first event has no Default Frontend EX01: %+v", first)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", l.ports.Map(25))
	if err := sendMail(addr, "printer@contoso.com", "administrator@contoso.com", "toner"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		d := next("after the SMTP session")
		if d.Connectors[`EX01\Default Frontend EX01`].Messages == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no count within two seconds: %+v", d.Connectors)
		}
	}
	// Sign out ends the stream.
	res2, err := c.PostForm(l.url+"/ecp/logoff.aspx", url.Values{"canary": {token}})
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the event stream goes on after sign out")
		}
	}
}
