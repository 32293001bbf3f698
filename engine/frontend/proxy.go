package frontend

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"

	"exsh/engine/protolog"
	"exsh/engine/replies"
	"exsh/engine/smtpclient"
	"exsh/engine/smtpd"
	"exsh/state"
)

// ProxyConnectorID is the connector id of the Front End's proxy hop in its
// SmtpSend protocol log, as Exchange names its implicit connector.
const ProxyConnectorID = "Inbound Proxy Internal Send Connector"

// Proxy relays what a Front End connector accepted to the Transport
// service over SMTP, with engine/smtpclient: anonymous and server mail to
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
	// Local is the address the proxy dials from (the server's
	// -IPAddress); the zero value lets the system choose.
	Local netip.Addr
	// RecipientServer names the server holding the mailbox database of
	// most of the recipients (the first 20 counted), "" when none does.
	// It is asked only in an organisation of several servers.
	RecipientServer func(rcpts []string) string
	// Alive reports whether another server is running; nil takes every
	// server for alive.
	Alive func(server string) bool

	// tlsSessions lets proxy sessions resume the TLS session of an
	// earlier one: a client that opens a connection per message would
	// otherwise cost a full handshake (key exchange and signature) on
	// every message.
	tlsSessionsOnce sync.Once
	tlsSessions     tls.ClientSessionCache
	// pinned is the TLS configuration for the organisation's
	// certificate, kept while the certificate is the same.
	pinned atomic.Pointer[pinnedTLS]
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
	// The fields below and a Received: line take a few hundred bytes.
	hdr.Grow(len(msg) + 1024)
	if !user {
		// Authenticated submissions get no Front End Received: line
		// (exchange-receive.md §8.1).
		hdr.WriteString(smtpd.Received(st.Helo, st.Remote.Addr(), org.Fqdn, st.Local.Addr(), st.TLS, org.Build, "Frontend Transport", p.now()))
	}
	authAs := "Anonymous"
	if user {
		authAs = "Internal"
	}
	field := func(name, value string) {
		hdr.WriteString(name)
		hdr.WriteString(": ")
		hdr.WriteString(value)
		hdr.WriteString("\r\n")
	}
	field(HeaderOriginalClientIP, st.ClientIP())
	field(HeaderOriginalServerIP, st.Local.Addr().Unmap().WithZone("").String())
	field(HeaderAuthSource, org.Fqdn)
	field(HeaderAuthAs, authAs)
	helo := st.Helo
	if helo == "" {
		helo = "[" + st.ClientIP() + "]"
	}
	field(HeaderClientHelo, helo)
	hdr.Write(msg)

	rcpts := r.Recipients(env)
	var targets []hubTarget
	var own [1]hubTarget
	if len(org.Peers) == 0 {
		if target := p.Target(org, user); target != nil {
			if addr, ok := p.HubAddr(target); ok {
				own[0] = ownTarget(target, addr)
				targets = own[:]
			} else {
				st.Log.Info("", "Proxy destination(s) obtained from OnProxyInboundMessage event.")
				return proxyFailed("Transport service is not listening")
			}
		}
	} else {
		targets = p.orgTargets(org, user, rcpts)
	}
	st.Log.Info("", "Proxy destination(s) obtained from OnProxyInboundMessage event.")
	if len(targets) == 0 {
		return proxyFailed("No Transport service connector")
	}
	onBehalf := ""
	if user {
		onBehalf = r.Org.NetBIOS() + `\` + r.Account.SamAccountName
	}
	if r.proxy != nil && (!r.proxy.matches(targets, onBehalf) || !r.proxy.reset()) {
		r.proxy.close()
		r.proxy = nil
	}
	if r.proxy == nil {
		// The Transport services in order of preference; a failure to
		// set up the session fails over to the next one.
		var failure replies.Reply
		for _, tg := range targets {
			ps, err := p.open(org, tg.addr, tg.logPort, onBehalf)
			if err != nil {
				var rep replies.Reply
				if errors.As(err, &rep) {
					// The hub refused the session: the client must try
					// again later, as Exchange answers when the next hop
					// refuses.
					st.Log.Info("", "Proxy session setup failed: "+rep.String())
					failure = replies.NextHopResponded(rep)
				} else {
					st.Log.Info("", "Proxy session setup failed: "+err.Error())
					failure = proxyFailed(shortError(err))
				}
				continue
			}
			ps.key = tg.key(onBehalf)
			r.proxy = ps
			break
		}
		if r.proxy == nil {
			return failure
		}
	}
	reply, err := r.proxy.transaction(env, rcpts, hdr.Bytes())
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

// hubTarget is a Transport service connector the Front End may proxy
// to, the address to dial and the port its protocol log shows (the
// binding's, before the offset).
type hubTarget struct {
	guid    string
	addr    string
	logPort int
}

// ownTarget is this server's hub connector c listening at addr.
func ownTarget(c *Connector, addr string) hubTarget {
	return hubTarget{guid: c.Rec.Guid, addr: addr, logPort: bindingPort(c)}
}

func (t hubTarget) key(onBehalf string) string {
	return t.guid + "|" + t.addr + "|" + onBehalf
}

// matches reports whether the open session goes to the preferred target.
func (ps *proxySession) matches(targets []hubTarget, onBehalf string) bool {
	return len(targets) > 0 && ps.key == targets[0].key(onBehalf)
}

// orgTargets are the Transport services of an organisation of several
// servers in the order the Front End tries them (SPEC section 8): the
// server holding the recipients' mailbox database first when it is alive,
// then this server, then the other live servers, then those not known to
// be alive.
func (p *Proxy) orgTargets(org *Org, authenticated bool, rcpts []string) []hubTarget {
	name := "Default "
	if authenticated {
		name = "Client Proxy "
	}
	alive := func(server string) bool { return p.Alive == nil || p.Alive(server) }
	var out, down []hubTarget
	seen := map[string]bool{}
	addPeer := func(peer *Peer) {
		if peer == nil || seen[strings.ToLower(peer.Server.Name)] {
			return
		}
		seen[strings.ToLower(peer.Server.Name)] = true
		h, ok := peer.Target(name + peer.Server.Name)
		if !ok {
			return
		}
		tg := hubTarget{guid: h.Connector.Guid, addr: h.Addr.String(), logPort: h.Port}
		if alive(peer.Server.Name) {
			out = append(out, tg)
		} else {
			down = append(down, tg)
		}
	}
	addOwn := func() {
		if seen[strings.ToLower(org.Server.Name)] {
			return
		}
		seen[strings.ToLower(org.Server.Name)] = true
		if c := p.Target(org, authenticated); c != nil {
			if addr, ok := p.HubAddr(c); ok {
				out = append(out, ownTarget(c, addr))
			}
		}
	}
	if p.RecipientServer != nil {
		if s := p.RecipientServer(rcpts); s != "" {
			if strings.EqualFold(s, org.Server.Name) {
				addOwn()
			} else if peer := org.Peer(s); peer != nil && alive(s) {
				addPeer(peer)
			}
		}
	}
	addOwn()
	for _, peer := range org.Peers {
		addPeer(peer)
	}
	return append(out, down...)
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
	key string
	c   *smtpclient.Client
	log *protolog.Session
}

// reset ends the previous transaction; false means the session is no
// longer usable.
func (ps *proxySession) reset() bool {
	r, err := ps.c.Reset()
	return err == nil && r.Code == 250
}

func (ps *proxySession) close() {
	ps.c.Quit()
	ps.log.Disconnect("Local")
}

// open connects to the hub and logs on as this server (Exchange Server
// authentication). A refusal by the hub during the session's start comes
// back as a replies.Reply error.
//
// The protocol log records the hub's endpoint with the connector's binding
// port (2525, 465), as the hub's own receive log does, whatever port
// -PortOffset made it listen on; logPort 0 keeps the real port.
func (p *Proxy) open(org *Org, addr string, logPort int, onBehalf string) (ps *proxySession, err error) {
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	c, err := smtpclient.Dial(context.Background(), addr, smtpclient.Options{Timeout: timeout, Local: p.Local})
	if err != nil {
		return nil, err
	}
	remote := c.RemoteAddr()
	if logPort > 0 {
		remote = netip.AddrPortFrom(remote.Addr(), uint16(logPort))
	}
	log := p.SendLog.Session(ProxyConnectorID, p.SendLevel, c.LocalAddr(), remote)
	log.Connect()
	c.SetHook(smtpclient.ProtocolLog(log))
	defer func() {
		if err != nil {
			c.Close()
			log.Disconnect("Local")
		}
	}()
	var tlsCfg *tls.Config
	if org.TLS != nil {
		tlsCfg = p.pinnedConfig(org)
	}
	if err := c.Start(org.Fqdn, tlsCfg); err != nil {
		return nil, err
	}
	if c.SupportsAuth("PLAIN") {
		if err := c.Auth(sasl.NewPlainClient(onBehalf, p.Credential.Account, p.Credential.Secret)); err != nil {
			var r replies.Reply
			if errors.As(err, &r) {
				return nil, replies.CannotAchieveAuth
			}
			return nil, err
		}
	}
	return &proxySession{c: c, log: log}, nil
}

// transaction relays one message: with BDAT when the hub offers CHUNKING,
// as Exchange's Front End proxies, and always for BINARYMIME content. A
// refusal by the hub comes back as the reply to give the client; err
// means the session broke.
func (ps *proxySession) transaction(env *smtpd.Envelope, rcpts []string, data []byte) (replies.Reply, error) {
	rp := make([]smtpclient.RcptParams, len(rcpts))
	for i := range rcpts {
		rp[i] = smtpclient.RcptParams{Notify: env.Rcpts[i].Params.Notify, ORcpt: env.Rcpts[i].Params.ORcpt}
	}
	res, err := ps.c.Send(env.From, mailParams(env, int64(len(data))), rcpts, rp, data)
	if err != nil {
		return replies.Reply{}, err
	}
	return res.Final(), nil
}

// mailParams are the MAIL FROM parameters a relayed envelope keeps.
func mailParams(env *smtpd.Envelope, size int64) smtpclient.MailParams {
	return smtpclient.MailParams{Body: env.Mail.Body, Size: size, SMTPUTF8: env.Mail.SMTPUTF8, Ret: env.Mail.Ret, EnvID: env.Mail.EnvID}
}

// pinnedConfig trusts exactly the organisation's own certificate: the hub
// is this server, and its certificate is self-signed. The configuration is
// made once per certificate.
func (p *Proxy) pinnedConfig(org *Org) *tls.Config {
	want := org.CertDER
	if c := p.pinned.Load(); c != nil && bytes.Equal(c.cert, want) {
		return c.config
	}
	p.tlsSessionsOnce.Do(func() { p.tlsSessions = tls.NewLRUClientSessionCache(64) })
	c := &pinnedTLS{cert: want, config: &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		// The hub speaks TLS 1.2 only; offering 1.3 would make every
		// ClientHello compute key shares (ML-KEM and X25519) for nothing.
		MaxVersion: tls.VersionTLS12,
		// The suites and curves the hub chooses from, for an ECDSA or an
		// RSA certificate: a ClientHello of all of Go's defaults costs
		// more to build, send and read on every proxied session.
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		},
		CurvePreferences:   []tls.CurveID{tls.X25519, tls.CurveP256},
		ClientSessionCache: p.tlsSessions,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, want) {
				return x509.UnknownAuthorityError{}
			}
			return nil
		},
	}}
	p.pinned.Store(c)
	return c.config
}

type pinnedTLS struct {
	cert   []byte
	config *tls.Config
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
