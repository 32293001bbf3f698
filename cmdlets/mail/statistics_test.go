package mail

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"exsh/cmdlets"
	"exsh/engine/backend"
	"exsh/shell/format"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/setup"
	"exsh/state/statetest"
)

func TestMailboxStatisticsAndTestMailflow(t *testing.T) {
	d, _ := newServer(t)
	list := MailboxCmdlets(d)
	stats := find(t, list, "Get-MailboxStatistics")
	tm := find(t, list, "Test-Mailflow")

	rt, err := invoke(t, stats, map[string]any{"Identity": "Administrator"})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatalf("Get-MailboxStatistics: %v %v", err, rt.Errors)
	}
	o := rt.Objects[0].(*object.PSObject)
	if n, _ := o.Get("ItemCount"); object.ToString(n) != "0" {
		t.Errorf("ItemCount %v before any mail", n)
	}

	// The default target is the server's system mailbox, which Get-Mailbox
	// doesn't list.
	rt, err = invoke(t, tm, map[string]any{})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatalf("Test-Mailflow: %v %v", err, rt.Errors)
	}
	res := rt.Objects[0].(*object.PSObject)
	if r, _ := res.Get("TestMailflowResult"); r != "Success" {
		t.Fatalf("TestMailflowResult %v, warnings %v", r, rt.Warnings)
	}
	if lat, _ := res.Get("MessageLatencyTime"); lat.(time.Duration) <= 0 {
		t.Errorf("MessageLatencyTime %v", lat)
	}
	if remote, _ := res.Get("IsRemoteTest"); remote != false {
		t.Errorf("IsRemoteTest %v", remote)
	}
	table := format.Render(120, rt.Objects...)
	if !strings.Contains(table, "TestMailflowResult MessageLatencyTime IsRemoteTest") || !strings.Contains(table, "Success") {
		t.Errorf("default view:\n%s", table)
	}

	// To a mailbox: it arrives, and the statistics count it.
	rt, err = invoke(t, tm, map[string]any{"Identity": "EX01", "TargetEmailAddress": "administrator@contoso.com"})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatalf("Test-Mailflow -TargetEmailAddress: %v %v", err, rt.Errors)
	}
	if r, _ := rt.Objects[0].(*object.PSObject).Get("TestMailflowResult"); r != "Success" {
		t.Fatalf("TestMailflowResult %v", r)
	}
	rt, err = invoke(t, stats, map[string]any{"Identity": "administrator@contoso.com"})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatalf("Get-MailboxStatistics: %v %v", err, rt.Errors)
	}
	o = rt.Objects[0].(*object.PSObject)
	if n, _ := o.Get("ItemCount"); object.ToString(n) != "1" {
		t.Errorf("ItemCount %v after Test-Mailflow", n)
	}
	if size, _ := o.Get("TotalItemSize"); !strings.HasSuffix(object.ToString(size), " bytes)") {
		t.Errorf("TotalItemSize %v", size)
	}
	view := format.Render(120, rt.Objects...)
	if !strings.Contains(view, "DisplayName   ItemCount StorageLimitStatus LastLogonTime") {
		t.Errorf("default view:\n%s", view)
	}

	// While the hub drains for maintenance the test fails.
	if err := d.Store.Update(func(tx state.Tx) error {
		return tx.PutServerComponentState(&state.ServerComponentState{Server: "EX01", Component: "HubTransport",
			Requesters: map[string]state.ComponentRequest{"Maintenance": {State: state.ComponentDraining}}})
	}); err != nil {
		t.Fatal(err)
	}
	rt, err = invoke(t, tm, map[string]any{})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatalf("Test-Mailflow while draining: %v %v", err, rt.Errors)
	}
	if r, _ := rt.Objects[0].(*object.PSObject).Get("TestMailflowResult"); r != "Failure" || len(rt.Warnings) != 1 || !strings.Contains(rt.Warnings[0], "421 4.3.2 Service not available") {
		t.Errorf("TestMailflowResult %v, warnings %q", r, rt.Warnings)
	}

	// Errors: an unknown mailbox or server.
	rt, _ = invoke(t, stats, map[string]any{"Identity": "nobody"})
	if len(rt.Errors) != 1 || !strings.Contains(rt.Errors[0].Error(), "couldn't be found") {
		t.Errorf("unknown mailbox: %v", rt.Errors)
	}
	rt, _ = invoke(t, tm, map[string]any{"Identity": "EX02"})
	if len(rt.Errors) != 1 || !strings.Contains(rt.Errors[0].Error(), "'EX02' couldn't be found") {
		t.Errorf("unknown server: %v", rt.Errors)
	}
}

