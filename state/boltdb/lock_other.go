//go:build !unix

package boltdb

import "os"

// tryLockShared is a no-op where flock is not available: the check of an
// empty store file then cannot wait for a process creating it.
func tryLockShared(*os.File) (bool, error) { return true, nil }
