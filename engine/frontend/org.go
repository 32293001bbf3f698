package frontend

import (
	"crypto/tls"
	"fmt"
	"math/big"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"exsh/engine/mail"
	"exsh/engine/smtpd"
	"exsh/state"
)

// Role values of a receive connector's TransportRole.
const (
	RoleFrontend = "FrontendTransport"
	RoleHub      = "HubTransport"
)

// Connector is a receive connector with its bindings and remote ranges
// parsed and its explicit ADPermission entries attached.
type Connector struct {
	Rec      *state.ReceiveConnector
	Bindings []netip.AddrPort
	Ranges   []state.IPRange
	Explicit []*state.ADPermission

	// rights caches EffectiveRights by principals: the snapshot never
	// changes, and every session asks at connect and after AUTH.
	rights sync.Map // string (principals joined) -> state.Rights
}

// Rights are the rights principals hold on the connector.
func (c *Connector) Rights(principals []string, netbiosDomain string) state.Rights {
	key := strings.Join(principals, "\x00") + "\x00" + netbiosDomain
	if r, ok := c.rights.Load(key); ok {
		return r.(state.Rights)
	}
	r := state.EffectiveRights(c.Rec, c.Explicit, principals, netbiosDomain)
	c.rights.Store(key, r)
	return r
}

// Org is an immutable snapshot of what the receive side needs from the
// organisation. A new snapshot is loaded after every change.
type Org struct {
	Org        *state.Organization
	Server     *state.ExchangeServer
	Fqdn       string
	Build      string // the id of Received: headers, "15.2.1118.7"
	Domains    []*state.AcceptedDomain
	Connectors []*Connector // every connector of this server, enabled or not
	Services   map[string]*state.TransportService
	// SendConnectors are the organisation's send connectors, for mail
	// the Transport service proxies outbound through this Front End.
	SendConnectors []*state.SendConnector
	TLS            *tls.Config // nil when the organisation has no certificate
	CertDER        []byte      // the certificate's DER, pinned by the proxy client
	// Peers are the organisation's other servers that have an address
	// (an organisation of several servers, SPEC section 8), by name; nil
	// on a single server.
	Peers []*Peer
	// servers are the lower-case names of every server of the
	// organisation, whose computer accounts may log on as servers.
	servers map[string]bool
	// databases are the servers holding the mailbox databases, by
	// lower-case name and Guid.
	databases map[string]string
}

// DatabaseServer names the server holding the mailbox database db (its
// name or Guid), "" when the organisation has no such database.
func (o *Org) DatabaseServer(db string) string {
	if state.IsGuid(db) {
		db = state.CanonicalGuid(db)
	}
	return o.databases[strings.ToLower(db)]
}

// Peer is another server of the organisation and where its Transport
// service listens.
type Peer struct {
	Server *state.ExchangeServer
	// Hub are its enabled HubTransport connectors.
	Hub []*state.ReceiveConnector
}

// Target is the peer's hub connector the Front End proxies to, named
// preferred ("Default EX02", "Client Proxy EX02") or else one granting
// ExchangeServers, and where to dial it (state.PickServerHub).
func (p *Peer) Target(preferred string) (state.ServerHub, bool) {
	return state.PickServerHub(p.Server, p.Hub, preferred)
}

// Peer returns the other server named name, or nil.
func (o *Org) Peer(name string) *Peer {
	for _, p := range o.Peers {
		if strings.EqualFold(p.Server.Name, name) {
			return p
		}
	}
	return nil
}

// IsServerAccount reports whether account is the computer account of a
// server of the organisation ("CONTOSO\EX02$").
func (o *Org) IsServerAccount(account string) bool {
	domain, name, ok := mail.ParseServerAccount(account)
	return ok && strings.EqualFold(domain, o.NetBIOS()) && o.servers[strings.ToLower(name)]
}

