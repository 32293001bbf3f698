package tracking

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileHeaderAndLine(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 9, 15, 30, 123e6, time.UTC)
	l := New(dir, "15.02.1118.007", func() time.Time { return now }, DefaultLimits)
	defer l.Close()
	l.Write(PrefixTransport, Event{
		EventId: EventFail, Source: "ROUTING", InternalMessageId: "4294967297",
		MessageId: "<a@b>", Recipients: []string{"x@contoso.com"},
		RecipientStatus: []string{"550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found"},
		MessageSubject:  `Hi, "you"`, Sender: "s@contoso.com", TotalBytes: 10, RecipientCount: 1,
	})
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "MSGTRK2026112709-1.LOG"))
	if err != nil {
		t.Fatal(err)
	}
	want := "#Software: Microsoft Exchange Server\r\n" +
		"#Version: 15.02.1118.007\r\n" +
		"#Log-type: Message Tracking Log\r\n" +
		"#Date: 2026-11-27T09:15:30.123Z\r\n" +
		"#Fields: " + Fields + "\r\n" +
		`2026-11-27T09:15:30.123Z,,,,,,,ROUTING,FAIL,4294967297,<a@b>,,x@contoso.com,550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found,10,1,,,"Hi, ""you""",s@contoso.com,,,,,,,,,,15.02.1118.007` + "\r\n"
	if string(b) != want {
		t.Errorf("file:\n%q\nwant\n%q", b, want)
	}
	evs, err := l.Search(Query{EventID: "fail"})
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	e := evs[0]
	if e.MessageSubject != `Hi, "you"` || e.RecipientStatus[0] != "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found" || !e.Timestamp.Equal(now) {
		t.Errorf("read back %+v", e)
	}
}

func TestHourlyFilesAndSearch(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 9, 59, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := New(dir, "15.02.1118.007", clock, Limits{MaxFileSize: 800})
	defer l.Close()
	for i := 0; i < 5; i++ {
		l.Write(PrefixTransport, Event{EventId: EventReceive, Source: "SMTP", MessageId: "<m1@x>", Sender: "a@contoso.com", Recipients: []string{"b@contoso.com", "c@contoso.com"}, MessageSubject: "Seattle trip"})
	}
	now = now.Add(2 * time.Minute)
	l.Write(PrefixMailboxDelivery, Event{EventId: EventDeliver, Source: "STOREDRIVER", MessageId: "<m1@x>", Recipients: []string{"b@contoso.com"}})
	now = now.Add(time.Second)
	l.Write(PrefixTransport, Event{EventId: EventSend, Source: "SMTP", MessageId: "<m2@x>", Sender: "z@contoso.com"})
	names, _ := filepath.Glob(filepath.Join(dir, "*.LOG"))
	var base []string
	for _, n := range names {
		base = append(base, filepath.Base(n))
	}
	got := strings.Join(base, " ") + " "
	for _, want := range []string{"MSGTRK2026112709-1.LOG ", "MSGTRK2026112709-2.LOG ", "MSGTRK2026112710-1.LOG ", "MSGTRKMD2026112710-1.LOG "} {
		if !strings.Contains(got, want) {
			t.Errorf("files %s: no %s", got, want)
		}
	}
	if strings.Contains(got, "MSGTRK2026112710-2") {
		t.Errorf("the instance number did not restart at 1 for the new hour: %s", got)
	}
	cases := []struct {
		q    Query
		want int
	}{
		{Query{}, 7},
		{Query{MessageID: "m1@x"}, 6},
		{Query{Sender: "A@contoso.com"}, 5},
		{Query{Recipients: []string{"C@CONTOSO.COM"}}, 5},
		{Query{Subject: "sea"}, 5},
		{Query{EventID: "deliver"}, 1},
		{Query{Start: now.Add(-time.Second)}, 2},
		{Query{End: now.Add(-time.Second)}, 5},
		{Query{ResultSize: 2}, 2},
	}
	for _, c := range cases {
		evs, err := l.Search(c.q)
		if err != nil || len(evs) != c.want {
			t.Errorf("%+v: %d events (%v), want %d", c.q, len(evs), err, c.want)
		}
	}
	last, _ := l.Search(Query{ResultSize: 1})
	if len(last) != 1 || last[0].EventId != EventSend {
		t.Errorf("ResultSize keeps the most recent: %+v", last)
	}
}

func TestDisabledAndNil(t *testing.T) {
	dir := t.TempDir()
	l := New(dir, "v", nil, DefaultLimits)
	l.SetEnabled(false)
	l.Write(PrefixTransport, Event{EventId: EventReceive})
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 0 {
		t.Errorf("disabled log wrote %v", names)
	}
	var nilLog *Log
	nilLog.Write(PrefixTransport, Event{})
	if evs, err := nilLog.Search(Query{}); evs != nil || err != nil {
		t.Errorf("nil log search %v %v", evs, err)
	}
}

// Events wait in memory for at most flushDelay; a search sees them at once.
func TestBufferedEvents(t *testing.T) {
	dir := t.TempDir()
	l := New(dir, "15.02.1118.007", nil, DefaultLimits)
	defer l.Close()
	l.Write(PrefixTransport, Event{EventId: EventReceive, Source: "SMTP", MessageId: "<m@x>"})
	name := filepath.Join(dir, "MSGTRK"+time.Now().UTC().Format("2006010215")+"-1.LOG")
	size := func() int64 {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	header := size()
	if evs, err := l.Search(Query{}); err != nil || len(evs) != 1 {
		t.Fatalf("search right after the write: %d events, %v", len(evs), err)
	}
	if size() <= header {
		t.Error("the search did not write the pending event")
	}
	l.Write(PrefixTransport, Event{EventId: EventDeliver, Source: "STOREDRIVER", MessageId: "<m@x>"})
	written := size()
	deadline := time.Now().Add(5 * time.Second)
	for size() == written && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if size() == written {
		t.Error("a pending event was not written within 5 s")
	}
}

// countdownCtx is a context that ends after its Err was asked left
// times: a caller that goes away in the middle of the work.
type countdownCtx struct {
	context.Context
	left int
}

func (c *countdownCtx) Err() error {
	if c.left <= 0 {
		return context.Canceled
	}
	c.left--
	return nil
}

// A search stops when its caller is gone, before or while it reads the
// files.
func TestSearchStopsWithContext(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	l := New(dir, "15.02.1118.007", func() time.Time { return now }, Limits{})
	defer l.Close()
	for i := 0; i < 600; i++ {
		l.Write(PrefixTransport, Event{EventId: EventReceive, Source: "SMTP", MessageId: "<m@x>", Sender: "a@contoso.com"})
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
		n    int
	}{
		{"not ended", context.Background(), nil, 600},
		{"ended before", &countdownCtx{context.Background(), 0}, context.Canceled, 0},
		{"ended in the file", &countdownCtx{context.Background(), 2}, context.Canceled, 0},
	} {
		evs, err := l.SearchContext(tc.ctx, Query{ResultSize: -1})
		if !errors.Is(err, tc.want) || len(evs) != tc.n {
			t.Errorf("%s: %d events, %v; want %d, %v", tc.name, len(evs), err, tc.n, tc.want)
		}
	}
}
