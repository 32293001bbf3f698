package tracking

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fields is the #Fields line of Exchange 2016 CU23 and later.
const Fields = "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version"

// File prefixes, one per service.
const (
	PrefixTransport          = "MSGTRK"   // Transport service
	PrefixMailboxDelivery    = "MSGTRKMD" // Mailbox Transport Delivery
	PrefixMailboxSubmission  = "MSGTRKMS" // Mailbox Transport Submission
	PrefixModeratedTransport = "MSGTRKMA" // moderation approvals
)

// EventId values written by exsh (Exchange has more; see the reference).
const (
	EventReceive       = "RECEIVE"
	EventSubmit        = "SUBMIT"
	EventHARedirect    = "HAREDIRECT"
	EventAgentInfo     = "AGENTINFO"
	EventSend          = "SEND"
	EventDeliver       = "DELIVER"
	EventFail          = "FAIL"
	EventDSN           = "DSN"
	EventDefer         = "DEFER"
	EventResolve       = "RESOLVE"
	EventExpand        = "EXPAND"
	EventDrop          = "DROP"
	EventPoisonMessage = "POISONMESSAGE"
	EventResubmit      = "RESUBMIT"
	EventRedirect      = "REDIRECT"

	// EventDuplicateDeliver: the recipient's mailbox already held the
	// message (same Message-ID); no second copy was stored.
	EventDuplicateDeliver = "DUPLICATEDELIVER"
)

// Source values.
const (
	SourceSMTP          = "SMTP"
	SourceStoreDriver   = "STOREDRIVER"
	SourceAgent         = "AGENT"
	SourceRouting       = "ROUTING"
	SourceResolver      = "RESOLVER"
	SourceDSN           = "DSN"
	SourceQueue         = "QUEUE"
	SourceAdmin         = "ADMIN"
	SourcePoisonMessage = "POISONMESSAGE"
	SourceDNS           = "DNS"
)

// DefaultDir is the message tracking folder of a data path.
func DefaultDir(dataPath string) string {
	return filepath.Join(dataPath, "TransportRoles", "Logs", "MessageTracking")
}

// Event is one message tracking entry. Field names are the properties
// Get-MessageTrackingLog shows (the file's field names without dashes,
// with date-time as Timestamp, recipient-address as Recipients and
// sender-address as Sender).
type Event struct {
	Timestamp               time.Time
	ClientIp                string
	ClientHostname          string
	ServerIp                string
	ServerHostname          string
	SourceContext           string
	ConnectorId             string
	Source                  string
	EventId                 string
	InternalMessageId       string
	MessageId               string
	NetworkMessageId        string
	Recipients              []string
	RecipientStatus         []string
	TotalBytes              int64
	RecipientCount          int
	RelatedRecipientAddress string
	Reference               []string
	MessageSubject          string
	Sender                  string
	ReturnPath              string
	MessageInfo             string
	Directionality          string
	TenantId                string
	OriginalClientIp        string
	OriginalServerIp        string
	CustomData              string
	TransportTrafficType    string
	LogId                   string
	SchemaVersion           string
}

// Limits bound the folder: files roll at MaxFileSize; files older than
// MaxAge, and the oldest beyond MaxDirectorySize per prefix, are deleted.
// Zero values mean no limit.
type Limits struct {
	MaxAge           time.Duration
	MaxDirectorySize int64
	MaxFileSize      int64
}

// DefaultLimits are Exchange's defaults: 30 days, 1000 MB, 10 MB.
var DefaultLimits = Limits{MaxAge: 30 * 24 * time.Hour, MaxDirectorySize: 1000 << 20, MaxFileSize: 10 << 20}

// Log writes the tracking files of one folder. It is safe for concurrent
// use. A nil *Log writes nothing and finds nothing.
type Log struct {
	dir     string
	version string // "15.02.1118.007"

	mu       sync.Mutex // guards everything below
	now      func() time.Time
	limits   Limits
	disabled bool
	files    map[string]*logFile // by prefix
	err      error               // last write error
	flushing *time.Timer         // set while lines wait in memory
}

// Events are written in batches, as Exchange's tracking agent does: a line
// waits at most flushDelay in memory, and a file's pending lines are
// written once they reach flushSize. Searching, closing and rolling over
// write them first, so a search always sees every event written before it.
const (
	flushDelay = 100 * time.Millisecond
	flushSize  = 32 << 10
)

