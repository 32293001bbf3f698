package all_test

import (
	"strings"
	"testing"
	"time"

	"exsh/cmdlets/cmdlettest"
	"exsh/engine/backend/backendtest"
	"exsh/engine/enginetest"
	"exsh/state"
)

// In an organisation of two servers each has its own Transport service
// settings: a shell on EX01 changes EX02's, and only EX02's engine
// follows them.
func TestTransportServicePerServer(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01, ex02 := nodes[0], nodes[1]
	sh := newOrgShell(t, ex01)
	out := sh.OK(`Get-TransportService | Format-Table Name,MessageTrackingLogPath -AutoSize`)
	cmdlettest.Contains(t, "Get-TransportService", out, "EX01", "EX02", ex01.DataPath, ex02.DataPath)

	sh.OK(`Set-TransportService EX02 -MessageTrackingLogEnabled $false -MessageRetryInterval 00:01:00`)
	out = sh.OK(`Get-TransportService | ForEach-Object { $_.Name + " " + $_.MessageTrackingLogEnabled + " " + $_.MessageRetryInterval }`)
	cmdlettest.Contains(t, "Get-TransportService after Set-TransportService EX02", out, "EX01 True 00:15:00", "EX02 False 00:01:00")
	if !enginetest.WaitFor(t, 10*time.Second, func() bool {
		return !ex02.Service.Transport().Tracking().Enabled()
	}) {
		t.Fatal("EX02's Transport service still tracks messages")
	}
	if !ex01.Service.Transport().Tracking().Enabled() {
		t.Error("EX01's Transport service stopped tracking messages on EX02's setting")
	}
	if err := ex02.Store.View(func(tx state.Tx) error {
		hub, err := tx.TransportService("EX01", "Hub")
		if err == nil && (!hub.MessageTrackingLogEnabled || hub.MessageRetryInterval != 15*time.Minute) {
			t.Errorf("EX01's settings changed: %+v", hub)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	_, errs := sh.Run(`Set-TransportService EX03 -MessageRetryInterval 00:01:00`)
	if !strings.Contains(errs, "The operation couldn't be performed because object 'EX03' couldn't be found on") {
		t.Errorf("Set-TransportService EX03: %q", errs)
	}
}
