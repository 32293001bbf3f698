package org

import (
	"testing"
	"time"

	"exsh/state/setup"
)

func TestTransportServices(t *testing.T) {
	l := newLab(t)
	r := l.ok("Get-TransportService")
	o := r.obj(0)
	if propText(t, o, "MessageExpirationTimeout") != "2.00:00:00" || propText(t, o, "Name") != "EX01" {
		t.Errorf("hub %v", o)
	}
	l.ok("Set-TransportService", "Identity", "EX01", "MessageRetryInterval", time.Minute, "MessageExpirationTimeout", 30*time.Minute, "MaxOutboundConnections", "unlimited")
	o = l.ok("Get-TransportService", "Identity", "EX01").obj(0)
	if propText(t, o, "MessageRetryInterval") != "00:01:00" || propText(t, o, "MaxOutboundConnections") != "Unlimited" {
		t.Errorf("after Set %v", o)
	}
	wantErrContains(t, l.fails("Set-TransportService", "Identity", "EX01", "PoisonThreshold", 11), "The 11 argument is greater than the maximum allowed range of 10.")
	wantErrContains(t, l.fails("Set-TransportService", "Identity", "EX01", "MessageRetryInterval", 2*time.Hour), "MessageRetryInterval (02:00:00) can't be greater than MessageExpirationTimeout (00:30:00).")
	wantErr(t, l.fails("Get-TransportService", "Identity", "EX99"), "The operation couldn't be performed because object 'EX99' couldn't be found on 'EX01.contoso.com'.")

	fe := l.ok("Get-FrontendTransportService").obj(0)
	if _, ok := fe.Get("MessageExpirationTimeout"); ok {
		t.Error("Front End shows hub-only settings")
	}
	l.ok("Set-FrontendTransportService", "Identity", "EX01", "ReceiveProtocolLogMaxAge", 7*24*time.Hour)
	if got := propText(t, l.ok("Get-FrontendTransportService").obj(0), "ReceiveProtocolLogMaxAge"); got != "7.00:00:00" {
		t.Errorf("ReceiveProtocolLogMaxAge %s", got)
	}
	if _, ok := l.cmds["set-frontendtransportservice"]; !ok {
		t.Fatal("missing")
	}
	for _, p := range l.cmds["set-frontendtransportservice"].Params {
		if p.Name == "MessageExpirationTimeout" {
			t.Error("Set-FrontendTransportService offers a hub-only parameter")
		}
	}
}

func TestServerDatabaseCertificate(t *testing.T) {
	l := newLab(t)
	o := l.ok("Get-ExchangeServer").obj(0)
	if propText(t, o, "Name") != "EX01" || propText(t, o, "Fqdn") != "EX01.contoso.com" {
		t.Errorf("server %v", o)
	}
	l.ok("Get-ExchangeServer", "Identity", "ex01.contoso.com")
	wantErr(t, l.fails("Get-ExchangeServer", "Identity", "EX02"), "The operation couldn't be performed because object 'EX02' couldn't be found on 'EX01.contoso.com'.")
	db := l.ok("Get-MailboxDatabase").obj(0)
	if propText(t, db, "Server") != "EX01" {
		t.Errorf("database %v", db)
	}
	l.ok("Get-MailboxDatabase", "Identity", propText(t, db, "Name"))
	cert := l.ok("Get-ExchangeCertificate").obj(0)
	if propText(t, cert, "Thumbprint") == "" {
		t.Errorf("certificate %v", cert)
	}
	if _, ok := cert.Get("KeyPEM"); ok {
		t.Error("the private key is shown")
	}
	l.ok("Get-ExchangeCertificate", "Thumbprint", propText(t, cert, "Thumbprint"))
}

// In an organisation of several servers Get-ExchangeServer shows whether
// each server runs; a single server's objects have no ServerState.
func TestExchangeServerState(t *testing.T) {
	l := newLab(t)
	if _, ok := l.ok("Get-ExchangeServer").obj(0).Get("ServerState"); ok {
		t.Error("a single server has a ServerState")
	}
	if err := setup.AddServer(l.store, setup.Options{ServerName: "EX02", IPAddress: "127.0.0.12"}); err != nil {
		t.Fatal(err)
	}
	for _, down := range []string{"", "EX02"} {
		l.deps.Alive = func(server string) bool { return server != down }
		r := l.ok("Get-ExchangeServer")
		if len(r.objs) != 2 {
			t.Fatalf("%d servers", len(r.objs))
		}
		for i := range r.objs {
			o := r.obj(i)
			want := "Up"
			if propText(t, o, "Name") == down {
				want = "Down"
			}
			if got := propText(t, o, "ServerState"); got != want {
				t.Errorf("%s is %s with %q down, want %s", propText(t, o, "Name"), got, down, want)
			}
		}
	}
}
