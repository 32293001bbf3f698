package mail

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/engine/transport"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// server is the whole Exchange server of a lab: the receive side
// (engine.Service) and the Transport service, as cmd/exsh runs them.
type server struct {
	*engine.Service
	tr *transport.Transport
}

func (s server) Transport() *transport.Transport { return s.tr }

// newServer starts a set-up organisation on free loopback ports.
func newServer(t *testing.T) (*cmdlets.Deps, *server) {
	t.Helper()
	dir := t.TempDir()
	st, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := setup.Run(st, setup.Options{DataPath: dir, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	tr, err := transport.New(st, transport.Config{ServerName: "EX01", Fqdn: "EX01.contoso.com", DataPath: dir, SweepInterval: time.Hour,
		LookupMX: func(context.Context, string) ([]*net.MX, error) { return nil, errors.New("no DNS in tests") }})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Free loopback ports, picked again when another process takes one
	// before the engine listens on it.
	ports := &enginetest.PortMap{}
	svc, err := enginetest.StartService(ports, func() (*engine.Service, error) {
		return engine.New(st, engine.Options{DataPath: dir, PortMap: ports.Map, Submitter: tr})
	})
	if err != nil {
		tr.Stop(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		svc.Stop(ctx)
		tr.Stop(ctx)
	})
	srv := &server{Service: svc, tr: tr}
	return &cmdlets.Deps{Store: st, DataPath: dir, Engine: srv}, srv
}

func TestEndToEndSendToThisServer(t *testing.T) {
	d, _ := newServer(t)
	list := Cmdlets(d)
	send := find(t, list, "Send-MailMessage")

	// Anonymous mail to a mailbox of the organisation, through Default
	// Frontend on "port 25".
	rt, err := invoke(t, send, map[string]any{
		"From": "printer@contoso.com", "To": strs("administrator@contoso.com"), "Subject": "Scan 42",
		"Body": "See attachment.", "SmtpServer": "EX01", "Transcript": true,
	})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatalf("send: %v %v\n%s", err, rt.Errors, rt.Host.String())
	}
	if out := rt.Host.String(); !strings.Contains(out, "S: 220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at ") ||
		!strings.Contains(out, "Queued mail for delivery") {
		t.Errorf("transcript:\n%s", out)
	}

	get := find(t, list, "Get-MailboxMessage")
	var msg *object.PSObject
	deadline := time.Now().Add(10 * time.Second)
	for msg == nil {
		rt, err := invoke(t, get, map[string]any{"Identity": "Administrator"})
		if err != nil || len(rt.Errors) > 0 {
			t.Fatalf("Get-MailboxMessage: %v %v", err, rt.Errors)
		}
		for _, o := range rt.Objects {
			if s, _ := o.(*object.PSObject).Get("Subject"); s == "Scan 42" {
				msg = o.(*object.PSObject)
			}
		}
		if msg == nil {
			if time.Now().After(deadline) {
				t.Fatal("message not delivered")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	rcv, _ := msg.Get("Received")
	if n := len(rcv.([]any)); n < 2 {
		t.Errorf("Received chain has %d hops: %v", n, rcv)
	}
	if b, _ := msg.Get("Body"); b != "See attachment." {
		t.Errorf("Body %q", b)
	}

	// Authenticated submission on Client Frontend after STARTTLS, trusting
	// the organisation's self-signed certificate.
	rt, err = invoke(t, send, map[string]any{
		"From": "administrator@contoso.com", "To": strs("administrator@contoso.com"), "Subject": "Over TLS",
		"SmtpServer": "EX01.contoso.com", "Port": 587, "UseSsl": true, "Transcript": true,
		"Credential": &interp.Credential{UserName: `CONTOSO\Administrator`, Password: &interp.SecureString{Plain: setup.DefaultAdministratorPassword}},
	})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatalf("587 with TLS and AUTH: %v %v\n%s", err, rt.Errors, rt.Host.String())
	}
	if out := rt.Host.String(); !strings.Contains(out, "=== TLS negotiated") || !strings.Contains(out, "S: 235 2.7.0 Authentication successful") {
		t.Errorf("transcript:\n%s", out)
	}

	// The refusals below are tarpitted (TarpitInterval, 5 s): run them
	// side by side.
	t.Run("refused", func(t *testing.T) {
		t.Run("relay", func(t *testing.T) {
			t.Parallel()
			// Anonymous relay to a domain that isn't accepted.
			rt, _ := invoke(t, send, map[string]any{
				"From": "printer@contoso.com", "To": strs("chris@fabrikam.com"), "Subject": "Scan 43", "SmtpServer": "localhost",
			})
			var e *interp.ErrorRecord
			if len(rt.Errors) != 1 || !errors.As(rt.Errors[0], &e) ||
				e.Message != "Mailbox unavailable. The server response was: 5.7.54 SMTP; Unable to relay recipient in non-accepted domain" {
				t.Errorf("relay: %v", rt.Errors)
			}
		})
		t.Run("client frontend", func(t *testing.T) {
			t.Parallel()
			// Client Frontend wants authentication.
			rt, _ := invoke(t, send, map[string]any{
				"From": "administrator@contoso.com", "To": strs("administrator@contoso.com"), "Subject": "x",
				"SmtpServer": "ex01.contoso.com", "Port": 587,
			})
			if len(rt.Errors) != 1 || !strings.HasPrefix(rt.Errors[0].Error(),
				"The SMTP server requires a secure connection or the client was not authenticated. The server response was: 5.7.57") {
				t.Errorf("587 anonymous: %v", rt.Errors)
			}
		})
	})
}

// The port the engine prints at startup is no Exchange port: it is dialled
// as given, not translated a second time.
func TestEndToEndSendToTheListeningPort(t *testing.T) {
	d, srv := newServer(t)
	send := find(t, Cmdlets(d), "Send-MailMessage")
	rt, err := invoke(t, send, map[string]any{
		"From": "printer@contoso.com", "To": strs("administrator@contoso.com"), "Subject": "Scan 43",
		"Body": "See attachment.", "SmtpServer": "127.0.0.1", "Port": srv.ListenPort(25), "Transcript": true,
	})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatalf("send: %v %v\n%s", err, rt.Errors, rt.Host.String())
	}
	if out := rt.Host.String(); !strings.Contains(out, "Queued mail for delivery") {
		t.Errorf("transcript:\n%s", out)
	}
}
