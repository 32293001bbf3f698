package frontend

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"exsh/engine/nexthop"
	"exsh/engine/protolog"
	"exsh/engine/replies"
	"exsh/engine/smtpclient"
	"exsh/engine/smtpd"
	"exsh/state"
)

// OutboundProxy is the Front End Transport's side of outbound proxying:
// a send connector with FrontendProxyEnabled makes the Transport service
// deliver through the Front End's "Outbound Proxy Frontend <SERVER>"
// connector (717) instead of connecting to the destination itself.
//
// Only an Exchange server session may use it: the hub logs on with the
// [ServerCredential], and the connector must grant ExchangeServers the
// Submit right. The Front End picks the send connector for the recipients
// as the hub's categorizer did ([state.SelectSendConnector]), opens its own
// SMTP session to the connector's smart hosts (or the domain's MX hosts)
// at the first RCPT TO and relays MAIL FROM, each RCPT TO and the message
// as the hub sends them. Every reply the hub gets for them is the
// destination's, so the hub's queue keeps Exchange's semantics: a refused
// recipient is failed or retried by the hub, and a destination that
// cannot be reached or drops the session ends the hub's session with a
// 421 reply, which puts the hub's queue in Retry. The Front End adds no
// Received: line (exchange-receive.md §8.1) and logs the outbound leg in
// its SmtpSend protocol log under the send connector's name.
type OutboundProxy struct {
	// SendLog is the Front End SmtpSend protocol log.
	SendLog *protolog.Log
	// PortMap translates a port one of this server's receive connectors
	// is bound to (on an address it listens on) into the port it really
	// listens on; nil keeps ports unchanged. Other ports are used as given.
	PortMap func(port int) int
	// LookupMX resolves MX records for connectors with DNS routing; nil
	// makes no lookup (the destination is then unreachable: 451 4.4.0).
	LookupMX func(ctx context.Context, domain string) ([]*net.MX, error)
	// LookupNetIP resolves a host name (an MX host, a smart host given by
	// name, a domain without MX); nil uses the system's resolver.
	LookupNetIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// HostPort is the port a simulated outside host (a lab's receiver)
	// really listens on for a configured port; nil keeps it.
	HostPort func(a netip.Addr, port int) int
	// DialTimeout bounds each TCP connect; 0 means 30 seconds.
	DialTimeout time.Duration
	// Local is the server's own address in an organisation of several
	// servers: sessions leave from it, and a destination named as this
	// server is reached there. The zero value: the system chooses, and
	// this server is 127.0.0.1.
	Local netip.Addr
	// Context ends with the engine: open destination sessions are then
	// aborted so that no session outlives Stop. nil means never.
	Context context.Context
}

// outboundSession is the Front End's open session to a destination for one
// hub session.
type outboundSession struct {
	key     string // the connector's Guid, plus the domain with DNS routing
	c       *smtpclient.Client
	log     *protolog.Session
	reason  string         // the disconnect reason for the log
	mailOn  bool           // MAIL FROM was relayed in the current transaction
	mailErr *replies.Reply // the destination's refusal of that MAIL FROM
	stop    func() bool    // ends the watch on OutboundProxy.Context
}

func (o *outboundSession) close() {
	o.stop()
	o.c.Conn().SetDeadline(time.Now().Add(5 * time.Second))
	if o.reason == "Local" {
		o.c.Quit()
	}
	o.c.Close()
	o.log.Disconnect(o.reason)
}

// Replies of the outbound proxy that are not the destination's [inf].
var (
	outboundNoConnector = replies.Reply{Code: 451, Enhanced: "4.4.0", Text: "A matching connector cannot be found to route the external recipient"}
	outboundOtherHop    = replies.Reply{Code: 452, Enhanced: "4.5.3", Text: "Recipient has a different next hop; send it in another transaction"}
	outboundNoSession   = replies.Reply{Code: 451, Enhanced: "4.4.0", Text: "No outbound proxy session to the destination"}
)

// outboundMode reports whether this session relays outbound mail: an
// Exchange server logged on to a Front End connector that proxies.
func (r *Receive) outboundMode() bool {
	return r.IsServer && r.Outbound != nil && strings.EqualFold(r.Conn.Rec.TransportRole, RoleFrontend)
}

// outboundMail starts a new transaction: the destination session, if any,
// is reset when the previous transaction left one open.
func (r *Receive) outboundMail() {
	o := r.out
	if o == nil {
		return
	}
	if o.mailOn && o.mailErr == nil {
		if rep, err := o.c.Reset(); err != nil || rep.Code != 250 {
			o.reason = "Remote"
			r.closeOutbound()
			return
		}
	}
	o.mailOn, o.mailErr = false, nil
}

