package frontend

import (
	"path/filepath"
	"strings"
	"testing"

	"exsh/state"
	"exsh/state/setup"
	"exsh/state/statetest"
)

// Each server's snapshot holds its own Transport and Front End Transport
// settings, with logs under its own data path.
func TestLoadReadsTheServersOwnServices(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	ex02Data := filepath.Join(t.TempDir(), "ex02")
	statetest.Update(t, st, func(tx state.Tx) error {
		if err := tx.PutServer(&state.ExchangeServer{Name: "EX02", Fqdn: "EX02.contoso.com"}); err != nil {
			return err
		}
		if err := setup.AddTransportServices(tx, "EX02", ex02Data); err != nil {
			return err
		}
		fe, err := tx.TransportService("EX02", "FrontEnd")
		if err != nil {
			return err
		}
		fe.IntraOrgConnectorProtocolLoggingLevel = "None"
		return tx.PutTransportService(fe)
	})
	for _, tc := range []struct {
		server, want, intraOrg string
		ownData                bool
	}{
		{"", "EX01", "Verbose", false},
		{"EX01", "EX01", "Verbose", false},
		{"EX02", "EX02", "None", true},
	} {
		o, err := Load(st, tc.server)
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"Hub", "FrontEnd"} {
			ts := o.Services[kind]
			if ts == nil {
				t.Fatalf("Load(%q) has no %s service", tc.server, kind)
			}
			if ts.Server != tc.want || strings.HasPrefix(ts.ReceiveProtocolLogPath, ex02Data) != tc.ownData {
				t.Errorf("Load(%q) %s: server %s, ReceiveProtocolLogPath %q", tc.server, kind, ts.Server, ts.ReceiveProtocolLogPath)
			}
		}
		if got := o.Services["FrontEnd"].IntraOrgConnectorProtocolLoggingLevel; got != tc.intraOrg {
			t.Errorf("Load(%q) Front End IntraOrgConnectorProtocolLoggingLevel %s, want %s", tc.server, got, tc.intraOrg)
		}
	}
}

// The snapshot names the server of each mailbox database, by its name
// or Guid in any case, and none for a database the organisation lacks.
func TestLoadDatabaseServers(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	const guid = "5b0c3c1e-8f0e-4d7a-9c1e-2f3a4b5c6d7e"
	statetest.Update(t, st, func(tx state.Tx) error {
		return tx.PutMailboxDatabase(&state.MailboxDatabase{Name: "Mailbox Database 0987654321", Server: "EX02", Guid: guid})
	})
	o, err := Load(st, "")
	if err != nil {
		t.Fatal(err)
	}
	var own string
	statetest.View(t, st, func(tx state.Tx) error {
		dbs, err := tx.MailboxDatabases()
		for _, db := range dbs {
			if db.Server == "EX01" {
				own = db.Name
			}
		}
		return err
	})
	for _, tc := range []struct{ db, want string }{
		{own, "EX01"},
		{"mailbox database 0987654321", "EX02"},
		{guid, "EX02"},
		{"{" + strings.ToUpper(guid) + "}", "EX02"},
		{"Mailbox Database 1111111111", ""},
		{"", ""},
	} {
		if got := o.DatabaseServer(tc.db); got != tc.want {
			t.Errorf("DatabaseServer(%q) = %q, want %q", tc.db, got, tc.want)
		}
	}
	if own == "" {
		t.Error("EX01 has no mailbox database")
	}
}
