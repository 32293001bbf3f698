package protolog

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is the direction a log records.
type Kind int

const (
	// Receive is an SMTP Receive protocol log (RECV*.LOG).
	Receive Kind = iota
	// Send is an SMTP Send protocol log (SEND*.LOG).
	Send
)

func (k Kind) prefix() string {
	if k == Send {
		return "SEND"
	}
	return "RECV"
}

func (k Kind) logType() string {
	if k == Send {
		return "SMTP Send Protocol Log"
	}
	return "SMTP Receive Protocol Log"
}

func (k Kind) folder() string {
	if k == Send {
		return "SmtpSend"
	}
	return "SmtpReceive"
}

// Service names the transport service whose log folder is meant.
type Service string

const (
	FrontEnd Service = "FrontEnd" // Front End Transport
	Hub      Service = "Hub"      // Transport service
)

// DefaultDir returns Exchange's default protocol log folder for a service
// and direction under a data path, e.g.
// <dataPath>/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive.
func DefaultDir(dataPath string, svc Service, kind Kind) string {
	return filepath.Join(dataPath, "TransportRoles", "Logs", string(svc), "ProtocolLog", kind.folder())
}

// Level is a connector's ProtocolLoggingLevel.
type Level int

const (
	LevelNone Level = iota
	LevelVerbose
)

// ParseLevel maps "Verbose" (any case) to LevelVerbose and everything else
// to LevelNone.
func ParseLevel(s string) Level {
	if strings.EqualFold(strings.TrimSpace(s), "Verbose") {
		return LevelVerbose
	}
	return LevelNone
}

// Limits are the retention settings of one log directory
// (ReceiveProtocolLogMaxAge, ...MaxDirectorySize, ...MaxFileSize).
// Zero or negative values mean no limit.
type Limits struct {
	MaxAge           time.Duration
	MaxDirectorySize int64
	MaxFileSize      int64
}

// DefaultLimits are Exchange's defaults: 30 days, 250 MB, 10 MB.
var DefaultLimits = Limits{
	MaxAge:           30 * 24 * time.Hour,
	MaxDirectorySize: 262144000,
	MaxFileSize:      10485760,
}

// Log is one protocol log directory. It is safe for concurrent use.
type Log struct {
	dir  string
	kind Kind

	mu       sync.Mutex // guards everything below
	limits   Limits
	now      func() time.Time
	file     *os.File
	fileHour string // yyyymmddhh of the open file
	fileN    int
	fileSize int64
	closed   bool
	lastErr  error

	// pending holds lines not yet written to file: a write(2) per line
	// would cost more than the rest of a line's work. They are written
	// when a session disconnects, when pending grows large, and at the
	// latest flushDelay after the first of them.
	pending []byte
	timer   *time.Timer
	armed   bool
	flushes uint64 // how many times pending was written out

	line     []byte    // the line being written, reused
	hourFrom time.Time // the hour fileHour names, [hourFrom, hourFrom+1h)
}

// Lines wait at most flushDelay in memory, and pending is written once it
// holds flushSize bytes.
const (
	flushDelay = 100 * time.Millisecond
	flushSize  = 32 << 10
)

// New returns a log writing into dir. Nothing is created on disk until the
// first line is written.
func New(dir string, kind Kind, limits Limits) *Log {
	return &Log{dir: dir, kind: kind, limits: limits, now: time.Now}
}

// Dir is the directory the log writes into ("" when disabled).
func (l *Log) Dir() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dir
}

// SetDir moves the log to another directory from the next line on
// (Set-TransportService -ReceiveProtocolLogPath). An empty dir disables
// the log, as a $null path does in Exchange.
func (l *Log) SetDir(dir string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if dir == l.dir {
		return
	}
	l.flushLocked()
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
	l.dir, l.fileHour, l.fileN = dir, "", 0
}

// SetLimits changes the retention settings; they apply from the next line.
func (l *Log) SetLimits(limits Limits) {
	l.mu.Lock()
	l.limits = limits
	l.mu.Unlock()
}

// SetClock replaces the clock used for timestamps and file names (tests).
func (l *Log) SetClock(now func() time.Time) {
	l.mu.Lock()
	l.now = now
	l.mu.Unlock()
}

