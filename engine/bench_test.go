package engine_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"exsh/engine/enginetest"
	"exsh/state"
	"exsh/state/boltdb"
)

var kilobyte = benchMessage(1024)

// benchMessage is a message of about size bytes in 64-byte lines, the
// shape smtp-source sends.
func benchMessage(size int) []byte {
	return []byte("Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", size/64))
}

// BenchmarkDefaultFrontend: concurrent sessions each sending 1 KB
// messages over one connection to Default Frontend, proxied to the hub.
func BenchmarkDefaultFrontend(b *testing.B) {
	e := enginetest.Start(b, enginetest.Options{Prepare: func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		rc.MaxInboundConnectionPerSource = state.Unlimited
		return tx.PutReceiveConnector(rc)
	}})
	addr := e.Addr(25)
	b.SetBytes(int64(len(kilobyte)))
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		if err := c.Hello("bench"); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if err := c.SendMail("bench@fabrikam.com", []string{"administrator@contoso.com"}, bytes.NewReader(kilobyte)); err != nil {
				b.Error(err)
				return
			}
		}
		c.Quit()
	})
}

// BenchmarkConnectionPerMessage is the load of ../shared/bench's
// smtp-source runs: 20 concurrent sessions, one connection per 1 KB
// message, to Default Frontend for an internal mailbox, with the store
// syncing every commit as exsh runs. Besides ns/op it reports accepted/s,
// delivered/s (until the last message is in the mailbox) and the
// process's CPU time per message (the clients' included).
func BenchmarkConnectionPerMessage(b *testing.B) {
	connectionPerMessage(b, kilobyte)
}

// BenchmarkConnectionPerMessage100K is the same load with 100 KB
// messages, where copying and storing the body dominate.
func BenchmarkConnectionPerMessage100K(b *testing.B) {
	connectionPerMessage(b, benchMessage(100*1024))
}

func connectionPerMessage(b *testing.B, message []byte) {
	e := enginetest.Start(b, enginetest.Options{Submitter: withTransport, Sync: true, Prepare: func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		rc.MaxInboundConnectionPerSource = state.Unlimited
		rc.MaxInboundConnectionPercentagePerSource = 100
		rc.MessageRateLimit = state.Unlimited
		return tx.PutReceiveConnector(rc)
	}})
	addr := e.Addr(25)
	mailbox := mailboxGuid(b, e.Store, "administrator@contoso.com")
	before := mailboxCount(b, e.Store, mailbox)
	b.SetBytes(int64(len(message)))
	b.SetParallelism(max(1, 20/runtime.GOMAXPROCS(0)))
	start := time.Now()
	cpuStart := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := smtp.Dial(addr)
			if err != nil {
				b.Error(err)
				return
			}
			c.Hello("bench")
			if err := c.SendMail("bench@fabrikam.com", []string{"administrator@contoso.com"}, bytes.NewReader(message)); err != nil {
				b.Error(err)
			}
			c.Quit()
		}
	})
	accepted := time.Since(start)
	for mailboxCount(b, e.Store, mailbox)-before < b.N {
		if time.Since(start) > accepted+time.Minute {
			b.Fatalf("not all %d messages delivered within a minute", b.N)
		}
		time.Sleep(time.Millisecond)
	}
	delivered := time.Since(start)
	cpu := processCPU(b) - cpuStart
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(b.N)/accepted.Seconds(), "accepted/s")
	b.ReportMetric(float64(b.N)/delivered.Seconds(), "delivered/s")
}

// processCPU is the user and system CPU time the process has used so
// far, the client sessions included.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mailboxGuid(b *testing.B, st *boltdb.Store, addr string) string {
	var guid string
	if err := st.View(func(tx state.Tx) error {
		r, err := tx.RecipientByAddress(addr)
		if err == nil {
			guid = r.Guid
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return guid
}

func mailboxCount(b *testing.B, st *boltdb.Store, guid string) int {
	var n int
	if err := st.QueueView(func(q state.QueueTx) error {
		items, err := q.MailboxItems(guid)
		n = len(items)
		return err
	}); err != nil && !errors.Is(err, state.ErrNotFound) {
		b.Fatal(err)
	}
	return n
}
