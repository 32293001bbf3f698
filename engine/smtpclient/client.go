package smtpclient

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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"

	"exsh/engine/replies"
	"exsh/engine/smtpd"
)

// Limits on what a server may send, so a hostile one cannot make the
// client buffer without end.
const (
	maxReplyLine  = 4096
	maxReplyLines = 256
)

// DefaultChunkSize is the largest BDAT chunk the client sends.
const DefaultChunkSize = 1 << 20

// BodyNotSupported is the reply for binary content when the server offers
// no BINARYMIME with CHUNKING: the content is not altered to fit [inf].
var BodyNotSupported = replies.Reply{Code: 554, Enhanced: "5.6.1", Text: "Body type not supported by Remote Host"}

// UTF8NotSupported is the reply for an SMTPUTF8 transaction when the
// server does not offer SMTPUTF8 (RFC 6531 §3.5).
var UTF8NotSupported = replies.Reply{Code: 553, Enhanced: "5.6.7", Text: "Remote Host does not support SMTPUTF8"}

// ErrProtocol is wrapped by errors about what the server sent.
var ErrProtocol = errors.New("smtp protocol error")

// Options configure a Client.
type Options struct {
	// Local is the source address to dial from; the zero value lets the
	// system choose, as it does for an address of the other family (a
	// server on ::1 sending to 127.0.0.1).
	Local netip.Addr
	// DialTimeout bounds the TCP connect; 0 means 30 seconds.
	DialTimeout time.Duration
	// Timeout bounds each command and its reply (and each chunk of
	// message data); 0 means 10 minutes.
	Timeout time.Duration
	// Hook receives what goes over the wire; nil sees nothing.
	Hook Hook
	// NoChunking sends with DATA even when the server offers CHUNKING
	// (as .NET's SmtpClient does). Binary content still needs BDAT.
	NoChunking bool
	// NoPipelining sends each command after the reply to the last, even
	// when the server offers PIPELINING (as .NET's SmtpClient does).
	NoPipelining bool
	// ChunkSize is the largest BDAT chunk; 0 means DefaultChunkSize.
	ChunkSize int
}

// Client is one SMTP session. It is not safe for concurrent use.
type Client struct {
	opts  Options
	conn  net.Conn
	br    *bufio.Reader
	ext   map[string]string // EHLO keywords, upper case, to their parameters
	tls   *tls.ConnectionState
	helo  bool // the server answered HELO, not EHLO
	greet replies.Reply

	bdat bool // the current transaction sends its content with BDAT
	open bool // a transaction is open on the server (RSET ends it)
}

// Dial connects to addr ("ip:port" or "host:port").
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	dt := opts.DialTimeout
	if dt <= 0 {
		dt = 30 * time.Second
	}
	d := net.Dialer{Timeout: dt, KeepAlive: -1}
	if opts.Local.IsValid() && !otherFamily(opts.Local, addr) {
		d.LocalAddr = &net.TCPAddr{IP: opts.Local.AsSlice(), Zone: opts.Local.Zone()}
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return New(conn, opts), nil
}

// otherFamily reports whether addr is an address of the other family
// than local, which a connection to it cannot leave from. A host name is
// not: the system picks among its addresses those local can reach.
func otherFamily(local netip.Addr, addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().Is4() != local.Unmap().Is4()
}

// New makes a client on an open connection; nothing is read yet.
func New(conn net.Conn, opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Minute
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(conn)
	return &Client{opts: opts, conn: conn, br: br}
}

// readers recycles reply buffers: a Front End proxying a connection per
// message opens a session for each. A session's buffer goes back once
// QUIT has been answered.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// SetHook replaces the hook, e.g. once the protocol log session knows
// its endpoints.
func (c *Client) SetHook(h Hook) { c.opts.Hook = h }

// Conn is the connection under the client (the TLS one after STARTTLS).
func (c *Client) Conn() net.Conn { return c.conn }

// LocalAddr and RemoteAddr are the TCP endpoints, unmapped.
func (c *Client) LocalAddr() netip.AddrPort  { return smtpd.AddrPort(c.conn.LocalAddr()) }
func (c *Client) RemoteAddr() netip.AddrPort { return smtpd.AddrPort(c.conn.RemoteAddr()) }

