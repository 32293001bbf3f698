package boltdb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"exsh/state"
)

// checkEmptyFile decides about a store file that exists with zero bytes
// (see Open): nil lets bbolt initialise it as a new store; an error
// wrapping state.ErrCorrupt refuses it.
func checkEmptyFile(path string, opts Options) error {
	if !isEmptyFile(path) {
		return nil
	}
	others := otherEntries(path)
	if len(others) == 0 && !opts.ReadOnly {
		return nil
	}
	// Another process may be creating the store this moment: bbolt creates
	// the file, locks it, then writes its first pages. Wait for its lock,
	// then look again.
	unlock, err := lockShared(path, opts.Timeout)
	if err != nil {
		return openError(path, opts, err)
	}
	empty := isEmptyFile(path)
	unlock()
	if empty {
		// It may have been created and not yet locked: give its creator a
		// moment (bbolt retries a busy lock every 50 ms).
		for i := 0; i < 15 && empty; i++ {
			time.Sleep(10 * time.Millisecond)
			empty = isEmptyFile(path)
		}
	}
	if !empty {
		return nil
	}
	if len(others) == 0 {
		return fmt.Errorf("store %q is empty (0 bytes) and a read-only open cannot create a store in it: %w", path, state.ErrCorrupt)
	}
	return fmt.Errorf("store %q is empty (0 bytes), but its data path also holds %s: the store was probably lost (truncated or never finished); restore it from a backup, or remove it to start a new lab: %w",
		path, strings.Join(others, ", "), state.ErrCorrupt)
}

// isEmptyFile reports whether path is an existing regular file of zero
// bytes.
func isEmptyFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == 0
}

// otherEntries names (at most three of) the entries beside the store file
// in its directory.
func otherEntries(path string) []string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	n := 0
	for _, e := range entries {
		if e.Name() == base {
			continue
		}
		n++
		if len(out) < 3 {
			out = append(out, e.Name())
		}
	}
	if n > len(out) {
		out = append(out, fmt.Sprintf("%d more", n-len(out)))
	}
	return out
}

// lockShared takes a shared lock on the file as bbolt's readers do,
// waiting up to timeout for a writer to let go (berrors.ErrTimeout), and
// returns its release.
func lockShared(path string, timeout time.Duration) (func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		ok, err := tryLockShared(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		if ok {
			return func() { f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, berrors.ErrTimeout
		}
		time.Sleep(10 * time.Millisecond)
	}
}
