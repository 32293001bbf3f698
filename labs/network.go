package labs

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"exsh/engine/replies"
	"exsh/engine/smtpclient"
)

// StrangerName is the built-in probe every lab has: a machine on the
// network that nobody registered. The guards send from it.
const StrangerName = "Stranger"

var strangerAddr = netip.MustParseAddr("127.0.0.99")

// exchangeAddr is where the simulated hosts reach the organisation's
// server: its connectors listen on loopback.
var exchangeAddr = netip.MustParseAddr("127.0.0.1")

// Result is one SMTP attempt by a sending host, as Invoke-LabHost shows
// it: the first refusal, or Stage Done with the final reply.
type Result struct {
	Host     string
	Stage    string // Connect, Ehlo, StartTls, Auth, MailFrom, RcptTo, Data, Done
	Code     int
	Reply    string
	Accepted bool
	Time     time.Time
}

// String is the LastResult text: "550 5.7.54 SMTP; Unable to relay ...".
func (r *Result) String() string {
	if r == nil {
		return ""
	}
	if r.Code == 0 {
		return r.Stage + ": " + r.Reply
	}
	return strconv.Itoa(r.Code) + " " + r.Reply
}

// Message is what a receiving host got.
type Message struct {
	Time    time.Time
	Host    string
	From    string
	To      []string
	Subject string
	Size    int
}

// network is a lab's simulated hosts while it runs.
type network struct {
	portMap func(int) int
	// mailFile keeps what the receivers got, one JSON object a line, so
	// that Get-LabMail shows it after a restart; "" keeps it in memory.
	mailFile string
	hosts    []*HostSpec
	dns      *DNS

	mu      sync.Mutex
	last    map[string]*Result
	mail    []*Message
	servers []*smtp.Server
	stop    context.CancelFunc
	wg      sync.WaitGroup
	counter int
}

// newNetwork prepares the hosts of lab; start starts them.
func newNetwork(lab *Lab, portMap func(int) int) *network {
	hosts := append([]*HostSpec{}, lab.Hosts...)
	hosts = append(hosts, &HostSpec{Name: StrangerName, Address: strangerAddr, Role: "Probe",
		From: "someone@example.net", To: "probe@example.net", Subject: "Probe", Port: 25})
	n := &network{portMap: portMap, hosts: hosts, last: map[string]*Result{}}
	n.dns = newDNS(hosts, portMap)
	return n
}

// start starts the receivers and the schedules. When the lab starts
// (initial), each scheduled host and each AtStart host sends its first
// message at once, so that LastResult shows what the users complain
// about; a lab resumed after a restart goes on with its schedules.
func (n *network) start(initial bool) error {
	if err := n.listenAll(); err != nil {
		return err
	}
	n.schedule(initial)
	return nil
}

// listenAll starts the receivers (once).
func (n *network) listenAll() error {
	n.mu.Lock()
	started := len(n.servers) > 0
	n.mu.Unlock()
	if started {
		return nil
	}
	for _, h := range n.hosts {
		if !h.Receiver {
			continue
		}
		if err := n.listen(h); err != nil {
			n.close()
			return err
		}
	}
	return nil
}

// schedule starts the senders' schedules.
func (n *network) schedule(initial bool) {
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	var first sync.WaitGroup
	for _, h := range n.hosts {
		if h.Receiver || (h.Every == 0 && !(h.AtStart && initial)) {
			continue
		}
		first.Add(1)
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if initial {
				n.send(ctx, h, nil)
			}
			first.Done()
			if h.Every == 0 {
				return
			}
			t := time.NewTicker(h.Every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					n.send(ctx, h, nil)
				}
			}
		}()
	}
	first.Wait()
}

// close stops the schedules and the receivers.
func (n *network) close() {
	if n.stop != nil {
		n.stop()
	}
	n.wg.Wait()
	n.mu.Lock()
	servers := n.servers
	n.servers = nil
	n.mu.Unlock()
	for _, s := range servers {
		s.Close()
	}
}

func (n *network) host(name string) *HostSpec {
	for _, h := range n.hosts {
		if strings.EqualFold(h.Name, name) {
			return h
		}
	}
	return nil
}

// listen starts h's SMTP server on port 25 (+ offset) of its own address.
func (n *network) listen(h *HostSpec) error {
	addr := netip.AddrPortFrom(h.Address, uint16(n.portMap(25))).String()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("lab host %s cannot listen on %s: %w", h.Name, addr, err)
	}
	s := smtp.NewServer(&receiver{n: n, h: h})
	s.Domain = "mail." + h.Domains[0]
	if h.Domains[0] == "*" {
		s.Domain = "mx.internet.example"
	}
	s.ReadTimeout = time.Minute
	s.WriteTimeout = time.Minute
	s.MaxMessageBytes = 64 << 20
	s.MaxRecipients = 500
	n.mu.Lock()
	n.servers = append(n.servers, s)
	n.mu.Unlock()
	go s.Serve(l)
	return nil
}

