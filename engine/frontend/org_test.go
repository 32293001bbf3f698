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
