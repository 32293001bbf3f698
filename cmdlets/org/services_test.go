package org

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"exsh/state"
	"exsh/state/setup"
	"exsh/state/statetest"
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

// Each server of an organisation has its own Transport, Front End
// Transport and Mailbox Transport settings: Get- shows one object per
// server, each with its own log paths; Set- changes only the server it
// names.
func TestTransportServicesPerServer(t *testing.T) {
	l := newLab(t)
	ex02Data := filepath.Join(t.TempDir(), "ex02")
	statetest.Update(t, l.store, func(tx state.Tx) error {
		if err := tx.PutServer(&state.ExchangeServer{Name: "EX02", Fqdn: "EX02.contoso.com"}); err != nil {
			return err
		}
		return setup.AddTransportServices(tx, "EX02", ex02Data)
	})
	for _, noun := range []string{"TransportService", "FrontendTransportService", "MailboxTransportService"} {
		r := l.ok("Get-" + noun)
		if len(r.objs) != 2 {
			t.Fatalf("Get-%s gave %d objects, want one per server", noun, len(r.objs))
		}
		for i, name := range []string{"EX01", "EX02"} {
			o := r.obj(i)
			if propText(t, o, "Name") != name || propText(t, o, "Identity") != name {
				t.Errorf("Get-%s object %d is %s (%s), want %s", noun, i, propText(t, o, "Name"), propText(t, o, "Identity"), name)
			}
			inEX02 := strings.HasPrefix(propText(t, o, "ReceiveProtocolLogPath"), ex02Data)
			if inEX02 != (name == "EX02") {
				t.Errorf("Get-%s %s: ReceiveProtocolLogPath %q", noun, name, propText(t, o, "ReceiveProtocolLogPath"))
			}
			if _, ok := o.Get("Server"); ok {
				t.Errorf("Get-%s shows a Server property", noun)
			}
		}
	}
	if got := propText(t, l.ok("Get-TransportService", "Identity", "ex02.contoso.com").obj(0), "MessageTrackingLogPath"); got != filepath.Join(ex02Data, "TransportRoles", "Logs", "MessageTracking") {
		t.Errorf("EX02's MessageTrackingLogPath %q", got)
	}

	l.ok("Set-TransportService", "Identity", "EX02", "MessageRetryInterval", time.Minute, "MessageTrackingLogPath", `D:\Logs\EX02`)
	l.ok("Set-FrontendTransportService", "Identity", "EX02", "ReceiveProtocolLogMaxAge", 7*24*time.Hour)
	l.ok("Set-MailboxTransportService", "Identity", "EX02", "MaxConcurrentMailboxDeliveries", 5)
	for _, tc := range []struct {
		noun, server, prop, want string
	}{
		{"TransportService", "EX02", "MessageRetryInterval", "00:01:00"},
		{"TransportService", "EX02", "MessageTrackingLogPath", `D:\Logs\EX02`},
		{"TransportService", "EX01", "MessageRetryInterval", "00:15:00"},
		{"TransportService", "EX01", "MessageTrackingLogPath", filepath.Join(filepath.Dir(l.store.Path()), "TransportRoles", "Logs", "MessageTracking")},
		{"FrontendTransportService", "EX02", "ReceiveProtocolLogMaxAge", "7.00:00:00"},
		{"FrontendTransportService", "EX01", "ReceiveProtocolLogMaxAge", "30.00:00:00"},
		{"MailboxTransportService", "EX02", "MaxConcurrentMailboxDeliveries", "5"},
		{"MailboxTransportService", "EX01", "MaxConcurrentMailboxDeliveries", "20"},
	} {
		if got := propText(t, l.ok("Get-"+tc.noun, "Identity", tc.server).obj(0), tc.prop); got != tc.want {
			t.Errorf("Get-%s %s: %s = %q, want %q", tc.noun, tc.server, tc.prop, got, tc.want)
		}
	}
	statetest.View(t, l.store, func(tx state.Tx) error {
		hub, err := tx.TransportService("EX02", "Hub")
		if err != nil || hub.MessageRetryInterval != time.Minute {
			t.Errorf("EX02's stored Hub: %v, %v", hub, err)
		}
		return nil
	})
	for _, noun := range []string{"Get-TransportService", "Set-TransportService", "Get-FrontendTransportService", "Set-MailboxTransportService"} {
		wantErr(t, l.fails(noun, "Identity", "EX03"), "The operation couldn't be performed because object 'EX03' couldn't be found on 'EX01.contoso.com'.")
	}
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

// In an organisation of several servers a receive connector's bare name
// finds it on whichever server has it; a name two servers use is
// ambiguous, and Server\Name picks one.
func TestReceiveConnectorNameAcrossServers(t *testing.T) {
	l := newLab(t)
	if err := setup.AddServer(l.store, setup.Options{ServerName: "EX02", IPAddress: "127.0.0.12"}); err != nil {
		t.Fatal(err)
	}
	r := l.ok("Get-ReceiveConnector", "Identity", "Default EX02")
	if got := propText(t, r.obj(0), "Identity"); got != `EX02\Default EX02` {
		t.Errorf("Identity %q", got)
	}
	l.ok("Set-ReceiveConnector", "Identity", "Default Frontend EX02", "Banner", "220 EX02 here")
	l.ok("New-ReceiveConnector", "Name", "Relay", "Usage", "Custom", "Bindings", "0.0.0.0:2526", "RemoteIPRanges", "10.0.0.1")
	l.ok("New-ReceiveConnector", "Name", "Relay", "Server", "EX02", "Usage", "Custom", "Bindings", "0.0.0.0:2526", "RemoteIPRanges", "10.0.0.1")
	wantErr(t, l.fails("Set-ReceiveConnector", "Identity", "Relay", "Banner", "220 x"), "The operation couldn't be performed because 'Relay' matches multiple entries.")
	if got := propText(t, l.ok("Get-ReceiveConnector", "Identity", `EX02\Relay`).obj(0), "Server"); got != "EX02" {
		t.Errorf(`EX02\Relay is on %q`, got)
	}
}

// A mailbox lives on its database's server: New-Mailbox -Database names
// another server's database, and without one it takes this server's.
func TestNewMailboxOnAnotherServersDatabase(t *testing.T) {
	l := newLab(t)
	if err := setup.AddServer(l.store, setup.Options{ServerName: "EX02", IPAddress: "127.0.0.12"}); err != nil {
		t.Fatal(err)
	}
	var ex02db string
	statetest.View(t, l.store, func(tx state.Tx) error {
		dbs, err := tx.MailboxDatabases()
		for _, db := range dbs {
			if db.Server == "EX02" {
				ex02db = db.Name
			}
		}
		return err
	})
	r := l.ok("New-Mailbox", "Name", "Bob", "Database", ex02db)
	if got := propText(t, r.obj(0), "ServerName"); got != "ex02" {
		t.Errorf("ServerName %q, want ex02", got)
	}
	r = l.ok("New-Mailbox", "Name", "Carol")
	if got := propText(t, r.obj(0), "ServerName"); got != "ex01" {
		t.Errorf("ServerName %q without -Database, want ex01", got)
	}
}