// TestStatisticsStoreFailure checks that a store failing before the
// transaction begins gives an error, not a crash.
func TestStatisticsStoreFailure(t *testing.T) {
	d, _ := newServer(t)
	list := MailboxCmdlets(d)
	if err := d.Store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Test-Mailflow", "Get-MailboxStatistics"} {
		_, err := invoke(t, find(t, list, name), map[string]any{"Identity": "Administrator"})
		if err == nil || !strings.Contains(err.Error(), "store is closed") {
			t.Errorf("%s on a closed store: %v", name, err)
		}
	}
}

// countingStore counts the read-write transactions run on a store.
type countingStore struct {
	state.Store
	updates int
}

func (s *countingStore) Update(fn func(tx state.Tx) error) error {
	s.updates++
	return s.Store.Update(fn)
}

// TestMailflowReads checks that Test-Mailflow writes to the organisation
// only to make the system mailbox on its first use, and reads after.
func TestMailflowReads(t *testing.T) {
	d, _ := newServer(t)
	cs := &countingStore{Store: d.Store}
	d.Store = cs
	tm := find(t, MailboxCmdlets(d), "Test-Mailflow")
	tests := []struct {
		name    string
		bound   map[string]any
		updates int
	}{
		{"first use makes the system mailbox", map[string]any{}, 1},
		{"then a read", map[string]any{}, 0},
		{"to a mailbox, a read", map[string]any{"TargetEmailAddress": "administrator@contoso.com"}, 0},
		{"an unknown server, a read", map[string]any{"Identity": "EX02"}, 0},
	}
	for _, tt := range tests {
		before := cs.updates
		rt, err := invoke(t, tm, tt.bound)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := cs.updates - before; got != tt.updates {
			t.Errorf("%s: %d read-write transactions, want %d", tt.name, got, tt.updates)
		}
		if tt.bound["Identity"] != nil {
			if len(rt.Errors) != 1 {
				t.Errorf("%s: errors %v", tt.name, rt.Errors)
			}
			continue
		}
		if len(rt.Errors) > 0 || len(rt.Objects) != 1 {
			t.Fatalf("%s: %v %v", tt.name, rt.Errors, rt.Objects)
		}
		if r, _ := rt.Objects[0].(*object.PSObject).Get("TestMailflowResult"); r != "Success" {
			t.Errorf("%s: TestMailflowResult %v, warnings %v", tt.name, r, rt.Warnings)
		}
	}
	var n int
	cs.View(func(tx state.Tx) error {
		rs, err := tx.Recipients()
		for _, r := range rs {
			if strings.HasPrefix(r.Name, systemMailboxPrefix) {
				n++
			}
		}
		return err
	})
	if n != 1 {
		t.Errorf("%d system mailboxes, want 1", n)
	}
}

// A mailbox on another server that cannot be read is reported, whatever
// the reason, and the cmdlet reads the others: never a mailbox left out
// in silence.
func TestMailboxOnAnotherServerUnread(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"unreachable", &backend.UnreachableError{Server: "EX02", Fqdn: "EX02.contoso.com", Err: errors.New("connection refused")},
			`Failed to connect to the Microsoft Exchange Information Store service on computer "EX02.contoso.com".`},
		{"another failure", errors.New("the channel's certificate can't be read"), "Active Directory operation failed on "},
	} {
		d, _ := newServer(t)
		administratorOnEX02(t, d)
		d.Remote = func(string) (cmdlets.RemoteServer, error) { return nil, tc.err }
		for name, bound := range map[string]map[string]any{
			"Get-MailboxStatistics": {"Identity": "Administrator"},
			"Get-MailboxMessage":    {"Identity": "Administrator"},
			"Test-Mailflow":         {"TargetEmailAddress": "administrator@contoso.com", "ExecutionTimeout": 1},
		} {
			rt, err := invoke(t, find(t, append(Cmdlets(d), MailboxCmdlets(d)...), name), bound)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.name, name, err)
			}
			if len(rt.Objects) != 0 || len(rt.Errors) != 1 || !strings.HasPrefix(rt.Errors[0].Error(), tc.want) {
				t.Errorf("%s %s: objects %v, errors %v; want one error %q...", tc.name, name, rt.Objects, rt.Errors, tc.want)
			}
		}
	}
}

