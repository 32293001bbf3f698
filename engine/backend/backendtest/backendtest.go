// Package backendtest runs an organisation of several servers in one test
// process: over stores that share one organisation (state/etcd members
// opened by the test), each server gets its records, its transport engine
// on free loopback ports and its management channel (engine/backend).
package backendtest

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/engine"
	"exsh/engine/backend"
	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/state"
	"exsh/state/etcd"
	"exsh/state/etcd/etcdtest"
	"exsh/state/setup"
)

// Node is one running server of the organisation.
type Node struct {
	Name     string // "EX01"
	DataPath string
	Store    state.ServerStore
	Service  *engine.Service
	Ports    *enginetest.PortMap
	// Channel serves the node's per-server data; Dialer reaches the
	// other nodes with the node's credential.
	Channel *backend.Server
	Dialer  *backend.Dialer
	// Database is the node's mailbox database; Mailbox a user mailbox
	// in it (bob2@contoso.com for EX02).
	Database string
	Mailbox  *state.Recipient
}

// Credentials accepts every node's credential: what each server of one
// organisation can check of the others'.
type Credentials []mail.ServerCredential

// Check reports whether one of the credentials matches.
func (cs *Credentials) Check(user, password string) bool {
	for _, c := range *cs {
		if c.Check(user, password) {
			return true
		}
	}
	return false
}

// Start makes an organisation of len(stores) servers, EX01 (the founder,
// set up on stores[0]) and EX02, EX03 ..., each with an IPAddress of
// 127.0.0.1 and a port offset that puts its channel on a free port, its
// five receive connectors, its transport services' records, a mailbox
// database and a mailbox. stores share one organisation; dirs are their
// data paths. Everything stops when the test ends.
func Start(t testing.TB, stores []state.ServerStore, dirs []string) []*Node {
	t.Helper()
	if err := setup.Run(stores[0], setup.Options{DataPath: dirs[0], PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	nodes := make([]*Node, len(stores))
	for i := range stores {
		n := &Node{Name: fmt.Sprintf("EX%02d", i+1), DataPath: dirs[i], Store: stores[i], Ports: &enginetest.PortMap{}}
		nodes[i] = n
		offset := enginetest.FreePort() - backend.Port
		err := stores[0].Update(func(tx state.Tx) error { return addServer(tx, n, i, offset) })
		if err != nil {
			t.Fatal(err)
		}
	}
	// Every replica has every server before any engine starts.
	for _, n := range nodes {
		if !enginetest.WaitFor(t, 10*time.Second, func() bool {
			err := n.Store.View(func(tx state.Tx) error {
				_, err := tx.Server(nodes[len(nodes)-1].Name)
				return err
			})
			return err == nil
		}) {
			t.Fatalf("%s's replica did not get the organisation's servers", n.Name)
		}
	}
	creds := &Credentials{}
	for _, n := range nodes {
		svc, err := enginetest.StartService(n.Ports, func() (*engine.Service, error) {
			return engine.NewServer(n.Store, engine.Options{DataPath: n.DataPath, PortMap: n.Ports.Map, ServerName: n.Name},
				transport.Config{SweepInterval: time.Hour})
		})
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		n.Service = svc
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			svc.Stop(ctx)
		})
		*creds = append(*creds, svc.Credential())
	}
	for _, n := range nodes {
		n.Channel = StartChannel(t, n, creds)
		n.Dialer = &backend.Dialer{Store: n.Store, Credential: n.Service.Credential()}
		t.Cleanup(n.Dialer.Close)
	}
	return nodes
}

