package transport

import (
	"testing"
	"time"

	"exsh/state"
)

// With a refused connection the queue retries every
// TransientFailureRetryInterval (5 min) for TransientFailureRetryCount (6)
// attempts, then every OutboundConnectionFailureRetryInterval (10 min).
func TestRetrySchedule(t *testing.T) {
	e := newEnv(t)
	port := freePort(t)
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, port, nil)
	e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "schedule")
	want := []time.Duration{5, 5, 5, 5, 5, 5, 10, 10}
	for i, minutes := range want {
		var q QueueInfo
		e.waitFor("attempt", func() bool {
			var ok bool
			q, ok = e.tr.findQueue(state.DeliverySmartHostConnector)
			return ok && q.RetryCount == i+1 && q.Status == "Retry"
		})
		if got := q.NextRetryTime.Sub(q.LastRetryTime); got != minutes*time.Minute {
			t.Errorf("attempt %d: next retry after %v, want %v", i+1, got, minutes*time.Minute)
		}
		if !q.FirstRetryTime.Equal(epoch) {
			t.Errorf("FirstRetryTime %v", q.FirstRetryTime)
		}
		ms, _ := e.tr.Messages(MessageFilter{Queue: q.Identity})
		if len(ms) != 1 || ms[0].RetryCount != i+1 || !ms[0].NextRetryTime.Equal(q.NextRetryTime) {
			t.Errorf("attempt %d: message %+v", i+1, ms)
		}
		e.clock.Advance(q.NextRetryTime.Sub(e.clock.Now()))
		e.tr.kickAll()
	}
}
