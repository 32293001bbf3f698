package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// pssFile is the process's proportional share of file-backed pages, in kB.
func pssFile(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skip("no /proc/self/smaps_rollup")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss_File:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no Pss_File in smaps_rollup")
	return 0
}

// Releasing the binary's start-up pages shrinks the process's share of
// file-backed memory, and the code it runs afterwards is mapped again
// transparently.
func TestReleaseStartupPages(t *testing.T) {
	before := pssFile(t)
	releaseStartupPages()
	after := pssFile(t)
	if after >= before {
		t.Errorf("file-backed PSS %d kB after releasing, %d kB before", after, before)
	}
	// Code and read-only data are still there when used again.
	if got := formatEndpoints(nil); len(got) != 0 {
		t.Errorf("formatEndpoints(nil) = %v", got)
	}
	if _, err := parseArgs([]string{"-NoLogo", "-Command", "1"}); err != nil {
		t.Error(err)
	}
	t.Logf("file-backed PSS %d kB before, %d kB after", before, after)
}
