//go:build !linux

package boltdb

// releaseMapped is a no-op where madvise's semantics differ.
func releaseMapped(uintptr, int64) {}
