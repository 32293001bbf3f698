package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"

	"exsh/engine/nexthop"
	"exsh/engine/protolog"
	"exsh/engine/replies"
	"exsh/engine/smtpclient"
	"exsh/state"
)

// target is one host a send connector delivers to.
type target struct {
	host string // as configured or found in MX
	addr string // ip:port to dial
	ip   string
	// server marks another server's Transport service (hops.go): the
	// session logs on as this server inside TLS, as to the Front End.
	server bool
}

// sendError is a failure of a whole connection attempt.
type sendError struct {
	permanent bool
	status    string // the SMTP reply or Exchange's wrapped text
}

func (e *sendError) Error() string { return e.status }

// rcptResult is the outcome for one recipient of one message.
type rcptResult struct {
	rcpt      state.QueuedRecipient
	delivered bool
	permanent bool
	status    string
}

type msgResult struct {
	m       *state.QueuedMessage
	rcpts   []rcptResult
	msgErr  string // transient failure for the whole message
	attempt bool   // the message was offered to the remote host
	broken  bool   // the connection broke before its outcome was known
	session string
	target  target
}

// targets lists the hosts to try for a connector queue, in order.
func (t *Transport) targets(ctx context.Context, c *state.SendConnector, qr *state.QueueRecord) ([]target, *sendError) {
	port := c.Port
	if port == 0 {
		port = 25
	}
	if c.FrontendProxyEnabled {
		// Outbound mail is proxied through Front End Transport's
		// Outbound Proxy Frontend connector on this server.
		p := t.cfg.PortMap(717)
		own := t.ownAddr()
		return []target{{host: t.cfg.Fqdn, addr: net.JoinHostPort(own.String(), strconv.Itoa(p)), ip: own.String()}}, nil
	}
	r := nexthop.Resolver{LookupMX: t.cfg.LookupMX, LookupNetIP: t.cfg.LookupNetIP, IsSelf: t.isSelf, Self: t.ownAddr()}
	hosts, rep := r.Hosts(ctx, c, qr.DeliveryType, qr.NextHopDomain)
	if rep != nil {
		return nil, &sendError{permanent: rep.Permanent(), status: rep.String()}
	}
	out := make([]target, len(hosts))
	for i, h := range hosts {
		out[i] = t.target(h.Name, h.Addr, port)
	}
	return out, nil
}

// NoDNSStatus is a DNS-routed queue's LastError when the Transport has
// no resolver: exsh makes no DNS lookups of its own.
var NoDNSStatus = nexthop.NoDNS.String()

// target is one address to deliver to. A port this server's receive
// connectors are bound to, on an address it listens on, is translated to
// the port it really listens on (-PortOffset); any other port, such as a
// sink's on another loopback port, is used as given.
func (t *Transport) target(host string, a netip.Addr, port int) target {
	a = a.Unmap()
	var conns []*state.ReceiveConnector
	_ = t.st.View(func(tx state.Tx) error {
		conns, _ = tx.ReceiveConnectors()
		return nil
	})
	if state.ListensAt(conns, a, port) {
		port = t.cfg.PortMap(port)
	} else if t.cfg.HostPort != nil {
		port = t.cfg.HostPort(a, port)
	}
	return target{host: host, addr: netip.AddrPortFrom(a, uint16(port)).String(), ip: a.String()}
}

// ownAddr is where this server's own listeners are reached: its address
// in an organisation of several servers, else 127.0.0.1.
func (t *Transport) ownAddr() netip.Addr {
	if t.cfg.Local.IsValid() {
		return t.cfg.Local
	}
	return netip.MustParseAddr("127.0.0.1")
}

func (t *Transport) isSelf(name string) bool {
	return strings.EqualFold(name, "localhost") || strings.EqualFold(name, t.cfg.ServerName) || strings.EqualFold(name, t.cfg.Fqdn)
}

// sendBatch connects to the connector's hosts in turn and sends the batch
// on the first connection that works. A non-nil error means no host took
// any message.
//
// hops, when not nil, are the servers whose Transport services take the
// batch instead of the connector's hosts (hops.go).
func (t *Transport) sendBatch(c *state.SendConnector, qr *state.QueueRecord, batch []*state.QueuedMessage, datas map[int64][]byte, hops []string) ([]*msgResult, *sendError) {
	ctx := t.workCtx
	var targets []target
	var serr *sendError
	if hops != nil {
		targets, serr = t.serverTargets(hops)
	} else {
		targets, serr = t.targets(ctx, c, qr)
	}
	if serr != nil {
		return nil, serr
	}
	var last *sendError
	var lastAddr string
	for _, tg := range targets {
		res, err := t.sendTo(ctx, c, tg, batch, datas)
		if err == nil {
			return res, nil
		}
		last, lastAddr = err, tg.addr
		if err.permanent {
			return nil, err
		}
	}
	if strings.HasPrefix(last.status, "441 ") {
		last.status += " The last endpoint attempted was " + lastAddr
	}
	return nil, last
}