// Load reads a snapshot in one transaction. serverName picks the server
// (the organisation's ServerName when empty).
func Load(st state.Store, serverName string) (*Org, error) {
	o := &Org{Services: map[string]*state.TransportService{}}
	err := st.View(func(tx state.Tx) error {
		org, err := tx.Org()
		if err != nil {
			return fmt.Errorf("reading the organisation: %w", err)
		}
		o.Org = org
		if serverName == "" {
			serverName = org.ServerName
		}
		srv, err := tx.Server(serverName)
		if err != nil {
			return fmt.Errorf("server %q: %w", serverName, err)
		}
		o.Server = srv
		o.Fqdn = srv.Fqdn
		o.Build = smtpd.BuildFromVersion(srv.AdminDisplayVersion)
		if o.Domains, err = tx.AcceptedDomains(); err != nil {
			return err
		}
		rcs, err := tx.ReceiveConnectors()
		if err != nil {
			return err
		}
		dbs, err := tx.MailboxDatabases()
		if err != nil {
			return err
		}
		o.databases = make(map[string]string, 2*len(dbs))
		for _, db := range dbs {
			o.databases[strings.ToLower(db.Name)] = db.Server
			o.databases[strings.ToLower(db.Guid)] = db.Server
		}
		servers, err := tx.Servers()
		if err != nil {
			return err
		}
		o.servers = make(map[string]bool, len(servers))
		for _, x := range servers {
			o.servers[strings.ToLower(x.Name)] = true
			if strings.EqualFold(x.Name, srv.Name) || x.IPAddress == "" {
				continue
			}
			if _, err := netip.ParseAddr(x.IPAddress); err != nil {
				continue
			}
			o.Peers = append(o.Peers, &Peer{Server: x})
		}
		for _, rc := range rcs {
			if !strings.EqualFold(rc.Server, srv.Name) {
				if p := o.Peer(rc.Server); p != nil && rc.Enabled && strings.EqualFold(rc.TransportRole, RoleHub) {
					p.Hub = append(p.Hub, rc)
				}
				continue
			}
			c := parseConnector(rc)
			if c.Explicit, err = tx.ADPermissions(rc.Guid); err != nil {
				return err
			}
			o.Connectors = append(o.Connectors, c)
		}
		if o.SendConnectors, err = tx.SendConnectors(); err != nil {
			return err
		}
		for _, kind := range []string{"Hub", "FrontEnd"} {
			if ts, err := tx.TransportService(srv.Name, kind); err == nil {
				o.Services[kind] = ts
			}
		}
		cert, err := tx.Certificate()
		if err == nil && cert != nil && len(cert.CertPEM) > 0 {
			pair, err := tls.X509KeyPair(cert.CertPEM, cert.KeyPEM)
			if err != nil {
				return fmt.Errorf("the server certificate: %w", err)
			}
			o.CertDER = pair.Certificate[0]
			o.TLS = &tls.Config{
				Certificates: []tls.Certificate{pair},
				// Exchange 2019 on Windows Server 2019 negotiates TLS 1.2.
				MaxVersion: tls.VersionTLS12,
				MinVersion: tls.VersionTLS12,
				// Schannel's ECDHE on P-256 ("CALG_ECDH_EPHEM with
				// strength 256 bits").
				CurvePreferences: []tls.CurveID{tls.CurveP256, tls.X25519, tls.CurveP384},
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(o.Connectors, func(i, j int) bool { return o.Connectors[i].Rec.Name < o.Connectors[j].Rec.Name })
	return o, nil
}

// parseConnector is a connector with its bindings and remote ranges
// parsed.
func parseConnector(rc *state.ReceiveConnector) *Connector {
	c := &Connector{Rec: rc}
	for _, b := range rc.Bindings {
		ap, err := state.ParseBinding(b)
		if err != nil {
			continue
		}
		c.Bindings = append(c.Bindings, ap)
	}
	for _, r := range rc.RemoteIPRanges {
		ipr, err := state.ParseIPRange(r)
		if err != nil {
			continue
		}
		c.Ranges = append(c.Ranges, ipr)
	}
	return c
}

// ReceiveConnectors are the records of this server's connectors.
func (o *Org) ReceiveConnectors() []*state.ReceiveConnector {
	out := make([]*state.ReceiveConnector, len(o.Connectors))
	for i, c := range o.Connectors {
		out[i] = c.Rec
	}
	return out
}

// NetBIOS is the organisation's NetBIOS domain ("CONTOSO").
func (o *Org) NetBIOS() string { return o.Org.NetBIOSDomain }

// DefaultDomain is the default accepted domain's name, "" if none.
func (o *Org) DefaultDomain() string {
	if d := state.DefaultAcceptedDomain(o.Domains); d != nil {
		return d.DomainName
	}
	return o.Org.DomainName
}

// ConnectorByName finds a connector of this server by name.
func (o *Org) ConnectorByName(name string) *Connector {
	for _, c := range o.Connectors {
		if strings.EqualFold(c.Rec.Name, name) {
			return c
		}
	}
	return nil
}

// Select picks the receive connector for a connection that arrived on
// local (with the binding's port, not the listening port) from remote,
// as Exchange does (exchange-receive.md §5.1): among the enabled
// connectors of role with a binding that accepts local, the one whose
// RemoteIPRanges holds remote most specifically; on a tie a binding to
// the exact address beats a wildcard. nil means no connector accepts the
// connection, which is then dropped.
func (o *Org) Select(role string, local, remote netip.AddrPort) *Connector {
	ra := remote.Addr().Unmap().WithZone("")
	var best *Connector
	var bestSize *big.Int
	bestSpecific := false
	for _, c := range o.Connectors {
		if !c.Rec.Enabled || !strings.EqualFold(c.Rec.TransportRole, role) {
			continue
		}
		matched, specific := false, false
		for _, b := range c.Bindings {
			if state.BindingMatches(b, local) {
				matched = true
				if !b.Addr().IsUnspecified() {
					specific = true
				}
			}
		}
		if !matched {
			continue
		}
		i := state.MostSpecific(c.Ranges, ra)
		if i < 0 {
			continue
		}
		size := c.Ranges[i].Size()
		if best == nil || size.Cmp(bestSize) < 0 || size.Cmp(bestSize) == 0 && specific && !bestSpecific {
			best, bestSize, bestSpecific = c, size, specific
		}
	}
	return best
}

// Config builds the SMTP session configuration of a connector.
func (o *Org) Config(c *Connector) smtpd.Config {
	rc := c.Rec
	cfg := smtpd.Config{
		Fqdn:                rc.Fqdn,
		Banner:              rc.Banner,
		SizeMode:            rc.SizeEnabled,
		MaxMessageSize:      int64(rc.MaxMessageSize),
		MaxHeaderSize:       int64(rc.MaxHeaderSize),
		Pipelining:          rc.PipeliningEnabled,
		DSN:                 rc.DeliveryStatusNotificationEnabled,
		EnhancedStatusCodes: rc.EnhancedStatusCodesEnabled,
		EightBitMime:        rc.EightBitMimeEnabled,
		BinaryMime:          rc.BinaryMimeEnabled,
		Chunking:            rc.ChunkingEnabled,
		RequireTLS:          rc.RequireTLS,
		BasicAuth:           rc.AuthMechanism.Has("BasicAuth"),
		BasicAuthRequireTLS: rc.AuthMechanism.Has("BasicAuthRequireTLS"),
		RequireEHLODomain:   rc.RequireEHLODomain,
		BareLFRejection:     rc.BareLinefeedRejectionEnabled,
		MaxRecipients:       rc.MaxRecipientsPerMessage,
		MaxHopCount:         rc.MaxHopCount,
		MaxLocalHopCount:    rc.MaxLocalHopCount,
		LocalHosts:          []string{o.Fqdn, rc.Fqdn},
		MaxLogonFailures:    rc.MaxLogonFailures,
		MaxProtocolErrors:   int(rc.MaxProtocolErrors),
		ConnectionTimeout:   rc.ConnectionTimeout,
		InactivityTimeout:   rc.ConnectionInactivityTimeout,
		TarpitInterval:      rc.TarpitInterval,
		AuthTarpitInterval:  rc.AuthTarpitInterval,
	}
	if cfg.Fqdn == "" {
		cfg.Fqdn = o.Fqdn
	}
	// SmtpUtf8Enabled stays a record value only: no real Exchange
	// 2016/2019 EHLO reply advertises SMTPUTF8 (exchange-receive.md
	// §7.2), so cfg.SMTPUTF8 stays false.
	if rc.AuthMechanism.Has("Tls") && o.TLS != nil {
		cfg.TLSConfig = o.TLS
	}
	if rc.MaxMessageSize < 0 {
		cfg.MaxMessageSize = 0
	}
	if rc.MaxHeaderSize < 0 {
		cfg.MaxHeaderSize = 0
	}
	return cfg
}
