package engine_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/state/statetest"
)

// A Service made by NewServer runs its own Transport service: mail taken
// on port 25 is proxied to the hub with the shared server credential,
// queued and delivered; Stop stops the listeners, then the Transport
// service.
func TestNewServerRunsTheTransportService(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	dir := filepath.Dir(st.Path())
	ports := &enginetest.PortMap{}
	svc, err := enginetest.StartService(ports, func() (*engine.Service, error) {
		return engine.NewServer(st, engine.Options{DataPath: dir, PortMap: ports.Map}, transport.Config{SweepInterval: time.Hour})
	})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			svc.Stop(context.Background())
		}
	})
	tr := svc.Transport()
	if tr == nil {
		t.Fatal("no Transport service")
	}
	if err := svc.Start(context.Background()); !errors.Is(err, engine.ErrStarted) {
		t.Errorf("second Start: %v, want ErrStarted", err)
	}

	d := enginetest.Dial(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.Map(25))))
	d.Script(`
		S: ~^220
		C: EHLO nas.contoso.com
		S: ~^250
		C: MAIL FROM:<synology@exchangelabs.nl>
		S: 250 2.1.0 Sender OK
		C: RCPT TO:<administrator@contoso.com>
		S: 250 2.1.5 Recipient OK
		C: DATA
		S: ~^354
		C: Subject: through the server
		C:
		C: hello
		C: .
		S: ~^250 2\.6\.0 .* Queued mail for delivery$
		C: QUIT
		S: ~^221
	`)
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		msgs := mailbox(t, st, "administrator@contoso.com")
		return len(msgs) == 1 && strings.Contains(msgs[0], "Subject: through the server")
	}) {
		t.Fatal("the message was not delivered")
	}
	if qs, err := tr.Queues(); err != nil || len(qs) == 0 {
		t.Errorf("Queues: %v, %v", qs, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := svc.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	if _, err := tr.Submit(&mail.Submission{Sender: "a@contoso.com", Recipients: []string{"administrator@contoso.com"}, Data: []byte("Subject: late\r\n\r\nx\r\n")}); !errors.Is(err, transport.ErrStopped) {
		t.Errorf("Submit after Stop: %v, want the Transport service stopped", err)
	}
	if err := svc.Stop(ctx); !errors.Is(err, engine.ErrStopped) {
		t.Errorf("second Stop: %v, want ErrStopped", err)
	}
	if ok, _ := enginetest.TryDial(net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.Map(25)))); ok {
		t.Error("port 25 still listens after Stop")
	}
}

// A server's Submitter is its own Transport service.
func TestNewServerRefusesASubmitter(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	if _, err := engine.NewServer(st, engine.Options{Submitter: &enginetest.Recorder{}}, transport.Config{}); err == nil {
		t.Error("NewServer took a Submitter")
	}
}
