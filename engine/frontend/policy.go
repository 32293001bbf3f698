package frontend

import (
	"errors"
	"strings"
	"time"

	"exsh/engine/mail"
	"exsh/engine/replies"
	"exsh/engine/smtpd"
	"exsh/state"
)

// ServerCredential is the credential this server's Front End Transport
// and Transport services authenticate to each other with (see
// [mail.ServerCredential]). It is accepted from a peer only on
// HubTransport connectors (the Front End proxying inbound mail) and on
// FrontendTransport connectors (the hub proxying outbound mail through
// Outbound Proxy Frontend), and only where the connector grants the
// ExchangeServers group ms-Exch-SMTP-Submit.
type ServerCredential = mail.ServerCredential

// DataFunc receives an accepted message on behalf of a Receive policy.
type DataFunc func(r *Receive, st *smtpd.State, env *smtpd.Envelope, msg []byte) replies.Reply

// Receive is the organisation's policy on one SMTP session: it turns the
// connector's permission groups and ADPermission entries into rights for
// the session's principals and applies Exchange's rules at AUTH, MAIL and
// RCPT. It implements smtpd.Handler; DataFunc decides what happens to an
// accepted message (proxy to the hub, or queue).
type Receive struct {
	Org       *Org
	Conn      *Connector
	Store     state.Store
	Server    ServerCredential
	DataFunc  DataFunc
	principal string // "anonymous", "user", "server"

	// Rights are the session's current extended rights.
	Rights state.Rights
	// Account is the authenticated user's recipient record (nil when
	// anonymous or an Exchange server).
	Account *state.Recipient
	// IsServer is set when an Exchange server (this server's Front End)
	// authenticated.
	IsServer bool
	// OnBehalfOf is the account a server session submits for (PLAIN
	// authorization identity), "" for anonymous mail it relays.
	OnBehalfOf string

	// Rates enforces the connector's MessageRateLimit; nil means no limit.
	Rates *RateLimiter

	// Outbound relays mail that the Transport service proxies through
	// this Front End connector (send connectors with FrontendProxyEnabled)
	// to its destination; nil on hub connectors.
	Outbound *OutboundProxy

	// proxy is the Front End's open session to the hub, kept for the
	// client session's lifetime as Exchange keeps its proxy session.
	proxy *proxySession
	// out is the outbound proxy's session with the destination.
	out *outboundSession
}

// CloseSession implements smtpd.SessionCloser: it ends the proxy session
// to the hub and the outbound proxy session to a destination.
func (r *Receive) CloseSession() {
	if r.proxy != nil {
		r.proxy.close()
		r.proxy = nil
	}
	r.closeOutbound()
}

var _ smtpd.Handler = (*Receive)(nil)

// NewReceive returns the policy of a new, anonymous session.
func NewReceive(org *Org, c *Connector, st state.Store, cred ServerCredential, data DataFunc) *Receive {
	r := &Receive{Org: org, Conn: c, Store: st, Server: cred, DataFunc: data, principal: "anonymous"}
	r.Rights = r.rightsFor(r.anonymousPrincipals())
	return r
}

func (r *Receive) anonymousPrincipals() []string {
	p := state.AnonymousPrincipals()
	if r.Conn.Rec.AuthMechanism.Has("ExternalAuthoritative") {
		p = append(p, state.ExternallySecuredPrincipals()...)
	}
	return p
}

func (r *Receive) rightsFor(principals []string) state.Rights {
	return r.Conn.Rights(principals, r.Org.NetBIOS())
}

// BypassSizeLimit implements smtpd.SizeLimitBypasser: sessions holding
// ms-Exch-Bypass-Message-Size-Limit (Exchange servers, legacy servers,
// externally secured servers) are not held to MaxMessageSize.
func (r *Receive) BypassSizeLimit(*smtpd.State) bool {
	return r.Rights.Has(state.RightBypassMessageSizeLimit)
}

// Authenticated reports whether a user or server logged on.
func (r *Receive) Authenticated() bool { return r.principal != "anonymous" }

