package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"

	"exsh/engine/protolog"
	"exsh/engine/replies"
)

// Config is the snapshot of a receive connector that one connection runs
// with. Zero values mean "off" or "no limit" as noted.
type Config struct {
	Fqdn   string // the connector's Fqdn: banner, EHLO reply
	Banner string // a custom banner ("220 ..."), or "" for Exchange's

	SizeMode       string // "Enabled", "Disabled", "EnabledWithoutValue"
	MaxMessageSize int64  // bytes; <= 0 no limit
	MaxHeaderSize  int64  // bytes; <= 0 no limit

	Pipelining          bool
	DSN                 bool
	EnhancedStatusCodes bool
	EightBitMime        bool
	BinaryMime          bool // needs Chunking
	Chunking            bool
	// SMTPUTF8 advertises and accepts SMTPUTF8 (RFC 6531). No real
	// Exchange 2016/2019 EHLO reply shows it (exchange-receive.md §7.2),
	// so connectors leave it off whatever their SmtpUtf8Enabled says.
	SMTPUTF8 bool

	// TLSConfig enables STARTTLS (AuthMechanism Tls); nil disables it.
	TLSConfig  *tls.Config
	RequireTLS bool
	// BasicAuth offers AUTH LOGIN and PLAIN; with BasicAuthRequireTLS only
	// after STARTTLS.
	BasicAuth           bool
	BasicAuthRequireTLS bool
	RequireEHLODomain   bool
	BareLFRejection     bool

	MaxRecipients int // <= 0 no limit
	MaxHopCount   int // <= 0 no limit
	// MaxLocalHopCount limits the Received: fields added by this
	// organisation's own servers, those whose "by" host is one of
	// LocalHosts; <= 0 no limit.
	MaxLocalHopCount  int
	LocalHosts        []string // this server's FQDN and the connector's Fqdn
	MaxLogonFailures  int      // 0 never closes
	MaxProtocolErrors int      // < 0 no limit

	ConnectionTimeout  time.Duration // whole session; 0 none
	InactivityTimeout  time.Duration // per command; 0 none
	TarpitInterval     time.Duration // delay of failure replies to anonymous clients
	AuthTarpitInterval time.Duration // delay after a failed AUTH

	Now func() time.Time // nil: time.Now
}

// State is what a Handler may read about the connection. Fields change as
// the session moves on (HELO, STARTTLS, AUTH); a Handler must not keep it
// past the call.
type State struct {
	Local, Remote netip.AddrPort
	Helo          string
	ESMTP         bool
	TLS           *tls.ConnectionState // nil before STARTTLS
	AuthUser      string               // the account returned by Authenticate, "" when anonymous
	AuthMech      string               // "LOGIN" or "PLAIN"
	Log           *protolog.Session    // never nil
	Connected     time.Time
}

// Recipient is one accepted RCPT TO.
type Recipient struct {
	Addr   string
	Params RcptParams
}

// Envelope is the transaction in progress.
type Envelope struct {
	From         string // "" for the null sender
	Mail         MailParams
	Rcpts        []Recipient
	LogMessageID string // "<session-id>;<start>;<n>", logged as "receiving message"
	Chunked      bool   // sent with BDAT
}

// Handler makes every decision the SMTP layer cannot: who may log on, which
// senders and recipients are accepted, and where accepted mail goes. One
// Handler serves one connection; its methods are called from the session's
// goroutine only.
//
// Mail and Rcpt return nil to accept or a replies.Reply (as error) to
// refuse; any other error is answered with 451 4.7.0 and logged.
type Handler interface {
	// Authenticate checks a LOGIN or PLAIN credential. It returns the
	// account's identity (CONTOSO\user) or an error; a replies.Reply error
	// is sent as it is, any other error as 535 5.7.3.
	Authenticate(st *State, identity, user, password string) (account string, err error)
	// Permissions names the session's rights for the
	// "Set Session Permissions" log line written after connect, and again
	// when AUTH or STARTTLS changes them.
	Permissions(st *State) string
	Mail(st *State, from string, p MailParams) error
	Rcpt(st *State, env *Envelope, to string, p RcptParams) error
	// Data hands over the whole message as received (headers and body,
	// CRLF line ends, no Received: line of this hop) and returns the final
	// reply. It is called only after size, header and hop checks passed.
	// msg is the session's buffer, reused once Data returns: a handler
	// that keeps the message keeps a copy.
	Data(st *State, env *Envelope, msg []byte) replies.Reply
}

// SessionCloser is implemented by a Handler that holds resources for the
// session's lifetime (the Front End's proxy connection); CloseSession is
// called once when the session has ended.
type SessionCloser interface {
	CloseSession()
}

func (s *Session) closeHandler(c SessionCloser) {
	defer func() {
		if p := recover(); p != nil && s.logger != nil {
			s.logger.Printf("smtp session %s: panic in CloseSession: %v\n%s", s.log.ID(), p, debug.Stack())
		}
	}()
	c.CloseSession()
}

