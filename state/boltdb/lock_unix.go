//go:build unix

package boltdb

import (
	"errors"
	"os"
	"syscall"
)

// tryLockShared takes a shared flock on f without waiting; false means a
// writer holds it.
func tryLockShared(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
