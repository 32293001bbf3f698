package enginetest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"exsh/engine"
	"exsh/state/statetest"
)

// A port picked for a binding and then taken by someone else before the
// engine listens gets a new one: the engine ends up listening on every
// binding, and never on the taken port.
func TestStartServiceRepicksTakenPort(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	ports := &PortMap{}
	taken := ports.Map(25)
	other, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(taken)))
	if err != nil {
		t.Skipf("cannot take the picked port: %v", err)
	}
	defer other.Close()
	sink := FreePort()
	ports.Set(2525, sink) // given with Set: kept even when taken
	hold, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(sink)))
	if err != nil {
		t.Skipf("cannot take the sink port: %v", err)
	}
	defer hold.Close()

	builds := 0
	svc, err := StartService(ports, func() (*engine.Service, error) {
		builds++
		return engine.New(st, engine.Options{PortMap: ports.Map})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil && !errors.Is(err, engine.ErrStopped) {
			t.Errorf("stopping the engine: %v", err)
		}
	})
	if builds != 2 {
		t.Errorf("engine built %d times, want 2 (one new port)", builds)
	}
	if got := svc.ListenPort(25); got == taken {
		t.Errorf("binding port 25 still on the taken port %d", got)
	}
	if got := svc.ListenPort(2525); got != sink {
		t.Errorf("binding port 2525 on %d, want the port it was given, %d", got, sink)
	}
	for _, ep := range svc.Endpoints() {
		// Only the sink's own address is taken: 127.0.0.1, where
		// 0.0.0.0:2525 listens.
		wantErr := ep.Connector == "Default EX01" && ep.Binding == "0.0.0.0:2525"
		if gotErr := ep.Listen == ""; gotErr != wantErr {
			t.Errorf("%s %s: listens on %q (%v)", ep.Connector, ep.Binding, ep.Listen, ep.Err)
		}
	}
	d := Dial(t, "127.0.0.1:"+strconv.Itoa(svc.ListenPort(25)))
	d.Expect(`~^220 EX01\.contoso\.com `)
}