// sendTo runs one SMTP session with one host.
func (t *Transport) sendTo(ctx context.Context, c *state.SendConnector, tg target, batch []*state.QueuedMessage, datas map[int64][]byte) ([]*msgResult, *sendError) {
	remote, _ := netip.ParseAddrPort(tg.addr)
	sess := t.sendLog.Session(c.Name, protolog.ParseLevel(c.ProtocolLoggingLevel), netip.AddrPort{}, remote)
	sess.Info("", "attempting to connect")
	inactivity := c.ConnectionInactivityTimeOut
	if inactivity <= 0 {
		inactivity = 10 * time.Minute
	}
	cl, err := smtpclient.Dial(ctx, tg.addr, smtpclient.Options{DialTimeout: t.cfg.DialTimeout, Timeout: inactivity, Local: t.cfg.Local})
	if err != nil {
		return nil, &sendError{status: "441 4.4.1 " + smtpclient.ConnectFailure(err)}
	}
	sess.SetEndpoints(cl.LocalAddr(), remote)
	sess.Connect()
	// Abort the session when Stop gives up waiting.
	stopWatch := context.AfterFunc(ctx, func() { cl.Conn().SetDeadline(time.Now()) })
	defer stopWatch()
	cl.SetHook(smtpclient.ProtocolLog(sess))
	helo := c.Fqdn
	if helo == "" {
		helo = t.cfg.Fqdn
	}
	proxied := c.FrontendProxyEnabled || tg.server
	var tlsCfg *tls.Config
	switch {
	case proxied:
		// The hop to this server's own Front End, or to another server's
		// Transport service: its certificate is the organisation's,
		// pinned. The connector's TLS settings apply to the Front End's
		// leg to the destination.
		helo = t.cfg.Fqdn
		tlsCfg = t.ownTLSConfig()
	case !c.IgnoreSTARTTLS:
		tlsCfg = &tls.Config{ServerName: strings.Trim(tg.host, "[]"), InsecureSkipVerify: true}
		if c.TlsAuthLevel == "CertificateValidation" || c.TlsAuthLevel == "DomainValidation" {
			tlsCfg.InsecureSkipVerify = false
			if c.TlsDomain != "" {
				tlsCfg.ServerName = c.TlsDomain
			}
		}
	}
	reason := "Local"
	defer func() { sess.Disconnect(reason) }()
	if err := cl.Start(helo, tlsCfg); err != nil {
		cl.Close()
		reason = "Remote"
		return nil, connFailure(err)
	}
	defer cl.Close()
	tlsOn := cl.TLS() != nil
	if proxied {
		if err := t.authToFrontend(cl, tlsOn); err != nil {
			return nil, err
		}
	} else if c.RequireTLS && !tlsOn {
		return nil, &sendError{status: replies.NextHopResponded(replies.TLSRequiredToSend).String()}
	}
	switch auth := c.SmartHostAuthMechanism; {
	case proxied:
		// Logged on as the server above.
	case auth == "BasicAuth" || auth == "BasicAuthRequireTLS":
		if c.SmartHostAuthMechanism == "BasicAuthRequireTLS" && !tlsOn {
			return nil, &sendError{status: replies.NextHopResponded(replies.TLSRequiredToAuth).String()}
		}
		if err := cl.BasicAuth(c.SmartHostUser(), c.AuthPassword); err != nil {
			return nil, connFailure(err)
		}
	}
	var results []*msgResult
	broken := ""
	for i, m := range batch {
		if broken != "" {
			// The connection broke: the rest of the batch waits for retry.
			results = append(results, &msgResult{m: m, target: tg, msgErr: broken, broken: true})
			continue
		}
		data, ok := datas[m.InternalId]
		if !ok {
			results = append(results, &msgResult{m: m, target: tg, msgErr: "451 4.3.0 The message content could not be read from the queue database."})
			continue
		}
		res := &msgResult{m: m, target: tg, attempt: true, session: sess.NextMessageID()}
		results = append(results, res)
		if err := t.sendOne(cl, m, data, res); err != nil {
			reason = "Remote"
			if i == 0 {
				return nil, connFailure(err)
			}
			broken = connFailure(err).status
			res.rcpts, res.msgErr, res.broken = nil, broken, true
		}
	}
	if broken == "" {
		cl.Quit()
	}
	return results, nil
}