func (r *Receive) closeOutbound() {
	if r.out != nil {
		r.out.close()
		r.out = nil
	}
}

// outboundRcpt relays one RCPT TO, opening the destination session and
// relaying MAIL FROM first when needed.
func (r *Receive) outboundRcpt(st *smtpd.State, env *smtpd.Envelope, to string, p smtpd.RcptParams) error {
	domain := state.AddressDomain(to)
	size := env.Mail.Size
	if size <= 0 {
		size = -1
	}
	route, ok := state.SelectSendConnector(r.Org.SendConnectors, domain, size)
	if !ok {
		return outboundNoConnector
	}
	c := route.Connector
	key := c.Guid
	if nexthop.DNSRouted(c, "") {
		key += "|" + strings.ToLower(domain)
	}
	if r.out != nil && r.out.key != key {
		if r.out.mailOn {
			return outboundOtherHop
		}
		r.closeOutbound()
	}
	if r.out == nil {
		st.Log.Info("", "Proxy destination(s) obtained from send connector '"+c.Name+"'")
		o, rep := r.Outbound.open(r.Org, c, domain)
		if o == nil {
			st.Log.Info("", "Outbound proxy session failed: "+rep.String())
			return rep
		}
		o.key = key
		r.out = o
	}
	o := r.out
	if !o.mailOn {
		o.mailOn = true
		if rep, err := o.c.Mail(env.From, mailParams(env, env.Mail.Size)); err != nil || rep.Code != 250 {
			rep := r.outboundRefusal(rep, err)
			if r.out != nil {
				r.out.mailErr = &rep
			}
			return rep
		}
	}
	if o.mailErr != nil {
		return *o.mailErr
	}
	if rep, err := o.c.Rcpt(to, smtpclient.RcptParams{Notify: p.Notify, ORcpt: p.ORcpt}); err != nil || !rep.Positive() {
		return r.outboundRefusal(rep, err)
	}
	return nil
}

// outboundRefusal turns a refusal by the destination, or a broken session
// (err), into the reply for the hub: the destination's own reply, or 421
// when the session broke. A 421 ends the destination session (and, as
// smtpd closes after a 421, the hub's session).
func (r *Receive) outboundRefusal(rep replies.Reply, rerr error) replies.Reply {
	if rerr != nil {
		rep = smtpclient.SessionFailure(rerr) // 421 4.4.2 Connection dropped ...
		if r.out != nil {
			r.out.reason = "Remote"
		}
	}
	if rep.Code == 421 {
		if r.out != nil && rerr == nil {
			r.out.reason = "Remote"
		}
		r.closeOutbound()
	}
	return rep
}

// outboundData relays the message and answers with the destination's
// final reply.
func (r *Receive) outboundData(st *smtpd.State, msg []byte) replies.Reply {
	o := r.out
	if o == nil || !o.mailOn || o.mailErr != nil {
		return outboundNoSession
	}
	// Organization and forest header fields never leave the organisation.
	msg = RemoveFields(msg, func(name string) bool {
		n := strings.ToLower(name)
		return strings.HasPrefix(n, "x-ms-exchange-organization-") || strings.HasPrefix(n, "x-ms-exchange-forest-")
	})
	o.mailOn = false
	rep, err := o.c.Data(msg)
	if err != nil || !rep.Positive() {
		return r.outboundRefusal(rep, err)
	}
	return rep
}

// target is one address the outbound leg may connect to.
type target struct {
	host string // as configured or found in MX
	addr netip.AddrPort
}

// targets lists the destination's addresses in order; a reply means the
// destination cannot be resolved. A port this server's receive connectors
// listen on is translated to the port it really listens on.
func (p *OutboundProxy) targets(ctx context.Context, org *Org, c *state.SendConnector, domain string) ([]target, *replies.Reply) {
	port := c.Port
	if port == 0 {
		port = 25
	}
	self := netip.MustParseAddr("127.0.0.1")
	if p.Local.IsValid() {
		self = p.Local
	}
	isSelf := func(name string) bool {
		return strings.EqualFold(name, "localhost") || strings.EqualFold(name, org.Server.Name) || strings.EqualFold(name, org.Fqdn)
	}
	r := nexthop.Resolver{LookupMX: p.LookupMX, LookupNetIP: p.LookupNetIP, IsSelf: isSelf, Self: self}
	hosts, rep := r.Hosts(ctx, c, "", domain)
	if rep != nil {
		return nil, rep
	}
	out := make([]target, len(hosts))
	for i, h := range hosts {
		pt := port
		if p.PortMap != nil && state.ListensAt(org.ReceiveConnectors(), h.Addr, port) {
			pt = p.PortMap(port)
		} else if p.HostPort != nil {
			pt = p.HostPort(h.Addr, port)
		}
		out[i] = target{host: h.Name, addr: netip.AddrPortFrom(h.Addr, uint16(pt))}
	}
	return out, nil
}

