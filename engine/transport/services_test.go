package transport

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"exsh/state"
	"exsh/state/setup"
)

// A Transport service reads its own server's settings, never another
// server's: EX02's timers and intra-organisation logging level are
// EX02's, and changing them leaves EX01's alone.
func TestTransportReadsItsServersSettings(t *testing.T) {
	e := newEnv(t)
	ex02Data := filepath.Join(t.TempDir(), "ex02")
	update := func(fn func(tx state.Tx) error) {
		t.Helper()
		if err := e.st.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx state.Tx) error {
		if err := tx.PutServer(&state.ExchangeServer{Name: "EX02", Fqdn: "EX02.contoso.com"}); err != nil {
			return err
		}
		return setup.AddTransportServices(tx, "EX02", ex02Data)
	})
	ex02, err := New(e.st, Config{ServerName: "EX02", DataPath: ex02Data, Now: e.clock.Now, SweepInterval: time.Hour,
		LookupMX: func(ctx context.Context, domain string) ([]*net.MX, error) {
			return nil, errors.New("tests never use DNS")
		}})
	if err != nil {
		t.Fatal(err)
	}
	update(func(tx state.Tx) error {
		ts, err := tx.TransportService("EX02", "Hub")
		if err != nil {
			return err
		}
		ts.MessageRetryInterval, ts.PoisonThreshold, ts.MessageTrackingLogEnabled = time.Minute, 5, false
		ts.IntraOrgConnectorProtocolLoggingLevel = "Verbose"
		return tx.PutTransportService(ts)
	})
	s1, s2 := e.tr.settings(), ex02.settings()
	if s1.MessageRetryInterval != 15*time.Minute || s1.PoisonThreshold != 2 || !s1.TrackingEnabled {
		t.Errorf("EX01's settings %+v", s1)
	}
	if s2.MessageRetryInterval != time.Minute || s2.PoisonThreshold != 5 || s2.TrackingEnabled {
		t.Errorf("EX02's settings %+v", s2)
	}
	if got := e.tr.intraOrgConnector().ProtocolLoggingLevel; got != "None" {
		t.Errorf("EX01's intra-organisation connector logs at %s, want None", got)
	}
	if got := ex02.intraOrgConnector().ProtocolLoggingLevel; got != "Verbose" {
		t.Errorf("EX02's intra-organisation connector logs at %s, want Verbose", got)
	}
	update(func(tx state.Tx) error {
		ts, err := tx.TransportService("EX01", "Hub")
		if err != nil {
			return err
		}
		ts.MessageRetryInterval = 2 * time.Minute
		return tx.PutTransportService(ts)
	})
	if s1, s2 := e.tr.settings(), ex02.settings(); s1.MessageRetryInterval != 2*time.Minute || s2.MessageRetryInterval != time.Minute {
		t.Errorf("after changing EX01's: EX01 retries after %v, EX02 after %v", s1.MessageRetryInterval, s2.MessageRetryInterval)
	}
}
