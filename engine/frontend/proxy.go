package frontend

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/engine/protolog"
	"exsh/engine/replies"
	"exsh/engine/smtpd"
	"exsh/state"
)

// ProxyConnectorID is the connector id of the Front End's proxy hop in its
// SmtpSend protocol log, as Exchange names its implicit connector.
const ProxyConnectorID = "Inbound Proxy Internal Send Connector"

// Proxy relays what a Front End connector accepted to the Transport
// service over SMTP, with the go-smtp client: anonymous and server mail to
// "Default <SERVER>" (2525), authenticated client submissions to
// "Client Proxy <SERVER>" (465). The client is answered with the hub's
// reply, so it sees "250 2.6.0 ... Queued mail for delivery" only after
// the hub has queued the message.
type Proxy struct {
	// HubAddr returns the address to dial for a hub connector (the
	// listening address after -PortOffset), or false when it does not
	// listen.
	HubAddr    func(c *Connector) (string, bool)
	SendLog    *protolog.Log
	SendLevel  protolog.Level
	Credential ServerCredential
	Now        func() time.Time
	Timeout    time.Duration // per command; 0 means 2 minutes

	// tlsSessions lets proxy sessions resume the TLS session of an
	// earlier one: a client that opens a connection per message would
	// otherwise cost a full handshake (key exchange and signature) on
	// every message.
	tlsSessionsOnce sync.Once
	tlsSessions     tls.ClientSessionCache
}

// ProxyFailed is the reply when the hub cannot be reached [inf].
func proxyFailed(why string) replies.Reply {
	return replies.Reply{Code: 451, Enhanced: "4.4.0", Text: "Proxy session setup failed on Frontend with '" + why + "'"}
}

// Target picks the hub connector a message goes to.
func (p *Proxy) Target(org *Org, authenticated bool) *Connector {
	name := "Default " + org.Server.Name
	if authenticated {
		name = "Client Proxy " + org.Server.Name
	}
	if c := org.ConnectorByName(name); c != nil && c.Rec.Enabled && strings.EqualFold(c.Rec.TransportRole, RoleHub) {
		return c
	}
	for _, c := range org.Connectors {
		if c.Rec.Enabled && strings.EqualFold(c.Rec.TransportRole, RoleHub) && c.Rec.PermissionGroups.Has("ExchangeServers") {
			return c
		}
	}
	return nil
}

