package boltdb

// ResetCache empties the decoded-connector cache (benchmarks of the cold
// path).
func (s *Store) ResetCache() {
	s.connectors.mu.Lock()
	s.connectors.m = nil
	s.connectors.mu.Unlock()
}