// StartChannel starts n's management channel where its record says, with
// check as the credential checker; it is closed when the test ends.
func StartChannel(t testing.TB, n *Node, check backend.Checker) *backend.Server {
	t.Helper()
	var srv *state.ExchangeServer
	if err := n.Store.View(func(tx state.Tx) error {
		var err error
		srv, err = tx.Server(n.Name)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tr := n.Service.Transport()
	ch, err := backend.Listen(backend.Config{
		Addr:      backend.Addr(srv),
		Store:     n.Store,
		Check:     check,
		Queues:    tr,
		Tracking:  tr.Tracking(),
		Mailboxes: StoreMailboxes{n.Store},
		// Tests that refuse a logon need not wait Exchange's 5 seconds.
		FailedLogonDelay: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("%s's channel: %v", n.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ch.Close(ctx)
	})
	return ch
}

// addServer writes node i's records: the founder's server record gets
// its address; a new server gets its record, receive connectors, mailbox
// database and a mailbox.
func addServer(tx state.Tx, n *Node, i, offset int) error {
	org, err := tx.Org()
	if err != nil {
		return err
	}
	n.Database = fmt.Sprintf("Mailbox Database %010d", 1000000000+i+1)
	if i == 0 {
		srv, err := tx.Server(org.ServerName)
		if err != nil {
			return err
		}
		srv.IPAddress, srv.PortOffset = "127.0.0.1", offset
		if err := tx.PutServer(srv); err != nil {
			return err
		}
		dbs, err := tx.MailboxDatabases()
		if err != nil || len(dbs) == 0 {
			return fmt.Errorf("the founder's mailbox database: %v", err)
		}
		n.Database = dbs[0].Name
		n.Mailbox, err = tx.RecipientByName("Administrator")
		return err
	}
	founder, err := tx.Server(org.ServerName)
	if err != nil {
		return err
	}
	srv := *founder
	srv.Name, srv.Fqdn, srv.Guid, srv.Identity, srv.DistinguishedName = n.Name, n.Name+"."+org.DomainName, "", "", ""
	srv.IPAddress, srv.PortOffset = "127.0.0.1", offset
	if err := tx.PutServer(&srv); err != nil {
		return err
	}
	cert, err := tx.Certificate()
	if err != nil {
		return err
	}
	for _, rc := range setup.DefaultReceiveConnectors(&srv, cert.TlsCertificateName()) {
		rc.TarpitInterval, rc.AuthTarpitInterval = 0, 0
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
	}
	db := &state.MailboxDatabase{
		Name: n.Database, Server: n.Name, ReplicationType: "None",
		EdbFilePath:   filepath.Join(n.DataPath, "Mailbox", n.Database, n.Database+".edb"),
		LogFolderPath: filepath.Join(n.DataPath, "Mailbox", n.Database), IsMailboxDatabase: true, Mounted: true,
	}
	if err := tx.PutMailboxDatabase(db); err != nil {
		return err
	}
	if err := setup.AddTransportServices(tx, n.Name, n.DataPath); err != nil {
		return err
	}
	alias := fmt.Sprintf("bob%d", i+1)
	n.Mailbox = setup.NewMailboxDefaults(alias, alias, org, &srv, db)
	return tx.PutRecipient(n.Mailbox)
}

// StoreMailboxes reads the mailboxes of a server's own store.
type StoreMailboxes struct{ St state.QueueStore }

// MailboxItems lists a mailbox's items.
func (s StoreMailboxes) MailboxItems(mailbox string) (out []*state.MailboxItem, err error) {
	err = s.St.QueueView(func(q state.QueueTx) error {
		out, err = q.MailboxItems(mailbox)
		return err
	})
	return out, err
}

// MailboxItemData returns one item's message.
func (s StoreMailboxes) MailboxItemData(mailbox string, id int64) (out []byte, err error) {
	err = s.St.QueueView(func(q state.QueueTx) error {
		out, err = q.MailboxItemData(mailbox, id)
		return err
	})
	return out, err
}

// StartOnEtcd is Start for n servers on n members of a new etcd cluster,
// each with its own store (its replica in its own data path).
func StartOnEtcd(t testing.TB, n int) []*Node {
	t.Helper()
	members := etcdtest.StartMembers(t, n)
	var stores []state.ServerStore
	var dirs []string
	for _, m := range members {
		dir := t.TempDir()
		stores = append(stores, etcdtest.Open(t, m, dir, etcd.Options{}))
		dirs = append(dirs, dir)
	}
	return Start(t, stores, dirs)
}

// Submit hands n's Transport service a message from the Internet for to,
// as its Default receive connector would.
func Submit(t testing.TB, n *Node, to, subject string) *mail.Receipt {
	t.Helper()
	data := "From: synology@exchangelabs.nl\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\nhello\r\n"
	rc, err := n.Service.Transport().Submit(&mail.Submission{
		ConnectorIdentity: n.Name + `\Default ` + n.Name,
		ClientIP:          netip.MustParseAddr("127.0.0.1"), ServerIP: netip.MustParseAddr("127.0.0.1"),
		ClientHostname: "client", ServerHostname: n.Name + ".contoso.com",
		Sender: "synology@exchangelabs.nl", Recipients: []string{to},
		ReceivedAt: time.Now(), Data: []byte(data), Direction: "Incoming",
	})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}
