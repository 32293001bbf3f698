package etcd

import (
	"bytes"
	"context"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Liveness: each server keeps a key l/<server> on a lease of
// Options.LivenessTTL, refreshed while its store is open and revoked when
// it closes. A server that stops without closing (killed, cut off) loses
// the key once the lease expires. Every store follows the keys with its
// watch.

// Alive reports whether the server's liveness key is there: the server is
// running and has reached the organisation's majority within the
// liveness TTL. The store's own server is alive while the store is open.
//
// A server that has itself lost the majority for longer than the TTL
// cannot know who runs (the keys of servers that stopped meanwhile cannot
// expire): it takes every other server for down.
func (s *Store) Alive(server string) bool {
	if s.opts.ServerName != "" {
		if strings.EqualFold(server, s.opts.ServerName) {
			return !s.closed.Load()
		}
		if last := s.renewed.Load(); last == 0 || time.Since(time.Unix(0, last)) > s.opts.LivenessTTL+time.Second {
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live[strings.ToLower(server)]
}

// liveName is the server a liveness key names; ok is false for another
// key.
func (s *Store) liveName(key []byte) (string, bool) {
	name, ok := bytes.CutPrefix(key, []byte(s.opts.Prefix+kindLive))
	if !ok || len(name) == 0 {
		return "", false
	}
	return strings.ToLower(string(name)), true
}

// setLive records a liveness key put or deleted.
func (s *Store) setLive(name string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.live[name] = true
	} else {
		delete(s.live, name)
	}
}

// replaceLive replaces the servers known alive (a full copy).
func (s *Store) replaceLive(names map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = names
}

// keepAlive holds this server's liveness key until Close: it grants a
// lease, puts the key on it and keeps the lease alive; when the lease is
// lost (no majority for longer than the TTL) it starts again.
func (s *Store) keepAlive() {
	defer close(s.liveDone)
	key := s.key(kindLive, s.opts.ServerName)
	ttl := int64((s.opts.LivenessTTL + time.Second - 1) / time.Second)
	var lease clientv3.LeaseID
	defer func() {
		if lease != 0 {
			// A clean stop shows the server down at once.
			ctx, cancel := contextWithTimeout(time.Second)
			s.cli.Revoke(ctx, lease)
			cancel()
		}
	}()
	for s.ctx.Err() == nil {
		// Close cancels s.ctx: a grant waiting for a majority that is
		// gone must not hold the server's stop for the whole timeout.
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
		g, err := s.cli.Grant(ctx, ttl)
		if err == nil {
			lease = g.ID
			_, err = s.cli.Put(ctx, key, "", clientv3.WithLease(g.ID))
		}
		cancel()
		if err == nil {
			var ch <-chan *clientv3.LeaseKeepAliveResponse
			s.renewed.Store(time.Now().UnixNano())
			ch, err = s.cli.KeepAlive(s.ctx, lease)
			if err == nil {
				for range ch {
					s.renewed.Store(time.Now().UnixNano())
				}
			}
		}
		if s.ctx.Err() != nil {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