// Err returns the last error met while writing, if any. Logging never fails
// a session; errors are kept here for the operator.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

// Close closes the open file. Later lines are dropped.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	if l.timer != nil {
		l.timer.Stop()
	}
	l.closed = true
	if l.file != nil {
		err := l.file.Close()
		l.file = nil
		return err
	}
	return nil
}

// Session starts the log of one SMTP session. connectorID is the receive
// connector's identity (EX01\Default Frontend EX01) or the send connector's
// name. With level None nothing is written, but the session still has an id.
// A nil *Log gives a session that writes nothing.
func (l *Log) Session(connectorID string, level Level, local, remote netip.AddrPort) *Session {
	s := &Session{id: NewSessionID(), start: time.Now().UTC(), connector: connectorID}
	if l != nil && level == LevelVerbose {
		s.log = l
		s.local = endpoint(local)
		s.remote = endpoint(remote)
		s.start = l.clock()
	}
	return s
}

func (l *Log) clock() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now().UTC()
}

func endpoint(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	a := ap.Addr()
	if a.Is4In6() {
		a = a.Unmap()
	}
	return netip.AddrPortFrom(a.WithZone(""), ap.Port()).String()
}

// sessionIDs makes session ids unique within the process: they are .NET
// ticks (100 ns since 0001-01-01), as Exchange's are, which is why live
// values start with 08D.
var lastSessionID atomic.Uint64

const ticksAtUnixEpoch = 621355968000000000

// NewSessionID returns a new 16-digit upper-case hexadecimal session id.
func NewSessionID() string {
	t := uint64(time.Now().UnixNano()/100 + ticksAtUnixEpoch)
	for {
		last := lastSessionID.Load()
		next := t
		if next <= last {
			next = last + 1
		}
		if lastSessionID.CompareAndSwap(last, next) {
			return fmt.Sprintf("%016X", next)
		}
	}
}

// Session is the log of one SMTP session. Its methods may be called from
// several goroutines; sequence numbers follow the order of the lines in the
// file.
type Session struct {
	log       *Log // nil when not logging
	id        string
	start     time.Time
	connector string
	local     string
	remote    string
	seq       int
	msgs      int
	// held: a line of this session may still be in memory, written
	// before the log's flush number heldAt.
	held   bool
	heldAt uint64
}

// ID is the session id (16 upper-case hex digits).
func (s *Session) ID() string {
	if s == nil {
		return ""
	}
	return s.id
}

// Start is when the session began (UTC).
func (s *Session) Start() time.Time { return s.start }

// Enabled reports whether the session writes lines.
func (s *Session) Enabled() bool { return s != nil && s.log != nil }

// SetEndpoints sets the local and remote endpoints of later lines; a Send
// session learns its local endpoint only after connecting.
func (s *Session) SetEndpoints(local, remote netip.AddrPort) {
	if !s.Enabled() {
		return
	}
	s.log.mu.Lock()
	s.local, s.remote = endpoint(local), endpoint(remote)
	s.log.mu.Unlock()
}

// NextMessageID returns the id Exchange logs when a transaction starts
// ("08DB58670C40BA1D;2023-05-19T12:49:09.021Z;1"): session id, session
// start time and the number of the message within the session.
func (s *Session) NextMessageID() string {
	if s.log != nil {
		s.log.mu.Lock()
		defer s.log.mu.Unlock()
	}
	s.msgs++
	return s.id + ";" + s.start.Format(timeLayout) + ";" + strconv.Itoa(s.msgs)
}

// Connect logs "+": the connection was opened.
func (s *Session) Connect() { s.write('+', "", "") }

// Recv logs "<": a line received from the peer (command or reply).
func (s *Session) Recv(data string) { s.write('<', data, "") }

// Send logs ">": a line sent to the peer (reply or command).
func (s *Session) Send(data string) { s.write('>', data, "") }

// Info logs "*": information, with the data and context fields.
func (s *Session) Info(data, context string) { s.write('*', data, context) }

// Disconnect logs "-": the connection was closed, with the reason in the
// context field ("Local", "Remote(...)", ...).
func (s *Session) Disconnect(reason string) { s.write('-', "", reason) }

