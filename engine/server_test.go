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

	"github.com/emersion/go-smtp"

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

	c, err := smtp.Dial(net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.Map(25))))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Hello("nas.contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("synology@exchangelabs.nl", []string{"administrator@contoso.com"}, strings.NewReader("Subject: through the server\r\n\r\nhello\r\n")); err != nil {
		t.Fatalf("the Front End refused the message: %v", err)
	}
	c.Quit()
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