// Greeting is the server's 220 reply.
func (c *Client) Greeting() replies.Reply { return c.greet }

// TLS is the TLS state after STARTTLS, or nil.
func (c *Client) TLS() *tls.ConnectionState { return c.tls }

// Extension reports whether the last EHLO reply offered a keyword, and
// its parameters.
func (c *Client) Extension(name string) (string, bool) {
	v, ok := c.ext[strings.ToUpper(name)]
	return v, ok
}

// SupportsAuth reports whether AUTH offers a mechanism.
func (c *Client) SupportsAuth(mech string) bool {
	v, ok := c.ext["AUTH"]
	if !ok {
		return false
	}
	for _, m := range strings.Fields(v) {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// Close closes the connection without QUIT.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) emit(e Event) {
	if c.opts.Hook != nil {
		c.opts.Hook(e)
	}
}

func (c *Client) deadline() { c.conn.SetDeadline(time.Now().Add(c.opts.Timeout)) }

// write sends one command line.
func (c *Client) write(line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return fmt.Errorf("%w: a command may not contain CR or LF", ErrProtocol)
	}
	c.deadline()
	_, err := io.WriteString(c.conn, line+"\r\n")
	return err
}

// command sends a line, logs it and reads the reply.
func (c *Client) command(line string) (replies.Reply, error) {
	c.emit(Event{Kind: Command, Line: line})
	if err := c.write(line); err != nil {
		return replies.Reply{}, err
	}
	return c.reply()
}

// reply reads and logs one reply.
func (c *Client) reply() (replies.Reply, error) {
	r, lines, err := c.readReply()
	if err != nil {
		return r, err
	}
	c.emit(Event{Kind: Reply, Lines: lines, Reply: r})
	return r, nil
}

// readReply reads one reply, single or multi-line.
func (c *Client) readReply() (replies.Reply, []string, error) {
	if c.br == nil {
		return replies.Reply{}, nil, net.ErrClosed
	}
	c.deadline()
	// The reply's lines are gathered in one buffer and made strings
	// together: one allocation for a whole multi-line EHLO reply.
	var (
		buf  [512]byte
		text = buf[:0]
		ends []int
		code []byte
	)
	for {
		raw, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return replies.Reply{}, nil, fmt.Errorf("%w: reply line longer than %d bytes", ErrProtocol, maxReplyLine)
		}
		if err != nil {
			if err == io.EOF && len(raw) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return replies.Reply{}, nil, err
		}
		l := bytes.TrimRight(raw, "\r\n")
		if len(l) < 3 || (len(l) > 3 && l[3] != ' ' && l[3] != '-') || (code != nil && !bytes.Equal(l[:3], code)) {
			return replies.Reply{}, nil, fmt.Errorf("%w: malformed reply %q", ErrProtocol, l)
		}
		start := len(text)
		text = append(text, l...)
		if code == nil {
			code = text[start : start+3 : start+3]
		}
		ends = append(ends, len(text))
		if len(l) == 3 || l[3] == ' ' {
			break
		}
		if len(ends) >= maxReplyLines {
			return replies.Reply{}, nil, fmt.Errorf("%w: reply of more than %d lines", ErrProtocol, maxReplyLines)
		}
	}
	all := string(text)
	lines := make([]string, len(ends))
	for i, start := 0, 0; i < len(ends); i++ {
		lines[i], start = all[start:ends[i]], ends[i]
	}
	r, err := ParseReply(lines)
	if err != nil {
		return r, nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return r, lines, nil
}

// ParseReply makes one Reply of the lines of a reply: the code, the
// enhanced status code of the first line, and the texts of all lines
// (without their enhanced codes) joined with "\n".
func ParseReply(lines []string) (replies.Reply, error) {
	if len(lines) == 0 {
		return replies.Reply{}, errors.New("empty reply")
	}
	var r replies.Reply
	texts := make([]string, 0, len(lines))
	for i, l := range lines {
		p, err := replies.Parse(l)
		if err != nil {
			return replies.Reply{}, err
		}
		if i == 0 {
			r.Code, r.Enhanced = p.Code, p.Enhanced
		} else if p.Code != r.Code {
			return replies.Reply{}, fmt.Errorf("reply %q changes code", l)
		}
		if p.Enhanced != r.Enhanced {
			// A line without the first line's enhanced code keeps it as
			// text (a bare "250" has none).
			p.Text = ""
			if len(l) > 4 {
				p.Text = l[4:]
			}
		}
		texts = append(texts, p.Text)
	}
	r.Text = strings.Join(texts, "\n")
	return r, nil
}

