package transport

import (
	"sync"
	"time"
)

// rateTable keeps, per queue, how many messages entered and left it in each
// second of the last minute, for IncomingRate, OutgoingRate and Velocity.
type rateTable struct {
	mu     sync.Mutex // guards queues
	queues map[int64]*queueRate
}

type queueRate struct {
	in, out [60]int
	sec     [60]int64 // the unix second each slot counts
}

func newRateTable() *rateTable { return &rateTable{queues: map[int64]*queueRate{}} }

func (r *rateTable) add(queue int64, now time.Time, in bool, n int) {
	if n <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queues[queue]
	if q == nil {
		q = &queueRate{}
		r.queues[queue] = q
	}
	s := now.Unix()
	i := int(s % 60)
	if q.sec[i] != s {
		q.sec[i], q.in[i], q.out[i] = s, 0, 0
	}
	if in {
		q.in[i] += n
	} else {
		q.out[i] += n
	}
}

func (r *rateTable) incoming(queue int64, now time.Time)        { r.add(queue, now, true, 1) }
func (r *rateTable) outgoing(queue int64, now time.Time, n int) { r.add(queue, now, false, n) }

// rates returns messages per second in and out, averaged over the last minute.
func (r *rateTable) rates(queue int64, now time.Time) (in, out float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queues[queue]
	if q == nil {
		return 0, 0
	}
	s := now.Unix()
	var ni, no int
	for i := range q.sec {
		if s-q.sec[i] < 60 && q.sec[i] <= s {
			ni += q.in[i]
			no += q.out[i]
		}
	}
	return float64(ni) / 60, float64(no) / 60
}
