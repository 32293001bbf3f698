package setup_test

import (
	"regexp"
	"testing"

	"exsh/state"
	"exsh/state/setup"
	"exsh/state/statetest"
)

// A server added to an organisation gets its own record, its five
// default receive connectors and its own mailbox database; adding it
// again only brings its address up to date.
func TestAddServer(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	add := func(ip string, offset int) {
		t.Helper()
		if err := setup.AddServer(st, setup.Options{ServerName: "EX02", DataPath: "/data/ex02", IPAddress: ip, PortOffset: offset}); err != nil {
			t.Fatal(err)
		}
	}
	add("127.0.0.12", 10000)
	add("127.0.0.12", 10000)
	add("127.0.0.22", 20000)
	statetest.View(t, st, func(tx state.Tx) error {
		s, err := tx.Server("EX02")
		if err != nil {
			t.Fatal(err)
		}
		if s.Fqdn != "EX02.contoso.com" || s.IPAddress != "127.0.0.22" || s.PortOffset != 20000 || !s.IsHubTransportServer {
			t.Errorf("EX02 = %+v", s)
		}
		rcs, err := tx.ReceiveConnectors()
		if err != nil {
			t.Fatal(err)
		}
		mine := 0
		for _, rc := range rcs {
			if rc.Server == "EX02" {
				mine++
			}
		}
		if len(rcs) != 10 || mine != 5 {
			t.Errorf("%d connectors, %d of EX02", len(rcs), mine)
		}
		if _, err := tx.ReceiveConnectorByName("EX02", "Default Frontend EX02"); err != nil {
			t.Error(err)
		}
		dbs, err := tx.MailboxDatabases()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, db := range dbs {
			if db.Server == "EX02" {
				names = append(names, db.Name)
				if db.EdbFilePath != "/data/ex02/Mailbox/"+db.Name+"/"+db.Name+".edb" {
					t.Errorf("EX02's database file: %s", db.EdbFilePath)
				}
			}
		}
		if len(dbs) != 2 || len(names) != 1 || !regexp.MustCompile(`^Mailbox Database \d{10}$`).MatchString(names[0]) {
			t.Errorf("databases: %d, EX02's: %v", len(dbs), names)
		}
		return nil
	})
}

// A server cannot be added to a store without an organisation.
func TestAddServerNeedsOrganisation(t *testing.T) {
	st := statetest.MustOpen(t)
	if err := setup.AddServer(st, setup.Options{ServerName: "EX02"}); err == nil {
		t.Error("AddServer without an organisation succeeded")
	}
}