// Start reads the greeting, says EHLO (HELO if EHLO is not understood)
// and, when tlsCfg is not nil and the server offers it, does STARTTLS and
// says EHLO again. A refusal comes back as a replies.Reply error.
func (c *Client) Start(helo string, tlsCfg *tls.Config) error {
	r, err := c.reply()
	if err != nil {
		return err
	}
	c.greet = r
	if r.Code != 220 {
		return r
	}
	if err := c.hello(helo); err != nil {
		return err
	}
	if tlsCfg == nil {
		return nil
	}
	if _, ok := c.ext["STARTTLS"]; !ok {
		return nil
	}
	return c.StartTLS(helo, tlsCfg)
}

func (c *Client) hello(name string) error {
	r, err := c.command("EHLO " + name)
	if err != nil {
		return err
	}
	if r.Code == 500 || r.Code == 502 || r.Code == 504 || r.Code == 550 {
		r, err = c.command("HELO " + name)
		if err != nil {
			return err
		}
		if r.Code != 250 {
			return r
		}
		c.ext, c.helo = map[string]string{}, true
		return nil
	}
	if r.Code != 250 {
		return r
	}
	c.ext = map[string]string{}
	for _, l := range strings.Split(r.Text, "\n")[1:] {
		kw, params, _ := strings.Cut(strings.TrimSpace(l), " ")
		if kw != "" {
			c.ext[strings.ToUpper(kw)] = params
		}
	}
	return nil
}

// StartTLS issues STARTTLS, does the handshake and says EHLO again.
func (c *Client) StartTLS(helo string, tlsCfg *tls.Config) error {
	if c.tls != nil {
		return errors.New("TLS is already on")
	}
	r, err := c.command("STARTTLS")
	if err != nil {
		return err
	}
	if r.Code != 220 {
		return r
	}
	if c.br == nil {
		return net.ErrClosed
	}
	if c.br.Buffered() > 0 {
		return fmt.Errorf("%w: data after the STARTTLS reply", ErrProtocol)
	}
	cc := newCorkedConn(c.conn)
	tc := tls.Client(cc, tlsCfg)
	c.deadline()
	if err := tc.Handshake(); err != nil {
		cc.flush() // the alert that tells the server why
		c.emit(Event{Kind: TLSFailed, Err: err})
		return err
	}
	// The last handshake flight waits for EHLO; later writes go at once.
	cc.uncork()
	st := tc.ConnectionState()
	c.tls = &st
	c.conn = tc
	c.br.Reset(tc)
	c.emit(Event{Kind: TLS, TLS: &st})
	return c.hello(helo)
}

// Auth authenticates with a SASL mechanism. A refusal comes back as a
// replies.Reply error (535 5.7.3 and the like).
func (c *Client) Auth(a sasl.Client) error {
	mech, ir, err := a.Start()
	if err != nil {
		return err
	}
	line := "AUTH " + mech
	if ir != nil {
		line += " " + encode(ir)
	}
	c.emit(Event{Kind: AuthCommand, Line: "AUTH " + mech, Secret: ir != nil})
	if err := c.write(line); err != nil {
		return err
	}
	for {
		r, lines, err := c.readReply()
		if err != nil {
			return err
		}
		if r.Code != 334 {
			c.emit(Event{Kind: Reply, Lines: lines, Reply: r})
			if r.Code == 235 {
				return nil
			}
			return r
		}
		c.emit(Event{Kind: Challenge, Lines: lines, Reply: r})
		challenge, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Text))
		var resp []byte
		if derr == nil {
			resp, derr = a.Next(challenge)
		}
		if derr != nil {
			// Cancel the exchange (RFC 4954 §4).
			c.emit(Event{Kind: Command, Line: "*"})
			if err := c.write("*"); err != nil {
				return err
			}
			if _, err := c.reply(); err != nil {
				return err
			}
			return derr
		}
		c.emit(Event{Kind: AuthResponse})
		if err := c.write(encode(resp)); err != nil {
			return err
		}
	}
}

