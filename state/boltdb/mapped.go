package boltdb

import (
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// Message bodies are read in place from bbolt's memory map. Every page
// read stays mapped into the process afterwards, so a server that
// delivers a stream of large messages would carry every body it ever read
// as resident memory, although the kernel holds those pages in its page
// cache anyway. After a while of reading bodies the store hands its mapped
// pages back (they are faulted in again from the page cache when read).

// mappedTrimBytes is how many bytes of message data are read between two
// trims of the mapping.
const mappedTrimBytes = 12 << 20

// mappedReads counts the message bytes read in place since the last trim.
type mappedReads struct {
	n        atomic.Int64
	trimming atomic.Bool
}

// readMapped notes n bytes of message data read in place.
func (s *Store) readMapped(n int) { s.mapped.n.Add(int64(n)) }

// trimMappedIfDue gives the mapped pages back once enough message data
// was read. It runs in a read transaction: bbolt never remaps the file
// while one is open, so the range is the mapping's own.
func (s *Store) trimMappedIfDue() {
	if s.mapped.n.Load() < mappedTrimBytes || !s.mapped.trimming.CompareAndSwap(false, true) {
		return
	}
	defer s.mapped.trimming.Store(false)
	s.mapped.n.Store(0)
	if s.closed.Load() {
		return
	}
	s.db.View(func(tx *bolt.Tx) error {
		releaseMapped(tx.DB().Info().Data, tx.Size())
		return nil
	})
}
