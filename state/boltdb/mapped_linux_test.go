//go:build linux

package boltdb_test

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"exsh/state"
	"exsh/state/statetest"
)

// mappedKB is the resident size of the process's mappings of file, from
// /proc/self/smaps.
func mappedKB(t *testing.T, file string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	kb, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"):
			in = strings.HasSuffix(line, file)
		case in && fields[0] == "Rss:":
			n, _ := strconv.Atoi(fields[1])
			kb += n
		}
	}
	return kb
}

// Reading message bodies in place maps their pages into the process; the
// store hands them back after a while, so they do not pile up as resident
// memory.
func TestReadBodiesDoNotStayMapped(t *testing.T) {
	st := statetest.MustOpen(t)
	if err := st.InitQueues(t0); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	var ids []int64
	for range 12 {
		m := &state.QueuedMessage{Queue: state.QueueSubmission}
		if err := st.Enqueue(m, body); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.InternalId)
	}
	read := func(ids []int64) (sum int) {
		if err := st.QueueView(func(q state.QueueTx) error {
			for _, id := range ids {
				_, b, err := q.DataParts(id)
				if err != nil {
					return err
				}
				for i := 0; i < len(b); i += 4096 {
					sum += int(b[i])
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	read(ids[:8])
	if kb := mappedKB(t, st.Path()); kb < 8<<10 {
		t.Skipf("reading 8 MiB in place left %d KiB mapped: pages are not counted as expected here", kb)
	}
	read(ids[8:]) // 12 MiB read: the mapping is trimmed at the end
	if kb := mappedKB(t, st.Path()); kb > 4<<10 {
		t.Errorf("after 12 MiB of bodies read, %d KiB of the store stay mapped", kb)
	}
	// The pages read again are what they were.
	if err := st.QueueView(func(q state.QueueTx) error {
		_, b, err := q.DataParts(ids[0])
		if err == nil && !bytes.Equal(b, body) {
			t.Error("a body read after the trim differs")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
