package org_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/cmdlets/org"
	"exsh/cmdlets/utility"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/statetest"
)

// These benchmarks run cmdlets end to end in an interp.Session (parse,
// bind, store transaction, objects, formatting into io.Discard) over a
// large organisation. The organisation is written straight through the
// store (NoSync, thousands of records per transaction), not through the
// cmdlets, so setting it up stays quick.

type benchShell struct {
	b      *testing.B
	st     *boltdb.Store
	s      *interp.Session
	stderr bytes.Buffer
	out    bytes.Buffer
}

func newBenchShell(b *testing.B) *benchShell {
	b.Helper()
	st := statetest.MustOpenSetUp(b)
	d := &cmdlets.Deps{Store: st, DataPath: b.TempDir(), Now: time.Now, PasswordCost: bcrypt.MinCost}
	sh := &benchShell{b: b, st: st}
	sh.s = interp.NewSession(interp.Config{
		Stdout: &sh.out, Stderr: &sh.stderr, Width: 120,
		Commands:  append(utility.Cmdlets(), org.Cmdlets(d)...),
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
	})
	return sh
}

// run runs one script; errors fail the benchmark. It returns the output.
func (sh *benchShell) run(script string) string {
	sh.out.Reset()
	_ = sh.s.Run(context.Background(), script, "bench.ps1")
	if sh.stderr.Len() > 0 {
		sh.b.Fatalf("%s:\n%s", script, sh.stderr.String())
	}
	return sh.out.String()
}

// inBatches runs put(i) for i in [0, n) in write transactions of 5,000.
func inBatches(b *testing.B, st state.Store, n int, put func(tx state.Tx, i int) error) {
	b.Helper()
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := st.Update(func(tx state.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				if err := put(tx, i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// addReceiveConnectors adds n custom connectors on EX01, copies of
// Default Frontend EX01 with other names and remote ranges.
func addReceiveConnectors(b *testing.B, st state.Store, n int) {
	b.Helper()
	var proto state.ReceiveConnector
	statetest.View(b, st, func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err == nil {
			proto = *rc
		}
		return err
	})
	inBatches(b, st, n, func(tx state.Tx, i int) error {
		rc := proto
		rc.Guid, rc.Identity, rc.Id, rc.DistinguishedName = "", "", "", ""
		rc.Name = fmt.Sprintf("Relay %05d", i)
		rc.Bindings = []string{"0.0.0.0:25"}
		rc.RemoteIPRanges = []string{fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)}
		return tx.PutReceiveConnector(&rc)
	})
}

// addMailboxes adds n mailboxes user000000..: copies of Administrator
// with their own name, logins and addresses.
func addMailboxes(b *testing.B, st state.Store, n int) {
	b.Helper()
	var proto state.Recipient
	statetest.View(b, st, func(tx state.Tx) error {
		r, err := tx.RecipientByName("Administrator")
		if err == nil {
			proto = *r
		}
		return err
	})
	inBatches(b, st, n, func(tx state.Tx, i int) error {
		r := proto
		alias := fmt.Sprintf("user%06d", i)
		r.Guid, r.Identity, r.DistinguishedName = "", "", ""
		r.Name, r.Alias, r.DisplayName, r.SamAccountName = alias, alias, "User "+alias, alias
		r.FirstName, r.LastName = "", ""
		r.UserPrincipalName = alias + "@contoso.com"
		r.PrimarySmtpAddress = alias + "@contoso.com"
		r.EmailAddresses = []string{"SMTP:" + alias + "@contoso.com", "smtp:" + fmt.Sprintf("u%06d", i) + "@fabrikam.com"}
		return tx.PutRecipient(&r)
	})
}

// BenchmarkGetReceiveConnectorMeasure is Get-ReceiveConnector |
// Measure-Object over 10,005 connectors.
func BenchmarkGetReceiveConnectorMeasure(b *testing.B) {
	sh := newBenchShell(b)
	const n = 10_000
	addReceiveConnectors(b, sh.st, n)
	want := fmt.Sprintf("Count    : %d", n+5)
	if out := sh.run("Get-ReceiveConnector | Measure-Object"); !strings.Contains(out, want) {
		b.Fatalf("output lacks %q:\n%s", want, out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sh.run("Get-ReceiveConnector | Measure-Object")
	}
}

// BenchmarkRecipientLookup looks one mailbox up among 1,000 and among
// 100,000: Get-Mailbox by alias (the name index), formatted as EMS shows
// it, and Get-Recipient by a secondary proxy address (the address index,
// after a name-index miss), assigned to $null so that only the lookup
// and the object are timed. Both are index hits, so the two sizes should
// cost about the same; a scan would make the 100,000 case a hundred
// times slower.
func BenchmarkRecipientLookup(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("mailboxes=%d", n), func(b *testing.B) {
			sh := newBenchShell(b)
			addMailboxes(b, sh.st, n)
			if out := sh.run(fmt.Sprintf("(Get-Mailbox user%06d).PrimarySmtpAddress", n-1)); strings.TrimSpace(out) != fmt.Sprintf("user%06d@contoso.com", n-1) {
				b.Fatalf("Get-Mailbox: %q", out)
			}
			if out := sh.run(fmt.Sprintf("(Get-Recipient u%06d@fabrikam.com).Alias", n/2)); strings.TrimSpace(out) != fmt.Sprintf("user%06d", n/2) {
				b.Fatalf("Get-Recipient: %q", out)
			}
			b.Run("Get-Mailbox-alias", func(b *testing.B) {
				sh.b = b
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					sh.run(fmt.Sprintf("Get-Mailbox user%06d", (i*7919)%n))
					i++
				}
			})
			b.Run("Get-Recipient-address", func(b *testing.B) {
				sh.b = b
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					sh.run(fmt.Sprintf("$null = Get-Recipient u%06d@fabrikam.com", (i*7919)%n))
					i++
				}
			})
		})
	}
}
