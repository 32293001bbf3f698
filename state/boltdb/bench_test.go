package boltdb_test

import (
	"fmt"
	"testing"

	"exsh/state"
	"exsh/state/statetest"
	"exsh/state/storetest"
)

// fill adds n recipients, batch per transaction.
func fillRecipients(b *testing.B, st state.Store, n int) {
	b.Helper()
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := st.Update(func(tx state.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				r := storetest.NewMailbox(fmt.Sprintf("User %06d", i), fmt.Sprintf("user%06d", i), fmt.Sprintf("smtp:u%06d@fabrikam.com", i))
				r.PasswordHash = "$2a$04$not.a.real.hash"
				if err := tx.PutRecipient(r); err != nil {
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

// BenchmarkRecipientByAddress resolves addresses among 100,000 recipients
// (each with two proxy addresses), one View per lookup as a RCPT TO does.
func BenchmarkRecipientByAddress(b *testing.B) {
	st := statetest.MustOpen(b)
	const n = 100_000
	fillRecipients(b, st, n)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		addr := fmt.Sprintf("U%06d@Fabrikam.com", (i*7919)%n)
		i++
		err := st.View(func(tx state.Tx) error {
			_, err := tx.RecipientByAddress(addr)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecipientByAddressMiss is the unknown-recipient case.
func BenchmarkRecipientByAddressMiss(b *testing.B) {
	st := statetest.MustOpen(b)
	fillRecipients(b, st, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		st.View(func(tx state.Tx) error {
			_, err := tx.RecipientByAddress("nobody@contoso.com")
			return err
		})
	}
}

// BenchmarkReceiveConnectors lists 10,000 receive connectors, with the
// decoded-connector cache warm (the steady state) and cold (every record
// decoded from JSON).
func BenchmarkReceiveConnectors(b *testing.B) {
	b.Run("warm", func(b *testing.B) { benchmarkReceiveConnectors(b, false) })
	b.Run("cold", func(b *testing.B) { benchmarkReceiveConnectors(b, true) })
}

func benchmarkReceiveConnectors(b *testing.B, cold bool) {
	st := statetest.MustOpen(b)
	const n = 10_000
	err := st.Update(func(tx state.Tx) error {
		for i := 0; i < n; i++ {
			rc := storetest.NewConnector(fmt.Sprintf("EX%02d", i%10), fmt.Sprintf("Connector %05d", i))
			if err := tx.PutReceiveConnector(rc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	listAll := func(tx state.Tx) error {
		all, err := tx.ReceiveConnectors()
		if len(all) != n {
			return fmt.Errorf("listed %d connectors", len(all))
		}
		return err
	}
	if err := st.View(listAll); err != nil { // warms the decoded-connector cache
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if cold {
			st.ResetCache()
		}
		if err := st.View(listAll); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutReceiveConnector is one Set-ReceiveConnector (an fsync'd
// commit is not included: NoSync).
func BenchmarkPutReceiveConnector(b *testing.B) {
	st := statetest.MustOpenSetUp(b)
	rc := storetest.NewConnector("EX01", "Bench")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		err := st.Update(func(tx state.Tx) error {
			rc.MaxRecipientsPerMessage = i
			return tx.PutReceiveConnector(rc)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
