package queue_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/cmdlets/queue"
	"exsh/cmdlets/utility"
	"exsh/engine/transport"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// benchQueued is how many messages wait in the suspended queue.
const benchQueued = 100_000

// queueBench is a running Transport service whose store holds a suspended
// DnsConnectorDelivery queue for fabrikam.com with benchQueued messages,
// written straight through the queue store (NoSync, 5,000 a transaction)
// before the service starts, and a session with the queue cmdlets.
type queueBench struct {
	b      *testing.B
	s      *interp.Session
	out    bytes.Buffer
	stderr bytes.Buffer
}

func newQueueBench(b *testing.B) *queueBench {
	b.Helper()
	dir := b.TempDir()
	st, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := setup.Run(st, setup.Options{DataPath: dir, PasswordCost: bcrypt.MinCost}); err != nil {
		b.Fatal(err)
	}
	tr, err := transport.New(st, transport.Config{ServerName: "EX01", Fqdn: "EX01.contoso.com", DataPath: dir,
		SweepInterval: time.Hour, DialTimeout: time.Second,
		LookupMX: func(context.Context, string) ([]*net.MX, error) { return nil, errors.New("no DNS in benchmarks") }})
	if err != nil {
		b.Fatal(err)
	}
	fillSuspendedQueue(b, st, benchQueued)
	if err := tr.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tr.Stop(ctx)
	})
	qb := &queueBench{b: b}
	d := &cmdlets.Deps{Store: st, DataPath: dir, Queues: tr}
	qb.s = interp.NewSession(interp.Config{Stdout: &qb.out, Stderr: &qb.stderr, Width: 120,
		Commands:  append(utility.Cmdlets(), queue.Cmdlets(d)...),
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) }})
	return qb
}

func fillSuspendedQueue(b *testing.B, st *boltdb.Store, n int) {
	b.Helper()
	now := time.Now().UTC()
	var number int64
	err := st.QueueUpdate(func(q state.QueueTx) error {
		qr, err := q.EnsureQueue(&state.QueueRecord{
			DeliveryType: state.DeliveryDnsConnector, NextHopDomain: "fabrikam.com",
			NextHopConnector: "00000000-0000-0000-0000-000000000000", NextHopCategory: "External",
			Created: now, LastActivity: now,
		})
		if err != nil {
			return err
		}
		qr.Suspended = true
		number = qr.Number
		return q.PutQueue(qr)
	})
	if err != nil {
		b.Fatal(err)
	}
	data := []byte("From: chris@contoso.com\r\nTo: bob@fabrikam.com\r\nSubject: queued\r\n\r\n" + strings.Repeat("x", 200) + "\r\n")
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := st.QueueUpdate(func(q state.QueueTx) error {
			for i := start; i < min(start+batch, n); i++ {
				m := &state.QueuedMessage{
					Queue:            number,
					MessageId:        fmt.Sprintf("<%08d@EX01.contoso.com>", i),
					NetworkMessageId: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
					Sender:           "chris@contoso.com",
					FromAddress:      "chris@contoso.com",
					Recipients:       []state.QueuedRecipient{{Address: fmt.Sprintf("user%06d@fabrikam.com", i), Status: state.MessageReady}},
					Subject:          fmt.Sprintf("Report %06d", i),
					Size:             int64(len(data)),
					DateReceived:     now,
					ExpirationTime:   now.Add(48 * time.Hour),
					Status:           state.MessageReady,
					SourceIP:         "127.0.0.56",
					ConnectorId:      `EX01\Default EX01`,
					SourceName:       "SMTP:Default EX01",
					AuthAs:           "Anonymous",
					Directionality:   "Originating",
					Priority:         "Normal",
				}
				if err := q.AddMessage(m, data); err != nil {
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

func (qb *queueBench) run(script string) string {
	qb.out.Reset()
	_ = qb.s.Run(context.Background(), script, "bench.ps1")
	if qb.stderr.Len() > 0 {
		qb.b.Fatalf("%s:\n%s", script, qb.stderr.String())
	}
	return qb.out.String()
}

// BenchmarkQueueCmdlets runs Get-Queue and Get-Message -ResultSize 1000,
// formatted as the shell shows them, with 100,000 messages queued.
func BenchmarkQueueCmdlets(b *testing.B) {
	qb := newQueueBench(b)
	want := fmt.Sprintf("%d", benchQueued)
	if out := qb.run(`(Get-Queue | Where-Object DeliveryType -eq DnsConnectorDelivery).MessageCount`); strings.TrimSpace(out) != want {
		b.Fatalf("MessageCount %q, want %s", out, want)
	}
	if out := qb.run(`(Get-Queue -Filter "Status -eq 'Suspended'").NextHopDomain`); strings.TrimSpace(out) != "fabrikam.com" {
		b.Fatalf("suspended queue %q", out)
	}
	if out := qb.run(`@(Get-Message -ResultSize 1000).Count`); strings.TrimSpace(out) != "1000" {
		b.Fatalf("Get-Message -ResultSize 1000 gave %q", out)
	}
	b.Run("Get-Queue", func(b *testing.B) {
		qb.b = b
		b.ReportAllocs()
		for b.Loop() {
			qb.run("Get-Queue")
		}
	})
	b.Run("Get-Message-ResultSize-1000", func(b *testing.B) {
		qb.b = b
		b.ReportAllocs()
		for b.Loop() {
			qb.run("Get-Message -ResultSize 1000")
		}
	})
}
