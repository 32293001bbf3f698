package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/engine/replies"
	"exsh/engine/smtpclient"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// Options configure the mail cmdlets beyond what [cmdlets.Deps] carries.
// The zero value asks the engine in Deps for everything.
type Options struct {
	// PortMap turns a port of this server as Exchange configures it (25,
	// 587, 2525, ...) into the port exsh listens on. Nil asks Deps.Ports,
	// and keeps the port when that is nil too. It is asked only about
	// ports one of the receive connectors in Deps.Store is bound to.
	PortMap func(port int) int
	// HelloName is the name sent with EHLO; empty means this machine's
	// short host name, as .NET's SmtpClient does.
	HelloName string
	// Timeout bounds the whole send; zero means 100 seconds, .NET's
	// SmtpClient.Timeout.
	Timeout time.Duration
}

// Cmdlets returns Send-MailMessage and Get-MailboxMessage bound to d.
func Cmdlets(d *cmdlets.Deps) []*interp.CmdletInfo { return CmdletsWith(d, Options{}) }

// CmdletsWith is Cmdlets with explicit options.
func CmdletsWith(d *cmdlets.Deps, o Options) []*interp.CmdletInfo {
	return []*interp.CmdletInfo{sendMailMessage(d, o), getMailboxMessage(d)}
}

const utilityModule = "Microsoft.PowerShell.Utility"