// Authenticate implements smtpd.Handler.
func (r *Receive) Authenticate(st *smtpd.State, identity, user, password string) (string, error) {
	if account, ok := r.Server.CheckServer(user, password, r.Org.IsServerAccount); ok {
		// The Front End proxying inbound mail logs on to a hub connector;
		// the hub proxying outbound mail logs on to a Front End connector
		// (Outbound Proxy Frontend); another server's hub hands over mail
		// for a database here. Either way the connector must grant the
		// ExchangeServers group the Submit right: a server's account is an
		// authenticated user too, but what ExchangeUsers grants it does not
		// make it a server (without the group Exchange answers "Cannot
		// achieve Exchange Server authentication", KB 979175).
		if !r.rightsFor(state.ServerGroupPrincipals(r.Org.NetBIOS())).Has(state.RightSubmit) {
			return "", replies.AuthFailed
		}
		rights := r.rightsFor(state.ServerPrincipals(r.Org.NetBIOS()))
		r.principal, r.IsServer, r.Rights = "server", true, rights
		r.OnBehalfOf = identity
		return account, nil
	}
	if identity != "" && !strings.EqualFold(identity, user) {
		return "", replies.AuthFailed
	}
	var rec *state.Recipient
	err := r.Store.View(func(tx state.Tx) error {
		var err error
		rec, err = tx.RecipientByLogin(user)
		return err
	})
	if err != nil || rec == nil || !state.CheckPassword(rec.PasswordHash, password) {
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return "", err
		}
		return "", replies.AuthFailed
	}
	rights := r.rightsFor(state.UserPrincipals(r.Org.NetBIOS(), rec.SamAccountName))
	if !rights.Has(state.RightSubmit) {
		// Without ms-Exch-SMTP-Submit AUTH fails (exchange-receive.md §2.1).
		return "", replies.AuthFailed
	}
	r.principal, r.Account, r.Rights = "user", rec, rights
	return r.Org.NetBIOS() + `\` + rec.SamAccountName, nil
}

// permissionNames are the names Exchange's protocol log gives the rights
// in its "Set Session Permissions" line.
var permissionNames = []struct{ right, name string }{
	{state.RightSubmit, "SMTPSubmit"},
	{state.RightAcceptAnyRecipient, "SMTPAcceptAnyRecipient"},
	{state.RightAcceptAuthenticationFlag, "SMTPAcceptAuthenticationFlag"},
	{state.RightAcceptAnySender, "SMTPAcceptAnySender"},
	{state.RightAcceptAuthoritativeDomainSender, "SMTPAcceptAuthoritativeDomainSender"},
	{state.RightBypassAntiSpam, "BypassAntiSpam"},
	{state.RightBypassMessageSizeLimit, "BypassMessageSizeLimit"},
	{state.RightAcceptExch50, "SMTPAcceptEXCH50"},
	{state.RightAcceptHeadersRouting, "AcceptRoutingHeaders"},
	{state.RightAcceptHeadersForest, "AcceptForestHeaders"},
	{state.RightAcceptHeadersOrganization, "AcceptOrganizationHeaders"},
	{state.RightSendXMessageContextADRecipientCache, "SendXMessageContextADRecipientCache"},
	{state.RightSendXMessageContextExtendedProps, "SendXMessageContextExtendedProperties"},
	{state.RightSendXMessageContextFastIndex, "SendXMessageContextFastIndex"},
	{state.RightAcceptXattr, "SMTPAcceptXAttr"},
	{state.RightAcceptXProxyFrom, "SMTPAcceptXProxyFrom"},
	{state.RightAcceptXSessionParams, "SMTPAcceptXSessionParams"},
	{state.RightAcceptXShadow, "SMTPAcceptXShadow"},
	{state.RightAcceptXSysProbe, "SMTPAcceptXSysProbe"},
}

// Permissions implements smtpd.Handler.
func (r *Receive) Permissions(*smtpd.State) string { return PermissionText(r.Rights) }

// PermissionText renders rights as Exchange's protocol log does
// ("SMTPSubmit SMTPAcceptAnySender ... AcceptRoutingHeaders", "None").
func PermissionText(rights state.Rights) string {
	var names []string
	for _, p := range permissionNames {
		if rights.Has(p.right) {
			names = append(names, p.name)
		}
	}
	if len(names) == 0 {
		return "None"
	}
	return strings.Join(names, " ")
}

// Mail implements smtpd.Handler: the Submit right, the sender checks,
// then the connector's MessageRateLimit.
func (r *Receive) Mail(st *smtpd.State, from string, p smtpd.MailParams) error {
	if err := r.checkSender(from); err != nil {
		return err
	}
	if !r.Rates.Allow(r.Conn.Rec, st.ClientIP(), r.rateUser(), time.Now()) {
		return replies.RateExceeded
	}
	if r.outboundMode() {
		r.outboundMail()
	}
	return nil
}

// rateUser is the account messages count against with MessageRateSource
// User: the authenticated user, or the one a Front End submits for.
func (r *Receive) rateUser() string {
	switch {
	case r.Account != nil:
		return r.Org.NetBIOS() + `\` + r.Account.SamAccountName
	case r.IsServer:
		return r.OnBehalfOf
	}
	return ""
}

func (r *Receive) checkSender(from string) error {
	if !r.Rights.Has(state.RightSubmit) {
		if !r.Authenticated() {
			return replies.NotAuthed
		}
		return replies.SubmitDenied
	}
	if r.Rights.Has(state.RightAcceptAnySender) && r.principal != "user" {
		if r.authoritative(from) && !r.Rights.Has(state.RightAcceptAuthoritativeDomainSender) {
			return replies.AnonymousSendAsDenied
		}
		return nil
	}
	switch r.principal {
	case "user":
		if r.Rights.Has(state.RightAcceptAnySender) {
			return nil
		}
		// An account may send only as one of its own addresses, and only
		// if it has a mailbox (the seed article's 5.7.60), or as a
		// recipient that granted it Send As.
		if !r.mayUseSender(from) {
			return replies.SendAsDenied
		}
		return nil
	case "server":
		return nil
	}
	// Anonymous without Accept-Any-Sender: the sender must be in an
	// accepted domain, and an authoritative one needs its own right.
	d := state.MatchAcceptedDomain(r.Org.Domains, state.AddressDomain(from))
	if d == nil {
		return replies.AnonymousSendAsDenied
	}
	if strings.EqualFold(d.DomainType, "Authoritative") && !r.Rights.Has(state.RightAcceptAuthoritativeDomainSender) {
		return replies.AnonymousSendAsDenied
	}
	return nil
}

func (r *Receive) authoritative(addr string) bool {
	d := state.MatchAcceptedDomain(r.Org.Domains, state.AddressDomain(addr))
	return d != nil && strings.EqualFold(d.DomainType, "Authoritative")
}

func ownsAddress(rec *state.Recipient, addr string) bool {
	if addr == "" {
		return false
	}
	if strings.EqualFold(rec.PrimarySmtpAddress, addr) {
		return true
	}
	for _, a := range rec.EmailAddresses {
		if v, ok := strings.CutPrefix(strings.ToLower(a), "smtp:"); ok && strings.EqualFold(v, addr) {
			return true
		}
	}
	return false
}

// Rcpt implements smtpd.Handler: a recipient in an accepted domain is
// always taken (an unknown one in an authoritative domain gets its NDR
// from the categorizer); any other needs ms-Exch-SMTP-Accept-Any-Recipient.
func (r *Receive) Rcpt(st *smtpd.State, env *smtpd.Envelope, to string, p smtpd.RcptParams) error {
	if r.outboundMode() {
		return r.outboundRcpt(st, env, to, p)
	}
	if strings.EqualFold(to, "postmaster") {
		return nil
	}
	domain := state.AddressDomain(to)
	if strings.HasPrefix(domain, "[") {
		// An address literal is never an accepted domain.
		if r.Rights.Has(state.RightAcceptAnyRecipient) {
			return nil
		}
		return replies.RelayDenied
	}
	if state.MatchAcceptedDomain(r.Org.Domains, domain) != nil {
		return nil
	}
	if r.Rights.Has(state.RightAcceptAnyRecipient) {
		return nil
	}
	return replies.RelayDenied
}

// Data implements smtpd.Handler.
func (r *Receive) Data(st *smtpd.State, env *smtpd.Envelope, msg []byte) replies.Reply {
	if r.outboundMode() {
		return r.outboundData(st, msg)
	}
	return r.DataFunc(r, st, env, msg)
}

// Recipients returns the envelope recipients, "postmaster" completed
// with the default accepted domain (RFC 5321 §4.5.1).
func (r *Receive) Recipients(env *smtpd.Envelope) []string {
	out := make([]string, len(env.Rcpts))
	for i, rc := range env.Rcpts {
		out[i] = rc.Addr
		if strings.EqualFold(rc.Addr, "postmaster") {
			out[i] = "postmaster@" + r.Org.DefaultDomain()
		}
	}
	return out
}