func (s *Session) write(event byte, data, context string) {
	if s == nil || s.log == nil {
		return
	}
	l := s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.dir == "" {
		return
	}
	now := l.now().UTC()
	b := appendLine(l.line[:0], now, s.connector, s.id, s.seq, s.local, s.remote, event, data, context)
	b = append(b, '\r', '\n')
	l.line = b
	s.seq++
	l.writeLocked(now, b)
	s.held, s.heldAt = true, l.flushes
	if event == '-' {
		// A finished session is complete in the file, so whoever looks
		// at the log after a session ended sees all of it.
		l.flushLocked()
	}
}

// Flush writes this session's lines still held in memory (with every
// other line held). The SMTP server calls it before each write to the
// socket, so a reply's line is in the file by the time the reply is sent
// (SPEC §3), at the cost of one write(2) per reply and not one per line.
func (s *Session) Flush() {
	if s == nil || s.log == nil {
		return
	}
	l := s.log
	l.mu.Lock()
	if s.held && s.heldAt == l.flushes { // no flush since its latest line
		l.flushLocked()
	}
	s.held = false
	l.mu.Unlock()
}

// Flush writes the lines still held in memory.
func (l *Log) Flush() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.flushLocked()
	l.mu.Unlock()
}

func (l *Log) flushLocked() {
	l.armed = false
	l.flushes++
	if len(l.pending) == 0 || l.file == nil {
		l.pending = l.pending[:0]
		return
	}
	if _, err := l.file.Write(l.pending); err != nil {
		l.lastErr = err
	}
	if cap(l.pending) > 4*flushSize {
		l.pending = nil
	} else {
		l.pending = l.pending[:0]
	}
}

const timeLayout = "2006-01-02T15:04:05.000Z"

// appendTime appends t in UTC as timeLayout does, for years 0 to 9999,
// without the layout parsing of time.Time.AppendFormat (every log line
// starts with one).
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	hour, min, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(b,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+min/10), byte('0'+min%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// appendField appends one CSV field: quoted (with doubled quotes) when it
// holds a comma, a quote or a line break (each line break written as a
// space), as Exchange's logs do.
func appendField(b []byte, s string) []byte {
	if !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b = append(b, '"', '"')
		case '\r', '\n':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// needsQuotes reports whether s holds a comma, a quote, a CR or an LF: a
// plain loop, which costs less than strings.ContainsAny building its set
// for every field of every line.
func needsQuotes(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

// appendLine appends one log line, without its CRLF.
func appendLine(b []byte, t time.Time, connector, sessionID string, seq int, local, remote string, event byte, data, context string) []byte {
	b = appendTime(b, t)
	b = append(b, ',')
	b = appendField(b, connector)
	b = append(b, ',')
	b = append(b, sessionID...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, ',')
	b = appendField(b, local)
	b = append(b, ',')
	b = appendField(b, remote)
	b = append(b, ',', event, ',')
	b = appendField(b, data)
	b = append(b, ',')
	return appendField(b, context)
}

// FormatLine renders one log line without its CRLF (tests, tools).
func FormatLine(t time.Time, connector, sessionID string, seq int, local, remote string, event byte, data, context string) string {
	return string(appendLine(nil, t, connector, sessionID, seq, local, remote, event, data, context))
}

// writeLocked appends line to the current file, rolling over first when the
// hour changed or the file is full. l.mu is held.
func (l *Log) writeLocked(now time.Time, line []byte) {
	hour := l.fileHour
	if l.file == nil || now.Before(l.hourFrom) || !now.Before(l.hourFrom.Add(time.Hour)) {
		hour = now.Format("2006010215")
	}
	if l.file != nil && (hour != l.fileHour ||
		(l.limits.MaxFileSize > 0 && l.fileSize+int64(len(line)) > l.limits.MaxFileSize && l.fileSize > headerLen)) {
		l.flushLocked()
		l.file.Close()
		l.file = nil
		if hour == l.fileHour {
			l.fileN++
		}
	}
	if l.file == nil {
		if err := l.openLocked(now, hour); err != nil {
			l.lastErr = err
			return
		}
	}
	l.pending = append(l.pending, line...)
	l.fileSize += int64(len(line))
	switch {
	case len(l.pending) >= flushSize:
		l.flushLocked()
	case !l.armed:
		l.armed = true
		if l.timer == nil {
			l.timer = time.AfterFunc(flushDelay, l.Flush)
		} else {
			l.timer.Reset(flushDelay)
		}
	}
}

// headerLen is roughly the size of a file's header; a file holding only a
// header is never rolled over for size, or a tiny MaxFileSize would loop.
const headerLen = 300

func (l *Log) fileName(hour string, n int) string {
	return filepath.Join(l.dir, fmt.Sprintf("%s%s-%d.LOG", l.kind.prefix(), hour, n))
}

// openLocked opens the file for hour: the highest existing instance if it
// has room, else a new one with the header.
func (l *Log) openLocked(now time.Time, hour string) error {
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return err
	}
	if hour != l.fileHour || l.fileN == 0 {
		l.fileHour = hour
		l.hourFrom = now.Truncate(time.Hour)
		l.fileN = l.highestInstance(hour)
		if l.fileN == 0 {
			l.fileN = 1
		}
	}
	for {
		name := l.fileName(hour, l.fileN)
		st, err := os.Stat(name)
		if err == nil && l.limits.MaxFileSize > 0 && st.Size() >= l.limits.MaxFileSize {
			l.fileN++
			continue
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		st, err = f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		l.file, l.fileSize = f, st.Size()
		if l.fileSize == 0 {
			hdr := fmt.Sprintf("#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: %s\r\n#Date: %s\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n",
				l.kind.logType(), now.Format(timeLayout))
			n, err := f.Write([]byte(hdr))
			l.fileSize += int64(n)
			if err != nil {
				return err
			}
		}
		l.pruneLocked(now, name)
		return nil
	}
}

// highestInstance finds the largest N of the files for hour (0 if none).
func (l *Log) highestInstance(hour string) int {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return 0
	}
	prefix := l.kind.prefix() + hour + "-"
	max := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".LOG") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".LOG"))
		if err == nil && n > max {
			max = n
		}
	}
	return max
}

