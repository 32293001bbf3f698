package boltdb

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"exsh/state"
)

// A file system mounted read-only (EROFS) is state.ErrReadOnly, as no
// permission is; the reliability tests check it on a real read-only mount.
func TestReadOnlyErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EROFS, syscall.EACCES, syscall.EPERM} {
		err := openError("/x/exsh.db", Options{}, &fs.PathError{Op: "open", Path: "/x/exsh.db", Err: errno})
		if !errors.Is(err, state.ErrReadOnly) {
			t.Errorf("%v: %v, want state.ErrReadOnly", errno, err)
		}
	}
	if isReadOnlyError(&fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOSPC}) {
		t.Error("ENOSPC taken for read-only")
	}
}