// receiver records what a receiving host gets.
type receiver struct {
	n *network
	h *HostSpec
}

func (r *receiver) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &receiveSession{r: r}, nil
}

type receiveSession struct {
	r    *receiver
	from string
	to   []string
}

func (s *receiveSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *receiveSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !s.r.n.dns.answers(s.r.h, domainOf(to)) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown: this server does not accept mail for " + domainOf(to)}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *receiveSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := &Message{Time: time.Now(), Host: s.r.h.Name, From: s.from, To: s.to, Size: len(b)}
	if mr, err := mail.CreateReader(strings.NewReader(string(b))); err == nil {
		m.Subject, _ = mr.Header.Subject()
		mr.Close()
	}
	s.r.n.mu.Lock()
	defer s.r.n.mu.Unlock()
	s.r.n.mail = append(s.r.n.mail, m)
	if f := s.r.n.mailFile; f != "" {
		if b, err := json.Marshal(m); err == nil {
			if fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
				fh.Write(append(b, '\n'))
				fh.Close()
			}
		}
	}
	return nil
}

func (s *receiveSession) Reset()        { s.from, s.to = "", nil }
func (s *receiveSession) Logout() error { return nil }

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(strings.Trim(addr[i+1:], "> "))
	}
	return ""
}

// loadMail reads what the receivers got before a restart.
func (n *network) loadMail(file string) {
	n.mailFile = file
	b, err := os.ReadFile(file)
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		var m Message
		if line != "" && json.Unmarshal([]byte(line), &m) == nil {
			n.mail = append(n.mail, &m)
		}
	}
}

// messages returns what the receivers got, oldest first.
func (n *network) messages() []*Message {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*Message(nil), n.mail...)
}

// results copies every host's last outcome.
func (n *network) results() map[string]*Result {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]*Result, len(n.last))
	for k, v := range n.last {
		out[k] = v
	}
	return out
}

// lastResult is a host's last SMTP outcome, or nil.
func (n *network) lastResult(name string) *Result {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.last[strings.ToLower(name)]
}

// Override changes one attempt of a sending host (Invoke-LabHost's
// parameters); empty fields keep the host's own.
type Override struct {
	From, To, Subject string
	Port              int
	User, Password    string
	Size              int
}

// send makes h send one message now.
func (n *network) send(ctx context.Context, h *HostSpec, o *Override) *Result {
	a := attempt{
		local:   h.Address,
		server:  netip.AddrPortFrom(exchangeAddr, uint16(n.portMap(h.Port))),
		helo:    h.HeloName,
		from:    h.From,
		to:      h.To,
		subject: h.Subject,
		user:    h.User,
		pass:    h.Password,
		size:    h.Size,
	}
	if a.helo == "" {
		a.helo = strings.ToUpper(h.Name)
	}
	if o != nil {
		if o.From != "" {
			a.from = o.From
		}
		if o.To != "" {
			a.to = o.To
		}
		if o.Subject != "" {
			a.subject = o.Subject
		}
		if o.Port != 0 {
			a.server = netip.AddrPortFrom(exchangeAddr, uint16(n.portMap(o.Port)))
		}
		if o.User != "" {
			a.user, a.pass = o.User, o.Password
		}
		if o.Size != 0 {
			a.size = o.Size
		}
	}
	if a.subject == "" {
		a.subject = "Message from " + h.Name
	}
	n.mu.Lock()
	n.counter++
	a.id = n.counter
	n.mu.Unlock()
	r := converse(ctx, a)
	r.Host = h.Name
	n.mu.Lock()
	n.last[strings.ToLower(h.Name)] = r
	n.mu.Unlock()
	return r
}

// attempt is one message a host sends.
type attempt struct {
	local      netip.Addr     // the host's own address
	server     netip.AddrPort // the connector's listening address
	helo       string
	from, to   string
	subject    string
	user, pass string
	size       int
	id         int
}

