package protolog

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func fixedClock(t time.Time) func() time.Time {
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func TestSessionLines(t *testing.T) {
	dir := t.TempDir()
	l := New(dir, Receive, DefaultLimits)
	l.SetClock(fixedClock(time.Date(2023, 1, 11, 15, 59, 51, 430e6, time.UTC)))
	defer l.Close()
	local := netip.MustParseAddrPort("10.0.0.10:25")
	remote := netip.MustParseAddrPort("203.0.113.7:56026")
	s := l.Session(`EX01\Default Frontend EX01`, LevelVerbose, local, remote)
	s.Connect()
	s.Info("SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders", "Set Session Permissions")
	s.Send("220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Wed, 11 Jan 2023 16:59:51 +0100")
	s.Recv("EHLO mail.fabrikam.com")
	s.Send(CollapseReply([]string{"250-EX01.contoso.com Hello [203.0.113.7]", "250-SIZE 37748736", "250 PIPELINING"}))
	s.Info("", `TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits`)
	s.Info(`a "q"`, "")
	s.Disconnect("Local")

	data, err := os.ReadFile(filepath.Join(dir, "RECV2023011115-1.LOG"))
	if err != nil {
		t.Fatal(err)
	}
	id := s.ID()
	if !regexp.MustCompile(`^08D[0-9A-F]{13}$`).MatchString(id) {
		t.Errorf("session id %q", id)
	}
	want := "#Software: Microsoft Exchange Server\r\n" +
		"#Version: 15.0.0.0\r\n" +
		"#Log-type: SMTP Receive Protocol Log\r\n" +
		"#Date: 2023-01-11T15:59:51.432Z\r\n" +
		"#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n" +
		"2023-01-11T15:59:51.432Z,EX01\\Default Frontend EX01,ID,0,10.0.0.10:25,203.0.113.7:56026,+,,\r\n" +
		"2023-01-11T15:59:51.433Z,EX01\\Default Frontend EX01,ID,1,10.0.0.10:25,203.0.113.7:56026,*,SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders,Set Session Permissions\r\n" +
		"2023-01-11T15:59:51.434Z,EX01\\Default Frontend EX01,ID,2,10.0.0.10:25,203.0.113.7:56026,>,\"220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Wed, 11 Jan 2023 16:59:51 +0100\",\r\n" +
		"2023-01-11T15:59:51.435Z,EX01\\Default Frontend EX01,ID,3,10.0.0.10:25,203.0.113.7:56026,<,EHLO mail.fabrikam.com,\r\n" +
		"2023-01-11T15:59:51.436Z,EX01\\Default Frontend EX01,ID,4,10.0.0.10:25,203.0.113.7:56026,>,250  EX01.contoso.com Hello [203.0.113.7] SIZE 37748736 PIPELINING,\r\n" +
		"2023-01-11T15:59:51.437Z,EX01\\Default Frontend EX01,ID,5,10.0.0.10:25,203.0.113.7:56026,*,,\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits\"\r\n" +
		"2023-01-11T15:59:51.438Z,EX01\\Default Frontend EX01,ID,6,10.0.0.10:25,203.0.113.7:56026,*,\"a \"\"q\"\"\",\r\n" +
		"2023-01-11T15:59:51.439Z,EX01\\Default Frontend EX01,ID,7,10.0.0.10:25,203.0.113.7:56026,-,,Local\r\n"
	got := strings.ReplaceAll(string(data), id, "ID")
	if got != want {
		t.Errorf("log file:\n%s\nwant:\n%s", got, want)
	}
}

func TestLevelNoneWritesNothing(t *testing.T) {
	dir := t.TempDir()
	l := New(dir, Send, DefaultLimits)
	s := l.Session("Intra-Organization SMTP Send Connector", LevelNone, netip.AddrPort{}, netip.AddrPort{})
	s.Connect()
	s.Send("EHLO EX01.contoso.com")
	s.Disconnect("Local")
	if s.ID() == "" {
		t.Error("no session id")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files written at level None: %v", entries)
	}
	var nilLog *Log
	nilLog.Session("x", LevelVerbose, netip.AddrPort{}, netip.AddrPort{}).Connect()
}

func TestRolloverAndRetention(t *testing.T) {
	dir := t.TempDir()
	l := New(dir, Send, Limits{MaxFileSize: 1000, MaxDirectorySize: 2500})
	base := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	now := base
	l.SetClock(func() time.Time { return now })
	defer l.Close()
	s := l.Session("Inbound Proxy Internal Send Connector", LevelVerbose,
		netip.MustParseAddrPort("127.0.0.1:50000"), netip.MustParseAddrPort("127.0.0.1:2525"))
	for i := 0; i < 40; i++ {
		s.Send(strings.Repeat("x", 100))
	}
	entries, _ := os.ReadDir(dir)
	var total int64
	for _, e := range entries {
		if !regexp.MustCompile(`^SEND2026112709-\d+\.LOG$`).MatchString(e.Name()) {
			t.Errorf("unexpected file %s", e.Name())
		}
		info, _ := e.Info()
		if info.Size() > 1000 {
			t.Errorf("%s is %d bytes, over MaxFileSize", e.Name(), info.Size())
		}
		total += info.Size()
	}
	if len(entries) < 2 {
		t.Errorf("no rollover: %d files", len(entries))
	}
	if total > 2500+1000 {
		t.Errorf("directory holds %d bytes", total)
	}
	// A new hour starts again at instance 1.
	now = base.Add(time.Hour)
	s.Send("next hour")
	if _, err := os.Stat(filepath.Join(dir, "SEND2026112710-1.LOG")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "SEND2026112709-1.LOG")); err == nil {
		t.Error("oldest file was not pruned by MaxDirectorySize")
	}
}

