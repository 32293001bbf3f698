package transport

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"exsh/state"
)

// benchSubmit measures Submit with 20 concurrent submitters on a store
// that fsyncs every commit (the engine is not started, so only the
// submission commit is measured).
func benchSubmit(b *testing.B, size int) {
	e := &env{t: b, dir: b.TempDir(), clock: &fakeClock{t: epoch}, noSync: false}
	e.open()
	b.Cleanup(func() { e.st.Close() })
	e.tr = e.newTransport()
	body := strings.Repeat("x", size)
	sub := testSubmission("chris@contoso.com", []string{"michelle@contoso.com"}, "bench")
	sub.Data = append(sub.Data[:len(sub.Data)-len("Hello.\r\n")], []byte(body)...)
	b.SetBytes(int64(len(sub.Data)))
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 20; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := e.tr.Submit(sub); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func BenchmarkSubmit1KB(b *testing.B)   { benchSubmit(b, 1<<10) }
func BenchmarkSubmit100KB(b *testing.B) { benchSubmit(b, 100<<10) }

// bigQueue fills the Unreachable queue with 100,000 messages once.
func bigQueue(b *testing.B) *env {
	b.Helper()
	e := &env{t: b, dir: b.TempDir(), clock: &fakeClock{t: epoch}, noSync: true}
	e.open()
	b.Cleanup(func() { e.st.Close() })
	e.tr = e.newTransport()
	data := []byte("Subject: bulk\r\n\r\n" + strings.Repeat("x", 1000))
	for chunk := 0; chunk < 10; chunk++ {
		err := e.st.QueueUpdate(func(q state.QueueTx) error {
			for i := 0; i < 10000; i++ {
				m := &state.QueuedMessage{Queue: state.QueueUnreachable, Subject: fmt.Sprint("bulk ", i), Status: state.MessageReady,
					Sender: "chris@contoso.com", FromAddress: "chris@contoso.com", Size: int64(len(data)), DateReceived: epoch,
					Recipients: []state.QueuedRecipient{{Address: "user@fabrikam.com", Status: state.RecipientReady}}}
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
	return e
}

func BenchmarkQueues100k(b *testing.B) {
	e := bigQueue(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		qs, err := e.tr.Queues()
		if err != nil || len(qs) != 2 || qs[1].MessageCount != 100000 {
			b.Fatal(qs, err)
		}
	}
}

func BenchmarkMessages1000Of100k(b *testing.B) {
	e := bigQueue(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ms, err := e.tr.Messages(MessageFilter{Queue: "Unreachable", ResultSize: 1000})
		if err != nil || len(ms) != 1000 {
			b.Fatal(len(ms), err)
		}
	}
}
