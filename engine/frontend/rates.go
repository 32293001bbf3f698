package frontend

import (
	"strings"
	"sync"
	"time"

	"exsh/state"
)

// RateLimiter enforces receive connectors' MessageRateLimit: at most that
// many messages (MAIL FROM accepted) per minute from one source, counted
// per client IP address, per user, or both, as MessageRateSource says.
// It is shared by all sessions of an engine and safe for concurrent use.
type RateLimiter struct {
	mu   sync.Mutex // guards hits
	hits map[string][]time.Time
}

// Allow records one message from ip/user on rc and reports whether it is
// within the limit. A nil limiter allows everything.
func (l *RateLimiter) Allow(rc *state.ReceiveConnector, ip, user string, now time.Time) bool {
	if l == nil || rc.MessageRateLimit < 0 {
		return true
	}
	var keys []string
	src := strings.ToLower(rc.MessageRateSource)
	if src == "ipaddress" || src == "all" {
		keys = append(keys, rc.Guid+"|ip|"+ip)
	}
	if (src == "user" || src == "all") && user != "" {
		keys = append(keys, rc.Guid+"|user|"+strings.ToLower(user))
	}
	if len(keys) == 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hits == nil {
		l.hits = map[string][]time.Time{}
	}
	since := now.Add(-time.Minute)
	for _, k := range keys {
		h := l.hits[k]
		i := 0
		for i < len(h) && !h[i].After(since) {
			i++
		}
		h = h[i:]
		l.hits[k] = h
		if int64(len(h)) >= int64(rc.MessageRateLimit) {
			return false
		}
	}
	for _, k := range keys {
		l.hits[k] = append(l.hits[k], now)
	}
	// Forget idle sources now and then so the map does not grow.
	if len(l.hits) > 10000 {
		for k, h := range l.hits {
			if len(h) == 0 || !h[len(h)-1].After(since) {
				delete(l.hits, k)
			}
		}
	}
	return true
}