// ownTLSConfig trusts exactly the organisation's own certificate (the
// Front End of this server presents it); nil when there is none, so the
// session stays in clear text.
func (t *Transport) ownTLSConfig() *tls.Config {
	var der []byte
	_ = t.st.View(func(tx state.Tx) error {
		cert, err := tx.Certificate()
		if err != nil || cert == nil || len(cert.CertPEM) == 0 {
			return nil
		}
		if pair, err := tls.X509KeyPair(cert.CertPEM, cert.KeyPEM); err == nil {
			der = pair.Certificate[0]
		}
		return nil
	})
	if der == nil {
		return nil
	}
	return &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, der) {
				return x509.UnknownAuthorityError{}
			}
			return nil
		},
	}
}

// cannotAuthenticate is the queue's LastError when the Front End does not
// take the server's logon (exchange-transport.md §3.6, KB 979175).
var cannotAuthenticate = replies.NextHopResponded(replies.CannotAchieveAuth).String()

// authToFrontend logs on to Outbound Proxy Frontend as this server (AUTH
// PLAIN inside TLS with Config.Credential). Without a credential, TLS or
// an offered PLAIN the session cannot go on: the Front End would refuse
// the mail as anonymous, and the message must wait, not bounce.
func (t *Transport) authToFrontend(cl *smtpclient.Client, tlsOn bool) *sendError {
	cred := t.cfg.Credential
	if !cred.Valid() || !tlsOn || !cl.SupportsAuth("PLAIN") {
		return &sendError{status: cannotAuthenticate}
	}
	if err := cl.Auth(sasl.NewPlainClient("", cred.Account, cred.Secret)); err != nil {
		var rep replies.Reply
		if errors.As(err, &rep) {
			return &sendError{status: cannotAuthenticate}
		}
		return connFailure(err)
	}
	return nil
}

// sendOne sends one message. It returns an error only when the connection
// failed (a 421 reply means the server is closing it); refusals are
// recorded per recipient in res.
func (t *Transport) sendOne(cl *smtpclient.Client, m *state.QueuedMessage, data []byte, res *msgResult) error {
	var pending []state.QueuedRecipient
	var addrs []string
	var rp []smtpclient.RcptParams
	for _, r := range m.Recipients {
		if r.Status != state.RecipientDone && r.Status != state.RecipientFailed {
			pending = append(pending, r)
			addrs = append(addrs, r.Address)
			p := smtpclient.RcptParams{}
			if r.OriginalAddress != "" {
				p.ORcpt = "rfc822;" + r.OriginalAddress
			}
			rp = append(rp, p)
		}
	}
	out, err := cl.Send(m.Sender, smtpclient.MailParams{Body: m.BodyType, Size: int64(len(data))}, addrs, rp, data)
	if err != nil {
		return err
	}
	refuse := func(rs []state.QueuedRecipient, rep replies.Reply) error {
		if rep.ClosesConnection() {
			return rep
		}
		for _, r := range rs {
			res.rcpts = append(res.rcpts, rcptResult{rcpt: r, permanent: rep.Permanent(), status: statusText(rep)})
		}
		return nil
	}
	if out.Mail.Code != 250 {
		if err := refuse(pending, out.Mail); err != nil {
			return err
		}
		return reset(cl)
	}
	var accepted []state.QueuedRecipient
	for i, r := range pending {
		if rep := out.Rcpts[i]; rep.Positive() {
			accepted = append(accepted, r)
		} else if rep.Code != 0 {
			if err := refuse([]state.QueuedRecipient{r}, rep); err != nil {
				return err
			}
		}
	}
	if len(accepted) == 0 {
		return reset(cl)
	}
	if !out.Data.Positive() {
		if err := refuse(accepted, out.Data); err != nil {
			return err
		}
		if cl.InTransaction() {
			// DATA or a BDAT chunk was refused before the content ended.
			return reset(cl)
		}
		return nil
	}
	status := statusText(out.Data)
	for _, r := range accepted {
		res.rcpts = append(res.rcpts, rcptResult{rcpt: r, delivered: true, status: status})
	}
	return nil
}

// reset ends a transaction that sent no content.
func reset(cl *smtpclient.Client) error {
	rep, err := cl.Reset()
	if err == nil && rep.ClosesConnection() {
		return rep
	}
	return err
}

// statusText renders a server reply as "550 5.1.1 text" on one line.
func statusText(r replies.Reply) string {
	return strings.ReplaceAll(r.String(), "\n", " ")
}

// connFailure turns a failure during the session setup into Exchange's
// queue LastError text. A 5xx reply there fails every recipient.
func connFailure(err error) *sendError {
	rep := smtpclient.SessionFailure(err)
	var r replies.Reply
	if errors.As(err, &r) && rep.Permanent() && rep.Code != 535 && rep.Code != 530 {
		return &sendError{permanent: true, status: statusText(rep)}
	}
	return &sendError{status: replies.NextHopResponded(rep).String()}
}
