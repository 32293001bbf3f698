package transport

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// Only a port one of this server's receive connectors is bound to is
// translated (-PortOffset); a smart host on any other loopback port is
// reached exactly there.
func TestSmartHostPortIsUsedAsGiven(t *testing.T) {
	e := newEnv(t)
	e.stopTransport()
	tr, err := New(e.st, Config{ServerName: "EX01", DataPath: e.dir, Now: e.clock.Now, SweepInterval: time.Hour,
		PortMap: func(p int) int { return p + 10000 },
		LookupMX: func(ctx context.Context, domain string) ([]*net.MX, error) {
			return nil, errors.New("tests never use DNS")
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.tr = tr

	lo := netip.MustParseAddr("127.0.0.1")
	for _, tt := range []struct {
		port int
		want string
	}{
		{25, "127.0.0.1:10025"},    // Default Frontend
		{2525, "127.0.0.1:12525"},  // Default
		{7999, "127.0.0.1:7999"},   // nothing of this server
		{10025, "127.0.0.1:10025"}, // the listening port itself
	} {
		if got := tr.target("[127.0.0.1]", lo, tt.port).addr; got != tt.want {
			t.Errorf("port %d: dialled %s, want %s", tt.port, got, tt.want)
		}
	}
	if got := tr.target("10.0.0.5", netip.MustParseAddr("10.0.0.5"), 25).addr; got != "10.0.0.5:25" {
		t.Errorf("another host's port 25 became %s", got)
	}

	s := newSink(t, "")
	e.addSendConnector("Sink", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, nil)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "to the sink")
	e.waitFor("sink", func() bool { return len(s.got()) == 1 })
}
