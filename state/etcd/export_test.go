package etcd

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// LapseAttempts makes every change's attempt lapse (its lease revoked)
// just before the change is committed, as when the commit reaches the
// members only after the attempt's lease expired.
func LapseAttempts(s *Store) {
	s.beforeCommit = func(lease clientv3.LeaseID) {
		s.cli.Revoke(context.Background(), lease)
	}
}

// AttemptTTL is the lease of a change's attempt key.
const AttemptTTL = attemptTTL

// BeforeCommit makes fn run between every change's attempt and its commit.
func BeforeCommit(s *Store, fn func()) {
	s.beforeCommit = func(clientv3.LeaseID) { fn() }
}