// SizeLimitBypasser is implemented by a Handler whose sessions may hold
// ms-Exch-Bypass-Message-Size-Limit: when BypassSizeLimit reports true,
// MaxMessageSize is not enforced (Exchange servers relaying to each other).
type SizeLimitBypasser interface {
	BypassSizeLimit(st *State) bool
}

// maxMessageSize is the limit that applies now; 0 means none.
func (s *Session) maxMessageSize() int64 {
	if b, ok := s.h.(SizeLimitBypasser); ok && b.BypassSizeLimit(&s.st) {
		return 0
	}
	return s.cfg.MaxMessageSize
}

// Logger receives operator-facing errors (panics with their stack).
type Logger interface {
	Printf(format string, v ...any)
}

// maxCommandLine is the longest command line accepted, CRLF included.
const maxCommandLine = 2000

// Session is one SMTP connection on a receive connector.
type Session struct {
	cfg    Config
	h      Handler
	logger Logger
	log    *protolog.Session

	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer

	st  State
	env *Envelope

	data       *bytes.Buffer // BDAT chunks of the current transaction; nil before the first
	bdatFailed bool          // the chunked transaction already failed; swallow chunks until LAST

	greeted bool // HELO or EHLO accepted since connect or STARTTLS
	// accepted counts messages answered with a success reply after DATA
	// or BDAT LAST; lastRefusal is the last 4xx or 5xx reply sent.
	accepted    int
	lastRefusal string
	// quit is set once QUIT has been answered: the session ended cleanly.
	quit bool
	// loggedPermissions is the last "Set Session Permissions" text.
	loggedPermissions string
	protocolErrors    int
	logonFailures     int
	sessionEnd        time.Time

	mu       sync.Mutex // guards stopping, idle, closed, conn deadline changes by Shutdown
	stopping bool
	idle     bool
	closed   bool
}

// NewSession prepares a session on conn. log is the protocol-log session
// (connector id and endpoints already set); logger may be nil.
func NewSession(conn net.Conn, cfg Config, h Handler, log *protolog.Session, logger Logger) *Session {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = (*protolog.Log)(nil).Session("", protolog.LevelNone, netip.AddrPort{}, netip.AddrPort{})
	}
	s := &Session{cfg: cfg, h: h, logger: logger, log: log, conn: conn}
	s.br = getReader(conn)
	s.bw = getWriter(deadlineWriter{s})
	s.st.Local = AddrPort(conn.LocalAddr())
	s.st.Remote = AddrPort(conn.RemoteAddr())
	s.st.Log = log
	return s
}