// Data is the DataFunc of Front End connectors.
func (p *Proxy) Data(r *Receive, st *smtpd.State, env *smtpd.Envelope, msg []byte) replies.Reply {
	org := r.Org
	msg = FilterHeader(msg, r.Rights)
	user := r.Account != nil
	var hdr bytes.Buffer
	if !user {
		// Authenticated submissions get no Front End Received: line
		// (exchange-receive.md §8.1).
		hdr.WriteString(smtpd.Received(st.Helo, st.Remote.Addr(), org.Fqdn, st.Local.Addr(), st.TLS, org.Build, "Frontend Transport", p.now()))
	}
	authAs := "Anonymous"
	if user {
		authAs = "Internal"
	}
	fmt.Fprintf(&hdr, "%s: %s\r\n", HeaderOriginalClientIP, st.ClientIP())
	fmt.Fprintf(&hdr, "%s: %s\r\n", HeaderOriginalServerIP, st.Local.Addr().Unmap().WithZone(""))
	fmt.Fprintf(&hdr, "%s: %s\r\n", HeaderAuthSource, org.Fqdn)
	fmt.Fprintf(&hdr, "%s: %s\r\n", HeaderAuthAs, authAs)
	helo := st.Helo
	if helo == "" {
		helo = "[" + st.ClientIP() + "]"
	}
	fmt.Fprintf(&hdr, "%s: %s\r\n", HeaderClientHelo, helo)
	hdr.Write(msg)

	target := p.Target(org, user)
	st.Log.Info("", "Proxy destination(s) obtained from OnProxyInboundMessage event.")
	if target == nil {
		return proxyFailed("No Transport service connector")
	}
	addr, ok := p.HubAddr(target)
	if !ok {
		return proxyFailed("Transport service is not listening")
	}
	onBehalf := ""
	if user {
		onBehalf = r.Org.NetBIOS() + `\` + r.Account.SamAccountName
	}
	key := target.Rec.Guid + "|" + addr + "|" + onBehalf
	if r.proxy != nil && (r.proxy.key != key || r.proxy.c.Reset() != nil) {
		r.proxy.close()
		r.proxy = nil
	}
	if r.proxy == nil {
		ps, err := p.open(org, addr, bindingPort(target), onBehalf)
		if err != nil {
			if rep, ok := asReply(err); ok {
				return rep
			}
			st.Log.Info("", "Proxy session setup failed: "+err.Error())
			return proxyFailed(shortError(err))
		}
		ps.key = key
		r.proxy = ps
	}
	reply, err := r.proxy.transaction(env, r.Recipients(env), hdr.Bytes())
	if err != nil || reply.Code == 421 {
		r.proxy.close()
		r.proxy = nil
	}
	if err != nil {
		st.Log.Info("", "Proxy session failed: "+err.Error())
		return proxyFailed(shortError(err))
	}
	return reply
}

func (p *Proxy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func shortError(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "Timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "Socket error: " + oe.Op
	}
	return "Unable to connect"
}

// proxySession is an open SMTP session from the Front End to the hub. One
// serves every transaction of a client session (RSET between them), as
// Exchange keeps one proxy session per inbound session.
type proxySession struct {
	key     string
	raw     net.Conn
	c       *smtp.Client
	lc      *loggedConn
	log     *protolog.Session
	timeout time.Duration // per command
}

func (ps *proxySession) close() {
	ps.c.Quit()
	ps.c.Close()
	ps.raw.Close()
	ps.log.Disconnect("Local")
}

// open connects to the hub and authenticates as this server. An error
// that is an SMTP reply from the hub comes back as *smtp.SMTPError.
//
// The protocol log records the hub's endpoint with the connector's binding
// port (2525, 465), as the hub's own receive log does, whatever port
// -PortOffset made it listen on; logPort 0 keeps the real port.
func (p *Proxy) open(org *Org, addr string, logPort int, onBehalf string) (ps *proxySession, err error) {
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: -1}
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	remote := tcpAddrPort(raw.RemoteAddr())
	if logPort > 0 {
		remote = netip.AddrPortFrom(remote.Addr(), uint16(logPort))
	}
	log := p.SendLog.Session(ProxyConnectorID, p.SendLevel, tcpAddrPort(raw.LocalAddr()), remote)
	log.Connect()
	defer func() {
		if err != nil {
			raw.Close()
			log.Disconnect("Local")
		}
	}()
	var tlsCfg *tls.Config
	if org.TLS != nil {
		tlsCfg = p.pinnedConfig(org)
	}
	c, lc, _, err := startSession(raw, log, org.Fqdn, tlsCfg, timeout)
	if err != nil {
		return nil, err
	}
	if c.SupportsAuth("PLAIN") {
		lc.setHidden(true)
		err := c.Auth(sasl.NewPlainClient(onBehalf, p.Credential.Account, p.Credential.Secret))
		lc.setHidden(false)
		if err != nil {
			return nil, err
		}
	}
	return &proxySession{raw: raw, c: c, lc: lc, log: log, timeout: timeout}, nil
}

// startSession does the start of a client session on raw itself
// (greeting, EHLO, STARTTLS when offered and tlsCfg is not nil), so that every line is logged, and hands the connection
// to a go-smtp client that carries on inside TLS (or after a second EHLO
// in clear text). It reports whether TLS is on. An SMTP refusal comes
// back as *smtp.SMTPError.
func startSession(raw net.Conn, log *protolog.Session, helo string, tlsCfg *tls.Config, timeout time.Duration) (*smtp.Client, *loggedConn, bool, error) {
	raw.SetDeadline(time.Now().Add(timeout))
	br := bufio.NewReader(raw)
	greeting, err := readReply(br, log, 220)
	if err != nil {
		return nil, nil, false, err
	}
	writeCmd(raw, log, "EHLO "+helo)
	ehlo, err := readReply(br, log, 250)
	if err != nil {
		return nil, nil, false, err
	}
	var conn net.Conn = raw
	tlsOn := false
	if hasKeyword(ehlo, "STARTTLS") && tlsCfg != nil {
		writeCmd(raw, log, "STARTTLS")
		if _, err := readReply(br, log, 220); err != nil {
			return nil, nil, false, err
		}
		tc := tls.Client(raw, tlsCfg)
		if err := tc.Handshake(); err != nil {
			log.Info("", "TLS negotiation failed with error "+err.Error())
			return nil, nil, false, err
		}
		log.Info("", strings.Replace(smtpd.TLSNegotiationText(tc.ConnectionState()), "_SERVER", "_CLIENT", 1))
		conn, tlsOn = tc, true
	} else if br.Buffered() > 0 {
		return nil, nil, false, errors.New("unexpected data after EHLO reply")
	}
	raw.SetDeadline(time.Time{})
	lc := &loggedConn{Conn: conn, log: log, greeting: []byte(greeting[len(greeting)-1] + "\r\n")}
	if !tlsOn {
		// No new EHLO in clear text: go-smtp's is swallowed and answered
		// with the reply already read.
		lc.greeting = []byte(strings.Join(greeting, "\r\n") + "\r\n" + strings.Join(ehlo, "\r\n") + "\r\n")
		lc.swallow = true
	}
	c := smtp.NewClient(lc)
	c.CommandTimeout = timeout
	c.SubmissionTimeout = timeout
	if err := c.Hello(helo); err != nil {
		return nil, nil, false, err
	}
	return c, lc, tlsOn, nil
}

// transaction relays one message. A refusal by the hub comes back as the
// reply to give the client; err means the session broke.
func (ps *proxySession) transaction(env *smtpd.Envelope, rcpts []string, data []byte) (replies.Reply, error) {
	if env.Mail.Body == "BINARYMIME" {
		return ps.binaryTransaction(env, rcpts, data)
	}
	c := ps.c
	opts := &smtp.MailOptions{Size: int64(len(data)), UTF8: env.Mail.SMTPUTF8, EnvelopeID: env.Mail.EnvID, Return: smtp.DSNReturn(env.Mail.Ret)}
	switch env.Mail.Body {
	case "7BIT":
		opts.Body = smtp.Body7Bit
	case "8BITMIME", "BINARYMIME":
		opts.Body = smtp.Body8BitMIME
	}
	if err := c.Mail(env.From, opts); err != nil {
		return replyOf(err)
	}
	var accepted int
	var firstRefusal error
	for i, rcpt := range rcpts {
		ro := &smtp.RcptOptions{}
		if n := env.Rcpts[i].Params.Notify; n != "" {
			for _, v := range strings.Split(n, ",") {
				ro.Notify = append(ro.Notify, smtp.DSNNotify(v))
			}
		}
		if o := env.Rcpts[i].Params.ORcpt; o != "" {
			if typ, addr, ok := strings.Cut(o, ";"); ok {
				ro.OriginalRecipientType, ro.OriginalRecipient = smtp.DSNAddressType(strings.ToUpper(typ)), addr
			}
		}
		if err := c.Rcpt(rcpt, ro); err != nil {
			if _, ok := asReply(err); !ok {
				return replies.Reply{}, err
			}
			if firstRefusal == nil {
				firstRefusal = err
			}
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return replyOf(firstRefusal)
	}
	w, err := c.Data()
	if err != nil {
		return replyOf(err)
	}
	ps.lc.setHidden(true)
	_, err = w.Write(data)
	var resp *smtp.DataResponse
	if err == nil {
		resp, err = w.CloseWithResponse()
	}
	ps.lc.setHidden(false)
	if err != nil {
		return replyOf(err)
	}
	r, perr := replies.Parse("250 " + resp.StatusText)
	if perr != nil {
		return replies.Reply{Code: 250, Text: resp.StatusText}, nil
	}
	return r, nil
}

// binaryTransaction relays a BINARYMIME message with BDAT. go-smtp's
// client cannot: it has no BDAT, always says BODY=8BITMIME, and its DATA
// writer turns bare LFs into CRLF, so binary content would be changed. The
// commands go over the session's connection between go-smtp's own
// commands, which leave nothing unread on it.
func (ps *proxySession) binaryTransaction(env *smtpd.Envelope, rcpts []string, data []byte) (replies.Reply, error) {
	for _, ext := range []string{"CHUNKING", "BINARYMIME"} {
		if ok, _ := ps.c.Extension(ext); !ok {
			return replies.Reply{Code: 554, Enhanced: "5.6.1", Text: "The Transport service does not accept binary content"}, nil
		}
	}
	conn := ps.lc.Conn // below the logging wrapper: writeCmd and readReply log
	conn.SetDeadline(time.Now().Add(ps.timeout))
	defer conn.SetDeadline(time.Time{})
	br := bufio.NewReader(conn)
	cmd := func(line string, want int) (replies.Reply, bool, error) {
		writeCmd(conn, ps.log, line)
		if _, err := readReply(br, ps.log, want); err != nil {
			if r, ok := asReply(err); ok {
				return r, false, nil
			}
			return replies.Reply{}, false, err
		}
		return replies.Reply{}, true, nil
	}
	mail := fmt.Sprintf("MAIL FROM:<%s> SIZE=%d BODY=BINARYMIME", env.From, len(data))
	if env.Mail.SMTPUTF8 {
		mail += " SMTPUTF8"
	}
	if env.Mail.Ret != "" {
		mail += " RET=" + env.Mail.Ret
	}
	if env.Mail.EnvID != "" {
		mail += " ENVID=" + smtpd.XtextEncode(env.Mail.EnvID)
	}
	if r, ok, err := cmd(mail, 250); !ok {
		return r, err
	}
	var accepted int
	var firstRefusal replies.Reply
	for i, rcpt := range rcpts {
		line := "RCPT TO:<" + rcpt + ">"
		if n := env.Rcpts[i].Params.Notify; n != "" {
			line += " NOTIFY=" + n
		}
		if o := env.Rcpts[i].Params.ORcpt; o != "" {
			if typ, addr, ok := strings.Cut(o, ";"); ok {
				line += " ORCPT=" + typ + ";" + smtpd.XtextEncode(addr)
			}
		}
		r, ok, err := cmd(line, 250)
		if err != nil {
			return replies.Reply{}, err
		}
		if !ok {
			if firstRefusal.Code == 0 {
				firstRefusal = r
			}
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return firstRefusal, nil
	}
	writeCmd(conn, ps.log, fmt.Sprintf("BDAT %d LAST", len(data)))
	if _, err := conn.Write(data); err != nil {
		return replies.Reply{}, err
	}
	lines, err := readReply(br, ps.log, 250)
	if err != nil {
		if r, ok := asReply(err); ok {
			return r, nil
		}
		return replies.Reply{}, err
	}
	return replies.Parse(lines[len(lines)-1])
}

// asReply converts an *smtp.SMTPError into a reply.
func asReply(err error) (replies.Reply, bool) {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return replies.Reply{}, false
	}
	r, _ := replyOf(err)
	return r, true
}

// pinnedConfig trusts exactly the organisation's own certificate: the hub
// is this server, and its certificate is self-signed.
func (p *Proxy) pinnedConfig(org *Org) *tls.Config {
	want := org.CertDER
	p.tlsSessionsOnce.Do(func() { p.tlsSessions = tls.NewLRUClientSessionCache(64) })
	return &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		// The hub speaks TLS 1.2 only; offering 1.3 would make every
		// ClientHello compute key shares (ML-KEM and X25519) for nothing.
		MaxVersion:         tls.VersionTLS12,
		ClientSessionCache: p.tlsSessions,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, want) {
				return x509.UnknownAuthorityError{}
			}
			return nil
		},
	}
}

// replyOf turns a client error into the reply the Front End gives its own
// client: the hub's SMTP error as it is, anything else as an error.
func replyOf(err error) (replies.Reply, error) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		r := replies.Reply{Code: se.Code, Text: se.Message}
		if se.EnhancedCode != smtp.NoEnhancedCode && se.EnhancedCode != (smtp.EnhancedCode{}) {
			r.Enhanced = fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return r, nil
	}
	return replies.Reply{}, err
}

func writeCmd(c net.Conn, log *protolog.Session, line string) {
	log.Send(line)
	c.Write([]byte(line + "\r\n"))
}

// readReply reads one reply, logs it (a multi-line reply on one line) and
// returns its lines; a reply other than want is returned as *smtp.SMTPError.
func readReply(br *bufio.Reader, log *protolog.Session, want int) ([]string, error) {
	var lines []string
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			break
		}
	}
	log.Recv(protolog.CollapseReply(lines))
	r, err := replies.Parse(lines[len(lines)-1])
	if err != nil {
		return nil, err
	}
	if r.Code != want {
		se := &smtp.SMTPError{Code: r.Code, Message: r.Text, EnhancedCode: smtp.NoEnhancedCode}
		if r.Enhanced != "" {
			var a, b, c int
			fmt.Sscanf(r.Enhanced, "%d.%d.%d", &a, &b, &c)
			se.EnhancedCode = smtp.EnhancedCode{a, b, c}
		}
		return nil, se
	}
	return lines, nil
}

func hasKeyword(lines []string, kw string) bool {
	for _, l := range lines {
		if f := strings.Fields(l[min(4, len(l)):]); len(f) > 0 && strings.EqualFold(f[0], kw) {
			return true
		}
	}
	return false
}

func tcpAddrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// loggedConn writes what go-smtp sends and receives to the SmtpSend log,
// line by line, replies collapsed as Exchange logs them. It first hands
// go-smtp a greeting, since the real one was read before STARTTLS.
// Message data and AUTH exchanges are not logged (setHidden).
type loggedConn struct {
	net.Conn
	log      *protolog.Session
	greeting []byte
	hidden   bool // guarded by mu
	swallow  bool // drop the first line written (an EHLO already answered); guarded by mu

	mu      sync.Mutex
	partial []byte   // incomplete reply line read so far
	lines   []string // lines of a multi-line reply read so far
	wpart   []byte
}

func (c *loggedConn) Read(b []byte) (int, error) {
	if len(c.greeting) > 0 {
		n := copy(b, c.greeting)
		c.greeting = c.greeting[n:]
		return n, nil
	}
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.partial = append(c.partial, b[:n]...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(c.partial[:i]), "\r")
		c.partial = c.partial[i+1:]
		c.lines = append(c.lines, line)
		if len(line) < 4 || line[3] != '-' {
			if strings.HasPrefix(line, "334 ") {
				c.log.Recv("334 <authentication response>")
			} else {
				c.log.Recv(protolog.CollapseReply(c.lines))
			}
			c.lines = nil
		}
	}
	c.mu.Unlock()
	return n, err
}

func (c *loggedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.swallow {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.mu.Unlock()
			return len(b), nil
		}
		c.swallow = false
		c.mu.Unlock()
		n, err := c.Write(b[i+1:])
		return n + i + 1, err
	}
	if c.hidden {
		// Only the AUTH verb and the end of data are worth a line.
		// Test the prefix before converting: b may be a whole message.
		if bytes.HasPrefix(b, []byte("AUTH ")) {
			s := string(b)
			mech, _, _ := strings.Cut(strings.TrimPrefix(s, "AUTH "), " ")
			c.log.Send("AUTH " + strings.TrimSpace(mech))
		}
	} else {
		c.wpart = append(c.wpart, b...)
		for {
			i := bytes.IndexByte(c.wpart, '\n')
			if i < 0 {
				break
			}
			c.log.Send(strings.TrimRight(string(c.wpart[:i]), "\r"))
			c.wpart = c.wpart[i+1:]
		}
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// setHidden stops or resumes logging what go-smtp writes.
func (c *loggedConn) setHidden(h bool) {
	c.mu.Lock()
	c.hidden = h
	c.mu.Unlock()
}

// bindingPort is the port of a connector's first binding, or 0.
func bindingPort(c *Connector) int {
	for _, b := range c.Rec.Bindings {
		if ap, err := state.ParseBinding(b); err == nil {
			return int(ap.Port())
		}
	}
	return 0
}