func TestMaxAge(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "RECV2020010100-1.LOG")
	os.WriteFile(old, []byte("#old\r\n"), 0o644)
	past := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old, past, past)
	other := filepath.Join(dir, "notes.txt")
	os.WriteFile(other, nil, 0o644)
	os.Chtimes(other, past, past)
	l := New(dir, Receive, Limits{MaxAge: 24 * time.Hour})
	defer l.Close()
	l.Session("c", LevelVerbose, netip.AddrPort{}, netip.AddrPort{}).Connect()
	if _, err := os.Stat(old); err == nil {
		t.Error("old log not deleted")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("non-log file deleted")
	}
}

func TestConcurrentSessions(t *testing.T) {
	dir := t.TempDir()
	l := New(dir, Receive, DefaultLimits)
	defer l.Close()
	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := l.Session("c", LevelVerbose, netip.MustParseAddrPort("127.0.0.1:25"), netip.MustParseAddrPort("127.0.0.1:1"))
			for j := 0; j < 50; j++ {
				s.Recv("NOOP")
			}
			ids <- s.ID()
		}()
	}
	wg.Wait()
	l.Flush()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("duplicate session id %s", id)
		}
		seen[id] = true
	}
	files, _ := filepath.Glob(filepath.Join(dir, "RECV*.LOG"))
	var lines int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, ln := range strings.Split(string(b), "\r\n") {
			if ln != "" && ln[0] != '#' {
				lines++
			}
		}
	}
	if lines != 1000 {
		t.Errorf("%d lines, want 1000", lines)
	}
}

func TestNextMessageID(t *testing.T) {
	l := New(t.TempDir(), Receive, DefaultLimits)
	l.SetClock(func() time.Time { return time.Date(2023, 5, 19, 12, 49, 9, 21e6, time.UTC) })
	s := l.Session("c", LevelVerbose, netip.AddrPort{}, netip.AddrPort{})
	if got, want := s.NextMessageID(), s.ID()+";2023-05-19T12:49:09.021Z;1"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	if got := s.NextMessageID(); !strings.HasSuffix(got, ";2") {
		t.Errorf("second id %q", got)
	}
}

// Lines are held in memory, but a session that disconnected is in the
// file at once, and an open session's lines reach it within flushDelay.
func TestBufferedLines(t *testing.T) {
	dir := t.TempDir()
	l := New(dir, Receive, DefaultLimits)
	defer l.Close()
	read := func() string {
		files, _ := filepath.Glob(filepath.Join(dir, "RECV*.LOG"))
		var b strings.Builder
		for _, f := range files {
			data, _ := os.ReadFile(f)
			b.Write(data)
		}
		return b.String()
	}
	ap := netip.MustParseAddrPort("127.0.0.1:25")
	open := l.Session("c", LevelVerbose, ap, ap)
	open.Recv("NOOP open")
	closed := l.Session("c", LevelVerbose, ap, ap)
	closed.Recv("NOOP closed")
	if strings.Contains(read(), "NOOP") {
		t.Fatal("a line was written before any flush")
	}
	closed.Disconnect("Local")
	if got := read(); !strings.Contains(got, "NOOP closed") || !strings.Contains(got, "NOOP open") {
		t.Fatalf("after a disconnect the file holds:\n%s", got)
	}
	open.Recv("NOOP later")
	deadline := time.Now().Add(10 * flushDelay)
	for !strings.Contains(read(), "NOOP later") {
		if time.Now().After(deadline) {
			t.Fatalf("an open session's line not written after %v", 10*flushDelay)
		}
		time.Sleep(flushDelay / 10)
	}
}

// appendTime writes what time.Time.AppendFormat writes with timeLayout.
func TestAppendTime(t *testing.T) {
	zone := time.FixedZone("", -(7*3600 + 30*60))
	times := []time.Time{
		{},
		time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, zone),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Now(),
	}
	for i := 0; i < 1000; i++ {
		times = append(times, time.Unix(int64(i)*7_777_777_777%253402300799, int64(i)*1_234_567%1e9).In(zone))
	}
	for _, tm := range times {
		want := tm.UTC().Format(timeLayout)
		if got := string(appendTime([]byte("x"), tm)); got != "x"+want {
			t.Errorf("%v: got %q, want %q", tm, got, "x"+want)
		}
	}
}

// Session.Flush writes the session's held lines, and nothing when another
// flush already wrote them.
func TestSessionFlush(t *testing.T) {
	dir := t.TempDir()
	l := New(dir, Receive, DefaultLimits)
	defer l.Close()
	size := func() int64 {
		files, _ := filepath.Glob(filepath.Join(dir, "RECV*.LOG"))
		var n int64
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	ap := netip.MustParseAddrPort("127.0.0.1:25")
	a := l.Session("c", LevelVerbose, ap, ap)
	b := l.Session("c", LevelVerbose, ap, ap)
	a.Send("250 2.1.0 Sender OK")
	b.Send("250 2.1.5 Recipient OK")
	before := size()
	a.Flush()
	after := size()
	if after <= before {
		t.Fatal("Flush wrote nothing")
	}
	flushes := l.flushes
	b.Flush() // a's flush wrote b's line too
	if l.flushes != flushes || size() != after {
		t.Error("a second flush of lines already written")
	}
	a.Flush() // nothing held
	if l.flushes != flushes {
		t.Error("Flush without a held line flushed")
	}
	none := l.Session("c", LevelNone, ap, ap)
	none.Send("250 quiet")
	none.Flush()
	var nilSession *Session
	nilSession.Flush()
}
