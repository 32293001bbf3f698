//go:build linux

package boltdb

import "golang.org/x/sys/unix"

// releaseMapped drops the process's mapping of size bytes at addr (a
// read-only shared file mapping) without unmapping it: later reads fault
// the pages in again from the page cache.
func releaseMapped(addr uintptr, size int64) {
	if addr == 0 || size <= 0 {
		return
	}
	unix.Syscall(unix.SYS_MADVISE, addr, uintptr(size), unix.MADV_DONTNEED)
}
