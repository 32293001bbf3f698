package transport

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"exsh/state"
)

// DNS routing with a stubbed MX lookup (tests never query real DNS).
func TestDNSRoutingUsesMX(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	e.stopTransport()
	e.tr = e.newTransport()
	e.tr.cfg.LookupMX = func(ctx context.Context, domain string) ([]*net.MX, error) {
		switch domain {
		case "fabrikam.com":
			return []*net.MX{{Host: "127.0.0.1.", Pref: 10}}, nil
		}
		return nil, errors.New("server misbehaving")
	}
	if err := e.tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, nil, s.port, nil)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com", "user@tailspintoys.com"}, "dns")
	e.waitFor("sink", func() bool { return len(s.got()) == 1 })
	var q QueueInfo
	e.waitFor("retry for the other domain", func() bool {
		qs, _ := e.tr.Queues()
		for _, x := range qs {
			if x.NextHopDomain == "tailspintoys.com" && x.Status == "Retry" {
				q = x
				return true
			}
		}
		return false
	})
	if q.DeliveryType != state.DeliveryDnsConnector || q.LastError != "451 4.4.0 DNS query failed" {
		t.Errorf("queue %+v", q)
	}
}

// Without a resolver a DNS-routed connector makes no lookup at all: its
// queue waits in Retry with a LastError that says to use smart hosts.
func TestNoResolverNoLookup(t *testing.T) {
	e := newEnv(t)
	e.stopTransport()
	e.tr = e.newTransport()
	e.tr.cfg.LookupMX = nil
	if err := e.tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, nil, 25, nil)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "no dns")
	var q QueueInfo
	e.waitFor("retry", func() bool {
		qs, _ := e.tr.Queues()
		for _, x := range qs {
			if x.NextHopDomain == "fabrikam.com" && x.Status == "Retry" {
				q = x
				return true
			}
		}
		return false
	})
	if q.LastError != NoDNSStatus || !strings.Contains(q.LastError, "smart hosts") {
		t.Errorf("queue %+v", q)
	}
}
