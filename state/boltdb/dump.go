package boltdb

import (
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Dump returns every record of the store, nested buckets included, keyed
// by its bucket path and key ("bucket/sub/key"), with its value: what
// tools compare to show that an organisation came back exactly.
func (s *Store) Dump() (map[string]string, error) {
	out := map[string]string{}
	var walk func(prefix string, b *bolt.Bucket) error
	walk = func(prefix string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			name := prefix + "/" + string(k)
			if v == nil {
				if sub := b.Bucket(k); sub != nil {
					return walk(name, sub)
				}
			}
			out[name] = string(v)
			return nil
		})
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return walk(strings.TrimPrefix(string(name), "/"), b)
		})
	})
	return out, err
}