type logFile struct {
	f       *os.File
	hour    string
	n       int
	size    int64  // including pending
	pending []byte // lines not yet written
}

// flush writes the file's pending lines.
func (lf *logFile) flush() error {
	if len(lf.pending) == 0 {
		return nil
	}
	_, err := lf.f.Write(lf.pending)
	lf.pending = lf.pending[:0]
	return err
}

// close writes the pending lines and closes the file.
func (lf *logFile) close() error {
	err := lf.flush()
	if cerr := lf.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Flush writes every event still held in memory.
func (l *Log) Flush() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushLocked()
}

func (l *Log) flushLocked() error {
	if l.flushing != nil {
		l.flushing.Stop()
		l.flushing = nil
	}
	var first error
	for _, lf := range l.files {
		if err := lf.flush(); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		l.err = first
	}
	return first
}

// New returns a Log writing into dir. version is the build written in
// #Version and schema-version ("15.02.1118.007"); now is the clock (nil
// means time.Now).
func New(dir, version string, now func() time.Time, limits Limits) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{dir: dir, version: version, now: now, limits: limits, files: map[string]*logFile{}}
}

// Dir is the folder the log writes into.
func (l *Log) Dir() string { return l.dir }

// SetEnabled turns writing on or off (MessageTrackingLogEnabled).
func (l *Log) SetEnabled(on bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.disabled = !on
	l.mu.Unlock()
}

// Enabled reports whether the log writes (MessageTrackingLogEnabled).
func (l *Log) Enabled() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.disabled
}

// SetLimits changes the size and age limits.
func (l *Log) SetLimits(limits Limits) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.limits = limits
	l.mu.Unlock()
}

// Err returns the last write error, if any.
func (l *Log) Err() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the open files.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.flushing != nil {
		l.flushing.Stop()
		l.flushing = nil
	}
	var first error
	for p, lf := range l.files {
		if err := lf.close(); err != nil && first == nil {
			first = err
		}
		delete(l.files, p)
	}
	return first
}

// Write appends one event to the file of the given prefix. A zero
// Timestamp is set from the log's clock; SchemaVersion is filled in.
func (l *Log) Write(prefix string, e Event) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.disabled {
		return
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = l.now()
	}
	e.Timestamp = e.Timestamp.UTC()
	if e.SchemaVersion == "" {
		e.SchemaVersion = l.version
	}
	line := FormatLine(&e)
	if err := l.writeLocked(prefix, e.Timestamp, line); err != nil {
		l.err = err
	}
}

func (l *Log) writeLocked(prefix string, t time.Time, line string) error {
	hour := t.Format("2006010215")
	lf := l.files[prefix]
	if lf != nil && (lf.hour != hour || l.limits.MaxFileSize > 0 && lf.size+int64(len(line)) > l.limits.MaxFileSize) {
		n := lf.n + 1
		if lf.hour != hour {
			n = 1
		}
		if err := lf.close(); err != nil {
			l.err = err
		}
		delete(l.files, prefix)
		lf = nil
		var err error
		if lf, err = l.open(prefix, t, hour, n); err != nil {
			return err
		}
	}
	if lf == nil {
		n := l.highestInstance(prefix, hour)
		if n == 0 {
			n = 1
		}
		var err error
		if lf, err = l.open(prefix, t, hour, n); err != nil {
			return err
		}
	}
	lf.pending = append(lf.pending, line...)
	lf.size += int64(len(line))
	if len(lf.pending) >= flushSize {
		return lf.flush()
	}
	if l.flushing == nil {
		l.flushing = time.AfterFunc(flushDelay, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.flushing = nil
			l.flushLocked()
		})
	}
	return nil
}

func (l *Log) fileName(prefix, hour string, n int) string {
	return filepath.Join(l.dir, fmt.Sprintf("%s%s-%d.LOG", prefix, hour, n))
}

func (l *Log) open(prefix string, t time.Time, hour string, n int) (*logFile, error) {
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return nil, err
	}
	name := l.fileName(prefix, hour, n)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	lf := &logFile{f: f, hour: hour, n: n, size: fi.Size()}
	if lf.size == 0 {
		h := "#Software: Microsoft Exchange Server\r\n" +
			"#Version: " + l.version + "\r\n" +
			"#Log-type: Message Tracking Log\r\n" +
			"#Date: " + t.UTC().Format("2006-01-02T15:04:05.000Z") + "\r\n" +
			"#Fields: " + Fields + "\r\n"
		w, err := f.WriteString(h)
		lf.size += int64(w)
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	l.files[prefix] = lf
	l.pruneLocked(prefix, t, name)
	return lf, nil
}