// AddrPort converts a net.Addr (a TCP one, or any whose String is
// "ip:port") into an unmapped netip.AddrPort; the zero value otherwise.
func AddrPort(a net.Addr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// ClientIP is the remote address as text ("192.0.2.1", "::1").
func (st *State) ClientIP() string { return st.Remote.Addr().Unmap().WithZone("").String() }

// Shutdown asks the session to end: an idle session gets
// "421 4.3.2 Service not available" now, one in a transaction after the
// transaction ends.
func (s *Session) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopping = true
	if s.idle && !s.closed {
		s.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// Close drops the connection now.
func (s *Session) Close() {
	s.mu.Lock()
	s.closed = true
	c := s.conn
	s.mu.Unlock()
	c.Close()
}

// Refuse sends a reply instead of the banner and closes (a refused
// connection: too many connections, no matching connector).
func (s *Session) Refuse(r replies.Reply) {
	s.log.Connect()
	s.reply(r)
	s.bw.Flush()
	s.log.Disconnect("Local")
	s.conn.Close()
	s.releaseBuffers()
}

// A connection-per-message load starts thousands of sessions a second:
// their buffers are recycled rather than allocated for each.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
)

func getReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func getWriter(w io.Writer) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

// releaseBuffers hands the session's buffers back once it has ended.
func (s *Session) releaseBuffers() {
	if s.br != nil {
		s.br.Reset(nil)
		readers.Put(s.br)
		s.br = nil
	}
	if s.bw != nil {
		s.bw.Reset(nil)
		writers.Put(s.bw)
		s.bw = nil
	}
}

// errClose ends the command loop after the reply already sent.
var errClose = errors.New("close session")

// Serve runs the session until the client quits, a limit closes it, or ctx
// is cancelled (which closes the connection at once; use Shutdown for a
// graceful end). A panic in the session is answered with 421 and logged.
func (s *Session) Serve(ctx context.Context) {
	stop := context.AfterFunc(ctx, s.Close)
	defer stop()
	reason := "Local"
	defer func() {
		if p := recover(); p != nil {
			if s.logger != nil {
				s.logger.Printf("smtp session %s: panic: %v\n%s", s.log.ID(), p, debug.Stack())
			}
			s.log.Info("", fmt.Sprintf("Internal error: %v", p))
			s.reply(replies.Internal)
			s.bw.Flush()
			reason = "Local"
		}
		s.log.Disconnect(reason)
		if s.quit {
			CloseAfterQuit(s.conn)
		} else {
			s.conn.Close()
		}
		if c, ok := s.h.(SessionCloser); ok {
			s.closeHandler(c)
		}
		s.releaseBuffers()
	}()

	s.st.Connected = s.cfg.Now()
	if s.cfg.ConnectionTimeout > 0 {
		s.sessionEnd = time.Now().Add(s.cfg.ConnectionTimeout)
	}
	s.log.Connect()
	s.logPermissions(true)
	banner := s.cfg.Banner
	if banner == "" {
		banner = replies.Banner(s.cfg.Fqdn, s.cfg.Now())
	}
	s.sendLine(banner)

	for {
		line, err := s.readCommand()
		if err != nil {
			reason = s.readFailed(err)
			return
		}
		if err := s.dispatch(ctx, line); err != nil {
			if err == errRemote {
				reason = "Remote"
			}
			return
		}
		s.mu.Lock()
		stopping := s.stopping && s.env == nil
		s.mu.Unlock()
		if stopping {
			s.reply(replies.ServiceUnavailable)
			s.bw.Flush()
			return
		}
	}
}

var errRemote = errors.New("remote closed")

// readFailed answers a failed command read and returns the disconnect
// reason for the log.
func (s *Session) readFailed(err error) string {
	s.mu.Lock()
	stopping, closed := s.stopping, s.closed
	s.mu.Unlock()
	var ne net.Error
	switch {
	case closed:
		return "Local"
	case errors.Is(err, errLineTooLong):
		return "Local"
	case stopping && errors.As(err, &ne) && ne.Timeout():
		s.reply(replies.ServiceUnavailable)
		s.bw.Flush()
		return "Local"
	case errors.As(err, &ne) && ne.Timeout():
		if !s.sessionEnd.IsZero() && !time.Now().Before(s.sessionEnd) {
			s.reply(replies.ConnectionTimedOut)
		} else {
			s.reply(replies.IdleTimeout)
		}
		s.bw.Flush()
		return "Local"
	default:
		return "Remote"
	}
}

var errLineTooLong = errors.New("line too long")

// abort ends the session after a failed read inside a command (DATA,
// BDAT, AUTH): a timeout is answered as between commands.
func (s *Session) abort(err error) error {
	s.resetTx()
	if s.readFailed(err) == "Remote" {
		return errRemote
	}
	return errClose
}

// readCommand flushes pending replies when no pipelined input is waiting,
// then reads one command line within the inactivity and session timeouts.
func (s *Session) readCommand() (string, error) {
	s.mu.Lock()
	s.idle = s.env == nil
	if s.stopping && s.idle {
		s.mu.Unlock()
		return "", timeoutError{}
	}
	s.setReadDeadline()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.idle = false
		s.mu.Unlock()
	}()
	if s.br.Buffered() == 0 {
		if err := s.bw.Flush(); err != nil {
			return "", err
		}
	}
	line, err := s.readLine(maxCommandLine)
	if errors.Is(err, errLineTooLong) {
		// Exchange answers a command line past its limit and hangs up.
		s.log.Recv(truncate(line, 100))
		s.failReply(replies.LineTooLong)
		s.bw.Flush()
		return "", errLineTooLong
	}
	return line, err
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// deadlineWriter bounds every write to the client by the same limits as a
// read, so a client that pipelines commands and never reads the replies
// cannot hold its session (and its per-source slot) past the timeouts.
type deadlineWriter struct{ s *Session }

func (w deadlineWriter) Write(p []byte) (int, error) {
	d := w.s.ioDeadline()
	// A final reply (such as the 421 for a timed-out session) is written
	// after the session's end; give every write at least a moment.
	if floor := time.Now().Add(writeGrace); !d.IsZero() && d.Before(floor) {
		d = floor
	}
	w.s.conn.SetWriteDeadline(d)
	// The lines of the replies being sent reach the protocol log's file
	// first (SPEC §3).
	w.s.st.Log.Flush()
	return w.s.conn.Write(p)
}

// writeGrace is the shortest time a write to the client is allowed.
const writeGrace = time.Second

// ioDeadline is the earlier of the inactivity deadline and the session's end.
func (s *Session) ioDeadline() time.Time {
	var d time.Time
	if s.cfg.InactivityTimeout > 0 {
		d = time.Now().Add(s.cfg.InactivityTimeout)
	}
	if !s.sessionEnd.IsZero() && (d.IsZero() || s.sessionEnd.Before(d)) {
		d = s.sessionEnd
	}
	return d
}

func (s *Session) setReadDeadline() {
	d := s.ioDeadline()
	if s.stopping && s.idle {
		d = time.Unix(1, 0)
	}
	s.conn.SetReadDeadline(d)
}

// lineBuffered reports whether a whole line is waiting in the read buffer.
func (s *Session) lineBuffered() bool {
	n := s.br.Buffered()
	if n == 0 {
		return false
	}
	buffered, _ := s.br.Peek(n)
	return bytes.IndexByte(buffered, '\n') >= 0
}

// readLine reads one line of at most max bytes and returns it without its
// line end (CRLF or a bare LF). A longer line is consumed to its end and
// errLineTooLong returned with its beginning.
func (s *Session) readLine(max int) (string, error) {
	var buf []byte
	over := false
	for {
		chunk, err := s.br.ReadSlice('\n')
		if err == nil && buf == nil && len(chunk) <= max+2 {
			// The whole line was in the buffer: one copy, as a string.
			chunk = chunk[:len(chunk)-1]
			if n := len(chunk); n > 0 && chunk[n-1] == '\r' {
				chunk = chunk[:n-1]
			}
			return string(chunk), nil
		}
		if len(buf)+len(chunk) <= max+2 {
			buf = append(buf, chunk...)
		} else {
			over = true
			if len(buf) < max {
				buf = append(buf, chunk[:max-len(buf)]...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		if over || len(buf) > max+2 {
			return string(buf[:min(len(buf), max)]), errLineTooLong
		}
		line := strings.TrimSuffix(strings.TrimSuffix(string(buf), "\n"), "\r")
		return line, nil
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// protocolError sends r, counts a protocol error and reports whether the
// limit closed the connection.
func (s *Session) protocolError(r replies.Reply) bool {
	s.protocolErrors++
	if s.cfg.MaxProtocolErrors >= 0 && s.protocolErrors > s.cfg.MaxProtocolErrors {
		// The error past the limit is answered with the 421 alone.
		s.reply(replies.TooManyErrors)
		s.bw.Flush()
		return true
	}
	s.failReply(r)
	return false
}

// failReply sends a failure reply, delayed by TarpitInterval for an
// unauthenticated client (Exchange never tarpits authenticated sessions).
func (s *Session) failReply(r replies.Reply) {
	if r.Code >= 500 && s.st.AuthUser == "" && s.cfg.TarpitInterval > 0 {
		s.bw.Flush()
		s.sleep(s.cfg.TarpitInterval)
	}
	s.reply(r)
}

// sleep waits d unless the session is closed first.
func (s *Session) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-t.C:
			return
		case <-tick.C:
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
		}
	}
}

// reply logs r and queues it for sending.
func (s *Session) reply(r replies.Reply) {
	if strings.Contains(r.Text, "\n") {
		lines := r.Lines(s.cfg.EnhancedStatusCodes)
		if r.Code >= 400 {
			s.lastRefusal = protolog.CollapseReply(lines)
		}
		s.sendLines(lines)
		return
	}
	line := r.Line(s.cfg.EnhancedStatusCodes)
	if r.Code >= 400 {
		s.lastRefusal = line
	}
	s.sendLine(line)
}

// Summary is what the session did, for the engine's session-end report:
// how many messages it accepted and the last refusal it sent ("" when
// none). Call it after Serve or Refuse has returned.
func (s *Session) Summary() (accepted int, lastRefusal string) {
	return s.accepted, s.lastRefusal
}

// sendLine logs a one-line reply and queues it; the protocol-log line is
// on disk before the reply leaves (the write buffer is flushed later).
func (s *Session) sendLine(line string) {
	s.log.Send(line)
	s.bw.WriteString(line)
	s.bw.WriteString("\r\n")
}

// sendLines sends a multi-line reply, logged as Exchange does on one line.
func (s *Session) sendLines(lines []string) {
	s.log.Send(protolog.CollapseReply(lines))
	for _, ln := range lines {
		s.bw.WriteString(ln)
		s.bw.WriteString("\r\n")
	}
}

func (s *Session) dispatch(ctx context.Context, line string) error {
	verb, arg := ParseCommand(line)
	switch verb {
	case "AUTH":
		mech, _, _ := strings.Cut(arg, " ")
		s.log.Recv("AUTH " + strings.ToUpper(mech))
	default:
		s.log.Recv(line)
	}
	if strings.IndexByte(line, 0) >= 0 {
		return s.errorOrClose(replies.Unrecognized)
	}
	switch verb {
	case "HELO", "EHLO":
		return s.hello(verb, arg)
	case "MAIL":
		return s.mail(arg)
	case "RCPT":
		return s.rcpt(arg)
	case "DATA":
		return s.dataCmd(arg)
	case "BDAT":
		return s.bdat(arg)
	case "RSET":
		s.resetTx()
		s.reply(replies.ResetOK)
	case "NOOP":
		s.reply(replies.NoopOK)
	case "QUIT":
		s.reply(replies.Closing)
		s.bw.Flush()
		s.quit = true
		return errClose
	case "VRFY":
		s.reply(replies.VrfyReply)
	case "HELP":
		s.reply(replies.HelpReply)
	case "STARTTLS":
		return s.startTLS(arg)
	case "AUTH":
		return s.auth(arg)
	case "EXPN":
		return s.errorOrClose(replies.NotImplemented)
	default:
		return s.errorOrClose(replies.Unrecognized)
	}
	return nil
}

// errorOrClose sends a protocol error and ends the session when the
// connector's MaxProtocolErrors is passed.
func (s *Session) errorOrClose(r replies.Reply) error {
	if s.protocolError(r) {
		return errClose
	}
	return nil
}

func (s *Session) resetTx() {
	s.env = nil
	if s.data != nil {
		putMessageBuffer(s.data)
		s.data = nil
	}
	s.bdatFailed = false
}

func (s *Session) hello(verb, arg string) error {
	if arg == "" && (verb == "HELO" || s.cfg.RequireEHLODomain) {
		return s.errorOrClose(replies.InvalidDomain)
	}
	if arg != "" && !ValidHelo(arg) && (s.cfg.RequireEHLODomain || verb == "HELO" && strings.ContainsAny(arg, "<>\"")) {
		return s.errorOrClose(replies.InvalidDomain)
	}
	s.resetTx()
	s.st.Helo = arg
	s.st.ESMTP = verb == "EHLO"
	s.greeted = true
	first := replies.HelloText(s.cfg.Fqdn, s.st.ClientIP())
	if s.st.TLS != nil {
		s.log.Info("", "Client certificate chain validation status: 'EmptyCertificate'")
		s.log.Info("", "TlsDomainCapabilities='None'; Status='NoRemoteCertificate'")
	}
	if verb == "HELO" {
		s.sendLine("250 " + first)
		return nil
	}
	// Room for every keyword below: the reply is built without growing.
	lines := make([]string, 1, 12)
	lines[0] = first
	switch s.cfg.SizeMode {
	case "Disabled":
	case "EnabledWithoutValue":
		lines = append(lines, "SIZE")
	default:
		if s.cfg.MaxMessageSize > 0 {
			lines = append(lines, "SIZE "+strconv.FormatInt(s.cfg.MaxMessageSize, 10))
		} else {
			lines = append(lines, "SIZE")
		}
	}
	if s.cfg.Pipelining {
		lines = append(lines, "PIPELINING")
	}
	if s.cfg.DSN {
		lines = append(lines, "DSN")
	}
	if s.cfg.EnhancedStatusCodes {
		lines = append(lines, "ENHANCEDSTATUSCODES")
	}
	if s.cfg.TLSConfig != nil && s.st.TLS == nil {
		lines = append(lines, "STARTTLS")
	}
	if s.authOffered() && s.st.AuthUser == "" {
		lines = append(lines, "AUTH LOGIN PLAIN")
	}
	if s.cfg.EightBitMime {
		lines = append(lines, "8BITMIME")
	}
	if s.cfg.BinaryMime && s.cfg.Chunking {
		lines = append(lines, "BINARYMIME")
	}
	if s.cfg.Chunking {
		lines = append(lines, "CHUNKING")
	}
	if s.cfg.SMTPUTF8 {
		lines = append(lines, "SMTPUTF8")
	}
	s.sendEHLO(lines)
	return nil
}

// collapseEHLO is protolog.CollapseReply of the EHLO reply of texts.
func collapseEHLO(texts []string) string {
	if len(texts) == 1 {
		return "250 " + texts[0]
	}
	n := 4
	for _, t := range texts {
		n += 1 + len(t)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString("250 ")
	for _, t := range texts {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	return b.String()
}

// sendEHLO sends the EHLO reply of texts ("250-<text>" but the last,
// "250 <text>") and logs it collapsed as sendLines does, without making
// a string of every line.
func (s *Session) sendEHLO(texts []string) {
	if s.log.Enabled() {
		s.log.Send(collapseEHLO(texts))
	}
	for i, t := range texts {
		if i == len(texts)-1 {
			s.bw.WriteString("250 ")
		} else {
			s.bw.WriteString("250-")
		}
		s.bw.WriteString(t)
		s.bw.WriteString("\r\n")
	}
}

func (s *Session) authOffered() bool {
	return s.cfg.BasicAuth && (!s.cfg.BasicAuthRequireTLS || s.st.TLS != nil)
}

func (s *Session) mail(arg string) error {
	switch {
	case !s.greeted:
		return s.errorOrClose(replies.SendHelloFirst)
	case s.env != nil:
		return s.errorOrClose(replies.SenderAlready)
	case s.cfg.RequireTLS && s.st.TLS == nil:
		s.failReply(replies.MustStartTLS)
		return nil
	}
	from, p, err := ParseMail(arg)
	if err != nil {
		return s.errorOrClose(err.(syntaxError).reply)
	}
	if p.SMTPUTF8 && !s.cfg.SMTPUTF8 || p.Body == "BINARYMIME" && !(s.cfg.BinaryMime && s.cfg.Chunking) || p.Body == "8BITMIME" && !s.cfg.EightBitMime {
		return s.errorOrClose(replies.UnknownParameter)
	}
	if max := s.maxMessageSize(); max > 0 && p.Size > max {
		s.failReply(replies.TooBig)
		return nil
	}
	if err := s.h.Mail(&s.st, from, p); err != nil {
		return s.refuse(s.replyFor(err))
	}
	s.env = &Envelope{From: from, Mail: p, LogMessageID: s.log.NextMessageID()}
	s.log.Info(s.env.LogMessageID, "receiving message")
	s.reply(replies.SenderOK)
	return nil
}

// refuse sends a handler's refusal; a 421 also ends the session.
func (s *Session) refuse(r replies.Reply) error {
	s.failReply(r)
	if r.ClosesConnection() {
		s.bw.Flush()
		return errClose
	}
	return nil
}

// replyFor turns a handler error into a reply; internal errors are logged
// and never shown to the client.
func (s *Session) replyFor(err error) replies.Reply {
	var r replies.Reply
	if errors.As(err, &r) {
		return r
	}
	if s.logger != nil {
		s.logger.Printf("smtp session %s: %v", s.log.ID(), err)
	}
	s.log.Info("", "Internal error: "+err.Error())
	return replies.LocalError
}

func (s *Session) rcpt(arg string) error {
	if s.env == nil {
		if !s.greeted {
			return s.errorOrClose(replies.SendHelloFirst)
		}
		return s.errorOrClose(replies.NeedMail)
	}
	to, p, err := ParseRcpt(arg, s.env.Mail.SMTPUTF8)
	if err != nil {
		return s.errorOrClose(err.(syntaxError).reply)
	}
	if s.cfg.MaxRecipients > 0 && len(s.env.Rcpts) >= s.cfg.MaxRecipients {
		s.reply(replies.TooManyRecipients)
		return nil
	}
	if err := s.h.Rcpt(&s.st, s.env, to, p); err != nil {
		return s.refuse(s.replyFor(err))
	}
	s.env.Rcpts = append(s.env.Rcpts, Recipient{Addr: to, Params: p})
	s.reply(replies.RecipientOK)
	return nil
}

// dataCheck answers DATA or BDAT sent out of sequence.
func (s *Session) dataCheck() (replies.Reply, bool) {
	switch {
	case !s.greeted:
		return replies.SendHelloFirst, false
	case s.env == nil:
		return replies.NeedMail, false
	case len(s.env.Rcpts) == 0:
		return replies.NeedRcpt, false
	}
	return replies.Reply{}, true
}

func (s *Session) dataCmd(arg string) error {
	if r, ok := s.dataCheck(); !ok {
		return s.errorOrClose(r)
	}
	if arg != "" {
		return s.errorOrClose(replies.InvalidArguments)
	}
	if s.env.Chunked {
		return s.errorOrClose(replies.BdatAfterData)
	}
	if s.env.Mail.Body == "BINARYMIME" {
		return s.errorOrClose(replies.DataNeedsBdat)
	}
	s.reply(replies.StartData)
	if err := s.bw.Flush(); err != nil {
		return err
	}
	buf := getMessageBuffer()
	defer putMessageBuffer(buf)
	tooBig, bareLF, err := s.readData(buf)
	if err != nil {
		return s.abort(err)
	}
	s.finish(buf.Bytes(), tooBig, bareLF)
	return nil
}

// readData reads a DATA body to the lone dot, un-stuffing dots. It keeps at
// most MaxMessageSize bytes: beyond that it reads on to the end and reports
// tooBig. Bare LF line ends are stored as CRLF.
func (s *Session) readData(buf *bytes.Buffer) (tooBig, bareLF bool, err error) {
	max := s.maxMessageSize()
	lineStart := true
	prevCR := false // the previous chunk ended in CR, cut by a full buffer
	for {
		// A line already in the buffer is read without touching the
		// connection, so the inactivity deadline only needs moving when
		// ReadSlice will have to read.
		if !s.lineBuffered() {
			s.mu.Lock()
			s.setReadDeadline()
			s.mu.Unlock()
		}
		chunk, err := s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return false, false, err
		}
		full := err == bufio.ErrBufferFull
		if lineStart && !full {
			if string(chunk) == ".\r\n" || string(chunk) == ".\n" {
				return tooBig, bareLF, nil
			}
		}
		if lineStart && len(chunk) > 0 && chunk[0] == '.' {
			chunk = chunk[1:]
		}
		if !full && (len(chunk) < 2 || chunk[len(chunk)-2] != '\r') && !(len(chunk) == 1 && prevCR) {
			bareLF = true
			chunk = append(chunk[:len(chunk)-1:len(chunk)-1], '\r', '\n')
		}
		lineStart = !full
		prevCR = full && len(chunk) > 0 && chunk[len(chunk)-1] == '\r'
		if tooBig {
			continue
		}
		if max > 0 && int64(buf.Len()+len(chunk)) > max {
			tooBig = true
			buf.Reset()
			continue
		}
		buf.Write(chunk)
	}
}

// finish runs the end-of-data checks and hands the message to the
// handler; the transaction ends either way.
func (s *Session) finish(msg []byte, tooBig, bareLF bool) {
	env := s.env
	s.resetTx()
	switch {
	case tooBig:
		s.failReply(replies.TooBig)
		return
	case bareLF && s.cfg.BareLFRejection:
		s.failReply(replies.BareLF)
		return
	}
	hdrLen, hops, localHops := headerStats(msg, s.cfg.LocalHosts)
	if s.cfg.MaxHeaderSize > 0 && int64(hdrLen) > s.cfg.MaxHeaderSize {
		s.failReply(replies.HeaderTooBig)
		return
	}
	if s.cfg.MaxHopCount > 0 && hops > s.cfg.MaxHopCount ||
		s.cfg.MaxLocalHopCount > 0 && localHops > s.cfg.MaxLocalHopCount {
		s.log.Info("", fmt.Sprintf("Hop count exceeded: %d hops, %d local", hops, localHops))
		s.failReply(replies.HopCountExceeded)
		return
	}
	r := s.h.Data(&s.st, env, msg)
	if r.Code >= 500 {
		s.failReply(r)
	} else {
		if r.Code < 400 {
			s.accepted++
		}
		s.reply(r)
	}
}

// messageBuffers recycles the buffers DATA and BDAT collect messages in,
// so a busy server does not grow a new one, doubling, for every message.
var messageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer bounds what goes back to the pool: one huge message
// must not stay resident.
const maxPooledBuffer = 4 << 20

func getMessageBuffer() *bytes.Buffer { return messageBuffers.Get().(*bytes.Buffer) }

func putMessageBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	messageBuffers.Put(b)
}

// headerStats returns the length of the header section, the number of
// Received: fields in it, and how many of those were added by one of
// local (their "by" host).
func headerStats(msg []byte, local []string) (hdrLen, received, localHops int) {
	rest := msg
	var field []byte // the Received: field being read, unfolded
	done := func() {
		if field != nil && receivedBy(field, local) {
			localHops++
		}
		field = nil
	}
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line = rest[:i+1]
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			if field != nil {
				field = append(field, bytes.TrimRight(line, "\r\n")...)
			}
		case len(line) >= 9 && strings.EqualFold(string(line[:9]), "Received:"):
			done()
			received++
			field = append([]byte{}, bytes.TrimRight(line[9:], "\r\n")...)
		default:
			done()
		}
		hdrLen += len(line)
		rest = rest[len(line):]
	}
	done()
	return hdrLen, received, localHops
}

// receivedBy reports whether a Received: field's "by" host is one of
// hosts (RFC 5321 §4.4: "from x by y with ...").
func receivedBy(field []byte, hosts []string) bool {
	if len(hosts) == 0 {
		return false
	}
	words := strings.Fields(string(field))
	for i := 0; i+1 < len(words); i++ {
		if !strings.EqualFold(words[i], "by") {
			continue
		}
		by := strings.TrimSuffix(words[i+1], ";")
		for _, h := range hosts {
			if h != "" && strings.EqualFold(by, h) {
				return true
			}
		}
		return false
	}
	return false
}

func (s *Session) bdat(arg string) error {
	fields := strings.Fields(arg)
	if len(fields) < 1 || len(fields) > 2 {
		return s.errorOrClose(replies.BdatBadArgs)
	}
	size, err := strconv.ParseInt(fields[0], 10, 64)
	last := len(fields) == 2 && strings.EqualFold(fields[1], "LAST")
	if err != nil || size < 0 || len(fields) == 2 && !last {
		// The chunk size is unknown, so the stream cannot be followed.
		s.protocolError(replies.BdatBadArgs)
		s.bw.Flush()
		return errClose
	}
	// The chunk follows the command at once; read it before answering,
	// whatever the answer, so the stream stays in step.
	s.mu.Lock()
	s.setReadDeadline()
	s.mu.Unlock()
	var sink io.Writer = io.Discard
	r, ok := s.dataCheck()
	if ok && !s.cfg.Chunking {
		r, ok = replies.Unrecognized, false
	}
	keep := ok && !s.bdatFailed
	if keep {
		if s.data == nil {
			s.data = getMessageBuffer()
		}
		if max := s.maxMessageSize(); max > 0 && int64(s.data.Len())+size > max {
			keep = false
			s.bdatFailed = true
		} else {
			sink = s.data
		}
	}
	if _, err := io.CopyN(sink, s.br, size); err != nil {
		return s.abort(err)
	}
	if !ok {
		return s.errorOrClose(r)
	}
	s.env.Chunked = true
	if !last {
		if s.bdatFailed {
			s.failReply(replies.TooBig)
			return nil
		}
		s.reply(replies.ChunkReceived(size))
		return nil
	}
	// finish ends the transaction; the chunks stay ours until it returns.
	buf := s.data
	s.data = nil
	if buf == nil {
		buf = getMessageBuffer()
	}
	defer putMessageBuffer(buf)
	s.finish(buf.Bytes(), s.bdatFailed, false)
	return nil
}

func (s *Session) startTLS(arg string) error {
	switch {
	case s.cfg.TLSConfig == nil:
		return s.errorOrClose(replies.TLSNotAvailable)
	case s.st.TLS != nil:
		return s.errorOrClose(replies.TLSAlreadyActive)
	case arg != "":
		return s.errorOrClose(replies.InvalidArguments)
	}
	s.logCertificate()
	s.reply(replies.StartTLS)
	if err := s.bw.Flush(); err != nil {
		return err
	}
	tc := tls.Server(s.conn, s.cfg.TLSConfig)
	hsCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(hsCtx); err != nil {
		s.log.Info("", "TLS negotiation failed with error "+err.Error())
		return errRemote
	}
	cs := tc.ConnectionState()
	s.mu.Lock()
	s.conn = tc
	s.mu.Unlock()
	// Anything the client pipelined after STARTTLS in clear text is
	// dropped with the old reader (RFC 3207 §4.2, CVE-2011-0411).
	s.releaseBuffers()
	s.br = getReader(tc)
	s.bw = getWriter(deadlineWriter{s})
	s.st.TLS = &cs
	s.st.Helo, s.st.ESMTP, s.greeted = "", false, false
	s.st.AuthUser, s.st.AuthMech = "", ""
	s.resetTx()
	s.log.Info("", TLSNegotiationText(cs))
	s.logPermissions(false)
	return nil
}

// logPermissions writes Exchange's "Set Session Permissions" line: always
// when always is set (connect, AUTH), else only when the session's
// permissions differ from the ones logged last (after STARTTLS).
func (s *Session) logPermissions(always bool) {
	if !s.log.Enabled() {
		return // the text is built only for the log
	}
	p := s.h.Permissions(&s.st)
	if !always && p == s.loggedPermissions {
		return
	}
	s.loggedPermissions = p
	s.log.Info(p, "Set Session Permissions")
}

// logCertificate writes Exchange's "Sending certificate" line.
func (s *Session) logCertificate() {
	if !s.log.Enabled() {
		return
	}
	var cert *tls.Certificate
	if len(s.cfg.TLSConfig.Certificates) > 0 {
		cert = &s.cfg.TLSConfig.Certificates[0]
	}
	if cert == nil || cert.Leaf == nil {
		s.log.Info("", "Sending certificate")
		return
	}
	s.log.Info(CertificateText(cert.Leaf), "Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names")
}

func (s *Session) auth(arg string) error {
	switch {
	case !s.greeted:
		return s.errorOrClose(replies.SendHelloFirst)
	case s.st.AuthUser != "":
		return s.errorOrClose(replies.AlreadyAuthed)
	case s.env != nil:
		return s.errorOrClose(replies.AuthNotInMail)
	}
	mech, ir, _ := strings.Cut(arg, " ")
	mech = strings.ToUpper(mech)
	if !s.authOffered() || mech != "LOGIN" && mech != "PLAIN" {
		return s.errorOrClose(replies.AuthNotSupported)
	}
	var account string
	var authErr error
	check := func(identity, user, pass string) error {
		account, authErr = s.h.Authenticate(&s.st, identity, user, pass)
		if authErr == nil && account == "" {
			authErr = errors.New("empty account")
		}
		if authErr != nil {
			return authErr
		}
		return nil
	}
	var srv sasl.Server
	var loginUser string
	if mech == "PLAIN" {
		srv = sasl.NewPlainServer(func(identity, user, pass string) error {
			loginUser = user
			return check(identity, user, pass)
		})
	} else {
		srv = &loginServer{auth: func(user, pass string) error {
			loginUser = user
			return check("", user, pass)
		}}
	}
	// A response that is not base64 is a failed logon, as in Exchange:
	// counted, tarpitted and answered like a wrong password.
	badResponse := errors.New("the response is not base64")
	var resp []byte
	if ir != "" {
		if ir == "=" {
			resp = []byte{}
		} else if b, err := base64.StdEncoding.DecodeString(ir); err != nil {
			authErr = badResponse
		} else {
			resp = b
		}
	}
	for authErr == nil {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			if authErr == nil {
				authErr = err
			}
			break
		}
		if done {
			break
		}
		s.log.Send("334 <authentication response>")
		s.bw.WriteString("334 " + base64.StdEncoding.EncodeToString(challenge) + "\r\n")
		s.bw.Flush()
		s.mu.Lock()
		s.setReadDeadline()
		s.mu.Unlock()
		line, err := s.readLine(maxCommandLine * 6)
		if err != nil {
			return s.abort(err)
		}
		if line == "*" {
			s.reply(replies.AuthCancelled)
			return nil
		}
		b, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			authErr = badResponse
			break
		}
		resp = b
	}
	if authErr != nil {
		s.logonFailures++
		s.log.Info("", "Inbound AUTH "+mech+" failed because of LogonDenied")
		if loginUser != "" {
			s.log.Info("", "User Name: "+loginUser)
		}
		r := replies.AuthFailed
		var rr replies.Reply
		if errors.As(authErr, &rr) {
			r = rr
		}
		if s.cfg.AuthTarpitInterval > 0 {
			s.bw.Flush()
			s.sleep(s.cfg.AuthTarpitInterval)
		}
		if s.cfg.MaxLogonFailures > 0 && s.logonFailures >= s.cfg.MaxLogonFailures {
			// The failure that reaches the limit gets the 421 instead.
			s.reply(replies.TooManyLogonErrors)
			s.bw.Flush()
			return errClose
		}
		s.reply(r)
		return nil
	}
	s.st.AuthUser, s.st.AuthMech = account, mech
	s.logPermissions(true)
	s.log.Info(account, "authenticated")
	s.reply(replies.AuthOK)
	return nil
}

// loginServer is the server side of the LOGIN mechanism, which go-sasl does
// not provide: "Username:", then "Password:", then the check.
type loginServer struct {
	step int
	user string
	auth func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		if resp == nil {
			l.step = 1
			return []byte("Username:"), false, nil
		}
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.auth(l.user, string(resp))
	}
	return nil, true, sasl.ErrUnexpectedClientResponse
}