// open connects to the connector's destination, trying each address in
// turn. When none takes the session it returns nil and the reply for the
// hub: 421 for a failure to connect or a dropped session (the hub then
// retries the whole queue), the destination's own reply when it refused
// the session permanently.
func (p *OutboundProxy) open(org *Org, c *state.SendConnector, domain string) (*outboundSession, replies.Reply) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tgs, rep := p.targets(ctx, org, c, domain)
	if rep != nil {
		if rep.Transient() {
			rep.Code = 421
		}
		return nil, *rep
	}
	var last replies.Reply
	for _, tg := range tgs {
		o, rep, permanent := p.dial(org, c, tg)
		if o != nil {
			return o, replies.Reply{}
		}
		last = rep
		if permanent {
			break
		}
	}
	return nil, last
}

// dial runs the start of one session: connect, greeting, EHLO, STARTTLS,
// AUTH, with every line in the Front End SmtpSend log.
func (p *OutboundProxy) dial(org *Org, c *state.SendConnector, tg target) (_ *outboundSession, _ replies.Reply, permanent bool) {
	log := p.SendLog.Session(c.Name, protolog.ParseLevel(c.ProtocolLoggingLevel), netip.AddrPort{}, tg.addr)
	log.Info("", "attempting to connect")
	timeout := c.ConnectionInactivityTimeOut
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	dt := p.DialTimeout
	if dt <= 0 {
		dt = 30 * time.Second
	}
	cl, err := smtpclient.Dial(context.Background(), tg.addr.String(), smtpclient.Options{DialTimeout: dt, Timeout: timeout, Local: p.Local})
	if err != nil {
		return nil, replies.Reply{Code: 421, Enhanced: "4.4.1", Text: smtpclient.ConnectFailure(err) + " The last endpoint attempted was " + tg.addr.String()}, false
	}
	log.SetEndpoints(cl.LocalAddr(), tg.addr)
	log.Connect()
	cl.SetHook(smtpclient.ProtocolLog(log))
	ctx := p.Context
	if ctx == nil {
		ctx = context.Background()
	}
	stop := context.AfterFunc(ctx, func() { cl.Conn().SetDeadline(time.Now()) })
	helo := c.Fqdn
	if helo == "" {
		helo = org.Fqdn
	}
	var tlsCfg *tls.Config
	if !c.IgnoreSTARTTLS {
		tlsCfg = &tls.Config{ServerName: strings.Trim(tg.host, "[]"), InsecureSkipVerify: true}
		if c.TlsAuthLevel == "CertificateValidation" || c.TlsAuthLevel == "DomainValidation" {
			tlsCfg.InsecureSkipVerify = false
			if c.TlsDomain != "" {
				tlsCfg.ServerName = c.TlsDomain
			}
		}
	}
	fail := func(rep replies.Reply, permanent bool, reason string) (*outboundSession, replies.Reply, bool) {
		stop()
		cl.Close()
		log.Disconnect(reason)
		return nil, rep, permanent
	}
	if err := cl.Start(helo, tlsCfg); err != nil {
		return fail(sessionFailure(err))
	}
	tlsOn := cl.TLS() != nil
	o := &outboundSession{c: cl, log: log, reason: "Local", stop: stop}
	if c.RequireTLS && !tlsOn {
		o.close()
		return nil, nextHopRefused(replies.TLSRequiredToSend), false
	}
	switch c.SmartHostAuthMechanism {
	case "BasicAuth", "BasicAuthRequireTLS":
		if c.SmartHostAuthMechanism == "BasicAuthRequireTLS" && !tlsOn {
			o.close()
			return nil, nextHopRefused(replies.TLSRequiredToAuth), false
		}
		if err := cl.BasicAuth(c.SmartHostUser(), c.AuthPassword); err != nil {
			o.close()
			rep, _, _ := sessionFailure(err)
			return nil, rep, false
		}
	}
	return o, replies.Reply{}, false
}

// sessionFailure turns a failure while a session starts into the reply
// for the hub, whether it is permanent, and the disconnect reason.
func sessionFailure(err error) (replies.Reply, bool, string) {
	var rep replies.Reply
	if errors.As(err, &rep) && rep.Permanent() && rep.Code != 535 && rep.Code != 530 {
		return rep, true, "Remote"
	}
	return nextHopRefused(smtpclient.SessionFailure(err)), false, "Remote"
}

// nextHopRefused is NextHopResponded as the proxy answers the hub: with
// 421, which ends the hub's session as the one to the next hop ended.
func nextHopRefused(r replies.Reply) replies.Reply {
	rep := replies.NextHopResponded(r)
	rep.Code = 421
	return rep
}