func sendMailMessage(d *cmdlets.Deps, o Options) *interp.CmdletInfo {
	p := func(name string, kind interp.ParamKind, pos int, help string) *interp.ParamInfo {
		return &interp.ParamInfo{Name: name, Kind: kind, Position: pos, Help: help}
	}
	to := p("To", interp.KindString, 0, "Specifies the addresses to which the mail is sent. Enter names (optional) and the email address, such as \"Name <someone@contoso.com>\".")
	to.Array, to.Mandatory = true, true
	subject := p("Subject", interp.KindString, 1, "Specifies the subject of the email message.")
	subject.Mandatory = true
	subject.Aliases = []string{"sub"}
	body := p("Body", interp.KindString, 2, "Specifies the content of the email message.")
	server := p("SmtpServer", interp.KindString, 3, "Specifies the name of the SMTP server that sends the email message. The default is the value of the $PSEmailServer preference variable, else localhost. When it names this server (its name, its FQDN, localhost or a loopback address) and -Port is a port one of its receive connectors is bound to (25, 587, ...), the port is translated to the port exsh listens on; any other port is used as given.")
	server.Aliases = []string{"ComputerName"}
	from := p("From", interp.KindString, -1, "Specifies the address from which the mail is sent. Enter a name (optional) and email address, such as \"Name <someone@contoso.com>\".")
	from.Mandatory = true
	attach := p("Attachments", interp.KindString, -1, "Specifies the path and file names of files to be attached to the email message. You can pipe paths to Send-MailMessage.")
	attach.Array, attach.FromPipeline, attach.FromPipelineByPropertyName = true, true, true
	attach.Aliases = []string{"PsPath"}
	cc := p("Cc", interp.KindString, -1, "Specifies the email addresses to which a carbon copy (CC) of the message is sent.")
	cc.Array = true
	bcc := p("Bcc", interp.KindString, -1, "Specifies the email addresses that receive a copy of the mail but are not listed as recipients of the message.")
	bcc.Array = true
	replyTo := p("ReplyTo", interp.KindString, -1, "Specifies additional email addresses (other than the From address) to use to reply to this message.")
	replyTo.Array = true
	html := p("BodyAsHtml", interp.KindSwitch, -1, "Specifies that the value of the Body parameter contains HTML.")
	html.Aliases = []string{"BAH"}
	enc := &interp.ParamInfo{Name: "Encoding", Kind: interp.KindEnum, Position: -1, Aliases: []string{"BE"},
		Values: []string{"ASCII", "BigEndianUnicode", "Default", "Latin1", "OEM", "Unicode", "UTF7", "UTF8", "UTF8BOM", "UTF8NoBOM", "UTF32"},
		Help:   "Specifies the encoding of the body and subject. Without it the body is sent as us-ascii when it is plain ASCII, else as utf-8."}
	dno := &interp.ParamInfo{Name: "DeliveryNotificationOption", Kind: interp.KindEnum, Array: true, Position: -1, Aliases: []string{"DNO"},
		Values: []string{"None", "OnSuccess", "OnFailure", "Delay", "Never"},
		Help:   "Specifies the delivery notification options for the email message (the DSN NOTIFY parameter of each recipient): None, OnSuccess, OnFailure, Delay, Never.", Default: "None"}
	prio := &interp.ParamInfo{Name: "Priority", Kind: interp.KindEnum, Position: -1, Values: []string{"Normal", "High", "Low"},
		Help: "Specifies the priority of the email message: Normal, High or Low.", Default: "Normal"}
	port := p("Port", interp.KindInt, -1, "Specifies an alternate port on the SMTP server.")
	port.Default = "25"
	ssl := p("UseSsl", interp.KindSwitch, -1, "Uses STARTTLS to establish a secure connection to the SMTP server before the message is sent.")
	cred := p("Credential", interp.KindCredential, -1, "Specifies an account that has permission to send mail (AUTH LOGIN, or AUTH PLAIN when LOGIN is not offered).")
	src := p("SourceAddress", interp.KindString, -1, "Specifies the local IP address to send from, such as 127.0.0.56, so a lab can play a device and find it in the protocol logs. exsh extension.")
	trans := p("Transcript", interp.KindSwitch, -1, "Prints the SMTP dialogue as it happens: C: lines are what the client sends, S: lines what the server answers. exsh extension.")

	type sendState struct {
		attachments []string
	}
	return &interp.CmdletInfo{
		Name:     "Send-MailMessage",
		Module:   utilityModule,
		Synopsis: "Sends an email message.",
		Description: "The Send-MailMessage cmdlet sends an email message over SMTP. It connects to -SmtpServer on -Port " +
			"(default 25), optionally uses STARTTLS (-UseSsl) and authenticates (-Credential), and submits the message. " +
			"Errors the server answers with are reported as in Windows PowerShell, for example " +
			"\"Mailbox unavailable. The server response was: 5.7.54 SMTP; Unable to relay recipient in non-accepted domain\".",
		Params: []*interp.ParamInfo{to, subject, body, server, from, attach, cc, bcc, replyTo, html, enc, dno, prio, port, ssl, cred, src, trans},
		Examples: []interp.Example{
			{Code: `Send-MailMessage -From 'chris@contoso.com' -To 'michelle@contoso.com' -Subject 'Test' -Body 'Hello' -SmtpServer EX01`,
				Remarks: "Sends an anonymous message to the Default Frontend connector on port 25 of this server."},
			{Code: `Send-MailMessage -From 'printer@contoso.com' -To 'chris@fabrikam.com' -Subject 'Scan' -SmtpServer EX01 -SourceAddress 127.0.0.56 -Transcript`,
				Remarks: "Plays a device at 127.0.0.56 relaying to an external domain, and prints the SMTP dialogue (which ends in 550 5.7.54 unless a relay connector allows it)."},
			{Code: `$cred = Get-Credential -UserName 'contoso\chris' -Password (ConvertTo-SecureString 'P@ssw0rd' -AsPlainText -Force)` + "\n" +
				`Send-MailMessage -From chris@contoso.com -To michelle@contoso.com -Subject 'Report' -Attachments .\report.csv -SmtpServer EX01.contoso.com -Port 587 -UseSsl -Credential $cred`,
				Remarks: "Submits an authenticated message with an attachment through the Client Frontend connector (587) after STARTTLS."},
		},
		Process: func(c *interp.Call) error {
			st, _ := c.State.(*sendState)
			if st == nil {
				st = &sendState{}
				c.State = st
			}
			if c.HasInput {
				// Attachments bound from the pipeline, one object at a time.
				st.attachments = append(st.attachments, c.Strings("Attachments")...)
			} else if c.Has("Attachments") {
				st.attachments = c.Strings("Attachments")
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st, _ := c.State.(*sendState)
			var files []string
			if st != nil {
				files = st.attachments
			}
			return send(d, o, c, files)
		},
	}
}

// send composes and sends the message of one Send-MailMessage call.
func send(d *cmdlets.Deps, o Options, c *interp.Call, files []string) error {
	msg := &message{
		Subject:  c.String("Subject"),
		Body:     c.String("Body"),
		HTML:     c.Bool("BodyAsHtml"),
		Priority: c.String("Priority"),
		Date:     d.Clock(),
	}
	switch e := c.String("Encoding"); e {
	case "Default", "OEM":
		msg.Encoding = "Latin1"
	case "UTF8BOM", "UTF8NoBOM", "UTF7", "UTF32":
		msg.Encoding = "UTF8"
	default:
		msg.Encoding = e
	}
	var err error
	fromList, err := parseAddresses([]string{c.String("From")})
	if err != nil || len(fromList) != 1 {
		return formatError(c.String("From"))
	}
	msg.From = fromList[0]
	for _, f := range []struct {
		param string
		dst   *[]*mail.Address
	}{{"To", &msg.To}, {"Cc", &msg.Cc}, {"Bcc", &msg.Bcc}, {"ReplyTo", &msg.ReplyTo}} {
		for _, v := range c.Strings(f.param) {
			l, err := parseAddresses([]string{v})
			if err != nil {
				return formatError(v)
			}
			*f.dst = append(*f.dst, l...)
		}
	}
	if len(msg.envelope()) == 0 {
		return interp.NewError(cmdlets.CategoryInvalidOperation, "InvalidOperationException",
			"InvalidOperationException,Microsoft.PowerShell.Commands.SendMailMessage", "",
			"A recipient must be specified.")
	}
	for _, f := range files {
		path := resolvePath(c, f)
		data, err := os.ReadFile(path)
		if err != nil {
			e := interp.NewError(cmdlets.CategoryObjectNotFound, "FileNotFoundException",
				"FileNotFoundException,Microsoft.PowerShell.Commands.SendMailMessage", path,
				"Could not find file '%s'.", path)
			e.Exception = err
			return e
		}
		msg.Attachments = append(msg.Attachments, attachment{Name: path, Data: data})
	}

	host := c.String("SmtpServer")
	if host == "" {
		if v, ok := c.GetVariable("PSEmailServer"); ok {
			host = strings.TrimSpace(object.ToString(v))
		}
	}
	if host == "" {
		host = "localhost"
	}
	port := 25
	if c.Has("Port") {
		port = c.Int("Port", 25)
	}
	if port < 0 || port > 65535 {
		return interp.NewError(cmdlets.CategoryInvalidArgument, "ArgumentOutOfRangeException",
			"ArgumentOutOfRangeException,Microsoft.PowerShell.Commands.SendMailMessage", "",
			"Specified argument was out of the range of valid values.\r\nParameter name: value")
	}
	var local net.IP
	if s := c.String("SourceAddress"); s != "" {
		local = net.ParseIP(strings.Trim(s, "[]"))
		if local == nil {
			return interp.NewError(cmdlets.CategoryInvalidArgument, "FormatException",
				"FormatException,Microsoft.PowerShell.Commands.SendMailMessage", s,
				"An invalid IP address was specified.")
		}
	}

	t := &target{host: host, port: port, local: local}
	t.resolve(d, o)
	helloName := o.HelloName
	if helloName == "" {
		helloName = shortHostname()
	}
	msg.MessageID = newMessageID(strings.ToLower(helloName))

	var cred *interp.Credential
	if v, ok := c.Value("Credential").(*interp.Credential); ok {
		cred = v
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 100 * time.Second
	}
	ctx, cancel := context.WithTimeout(c.Ctx, timeout)
	defer cancel()

	s := &session{
		c:      c,
		target: t,
		hello:  helloName,
		useTLS: c.Bool("UseSsl"),
		cred:   cred,
		notify: notifyOptions(c.Strings("DeliveryNotificationOption")),
	}
	if c.Bool("Transcript") {
		s.print = func(line string) { c.WriteHost(line, true) }
	}
	reply, err := s.send(ctx, msg)
	if err != nil {
		var se *sendError
		if !errors.As(err, &se) {
			se = wrapCtx(ctx, err).(*sendError)
		}
		e := interp.NewError(cmdlets.CategoryInvalidOperation, se.Reason,
			se.ID+",Microsoft.PowerShell.Commands.SendMailMessage", "System.Net.Mail.SmtpClient", "%s", se.Message)
		e.Exception = se
		// The category line reads "(System.Net.Mail.SmtpClient:SmtpClient)",
		// the client object PowerShell reports.
		e.TargetObject = object.New("System.Net.Mail.SmtpClient")
		c.WriteError(e)
		return nil
	}
	if reply != "" {
		c.WriteVerbose(reply)
	}
	return nil
}

func formatError(v string) error {
	return interp.NewError("InvalidType", "FormatException",
		"FormatException,Microsoft.PowerShell.Commands.SendMailMessage", v,
		"The specified string is not in the form required for an e-mail address.")
}

// resolvePath makes a relative path absolute against the shell's current
// location ($PWD), or the process's working directory.
func resolvePath(c *interp.Call, p string) string {
	// A provider-qualified path (PSPath) names a file system path.
	if i := strings.Index(p, "::"); i >= 0 {
		p = p[i+2:]
	}
	p = strings.ReplaceAll(p, `\`, string(filepath.Separator))
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	dir := ""
	if v, ok := c.GetVariable("PWD"); ok && v != nil {
		switch x := v.(type) {
		case *object.PSObject:
			if pv, ok := x.Get("Path"); ok {
				dir = object.ToString(pv)
			} else {
				dir = x.String()
			}
		default:
			dir = object.ToString(v)
		}
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return filepath.Join(dir, p)
}

func shortHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return strings.ToUpper(h)
}

// notifyOptions is the DSN NOTIFY value of -DeliveryNotificationOption
// ("SUCCESS,FAILURE"; "" for None).
func notifyOptions(opts []string) string {
	var out []string
	for _, o := range opts {
		switch strings.ToLower(o) {
		case "never":
			return "NEVER"
		case "onsuccess":
			out = append(out, "SUCCESS")
		case "onfailure":
			out = append(out, "FAILURE")
		case "delay":
			out = append(out, "DELAY")
		}
	}
	return strings.Join(out, ",")
}

// target is where a message goes: the host and port asked for, and the
// address actually dialled.
type target struct {
	host  string
	port  int
	local net.IP
	// self is set when host names this server.
	self bool
	// dial is "ip:port" or "host:port".
	dial string
	// roots trusts the organisation's certificate when self.
	roots *x509.CertPool
}

// resolve decides whether the target is this server and, if so, translates
// the port and loads the certificate to trust.
func (t *target) resolve(d *cmdlets.Deps, o Options) {
	host := strings.Trim(t.host, "[]")
	dialHost := host
	if ip := net.ParseIP(host); ip != nil {
		t.self = ip.IsLoopback()
	} else if strings.EqualFold(host, "localhost") {
		t.self = true
		dialHost = "127.0.0.1"
		if t.local != nil && t.local.To4() == nil {
			dialHost = "::1"
		}
	} else if d != nil && d.Store != nil {
		_ = d.Store.View(func(tx state.Tx) error {
			site := d.LoadSite(tx)
			if strings.EqualFold(host, site.Server) || strings.EqualFold(host, site.ServerFqdn) {
				t.self = true
				dialHost = "127.0.0.1"
				if t.local != nil && t.local.To4() == nil {
					dialHost = "::1"
				}
			}
			return nil
		})
	}
	port := t.port
	if t.self && listensAt(d, dialHost, port) {
		switch {
		case o.PortMap != nil:
			port = o.PortMap(port)
		case d != nil && d.Ports != nil:
			port = d.Ports.ListenPort(port)
		}
	}
	if t.self {
		t.roots = orgRoots(d)
	}
	t.dial = net.JoinHostPort(dialHost, strconv.Itoa(port))
}

// listensAt reports whether one of this server's receive connectors is
// bound to port on host: only such a port is translated to the port exsh
// listens on; any other (the listening port itself, say) is used as given.
func listensAt(d *cmdlets.Deps, host string, port int) bool {
	a, err := netip.ParseAddr(host)
	if err != nil || d == nil || d.Store == nil {
		return false
	}
	var conns []*state.ReceiveConnector
	_ = d.Store.View(func(tx state.Tx) error {
		conns, _ = tx.ReceiveConnectors()
		return nil
	})
	return state.ListensAt(conns, a, port)
}

// orgRoots returns the organisation's certificate as a pool, or nil.
func orgRoots(d *cmdlets.Deps) *x509.CertPool {
	if d == nil || d.Store == nil {
		return nil
	}
	var pool *x509.CertPool
	_ = d.Store.View(func(tx state.Tx) error {
		cert, err := tx.Certificate()
		if err != nil || cert == nil || len(cert.CertPEM) == 0 {
			return nil
		}
		p := x509.NewCertPool()
		rest := cert.CertPEM
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if c, err := x509.ParseCertificate(b.Bytes); err == nil {
				p.AddCert(c)
				pool = p
			}
		}
		return nil
	})
	return pool
}

// tlsConfig is the client's TLS configuration for the target. For this
// server the chain must lead to the organisation's certificate but the
// name is not checked (a lab reaches it as localhost or 127.0.0.1); for
// any other server the usual checks apply.
func (t *target) tlsConfig() *tls.Config {
	if !t.self {
		return &tls.Config{ServerName: strings.Trim(t.host, "[]")}
	}
	roots := t.roots
	return &tls.Config{
		// Verification is done in VerifyConnection below, against the
		// organisation's certificate only.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if roots == nil {
				// No certificate in the store to trust: a lab without
				// setup; accept this server's certificate as is.
				return nil
			}
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		},
	}
}

// session is one SMTP conversation of Send-MailMessage.
type session struct {
	c      *interp.Call
	target *target
	hello  string
	useTLS bool
	cred   *interp.Credential
	notify string       // the DSN NOTIFY of every recipient, "" for none
	print  func(string) // nil without -Transcript
}

func (s *session) say(format string, args ...any) {
	if s.print != nil {
		s.print(fmt.Sprintf(format, args...))
	}
}

var errNoTLS = &sendError{Reason: "SmtpException", ID: "SmtpException", Message: "Server does not support secure connections."}

// send runs the dialogue and returns the server's final reply text. It
// says DATA even to a server that offers CHUNKING, as .NET's SmtpClient.
func (s *session) send(ctx context.Context, msg *message) (string, error) {
	var tlsFailed error
	hook := func(e smtpclient.Event) {
		if e.Kind == smtpclient.TLSFailed {
			tlsFailed = e.Err
		}
	}
	if s.print != nil {
		hook = smtpclient.Hooks(hook, smtpclient.Transcript(s.print))
	}
	opts := smtpclient.Options{Timeout: 5 * time.Minute, NoChunking: true, NoPipelining: true, Hook: hook}
	if s.target.local != nil {
		opts.Local, _ = netip.AddrFromSlice(s.target.local)
		opts.Local = opts.Local.Unmap()
	}
	client, err := smtpclient.Dial(ctx, s.target.dial, opts)
	if err != nil {
		return "", &sendError{Reason: "SmtpException", ID: "SmtpException", Message: "Unable to connect to the remote server", err: err}
	}
	// Cancelling the call (Ctrl-C, timeout) closes the connection, which
	// ends any blocked read or write.
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	defer client.Close()
	s.say("=== Connected to %s from %s", client.RemoteAddr(), client.LocalAddr())

	var tlsCfg *tls.Config
	if s.useTLS {
		tlsCfg = s.target.tlsConfig()
	}
	if err := client.Start(s.hello, tlsCfg); err != nil {
		if tlsFailed != nil {
			return "", tlsError(tlsFailed)
		}
		return "", wrapCtx(ctx, err)
	}
	if s.useTLS && client.TLS() == nil {
		_ = client.Quit()
		return "", errNoTLS
	}
	if s.cred != nil && s.cred.UserName != "" {
		pass := ""
		if s.cred.Password != nil {
			pass = s.cred.Password.Plain
		}
		if client.SupportsAuth("LOGIN") || client.SupportsAuth("PLAIN") {
			// As .NET's SmtpClient, a refused logon is not an error by
			// itself: the message goes on unauthenticated and the server
			// decides (5.7.57 on Client Frontend).
			if err := client.BasicAuth(s.cred.UserName, pass); err != nil {
				var r replies.Reply
				if !errors.As(err, &r) {
					return "", wrapCtx(ctx, err)
				}
			}
		}
	}
	rcpts := msg.envelope()
	rp := make([]smtpclient.RcptParams, len(rcpts))
	for i := range rp {
		rp[i].Notify = s.notify
	}
	res, err := client.Send(msg.From.Address, smtpclient.MailParams{}, rcpts, rp, msg.Bytes())
	if err != nil {
		return "", wrapCtx(ctx, err)
	}
	if res.Mail.Code != 250 {
		return "", fromReply(res.Mail)
	}
	var failed []replies.Reply
	for _, r := range res.Rcpts {
		if !r.Positive() {
			failed = append(failed, r)
		}
	}
	if res.Accepted == 0 {
		_ = client.Quit()
		return "", recipientsError(failed)
	}
	if !res.Data.Positive() {
		return "", fromReply(res.Data)
	}
	_ = client.Quit()
	if len(failed) > 0 {
		return "", recipientsError(failed)
	}
	return replyText(res.Data), nil
}

// recipientsError is .NET's exception for refused recipients: the one
// reply when there is one, "Unable to send to all recipients." otherwise.
func recipientsError(failed []replies.Reply) error {
	if len(failed) == 1 {
		return &sendError{Reason: "SmtpFailedRecipientException", ID: "SmtpException", Message: smtpMessage(failed[0]), err: failed[0]}
	}
	return &sendError{Reason: "SmtpFailedRecipientsException", ID: "SmtpFailedRecipientsException", Message: "Unable to send to all recipients.", err: failed[0]}
}

// wrapCtx turns a failure caused by the call's deadline into .NET's
// timeout text.
func wrapCtx(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &sendError{Reason: "SmtpException", ID: "SmtpException", Message: "The operation has timed out.", err: err}
	}
	var r replies.Reply
	if errors.As(err, &r) {
		return fromReply(r)
	}
	var s *sendError
	if errors.As(err, &s) {
		return s
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
		return &sendError{Reason: "SmtpException", ID: "SmtpException",
			Message: "Unable to read data from the transport connection: net_io_connectionclosed.", err: err}
	}
	return &sendError{Reason: "SmtpException", ID: "SmtpException", Message: "Failure sending mail.", err: err}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// tlsError is .NET's exception for a failed TLS handshake.
func tlsError(err error) error {
	var ce *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ie x509.CertificateInvalidError
	if errors.As(err, &ce) || errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ie) {
		return &sendError{Reason: "SmtpException", ID: "SmtpException",
			Message: "The remote certificate is invalid according to the validation procedure.", err: err}
	}
	return &sendError{Reason: "SmtpException", ID: "SmtpException",
		Message: "Authentication failed because the remote party has closed the transport stream.", err: err}
}