// pruneLocked deletes the log files older than MaxAge and then the oldest
// ones while the directory is larger than MaxDirectorySize. The file being
// written (keep) is never deleted.
func (l *Log) pruneLocked(now time.Time, keep string) {
	if l.limits.MaxAge <= 0 && l.limits.MaxDirectorySize <= 0 {
		return
	}
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return
	}
	type logFile struct {
		path string
		mod  time.Time
		size int64
	}
	var files []logFile
	var total int64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, l.kind.prefix()) || !strings.HasSuffix(name, ".LOG") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		p := filepath.Join(l.dir, name)
		if l.limits.MaxAge > 0 && p != keep && now.Sub(info.ModTime()) > l.limits.MaxAge {
			os.Remove(p)
			continue
		}
		files = append(files, logFile{p, info.ModTime(), info.Size()})
		total += info.Size()
	}
	if l.limits.MaxDirectorySize <= 0 {
		return
	}
	sort.Slice(files, func(i, j int) bool {
		if files[i].mod.Equal(files[j].mod) {
			return files[i].path < files[j].path
		}
		return files[i].mod.Before(files[j].mod)
	})
	for _, f := range files {
		if total <= l.limits.MaxDirectorySize {
			break
		}
		if f.path == keep {
			continue
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}

// CollapseReply turns a multi-line reply into the single line Exchange logs:
// "250-a", "250-b", "250 c" becomes "250  a b c" (code, two spaces, the
// texts joined by one space). A single line is returned as it is.
func CollapseReply(lines []string) string {
	if len(lines) == 1 {
		return lines[0]
	}
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	n := 4
	for _, ln := range lines {
		n += len(ln)
	}
	b.Grow(n)
	code := lines[0]
	if len(code) > 3 {
		code = code[:3]
	}
	b.WriteString(code)
	b.WriteByte(' ')
	for _, ln := range lines {
		b.WriteByte(' ')
		if len(ln) > 4 {
			b.WriteString(ln[4:])
		}
	}
	return b.String()
}