func encode(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

// MailParams are the MAIL FROM parameters.
type MailParams struct {
	// Body is "7BIT", "8BITMIME", "BINARYMIME" or "": "" says
	// BODY=8BITMIME when the server offers it, as Exchange does.
	Body     string
	Size     int64  // SIZE=, when the server offers SIZE and Size > 0
	SMTPUTF8 bool   // refused locally with UTF8NotSupported if not offered
	Ret      string // DSN RET (FULL, HDRS)
	EnvID    string // DSN ENVID, unencoded
}

// RcptParams are the RCPT TO parameters (sent when the server offers DSN).
type RcptParams struct {
	Notify string // "SUCCESS,FAILURE"
	ORcpt  string // "rfc822;user@example.com", the address unencoded
}

// Mail starts a transaction. A reply other than 250 is returned as it is
// (BodyNotSupported and UTF8NotSupported without asking the server).
func (c *Client) Mail(from string, p MailParams) (replies.Reply, error) {
	line, refusal, ok := c.mailLine(from, p)
	if !ok {
		return refusal, nil
	}
	r, err := c.command(line)
	c.open = err == nil && r.Code == 250
	return r, err
}

// mailLine is the MAIL FROM command for from and p, or the refusal that
// this server's extensions call for without asking it. It decides how the
// transaction's content will be sent.
func (c *Client) mailLine(from string, p MailParams) (line string, refusal replies.Reply, ok bool) {
	_, chunking := c.ext["CHUNKING"]
	_, binary := c.ext["BINARYMIME"]
	body := strings.ToUpper(p.Body)
	if body == "BINARYMIME" && !(chunking && binary) {
		return "", BodyNotSupported, false
	}
	if p.SMTPUTF8 {
		if _, ok := c.ext["SMTPUTF8"]; !ok {
			return "", UTF8NotSupported, false
		}
	}
	var b strings.Builder
	b.WriteString("MAIL FROM:<" + from + ">")
	_, eight := c.ext["8BITMIME"]
	switch {
	case body == "BINARYMIME":
		b.WriteString(" BODY=BINARYMIME")
	case body == "7BIT" && eight:
		b.WriteString(" BODY=7BIT")
	case (body == "" || body == "8BITMIME") && eight:
		b.WriteString(" BODY=8BITMIME")
	}
	if _, ok := c.ext["SIZE"]; ok && p.Size > 0 {
		b.WriteString(" SIZE=" + strconv.FormatInt(p.Size, 10))
	}
	if p.SMTPUTF8 {
		b.WriteString(" SMTPUTF8")
	}
	if _, ok := c.ext["DSN"]; ok {
		if p.Ret != "" {
			b.WriteString(" RET=" + strings.ToUpper(p.Ret))
		}
		if p.EnvID != "" {
			b.WriteString(" ENVID=" + smtpd.XtextEncode(p.EnvID))
		}
	}
	c.bdat = body == "BINARYMIME" || (chunking && !c.opts.NoChunking)
	return b.String(), replies.Reply{}, true
}

// InTransaction reports whether MAIL FROM was accepted and the
// transaction has not ended: no final reply to the content yet, no RSET.
// A refused DATA command or BDAT chunk leaves it open.
func (c *Client) InTransaction() bool { return c.open }

// Rcpt adds a recipient.
func (c *Client) Rcpt(to string, p RcptParams) (replies.Reply, error) {
	return c.command(c.rcptLine(to, p))
}

// rcptLine is the RCPT TO command for to and p.
func (c *Client) rcptLine(to string, p RcptParams) string {
	line := "RCPT TO:<" + to + ">"
	if _, ok := c.ext["DSN"]; ok {
		if p.Notify != "" {
			line += " NOTIFY=" + strings.ToUpper(p.Notify)
		}
		if typ, addr, ok := strings.Cut(p.ORcpt, ";"); ok {
			line += " ORCPT=" + typ + ";" + smtpd.XtextEncode(addr)
		}
	}
	return line
}

// Data sends the message content of the transaction: with BDAT when the
// server offers CHUNKING (always for BODY=BINARYMIME), else with DATA,
// dot-stuffed. It returns the server's final reply (or the refusal of
// DATA or of a chunk).
func (c *Client) Data(msg []byte) (replies.Reply, error) {
	if c.bdat {
		return c.sendBdat(msg)
	}
	return c.sendData(msg)
}

func (c *Client) sendData(msg []byte) (replies.Reply, error) {
	r, err := c.command("DATA")
	if err != nil || r.Code != 354 {
		return r, err
	}
	c.emit(Event{Kind: Content, Data: msg})
	c.deadline()
	w := bufio.NewWriterSize(deadlineWriter{c}, 64<<10)
	if err := WriteDotStuffed(w, msg); err != nil {
		return replies.Reply{}, err
	}
	if err := w.Flush(); err != nil {
		return replies.Reply{}, err
	}
	c.emit(Event{Kind: EndOfData})
	c.open = false
	return c.reply()
}

// deadlineWriter renews the deadline on every write, so the timeout
// bounds each piece of a large message rather than the whole of it.
type deadlineWriter struct{ c *Client }

func (d deadlineWriter) Write(b []byte) (int, error) {
	d.c.deadline()
	return d.c.conn.Write(b)
}

func (c *Client) sendBdat(msg []byte) (replies.Reply, error) {
	size := c.opts.ChunkSize
	first := true
	for first || len(msg) > 0 {
		first = false
		n := min(len(msg), size)
		chunk := msg[:n]
		msg = msg[n:]
		line := "BDAT " + strconv.Itoa(n)
		if len(msg) == 0 {
			line += " LAST"
		}
		c.emit(Event{Kind: Command, Line: line})
		c.emit(Event{Kind: Content, Data: chunk, Chunk: true})
		c.deadline()
		if err := c.writeChunk(line, chunk); err != nil {
			return replies.Reply{}, err
		}
		r, err := c.reply()
		if len(msg) == 0 {
			c.open = false
		}
		if err != nil || r.Code != 250 || len(msg) == 0 {
			return r, err
		}
	}
	panic("unreachable")
}

// writeChunk writes a BDAT command and its chunk: in one write (one TLS
// record, one system call) when the chunk is small.
func (c *Client) writeChunk(line string, chunk []byte) error {
	if len(chunk) <= smallChunk {
		buf := make([]byte, 0, len(line)+2+len(chunk))
		buf = append(append(append(buf, line...), '\r', '\n'), chunk...)
		_, err := c.conn.Write(buf)
		return err
	}
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		return err
	}
	_, err := c.conn.Write(chunk)
	return err
}

