// Package storetest is the test suite every implementation of state.Store
// passes: the organisation's records, indexes and uniqueness rules,
// all-or-nothing updates, subscriptions, raw buckets, closing, and
// concurrent changes that must never lose one another. A backend's tests
// call Run with a function that opens a new, empty store.
package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"exsh/state"
	"exsh/state/setup"
	"exsh/state/statetest"
)

// Opener opens a new, empty store for one test and arranges for it to be
// checked and closed at the test's cleanup (closing twice must be
// harmless: the suite closes some stores itself).
type Opener func(t *testing.T) state.Store

// Run runs the suite, each test on a store of its own.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"ReceiveConnectorCRUD", testReceiveConnectorCRUD},
		{"Uniqueness", testUniqueness},
		{"RecipientLookups", testRecipientLookups},
		{"AcceptedDomainSingleDefault", testAcceptedDomainSingleDefault},
		{"ADPermissionOrderAndMove", testADPermissionOrderAndMove},
		{"UpdateIsAllOrNothing", testUpdateIsAllOrNothing},
		{"Subscribe", testSubscribe},
		{"ReadOnlyTx", testReadOnlyTx},
		{"RawBucket", testRawBucket},
		{"Closed", testClosed},
		{"TransportConfigAndComponentStates", testTransportConfigAndComponentStates},
		{"TransportServicesPerServer", testTransportServicesPerServer},
		{"RecordsAreCopies", testRecordsAreCopies},
		{"ConcurrentUpdates", testConcurrentUpdates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// openSetUp opens a store and runs setup on it (EX01, contoso.com).
func openSetUp(t *testing.T, open Opener) state.Store {
	t.Helper()
	st := open(t)
	statetest.SetUp(t, st)
	return st
}

func testReceiveConnectorCRUD(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	rc := statetest.NewConnector("EX01", "Anonymous Relay")
	statetest.Update(t, st, func(tx state.Tx) error { return tx.PutReceiveConnector(rc) })
	if !state.IsGuid(rc.Guid) {
		t.Fatalf("Put did not assign a Guid: %q", rc.Guid)
	}
	if rc.Identity != `EX01\Anonymous Relay` || rc.Id != rc.Identity {
		t.Errorf("Identity = %q, Id = %q", rc.Identity, rc.Id)
	}
	if !strings.HasPrefix(rc.DistinguishedName, "CN=Anonymous Relay,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,") {
		t.Errorf("DistinguishedName = %q", rc.DistinguishedName)
	}
	statetest.View(t, st, func(tx state.Tx) error {
		got, err := tx.ReceiveConnectorByName("ex01", "ANONYMOUS RELAY")
		if err != nil {
			return err
		}
		if got.Guid != rc.Guid || got.ObjectCategory != "contoso.com/Configuration/Schema/ms-Exch-Smtp-Receive-Connector" {
			t.Errorf("by name: %+v", got)
		}
		byGuid, err := tx.ReceiveConnector(strings.ToUpper("{" + rc.Guid + "}"))
		if err != nil || byGuid.Name != "Anonymous Relay" {
			t.Errorf("by braced upper-case Guid: %v, %v", byGuid, err)
		}
		all, err := tx.ReceiveConnectors()
		if err != nil {
			return err
		}
		var names []string
		for _, c := range all {
			names = append(names, c.Name)
		}
		want := "Default EX01,Client Proxy EX01,Default Frontend EX01,Outbound Proxy Frontend EX01,Client Frontend EX01,Anonymous Relay"
		if got := strings.Join(names, ","); got != want {
			t.Errorf("ReceiveConnectors order:\n got %s\nwant %s", got, want)
		}
		return nil
	})

	// Rename: the old name is free again, identity and DN follow.
	statetest.Update(t, st, func(tx state.Tx) error {
		rc.Name = "Relay"
		return tx.PutReceiveConnector(rc)
	})
	statetest.View(t, st, func(tx state.Tx) error {
		if _, err := tx.ReceiveConnectorByName("EX01", "Anonymous Relay"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("old name after rename: %v", err)
		}
		got, err := tx.ReceiveConnectorByName("EX01", "Relay")
		if err != nil {
			return err
		}
		if got.Identity != `EX01\Relay` || !strings.HasPrefix(got.DistinguishedName, "CN=Relay,") {
			t.Errorf("after rename: %q %q", got.Identity, got.DistinguishedName)
		}
		return nil
	})

	// Delete cascades to the connector's ADPermission entries.
	statetest.Update(t, st, func(tx state.Tx) error {
		return tx.PutADPermission(&state.ADPermission{ConnectorGuid: rc.Guid, User: state.PrincipalAnonymous, ExtendedRights: []string{state.RightAcceptAnyRecipient}})
	})
	statetest.Update(t, st, func(tx state.Tx) error { return tx.DeleteReceiveConnector(rc.Guid) })
	statetest.View(t, st, func(tx state.Tx) error {
		if _, err := tx.ReceiveConnector(rc.Guid); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		perms, err := tx.ADPermissions(rc.Guid)
		if err != nil || len(perms) != 0 {
			t.Errorf("ADPermissions after delete: %v, %v", perms, err)
		}
		return nil
	})
	err := st.Update(func(tx state.Tx) error { return tx.DeleteReceiveConnector(rc.Guid) })
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func testUniqueness(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	statetest.Update(t, st, func(tx state.Tx) error {
		if err := tx.PutRecipient(statetest.NewMailbox("Chris Green", "chris", "smtp:cg@contoso.com")); err != nil {
			return err
		}
		if err := tx.PutSendConnector(&state.SendConnector{Name: "To Internet", AddressSpaces: []string{"SMTP:*;1"}}); err != nil {
			return err
		}
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Fabrikam", DomainName: "fabrikam.com", DomainType: "Authoritative"})
	})
	tests := []struct {
		name string
		put  func(tx state.Tx) error
		msg  string
	}{
		{"receive connector name on one server", func(tx state.Tx) error {
			return tx.PutReceiveConnector(statetest.NewConnector("EX01", "default frontend ex01"))
		}, `receive connector "EX01\\default frontend ex01": a receive connector with this name already exists`},
		{"send connector name", func(tx state.Tx) error {
			return tx.PutSendConnector(&state.SendConnector{Name: "TO INTERNET"})
		}, `send connector "TO INTERNET"`},
		{"accepted domain name", func(tx state.Tx) error {
			return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "fabrikam", DomainName: "fabrikam.net"})
		}, "the name fabrikam"},
		{"accepted domain domain name", func(tx state.Tx) error {
			return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Other", DomainName: "FABRIKAM.com"})
		}, "the domain name fabrikam.com"},
		{"recipient proxy address", func(tx state.Tx) error {
			return tx.PutRecipient(statetest.NewMailbox("Casey", "casey", "smtp:CG@contoso.com"))
		}, `the proxy address cg@contoso.com is already used by "Chris Green"`},
		{"recipient primary address", func(tx state.Tx) error {
			r := statetest.NewMailbox("Casey", "casey")
			r.PrimarySmtpAddress = "Chris@contoso.com"
			return tx.PutRecipient(r)
		}, "the proxy address chris@contoso.com"},
		{"recipient name", func(tx state.Tx) error { return tx.PutRecipient(statetest.NewMailbox("chris green", "cgreen")) }, "the name chris green"},
		{"recipient alias", func(tx state.Tx) error {
			r := statetest.NewMailbox("Chris Two", "chris2")
			r.Alias = "Chris"
			return tx.PutRecipient(r)
		}, "the alias chris"},
		{"recipient UPN", func(tx state.Tx) error {
			r := statetest.NewMailbox("Chris Two", "chris2")
			r.UserPrincipalName = "chris@contoso.com"
			return tx.PutRecipient(r)
		}, "the user principal name chris@contoso.com"},
		{"recipient SamAccountName", func(tx state.Tx) error {
			r := statetest.NewMailbox("Chris Two", "chris2")
			r.SamAccountName = "CHRIS"
			return tx.PutRecipient(r)
		}, "the SamAccountName chris"},
		{"server name", func(tx state.Tx) error { return tx.PutServer(&state.ExchangeServer{Name: "ex01"}) }, "the name ex01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := st.Update(tt.put)
			if !errors.Is(err, state.ErrExists) {
				t.Fatalf("got %v, want ErrExists", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
	// The same name on another server is fine.
	statetest.Update(t, st, func(tx state.Tx) error {
		return tx.PutReceiveConnector(statetest.NewConnector("EX02", "Default Frontend EX01"))
	})
}

func testRecipientLookups(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	chris := statetest.NewMailbox("Chris Green", "chris", "smtp:c.green@fabrikam.com", "X500:/o=First Organization/cn=chris", "SIP:chris@contoso.com")
	chris.UserPrincipalName = "cgreen@contoso.com"
	chris.SamAccountName = "cgreen"
	statetest.Update(t, st, func(tx state.Tx) error { return tx.PutRecipient(chris) })

	tests := []struct {
		how, key string
		want     string // recipient name; "" means not found
	}{
		{"address", "chris@contoso.com", "Chris Green"},
		{"address", "CHRIS@Contoso.com", "Chris Green"},
		{"address", "<chris@contoso.com>", "Chris Green"},
		{"address", "smtp:c.green@fabrikam.com", "Chris Green"},
		{"address", "c.green@fabrikam.com", "Chris Green"},
		{"address", "administrator@contoso.com", "Administrator"},
		{"address", "chris@fabrikam.com", ""},
		{"address", "X500:/o=First Organization/cn=chris", ""},
		{"address", "", ""},
		{"login", "cgreen@contoso.com", "Chris Green"},
		{"login", `CONTOSO\cgreen`, "Chris Green"},
		{"login", `contoso.com\CGREEN`, "Chris Green"},
		{"login", `FABRIKAM\cgreen`, ""},
		{"login", "cgreen", "Chris Green"},
		{"login", "chris", "Chris Green"},  // the alias
		{"login", "chris@contoso.com", ""}, // an address, not the UPN
		{"login", "Administrator@contoso.com", "Administrator"},
		{"login", `CONTOSO\Administrator`, "Administrator"},
		{"name", "chris green", "Chris Green"},
		{"name", "CHRIS", "Chris Green"},
		{"name", "Nobody", ""},
	}
	statetest.View(t, st, func(tx state.Tx) error {
		for _, tt := range tests {
			var r *state.Recipient
			var err error
			switch tt.how {
			case "address":
				r, err = tx.RecipientByAddress(tt.key)
			case "login":
				r, err = tx.RecipientByLogin(tt.key)
			case "name":
				r, err = tx.RecipientByName(tt.key)
			}
			if tt.want == "" {
				if !errors.Is(err, state.ErrNotFound) {
					t.Errorf("RecipientBy%s(%q) = %v, %v; want ErrNotFound", tt.how, tt.key, r, err)
				}
				continue
			}
			if err != nil || r.Name != tt.want {
				t.Errorf("RecipientBy%s(%q) = %v, %v; want %s", tt.how, tt.key, r, err, tt.want)
			}
		}
		return nil
	})

	// Changing addresses moves the index entries.
	statetest.Update(t, st, func(tx state.Tx) error {
		chris.EmailAddresses = []string{"SMTP:chris@contoso.com"}
		return tx.PutRecipient(chris)
	})
	statetest.View(t, st, func(tx state.Tx) error {
		if _, err := tx.RecipientByAddress("c.green@fabrikam.com"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("removed address still resolves: %v", err)
		}
		return nil
	})
	statetest.Update(t, st, func(tx state.Tx) error { return tx.DeleteRecipient(chris.Guid) })
	statetest.View(t, st, func(tx state.Tx) error {
		for _, f := range []func() (*state.Recipient, error){
			func() (*state.Recipient, error) { return tx.RecipientByAddress("chris@contoso.com") },
			func() (*state.Recipient, error) { return tx.RecipientByLogin("cgreen") },
			func() (*state.Recipient, error) { return tx.RecipientByName("Chris Green") },
		} {
			if _, err := f(); !errors.Is(err, state.ErrNotFound) {
				t.Errorf("deleted recipient still resolves: %v", err)
			}
		}
		return nil
	})
}

func testAcceptedDomainSingleDefault(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	statetest.Update(t, st, func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Fabrikam", DomainName: "Fabrikam.COM", DomainType: "Authoritative", Default: true})
	})
	statetest.View(t, st, func(tx state.Tx) error {
		all, err := tx.AcceptedDomains()
		if err != nil {
			return err
		}
		d := state.DefaultAcceptedDomain(all)
		if d == nil || d.Name != "Fabrikam" || d.DomainName != "fabrikam.com" {
			t.Errorf("default = %+v", d)
		}
		n := 0
		for _, a := range all {
			if a.Default {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d default domains", n)
		}
		got, err := tx.AcceptedDomainByName("fabrikam.com")
		if err != nil || got.Name != "Fabrikam" {
			t.Errorf("AcceptedDomainByName(domain) = %v, %v", got, err)
		}
		return nil
	})
	err := st.Update(func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Bad", DomainName: "domain.*.contoso.com"})
	})
	if !errors.Is(err, state.ErrInvalid) {
		t.Errorf("embedded wildcard: %v", err)
	}
}

func testADPermissionOrderAndMove(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	a, b := statetest.NewConnector("EX01", "A"), statetest.NewConnector("EX01", "B")
	var perms []*state.ADPermission
	statetest.Update(t, st, func(tx state.Tx) error {
		if err := tx.PutReceiveConnector(a); err != nil {
			return err
		}
		if err := tx.PutReceiveConnector(b); err != nil {
			return err
		}
		for _, r := range []string{state.RightSubmit, state.RightAcceptAnyRecipient, state.RightAcceptAnySender} {
			p := &state.ADPermission{ConnectorGuid: a.Guid, User: state.PrincipalAnonymous, ExtendedRights: []string{r}}
			if err := tx.PutADPermission(p); err != nil {
				return err
			}
			perms = append(perms, p)
		}
		return nil
	})
	if perms[0].Identity != `EX01\A` || perms[0].AccessRights[0] != "ExtendedRight" {
		t.Errorf("entry = %+v", perms[0])
	}
	statetest.Update(t, st, func(tx state.Tx) error {
		perms[1].ConnectorGuid = b.Guid
		return tx.PutADPermission(perms[1])
	})
	statetest.View(t, st, func(tx state.Tx) error {
		onA, _ := tx.ADPermissions(a.Guid)
		onB, _ := tx.ADPermissions(b.Guid)
		if len(onA) != 2 || onA[0].ExtendedRights[0] != state.RightSubmit || onA[1].ExtendedRights[0] != state.RightAcceptAnySender {
			t.Errorf("on A: %v", onA)
		}
		if len(onB) != 1 || onB[0].Identity != `EX01\B` {
			t.Errorf("on B: %v", onB)
		}
		return nil
	})
	err := st.Update(func(tx state.Tx) error {
		return tx.PutADPermission(&state.ADPermission{ConnectorGuid: state.NewGuid(), User: "x"})
	})
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("entry on a missing connector: %v", err)
	}
}

func testUpdateIsAllOrNothing(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	changes, cancel := st.Subscribe()
	defer cancel()
	boom := errors.New("boom")
	err := st.Update(func(tx state.Tx) error {
		if err := tx.PutReceiveConnector(statetest.NewConnector("EX01", "Half")); err != nil {
			return err
		}
		if err := tx.PutRecipient(statetest.NewMailbox("Half", "half")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	statetest.View(t, st, func(tx state.Tx) error {
		if _, err := tx.ReceiveConnectorByName("EX01", "Half"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("connector of a failed Update exists: %v", err)
		}
		if _, err := tx.RecipientByAddress("half@contoso.com"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("recipient of a failed Update exists: %v", err)
		}
		return nil
	})
	select {
	case c := <-changes:
		t.Errorf("a failed Update published %v", c)
	case <-time.After(50 * time.Millisecond):
	}
}

func testSubscribe(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	changes, cancel := st.Subscribe()
	slow, cancelSlow := st.Subscribe() // never read until the end
	rc := statetest.NewConnector("EX01", "Watched")
	statetest.Update(t, st, func(tx state.Tx) error {
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
		rc.Comment = "twice in one transaction: one change"
		return tx.PutReceiveConnector(rc)
	})
	statetest.Update(t, st, func(tx state.Tx) error { return tx.DeleteReceiveConnector(rc.Guid) })
	for i := 0; i < 200; i++ { // more than any channel buffer
		statetest.Update(t, st, func(tx state.Tx) error {
			ts, err := tx.TransportService("ex01", "hub")
			if err != nil {
				return err
			}
			ts.PoisonThreshold = 1 + i%10
			return tx.PutTransportService(ts)
		})
	}
	want := []state.Change{
		{Kind: state.KindReceiveConnector, Guid: rc.Guid, Op: state.OpPut},
		{Kind: state.KindReceiveConnector, Guid: rc.Guid, Op: state.OpDelete},
	}
	for i, w := range want {
		select {
		case c := <-changes:
			if c != w {
				t.Errorf("change %d = %v, want %v", i, c, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("change %d not delivered", i)
		}
	}
	for i := 0; i < 200; i++ {
		c := <-changes
		if c.Kind != state.KindTransportService || c.Guid != `EX01\Hub` {
			t.Fatalf("change %v", c)
		}
	}
	n := 0
	for range 202 {
		select {
		case <-slow:
			n++
		case <-time.After(5 * time.Second):
			t.Fatalf("slow subscriber got %d of 202 changes", n)
		}
	}
	cancel()
	cancelSlow()
	if _, ok := <-changes; ok {
		t.Error("channel open after cancel")
	}
}

func testReadOnlyTx(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	statetest.View(t, st, func(tx state.Tx) error {
		err := tx.PutReceiveConnector(statetest.NewConnector("EX01", "X"))
		if !errors.Is(err, state.ErrReadOnly) {
			t.Errorf("Put in View: %v", err)
		}
		if _, err := tx.Bucket("lab.test", true); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("creating a bucket in View: %v", err)
		}
		return nil
	})
}

func testRawBucket(t *testing.T, open Opener) {
	st := open(t)
	statetest.Update(t, st, func(tx state.Tx) error {
		if _, err := tx.Bucket("org.recipients", true); !errors.Is(err, state.ErrInvalid) {
			t.Errorf("raw access to an organisation bucket: %v", err)
		}
		b, err := tx.Bucket("lab.test", true)
		if err != nil {
			return err
		}
		n, err := b.NextSequence()
		if err != nil || n != 1 {
			t.Errorf("NextSequence = %d, %v", n, err)
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	statetest.View(t, st, func(tx state.Tx) error {
		b, err := tx.Bucket("lab.test", false)
		if err != nil {
			return err
		}
		if got := string(b.Get([]byte("k"))); got != "v" {
			t.Errorf("Get = %q", got)
		}
		if err := b.Put([]byte("k"), []byte("w")); !errors.Is(err, state.ErrReadOnly) {
			t.Errorf("Put in View: %v", err)
		}
		return nil
	})
}

func testClosed(t *testing.T, open Opener) {
	st := open(t)
	changes, _ := st.Subscribe()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, ok := <-changes; ok {
		t.Error("subscription open after Close")
	}
	if err := st.View(func(state.Tx) error { return nil }); !errors.Is(err, state.ErrClosed) {
		t.Errorf("View after Close: %v", err)
	}
}

func testTransportConfigAndComponentStates(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	changes, cancel := st.Subscribe()
	defer cancel()
	statetest.View(t, st, func(tx state.Tx) error {
		c, err := tx.TransportConfig()
		if err != nil {
			return err
		}
		if c.MaxSendSize != 10<<20 || c.MaxRecipientEnvelopeLimit != 500 || c.WhenChanged.IsZero() {
			t.Errorf("defaults %+v", c)
		}
		states, err := tx.ServerComponentStates("EX01")
		if len(states) != 0 {
			t.Errorf("a new server has component states %v", states)
		}
		return err
	})
	statetest.Update(t, st, func(tx state.Tx) error {
		c, _ := tx.TransportConfig()
		c.MaxSendSize = state.Unlimited
		if err := tx.PutTransportConfig(c); err != nil {
			return err
		}
		for _, comp := range []string{"HubTransport", "FrontendTransport"} {
			s := &state.ServerComponentState{Server: "EX01", Component: comp, Requesters: map[string]state.ComponentRequest{"Maintenance": {State: state.ComponentDraining}}}
			if err := tx.PutServerComponentState(s); err != nil {
				return err
			}
		}
		// Another server's states are kept apart.
		return tx.PutServerComponentState(&state.ServerComponentState{Server: "EX02", Component: "HubTransport"})
	})
	statetest.View(t, st, func(tx state.Tx) error {
		c, _ := tx.TransportConfig()
		if c.MaxSendSize != state.Unlimited {
			t.Errorf("MaxSendSize %v after Put", c.MaxSendSize)
		}
		states, err := tx.ServerComponentStates("ex01")
		if len(states) != 2 || states[0].Component != "FrontendTransport" || states[1].State() != state.ComponentDraining {
			t.Errorf("states %+v", states)
		}
		return err
	})
	got := map[string]bool{}
	for i := 0; i < 4; i++ {
		ch := <-changes
		got[ch.Kind] = true
	}
	if !got[state.KindTransportConfig] || !got[state.KindComponentState] {
		t.Errorf("changes %v", got)
	}
	err := st.Update(func(tx state.Tx) error {
		return tx.PutServerComponentState(&state.ServerComponentState{Component: "HubTransport"})
	})
	if !errors.Is(err, state.ErrInvalid) {
		t.Errorf("a state without a server: %v", err)
	}
}

// Records handed out are the caller's: changing one changes nothing
// stored or cached.
func testRecordsAreCopies(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	for i := 0; i < 2; i++ { // the second round reads through any cache
		statetest.View(t, st, func(tx state.Tx) error {
			rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
			if err != nil {
				return err
			}
			if rc.Bindings[0] != "[::]:25" {
				t.Fatalf("round %d: Bindings = %v", i, rc.Bindings)
			}
			rc.Bindings[0] = "10.0.0.1:25"
			rc.Name = "changed"
			return nil
		})
	}
}

// Concurrent read-modify-write changes of one object never lose one
// another: every value added to a multivalued property by any of them is
// there at the end.
func testConcurrentUpdates(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	const writers, each = 4, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := st.Update(func(tx state.Tx) error {
					rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
					if err != nil {
						return err
					}
					rc.RemoteIPRanges = append(rc.RemoteIPRanges, fmt.Sprintf("10.%d.%d.0/24", w, i))
					return tx.PutReceiveConnector(rc)
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Update: %v", err)
	}
	statetest.View(t, st, func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, r := range rc.RemoteIPRanges {
			have[r] = true
		}
		for w := range writers {
			for i := range each {
				if r := fmt.Sprintf("10.%d.%d.0/24", w, i); !have[r] {
					t.Errorf("the change adding %s was lost", r)
				}
			}
		}
		return nil
	})
}

// Each server has its own transport service records: changing one
// server's leaves the others' alone.
func testTransportServicesPerServer(t *testing.T, open Opener) {
	st := openSetUp(t, open)
	changes, cancel := st.Subscribe()
	defer cancel()
	statetest.Update(t, st, func(tx state.Tx) error {
		ex02 := &state.ExchangeServer{Name: "EX02", Fqdn: "EX02.contoso.com"}
		if err := tx.PutServer(ex02); err != nil {
			return err
		}
		return setup.AddTransportServices(tx, "EX02", "/srv/ex02")
	})
	statetest.View(t, st, func(tx state.Tx) error {
		for _, tc := range []struct {
			server string
			n      int
		}{{"EX01", 3}, {"ex02", 3}, {"", 6}, {"EX03", 0}} {
			all, err := tx.TransportServices(tc.server)
			if err != nil || len(all) != tc.n {
				t.Errorf("TransportServices(%q) = %d records, %v; want %d", tc.server, len(all), err, tc.n)
			}
			for _, ts := range all {
				if tc.server != "" && !strings.EqualFold(ts.Server, tc.server) {
					t.Errorf("TransportServices(%q) lists %s's %s", tc.server, ts.Server, ts.Kind)
				}
			}
		}
		hub1, err := tx.TransportService("EX01", "Hub")
		if err != nil {
			return err
		}
		hub2, err := tx.TransportService("EX02", "transport")
		if err != nil {
			return err
		}
		if hub1.Server != "EX01" || hub2.Server != "EX02" || hub2.Name != "EX02" || hub2.Kind != "Hub" || hub1.Guid == hub2.Guid {
			t.Errorf("EX01's Hub %s/%s %s, EX02's %s/%s %s", hub1.Server, hub1.Kind, hub1.Guid, hub2.Server, hub2.Kind, hub2.Guid)
		}
		if !strings.HasPrefix(hub2.MessageTrackingLogPath, "/srv/ex02") || strings.HasPrefix(hub1.MessageTrackingLogPath, "/srv/ex02") {
			t.Errorf("tracking logs: EX01 %q, EX02 %q", hub1.MessageTrackingLogPath, hub2.MessageTrackingLogPath)
		}
		if _, err := tx.TransportService("EX03", "Hub"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("EX03's Hub: %v, want ErrNotFound", err)
		}
		return nil
	})
	statetest.Update(t, st, func(tx state.Tx) error {
		ts, err := tx.TransportService("EX02", "Hub")
		if err != nil {
			return err
		}
		ts.MessageRetryInterval = time.Minute
		return tx.PutTransportService(ts)
	})
	select {
	case c := <-changes:
		// The servers and records EX02 was added with come first.
		for c.Kind != state.KindTransportService || c.Op != state.OpPut || c.Guid != `EX02\Hub` {
			select {
			case c = <-changes:
			case <-time.After(5 * time.Second):
				t.Fatalf("no change names EX02's Hub")
			}
		}
		if server, kind := state.TransportServiceOf(c.Guid); server != "EX02" || kind != "Hub" {
			t.Errorf("TransportServiceOf(%q) = %q, %q", c.Guid, server, kind)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no change delivered")
	}
	statetest.View(t, st, func(tx state.Tx) error {
		hub1, _ := tx.TransportService("EX01", "Hub")
		hub2, _ := tx.TransportService("EX02", "Hub")
		if hub1.MessageRetryInterval != 15*time.Minute || hub2.MessageRetryInterval != time.Minute {
			t.Errorf("MessageRetryInterval: EX01 %v, EX02 %v; want 15m0s, 1m0s", hub1.MessageRetryInterval, hub2.MessageRetryInterval)
		}
		return nil
	})
	err := st.Update(func(tx state.Tx) error {
		return tx.PutTransportService(&state.TransportService{Kind: "Hub"})
	})
	if !errors.Is(err, state.ErrInvalid) {
		t.Errorf("a record with no server: %v, want ErrInvalid", err)
	}
	// AddTransportServices keeps what a server already has.
	statetest.Update(t, st, func(tx state.Tx) error { return setup.AddTransportServices(tx, "EX02", "/elsewhere") })
	statetest.View(t, st, func(tx state.Tx) error {
		hub2, _ := tx.TransportService("EX02", "Hub")
		if hub2.MessageRetryInterval != time.Minute || !strings.HasPrefix(hub2.MessageTrackingLogPath, "/srv/ex02") {
			t.Errorf("AddTransportServices replaced EX02's Hub: %v, %q", hub2.MessageRetryInterval, hub2.MessageTrackingLogPath)
		}
		return nil
	})
}
