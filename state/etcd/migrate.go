package etcd

import (
	"exsh/state"
	"exsh/state/boltdb"
)

// migrate brings an organisation that older servers wrote up to this
// build's keys, through etcd so that every server gets the same: the
// transport service records kept by kind alone get their server's keys
// (boltdb.MigrateTransportServices). An organisation already up to date
// costs one local read.
func (s *Store) migrate() error {
	legacy := false
	_ = s.local.View(func(tx state.Tx) error {
		legacy = boltdb.LegacyTransportServices(tx)
		return nil
	})
	if !legacy {
		return nil
	}
	return s.Update(boltdb.MigrateTransportServices)
}