// highestInstance returns the largest N of prefix+hour files on disk, 0 if none.
func (l *Log) highestInstance(prefix, hour string) int {
	matches, _ := filepath.Glob(filepath.Join(l.dir, prefix+hour+"-*.LOG"))
	best := 0
	for _, m := range matches {
		s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), prefix+hour+"-"), ".LOG")
		if n, err := strconv.Atoi(s); err == nil && n > best {
			best = n
		}
	}
	return best
}

// pruneLocked deletes files of prefix beyond the age and size limits,
// never the one just opened.
func (l *Log) pruneLocked(prefix string, now time.Time, keep string) {
	files := l.filesOf(prefix)
	var total int64
	for i := len(files) - 1; i >= 0; i-- { // newest first
		fi := files[i]
		total += fi.size
		if fi.path == keep {
			continue
		}
		tooOld := l.limits.MaxAge > 0 && now.Sub(fi.mod) > l.limits.MaxAge
		tooBig := l.limits.MaxDirectorySize > 0 && total > l.limits.MaxDirectorySize
		if tooOld || tooBig {
			os.Remove(fi.path)
		}
	}
}

type fileInfo struct {
	path string
	size int64
	mod  time.Time
}

// filesOf lists the files of exactly this prefix (MSGTRK does not include
// MSGTRKMD), oldest first.
func (l *Log) filesOf(prefix string) []fileInfo {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil
	}
	var out []fileInfo
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(strings.ToUpper(name), ".LOG") {
			continue
		}
		rest := name[len(prefix):]
		if rest == "" || rest[0] < '0' || rest[0] > '9' {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, fileInfo{path: filepath.Join(l.dir, name), size: info.Size(), mod: info.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// FormatLine renders one event as a CSV line with CRLF.
func FormatLine(e *Event) string {
	var b strings.Builder
	fields := []string{
		e.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z"),
		e.ClientIp, e.ClientHostname, e.ServerIp, e.ServerHostname,
		e.SourceContext, e.ConnectorId, e.Source, e.EventId,
		e.InternalMessageId, e.MessageId, e.NetworkMessageId,
		strings.Join(e.Recipients, ";"), strings.Join(e.RecipientStatus, ";"),
		strconv.FormatInt(e.TotalBytes, 10), strconv.Itoa(e.RecipientCount),
		e.RelatedRecipientAddress, strings.Join(e.Reference, ";"), e.MessageSubject,
		e.Sender, e.ReturnPath, e.MessageInfo, e.Directionality, e.TenantId,
		e.OriginalClientIp, e.OriginalServerIp, e.CustomData, e.TransportTrafficType,
		e.LogId, e.SchemaVersion,
	}
	n := len(fields) + 1
	for _, f := range fields {
		n += len(f) + 2
	}
	b.Grow(n)
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		writeField(&b, f)
	}
	b.WriteString("\r\n")
	return b.String()
}

func writeField(b *strings.Builder, s string) {
	if !strings.ContainsAny(s, ",\"\r\n") {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(s, `"`, `""`))
	b.WriteByte('"')
}

// Query selects events for Get-MessageTrackingLog. Empty fields match
// everything. Start is inclusive and End exclusive; Sender, Recipients,
// MessageId and EventId match case-insensitively (MessageId with or
// without angle brackets; any one of Recipients); Subject matches a
// substring. ResultSize 0 means 1000; a negative ResultSize is unlimited.
type Query struct {
	Start, End        time.Time
	EventID           string
	Sender            string
	Recipients        []string
	MessageID         string
	InternalMessageID string
	NetworkMessageID  string
	Subject           string
	Reference         string
	Source            string
	ResultSize        int
}

// Search reads every tracking file in the folder and returns the
// matching events in time order. When more than ResultSize match, the
// most recent ResultSize are returned.
func (l *Log) Search(q Query) ([]Event, error) {
	return l.SearchContext(context.Background(), q)
}

// SearchContext is Search that stops, with ctx's error, when ctx ends
// (a caller that went away or gave up): between files and while one is
// read.
func (l *Log) SearchContext(ctx context.Context, q Query) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l == nil {
		return nil, nil
	}
	l.mu.Lock()
	l.flushLocked()
	l.mu.Unlock()
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []Event
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "MSGTRK") || !strings.HasSuffix(strings.ToUpper(name), ".LOG") {
			continue
		}
		evs, err := readFile(ctx, filepath.Join(l.dir, name))
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if q.match(&ev) {
				out = append(out, ev)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp.Before(out[j].Timestamp) })
	size := q.ResultSize
	if size == 0 {
		size = 1000
	}
	if size > 0 && len(out) > size {
		out = out[len(out)-size:]
	}
	return out, nil
}