// converse is the sending host's whole SMTP dialogue with one of the
// organisation's connectors: connect from the host's own address, EHLO,
// STARTTLS and AUTH when the host has an account, MAIL, RCPT, DATA. It
// returns the first refusal with its stage, or Stage Done with the final
// reply.
func converse(ctx context.Context, a attempt) *Result {
	r := &Result{Time: time.Now()}
	fail := func(stage string, err error) *Result {
		r.Stage = stage
		var rep replies.Reply
		if errors.As(err, &rep) {
			return refused(r, stage, rep)
		}
		r.Reply = err.Error()
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := smtpclient.Dial(ctx, a.server.String(), smtpclient.Options{Local: a.local, Timeout: 30 * time.Second})
	if err != nil {
		return fail("Connect", err)
	}
	defer c.Close()
	if err := c.Start(a.helo, nil); err != nil {
		if c.Greeting().Code != 220 {
			return fail("Connect", err)
		}
		return fail("Ehlo", err)
	}
	if a.user != "" {
		// A host with an account protects it with STARTTLS first, as
		// Client Frontend offers AUTH only after it.
		if _, ok := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(a.helo, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}); err != nil {
				return fail("StartTls", err)
			}
		}
		if err := c.Auth(sasl.NewPlainClient("", a.user, a.pass)); err != nil {
			return fail("Auth", err)
		}
	}
	rep, err := c.Mail(a.from, smtpclient.MailParams{})
	if err != nil || rep.Code >= 400 {
		return failReply(r, fail, "MailFrom", rep, err)
	}
	for _, to := range strings.Split(a.to, ",") {
		rep, err := c.Rcpt(strings.TrimSpace(to), smtpclient.RcptParams{})
		if err != nil || rep.Code >= 400 {
			return failReply(r, fail, "RcptTo", rep, err)
		}
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <lab-%d-%d@%s>\r\n\r\n",
		a.from, a.to, a.subject, time.Now().Format(time.RFC1123Z), time.Now().UnixNano(), a.id, a.local)
	body := "This message was sent by a lab host.\r\n"
	for written := len(body); written < a.size; written += len(body) {
		msg.WriteString(body)
	}
	msg.WriteString(body)
	rep, err = c.Data([]byte(msg.String()))
	if err != nil || rep.Code >= 400 {
		return failReply(r, fail, "Data", rep, err)
	}
	c.Quit()
	r.Stage, r.Accepted = "Done", true
	return refused(r, "Done", rep)
}

// refused fills r with a reply: its code, and its enhanced code and text.
func refused(r *Result, stage string, rep replies.Reply) *Result {
	r.Stage, r.Code = stage, rep.Code
	r.Reply = strings.TrimSpace(rep.Enhanced + " " + strings.ReplaceAll(rep.Text, "\n", " "))
	return r
}

func failReply(r *Result, fail func(string, error) *Result, stage string, rep replies.Reply, err error) *Result {
	if err != nil {
		return fail(stage, err)
	}
	return refused(r, stage, rep)
}

// DNS is a lab's DNS: it answers MX and A lookups for the domains of the
// lab's receiving hosts with their loopback addresses, and nothing else.
// It never asks a real resolver.
type DNS struct {
	hosts   []*HostSpec
	portMap func(int) int
}

func newDNS(hosts []*HostSpec, portMap func(int) int) *DNS {
	return &DNS{hosts: hosts, portMap: portMap}
}

// HostPort is the port a receiving host really listens on for port 25:
// 25 plus the port offset, as the server's own ports. Other addresses and
// ports are kept.
func (d *DNS) HostPort(a netip.Addr, port int) int {
	if port != 25 {
		return port
	}
	for _, h := range d.hosts {
		if h.Receiver && h.Address == a.Unmap() {
			return d.portMap(25)
		}
	}
	return port
}

// answers reports whether receiver h takes mail for domain: its own
// domains, or any domain for the Internet's catch-all host ("*"), which
// also relays as a smart host would.
func (d *DNS) answers(h *HostSpec, domain string) bool {
	if !h.Receiver {
		return false
	}
	for _, dom := range h.Domains {
		if dom == "*" {
			return true
		}
	}
	return d.owner(domain) == h
}

// owner is the receiver that answers for domain: the one that names it
// (or a parent domain), else the catch-all one ("*"), else nil.
func (d *DNS) owner(domain string) *HostSpec {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	var all *HostSpec
	for _, h := range d.hosts {
		if !h.Receiver {
			continue
		}
		for _, dom := range h.Domains {
			dom = strings.ToLower(dom)
			if dom == "*" {
				all = h
				continue
			}
			if domain == dom || strings.HasSuffix(domain, "."+dom) {
				return h
			}
		}
	}
	return all
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host (lab DNS)", Name: name, IsNotFound: true}
}

// LookupMX answers with the receiver that takes mail for domain, its MX
// host given as its address so that nothing else is ever resolved.
func (d *DNS) LookupMX(_ context.Context, domain string) ([]*net.MX, error) {
	if h := d.owner(domain); h != nil {
		return []*net.MX{{Host: h.Address.String(), Pref: 10}}, nil
	}
	return nil, notFound(domain)
}

// LookupNetIP answers A lookups: a receiver's domain, its mail., smtp.,
// mx. and relay. names and its own name in the domain
// (legacy.contoso.com), and every host's own name (with or without .lab).
func (d *DNS) LookupNetIP(_ context.Context, host string) ([]netip.Addr, error) {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range d.hosts {
		if strings.EqualFold(name, h.Name) || strings.EqualFold(name, h.Name+".lab") {
			return []netip.Addr{h.Address}, nil
		}
		if !h.Receiver {
			continue
		}
		for _, dom := range h.Domains {
			dom = strings.ToLower(dom)
			if dom == "*" {
				continue
			}
			if name == strings.ToLower(h.Name)+"."+dom {
				return []netip.Addr{h.Address}, nil
			}
			for _, p := range []string{"", "mail.", "smtp.", "mx.", "relay."} {
				if name == p+dom {
					return []netip.Addr{h.Address}, nil
				}
			}
		}
	}
	return nil, notFound(host)
}
