package main

import (
	"bufio"
	"debug/elf"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseStartupPages hands back the pages of the binary's code and
// read-only data that this process has mapped so far. Package
// initialisation touches every linked package (the embedded etcd member,
// gRPC and their metrics among them) though a single server never runs
// most of that code again; the pages stay in the kernel's page cache, and
// those the server does use are mapped again at their next use (a minor
// fault each). Only mappings of the executable's read-only segments are
// released, whose pages equal the file's: writable data is never touched,
// nor data the dynamic loader relocated and then made read-only (RELRO,
// as in a position-independent build), whose file pages differ from
// what the process holds.
func releaseStartupPages() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	ef, err := elf.Open(exe)
	if err != nil {
		return
	}
	progs := ef.Progs
	ef.Close()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	for _, r := range releasable(f, exe, progs) {
		unix.Syscall(unix.SYS_MADVISE, uintptr(r.start), uintptr(r.end-r.start), unix.MADV_DONTNEED)
	}
}

// releasable lists the mappings in maps (the format of /proc/self/maps)
// of the executable exe that are read-only and map a part of the file
// that one of its read-only loadable segments (progs) holds.
func releasable(maps io.Reader, exe string, progs []*elf.Prog) []pageRange {
	fileBacked := func(off uint64) bool {
		for _, p := range progs {
			if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W == 0 && off >= p.Off && off < p.Off+p.Filesz {
				return true
			}
		}
		return false
	}
	var out []pageRange
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		// 00400000-00c00000 r-xp 00000000 fd:00 1234 /path/to/exsh
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || (fields[1] != "r-xp" && fields[1] != "r--p") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		off, err3 := strconv.ParseUint(fields[2], 16, 64)
		if err1 != nil || err2 != nil || err3 != nil || end <= start || !fileBacked(off) {
			continue
		}
		out = append(out, pageRange{start, end})
	}
	return out
}

// pageRange is a mapping's addresses, end excluded.
type pageRange struct{ start, end uint64 }