// smallChunk is the largest chunk copied to go out with its command.
const smallChunk = 16 << 10

// Send runs a whole transaction: MAIL FROM, each RCPT TO, and the content
// when at least one recipient was accepted. Refusals are in the result;
// an error means the session broke (or the server sent garbage). When the
// server offers PIPELINING, MAIL FROM and the RCPT TO commands go out
// together and their replies are read after (RFC 2920).
func (c *Client) Send(from string, mp MailParams, rcpts []string, rp []RcptParams, msg []byte) (*Result, error) {
	if _, ok := c.ext["PIPELINING"]; ok && !c.opts.NoPipelining {
		return c.sendPipelined(from, mp, rcpts, rp, msg)
	}
	res := &Result{}
	var err error
	res.Mail, err = c.Mail(from, mp)
	if err != nil || res.Mail.Code != 250 {
		return res, err
	}
	res.Rcpts = make([]replies.Reply, len(rcpts))
	for i, to := range rcpts {
		var p RcptParams
		if i < len(rp) {
			p = rp[i]
		}
		res.Rcpts[i], err = c.Rcpt(to, p)
		if err != nil {
			return res, err
		}
		if res.Rcpts[i].ClosesConnection() {
			res.Data = res.Rcpts[i] // the transaction ends here
			return res, nil
		}
		if res.Rcpts[i].Positive() {
			res.Accepted++
		}
	}
	if res.Accepted == 0 {
		return res, nil
	}
	res.Data, err = c.Data(msg)
	return res, err
}