// Get-MailboxStatistics -Server takes the server's name or FQDN; a
// server the organisation lacks is not found, not an empty answer.
func TestStatisticsServer(t *testing.T) {
	d, _ := newServer(t)
	stats := find(t, MailboxCmdlets(d), "Get-MailboxStatistics")
	for _, tc := range []struct {
		server  string
		mailbox bool
		err     string
	}{
		{"EX01", true, ""},
		{"ex01.contoso.com", true, ""},
		{"localhost", true, ""},
		{"EX09", false, "The operation couldn't be performed because object 'EX09' couldn't be found on "},
	} {
		rt, err := invoke(t, stats, map[string]any{"Server": tc.server})
		if err != nil {
			t.Fatalf("-Server %s: %v", tc.server, err)
		}
		found := false
		for _, o := range rt.Objects {
			if n, _ := o.(*object.PSObject).Get("DisplayName"); object.ToString(n) == "Administrator" {
				found = true
			}
		}
		if found != tc.mailbox {
			t.Errorf("-Server %s: Administrator listed %v, want %v", tc.server, found, tc.mailbox)
		}
		if tc.err == "" && len(rt.Errors) > 0 || tc.err != "" && (len(rt.Errors) != 1 || !strings.HasPrefix(rt.Errors[0].Error(), tc.err)) {
			t.Errorf("-Server %s: errors %v, want %q", tc.server, rt.Errors, tc.err)
		}
	}
}

// Test-Mailflow tests from the server the shell runs on: naming another
// server as the source is refused, not answered with this server's result.
func TestMailflowFromAnotherServer(t *testing.T) {
	d, _ := newServer(t)
	if err := setup.AddServer(d.Store, setup.Options{ServerName: "EX02", DataPath: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	rt, err := invoke(t, find(t, MailboxCmdlets(d), "Test-Mailflow"), map[string]any{"Identity": "EX02", "ExecutionTimeout": 1})
	if err != nil {
		t.Fatal(err)
	}
	want := "Test-Mailflow sends its test message from the server the shell runs on, EX01. To test mail flow from EX02, run Test-Mailflow in a shell on EX02."
	if len(rt.Objects) != 0 || len(rt.Errors) != 1 || rt.Errors[0].Error() != want {
		t.Errorf("Test-Mailflow EX02 in EX01's shell: objects %v, errors %v; want %q", rt.Objects, rt.Errors, want)
	}
}

// administratorOnEX02 adds EX02 to d's organisation and moves the
// Administrator mailbox to EX02's database.
func administratorOnEX02(t *testing.T, d *cmdlets.Deps) {
	t.Helper()
	if err := setup.AddServer(d.Store, setup.Options{ServerName: "EX02", DataPath: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	statetest.Update(t, d.Store, func(tx state.Tx) error {
		dbs, err := tx.MailboxDatabases()
		if err != nil {
			return err
		}
		r, err := tx.RecipientByName("Administrator")
		if err != nil {
			return err
		}
		for _, db := range dbs {
			if db.Server == "EX02" {
				r.Database, r.ServerName = db.Name, "ex02"
			}
		}
		return tx.PutRecipient(r)
	})
}

// deniedStore is another server whose mailbox store refuses this one.
type deniedStore struct{ cmdlets.RemoteServer }

func (deniedStore) MailboxItems(string) ([]*state.MailboxItem, error) {
	return nil, fmt.Errorf("the server EX02 refused the logon of CONTOSO\\EX01$: %w", backend.ErrAccessDenied)
}

// A store that refuses a read is named by its server in the error.
func TestMailboxReadRefused(t *testing.T) {
	d, _ := newServer(t)
	administratorOnEX02(t, d)
	d.Remote = func(string) (cmdlets.RemoteServer, error) { return deniedStore{}, nil }
	want := `Failed to connect to the Microsoft Exchange Information Store service on computer "EX02.contoso.com". Access is denied.`
	for _, name := range []string{"Get-MailboxStatistics", "Get-MailboxMessage"} {
		rt, err := invoke(t, find(t, append(Cmdlets(d), MailboxCmdlets(d)...), name), map[string]any{"Identity": "Administrator"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rt.Errors) != 1 || !strings.HasPrefix(rt.Errors[0].Error(), want) {
			t.Errorf("%s: errors %v; want %q...", name, rt.Errors, want)
		}
	}
}
