package main

import (
	"debug/elf"
	"os"
	"slices"
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

// Only the executable's read-only segments are released: not its writable
// data, not other files, and not a RELRO region (data the dynamic loader
// relocated, then made read-only, in a position-independent build), whose
// pages in the file are not what the process holds.
func TestReleasableMappings(t *testing.T) {
	// The program headers and mappings of a position-independent exsh.
	progs := []*elf.Prog{
		{ProgHeader: elf.ProgHeader{Type: elf.PT_PHDR, Flags: elf.PF_R, Off: 0x40, Filesz: 0x1f8}},
		{ProgHeader: elf.ProgHeader{Type: elf.PT_LOAD, Flags: elf.PF_R | elf.PF_X, Off: 0, Filesz: 0xa3950}},
		{ProgHeader: elf.ProgHeader{Type: elf.PT_LOAD, Flags: elf.PF_R, Off: 0xa4000, Filesz: 0xe0428}},
		{ProgHeader: elf.ProgHeader{Type: elf.PT_LOAD, Flags: elf.PF_R | elf.PF_W, Off: 0x185000, Filesz: 0x29120}},
		{ProgHeader: elf.ProgHeader{Type: elf.PT_GNU_RELRO, Flags: elf.PF_R, Off: 0x185000, Filesz: 0x29120}},
		{ProgHeader: elf.ProgHeader{Type: elf.PT_LOAD, Flags: elf.PF_R | elf.PF_W, Off: 0x1af000, Filesz: 0xc580}},
	}
	maps := `5630739b0000-563073a54000 r-xp 00000000 fd:00 1234 /opt/exsh
563073a54000-563073b35000 r--p 000a4000 fd:00 1234 /opt/exsh
563073b35000-563073b5f000 r--p 00185000 fd:00 1234 /opt/exsh
563073b5f000-563073b6c000 rw-p 001af000 fd:00 1234 /opt/exsh
563073b6c000-563073ba0000 rw-p 00000000 00:00 0
7f0000000000-7f0000020000 r-xp 00000000 fd:00 99 /usr/lib/libc.so.6
`
	got := releasable(strings.NewReader(maps), "/opt/exsh", progs)
	want := []pageRange{{0x5630739b0000, 0x563073a54000}, {0x563073a54000, 0x563073b35000}}
	if !slices.Equal(got, want) {
		t.Errorf("releasable = %x, want %x", got, want)
	}
}