// sendPipelined is Send with MAIL FROM and RCPT TO in one write; a small
// message going with BDAT goes in the same write as its one chunk (BDAT
// may be pipelined, RFC 3030 §4.2): the server reads and drops it when no
// recipient was accepted.
func (c *Client) sendPipelined(from string, mp MailParams, rcpts []string, rp []RcptParams, msg []byte) (*Result, error) {
	res := &Result{}
	line, refusal, ok := c.mailLine(from, mp)
	if !ok {
		res.Mail = refusal
		return res, nil
	}
	lines := make([]string, 0, 1+len(rcpts))
	lines = append(lines, line)
	for i, to := range rcpts {
		var p RcptParams
		if i < len(rp) {
			p = rp[i]
		}
		lines = append(lines, c.rcptLine(to, p))
	}
	chunked := c.bdat && len(msg) <= smallChunk && len(msg) <= c.opts.ChunkSize
	n := 0
	for _, l := range lines {
		n += len(l) + 2
	}
	if chunked {
		n += len("BDAT  LAST\r\n") + 20 + len(msg)
	}
	var b strings.Builder
	b.Grow(n) // one write, built without growing
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			return res, fmt.Errorf("%w: a command may not contain CR or LF", ErrProtocol)
		}
		c.emit(Event{Kind: Command, Line: l})
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	if chunked {
		line := "BDAT " + strconv.Itoa(len(msg)) + " LAST"
		c.emit(Event{Kind: Command, Line: line})
		c.emit(Event{Kind: Content, Data: msg, Chunk: true})
		b.WriteString(line)
		b.WriteString("\r\n")
		b.Write(msg)
	}
	c.deadline()
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		return res, err
	}
	var err error
	if res.Mail, err = c.reply(); err != nil {
		return res, err
	}
	c.open = res.Mail.Code == 250
	if res.Mail.ClosesConnection() {
		return res, nil
	}
	res.Rcpts = make([]replies.Reply, len(rcpts))
	for i := range rcpts {
		if res.Rcpts[i], err = c.reply(); err != nil {
			return res, err
		}
		if res.Rcpts[i].ClosesConnection() {
			res.Data = res.Rcpts[i] // the transaction ends here
			return res, nil
		}
		if res.Mail.Code == 250 && res.Rcpts[i].Positive() {
			res.Accepted++
		}
	}
	if chunked {
		data, err := c.reply()
		c.open = false
		if err != nil || res.Mail.Code != 250 {
			res.Rcpts = nil
			return res, err
		}
		if res.Accepted > 0 {
			res.Data = data // else the refusal of a chunk with no recipient
		}
		return res, nil
	}
	if res.Mail.Code != 250 {
		res.Rcpts = nil
		return res, nil
	}
	if res.Accepted == 0 {
		return res, nil
	}
	res.Data, err = c.Data(msg)
	return res, err
}

// BasicAuth logs on with a user name and password as a send connector's
// basic authentication does: AUTH LOGIN when the server offers it, else
// AUTH PLAIN.
func (c *Client) BasicAuth(user, password string) error {
	if c.SupportsAuth("LOGIN") {
		return c.Auth(sasl.NewLoginClient(user, password))
	}
	return c.Auth(sasl.NewPlainClient("", user, password))
}

// Result is the outcome of Send: Rcpts is nil when MAIL FROM was
// refused, Data is zero when no recipient was accepted (and a 421 reply
// to RCPT TO when the server closed the session there).
type Result struct {
	Mail     replies.Reply
	Rcpts    []replies.Reply
	Accepted int
	Data     replies.Reply
}

// Final is the reply for the whole transaction: the refusal of MAIL FROM,
// the first refused recipient when none was accepted, or the reply to the
// content.
func (r *Result) Final() replies.Reply {
	if r.Mail.Code != 250 {
		return r.Mail
	}
	if r.Accepted == 0 {
		for _, rr := range r.Rcpts {
			if !rr.Positive() {
				return rr
			}
		}
	}
	return r.Data
}

// Reset sends RSET.
func (c *Client) Reset() (replies.Reply, error) {
	c.open = false
	return c.command("RSET")
}

// Noop sends NOOP.
func (c *Client) Noop() (replies.Reply, error) { return c.command("NOOP") }

// Quit sends QUIT, reads the reply and closes the connection. Once the
// server has answered, a TLS connection is closed without close_notify
// (see smtpd.CloseAfterQuit); if it has not, with it.
func (c *Client) Quit() error {
	_, err := c.command("QUIT")
	if err != nil {
		c.conn.Close()
		return err
	}
	smtpd.CloseAfterQuit(c.conn)
	c.br.Reset(nil)
	readers.Put(c.br)
	c.br = nil
	return nil
}
