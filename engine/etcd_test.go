package engine_test

import (
	"bufio"
	"context"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/engine/transport"
	"exsh/state"
	"exsh/state/etcd"
	"exsh/state/etcd/etcdtest"
	"exsh/state/setup"
)

// The engine runs on the organisation kept in etcd (state/etcd) as it
// does on a single server's bbolt store: mail is queued and delivered in
// the server's own store, and a change committed through etcd is in
// effect for the next session.
func TestNewServerOnEtcd(t *testing.T) {
	dir := t.TempDir()
	m := etcdtest.StartMembers(t, 1)[0]
	st := etcdtest.Open(t, m, dir, etcd.Options{})
	if err := setup.Run(st, setup.Options{DataPath: dir, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}

	ports := &enginetest.PortMap{}
	svc, err := enginetest.StartService(ports, func() (*engine.Service, error) {
		return engine.NewServer(st, engine.Options{DataPath: dir, PortMap: ports.Map}, transport.Config{SweepInterval: time.Hour})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		svc.Stop(ctx)
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.Map(25)))

	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("synology@exchangelabs.nl", []string{"administrator@contoso.com"}, strings.NewReader("Subject: over etcd\r\n\r\nhello\r\n")); err != nil {
		t.Fatalf("the Front End refused the message: %v", err)
	}
	c.Quit()
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		var admin *state.Recipient
		n := 0
		st.View(func(tx state.Tx) error {
			admin, err = tx.RecipientByAddress("administrator@contoso.com")
			return err
		})
		if admin == nil {
			return false
		}
		st.QueueView(func(q state.QueueTx) error {
			items, err := q.MailboxItems(admin.Guid)
			n = len(items)
			return err
		})
		return n == 1
	}) {
		t.Fatal("the message was not delivered")
	}

	// A change through etcd reaches the running engine.
	err = st.Update(func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		rc.Banner = "220 Shared organisation"
		return tx.PutReceiveConnector(rc)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !enginetest.WaitFor(t, 2*time.Second, func() bool {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(time.Second))
		line, err := textproto.NewReader(bufio.NewReader(conn)).ReadLine()
		return err == nil && strings.HasPrefix(line, "220 Shared organisation")
	}) {
		t.Error("the new banner was not in effect within 2 s")
	}
}