func trimAngle(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "<"), ">")
}

func (q *Query) match(e *Event) bool {
	if !q.Start.IsZero() && e.Timestamp.Before(q.Start) {
		return false
	}
	if !q.End.IsZero() && !e.Timestamp.Before(q.End) {
		return false
	}
	if q.EventID != "" && !strings.EqualFold(q.EventID, e.EventId) {
		return false
	}
	if q.Source != "" && !strings.EqualFold(q.Source, e.Source) {
		return false
	}
	if q.Sender != "" && !strings.EqualFold(q.Sender, e.Sender) {
		return false
	}
	if q.MessageID != "" && !strings.EqualFold(trimAngle(q.MessageID), trimAngle(e.MessageId)) {
		return false
	}
	if q.InternalMessageID != "" && q.InternalMessageID != e.InternalMessageId {
		return false
	}
	if q.NetworkMessageID != "" && !strings.EqualFold(q.NetworkMessageID, e.NetworkMessageId) {
		return false
	}
	if q.Subject != "" && !strings.Contains(strings.ToLower(e.MessageSubject), strings.ToLower(q.Subject)) {
		return false
	}
	if q.Reference != "" {
		found := false
		for _, r := range e.Reference {
			if strings.EqualFold(trimAngle(r), trimAngle(q.Reference)) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if len(q.Recipients) > 0 {
		found := false
		for _, want := range q.Recipients {
			for _, r := range e.Recipients {
				if strings.EqualFold(want, r) {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}

// splitStatus splits a recipient-status field, one entry per recipient.
// An entry's own text may hold a semicolon ("550 5.1.1
// RESOLVER.ADR.ExRecipNotFound; not found"): a piece that doesn't start
// with a reply code belongs to the entry before it.
func splitStatus(s string) []string {
	var out []string
	for _, p := range splitList(s) {
		if len(out) > 0 && p != "" && !startsWithCode(p) {
			out[len(out)-1] += ";" + p
			continue
		}
		out = append(out, p)
	}
	return out
}

// startsWithCode reports whether s begins with a three-digit reply code.
func startsWithCode(s string) bool {
	return len(s) >= 3 && '2' <= s[0] && s[0] <= '5' && '0' <= s[1] && s[1] <= '9' && '0' <= s[2] && s[2] <= '9'
}

// readFile reads a tracking file's events; it stops with ctx's error
// when ctx ends.
func readFile(ctx context.Context, path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil // pruned meanwhile
		}
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var out []Event
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A line cut by a crash ends the file; keep what was read.
			break
		}
		if len(rec) < 30 {
			continue
		}
		ts, err := time.Parse("2006-01-02T15:04:05.000Z", rec[0])
		if err != nil {
			continue
		}
		rcpts, status := splitList(rec[12]), splitStatus(rec[13])
		total, _ := strconv.ParseInt(rec[14], 10, 64)
		count, _ := strconv.Atoi(rec[15])
		out = append(out, Event{
			Timestamp: ts, ClientIp: rec[1], ClientHostname: rec[2], ServerIp: rec[3], ServerHostname: rec[4],
			SourceContext: rec[5], ConnectorId: rec[6], Source: rec[7], EventId: rec[8],
			InternalMessageId: rec[9], MessageId: rec[10], NetworkMessageId: rec[11],
			Recipients: rcpts, RecipientStatus: status,
			TotalBytes: total, RecipientCount: count, RelatedRecipientAddress: rec[16],
			Reference: splitList(rec[17]), MessageSubject: rec[18], Sender: rec[19], ReturnPath: rec[20],
			MessageInfo: rec[21], Directionality: rec[22], TenantId: rec[23], OriginalClientIp: rec[24],
			OriginalServerIp: rec[25], CustomData: rec[26], TransportTrafficType: rec[27], LogId: rec[28],
			SchemaVersion: rec[29],
		})
	}
	return out, nil
}
