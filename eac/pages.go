package eac

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"exsh/shell/object"
	"exsh/state"
)

// navItem is an entry of the feature pane or of a feature's tabs.
type navItem struct {
	Label  string
	Href   string
	Active bool
}

// features is the EAC's feature pane: Exchange's names, with exsh's own
// queues, mail flow map and labs (when the cmdlet table has the labs).
var features = []struct{ key, label, href string }{
	{"recipients", "recipients", "/ecp/recipients/mailboxes"},
	{"mailflow", "mail flow", "/ecp/mailflow/receiveconnectors"},
	{"servers", "servers", "/ecp/servers/servers"},
	{"queues", "queues", "/ecp/queues/queues"},
	{"mailflowmap", "mail flow map", "/ecp/mailflowmap"},
	{"labs", "labs", "/ecp/labs"},
}

// featureTabs are each feature's tabs.
var featureTabs = map[string][]struct{ key, label, href string }{
	"recipients": {{"mailboxes", "mailboxes", "/ecp/recipients/mailboxes"}},
	"mailflow": {
		{"deliveryreports", "delivery reports", "/ecp/mailflow/deliveryreports"},
		{"accepteddomains", "accepted domains", "/ecp/mailflow/accepteddomains"},
		{"receiveconnectors", "receive connectors", "/ecp/mailflow/receiveconnectors"},
		{"sendconnectors", "send connectors", "/ecp/mailflow/sendconnectors"},
	},
	"servers": {
		{"servers", "servers", "/ecp/servers/servers"},
		{"databases", "databases", "/ecp/servers/databases"},
		{"certificates", "certificates", "/ecp/servers/certificates"},
	},
	"queues": {
		{"queues", "queues", "/ecp/queues/queues"},
		{"messages", "messages", "/ecp/queues/messages"},
	},
}

// page is what every full page template gets.
type page struct {
	Title    string
	User     *userSession
	Features []navItem
	Tabs     []navItem
	Error    string
	Data     any
}

func (s *Server) newPage(u *userSession, feature, tab, title string, data any) *page {
	p := &page{Title: title, User: u, Data: data}
	for _, f := range features {
		if f.key == "labs" && !s.hasLabs {
			continue
		}
		p.Features = append(p.Features, navItem{Label: f.label, Href: f.href, Active: f.key == feature})
	}
	for _, t := range featureTabs[feature] {
		p.Tabs = append(p.Tabs, navItem{Label: t.label, Href: t.href, Active: t.key == tab})
	}
	return p
}

// listView is a list with a details pane and the EAC toolbar.
type listView struct {
	Base      string // the list's path
	Heading   string
	Columns   []string
	Rows      []listRow
	Selected  *listRow
	Details   []detail
	CanNew    bool
	CanEdit   bool
	CanDelete bool
	Servers   []string // the Select server list; empty hides it
	Server    string
	Query     string // extra query (server=...) for links
	Note      string
	Error     string
}

type listRow struct {
	ID    string
	Cells []string
	Href  string
	Sel   bool
}

type detail struct {
	Label string
	Value string
	Lines []string
}

func (v *listView) selectRow(id string) {
	for i := range v.Rows {
		if id != "" && strings.EqualFold(v.Rows[i].ID, id) {
			v.Rows[i].Sel = true
			v.Selected = &v.Rows[i]
			return
		}
	}
	if len(v.Rows) > 0 {
		v.Rows[0].Sel = true
		v.Selected = &v.Rows[0]
	}
}

func rowHref(base, query, id string) string {
	q := url.Values{}
	if query != "" {
		q, _ = url.ParseQuery(query)
	}
	q.Set("sel", id)
	return base + "?" + q.Encode()
}

// serverNames lists the organisation's servers for "Select server".
func (s *Server) serverNames(r *http.Request) []string {
	objs, _ := s.get(r.Context(), cmd("Get-ExchangeServer"))
	var out []string
	for _, o := range objs {
		out = append(out, prop(o, "Name"))
	}
	return out
}

// ---- receive connectors ----

func receiveRecord(o *object.PSObject) *state.ReceiveConnector {
	rc, _ := o.Base.(*state.ReceiveConnector)
	return rc
}

func roleText(role string) string {
	if strings.EqualFold(role, "FrontendTransport") {
		return "Frontend Transport"
	}
	return "Hub Transport"
}

func (s *Server) receiveConnectors(w http.ResponseWriter, r *http.Request, u *userSession) {
	servers := s.serverNames(r)
	server := r.URL.Query().Get("server")
	if server == "" && len(servers) > 0 {
		server = servers[0]
	}
	v := &listView{Base: "/ecp/mailflow/receiveconnectors", Heading: "receive connectors", Columns: []string{"NAME", "STATUS", "ROLE"},
		CanNew: true, CanEdit: true, CanDelete: true, Servers: servers, Server: server, Query: "server=" + url.QueryEscape(server)}
	c := cmd("Get-ReceiveConnector")
	if server != "" {
		c.Str("Server", server)
	}
	objs, err := s.get(r.Context(), c)
	if err != nil {
		v.Error = err.Error()
	}
	recs := map[string]*state.ReceiveConnector{}
	for _, o := range objs {
		rc := receiveRecord(o)
		if rc == nil {
			continue
		}
		status := "Enabled"
		if !rc.Enabled {
			status = "Disabled"
		}
		recs[strings.ToLower(rc.Identity)] = rc
		v.Rows = append(v.Rows, listRow{ID: rc.Identity, Cells: []string{rc.Name, status, roleText(rc.TransportRole)}, Href: rowHref(v.Base, v.Query, rc.Identity)})
	}
	sort.SliceStable(v.Rows, func(i, j int) bool { return strings.ToLower(v.Rows[i].Cells[0]) < strings.ToLower(v.Rows[j].Cells[0]) })
	v.selectRow(r.URL.Query().Get("sel"))
	if v.Selected != nil {
		rc := recs[strings.ToLower(v.Selected.ID)]
		status := "Enabled"
		if !rc.Enabled {
			status = "Disabled"
		}
		v.Details = []detail{
			{Label: "", Value: rc.Name},
			{Label: "Status", Value: status},
			{Label: "Role", Value: roleText(rc.TransportRole)},
			{Label: "Network adapter bindings", Lines: rc.Bindings},
			{Label: "Remote network settings", Lines: rc.RemoteIPRanges},
			{Label: "Authentication", Value: rc.AuthMechanism.String()},
			{Label: "Permission groups", Value: rc.PermissionGroups.String()},
			{Label: "Protocol logging level", Value: rc.ProtocolLoggingLevel},
			{Label: "FQDN", Value: rc.Fqdn},
		}
	}
	s.render(w, "list", s.newPage(u, "mailflow", "receiveconnectors", "receive connectors", v))
}

// receiveFields are the receive connector dialog's controls, tab by tab
// as in the EAC.
func receiveFields(rc *state.ReceiveConnector) []field {
	auth := func(label, flag string) field {
		return field{Tab: "security", Section: "Authentication", Label: label, Param: "AuthMechanism", Kind: "flag", Flag: flag, Checked: rc.AuthMechanism.Has(flag)}
	}
	perm := func(label, flag string) field {
		return field{Tab: "security", Section: "Permission groups", Label: label, Param: "PermissionGroups", Kind: "flag", Flag: flag, Checked: rc.PermissionGroups.Has(flag)}
	}
	mb := strconv.FormatInt(int64(rc.MaxMessageSize)/(1<<20), 10)
	if rc.MaxMessageSize < 0 {
		mb = "unlimited"
	}
	return []field{
		{Tab: "general", Label: "Name", Param: "Name", Kind: "text", Value: rc.Name},
		{Tab: "general", Section: "Connector status", Label: "Enable", Param: "Enabled", Kind: "check", Checked: rc.Enabled},
		{Tab: "general", Label: "Protocol logging level", Param: "ProtocolLoggingLevel", Kind: "select", Options: []string{"None", "Verbose"}, Value: rc.ProtocolLoggingLevel},
		{Tab: "general", Label: "Maximum receive message size (MB)", Param: "MaxMessageSize", Kind: "mb", Value: mb},
		{Tab: "general", Label: "Maximum local hop count", Param: "MaxLocalHopCount", Kind: "number", Value: strconv.Itoa(rc.MaxLocalHopCount)},
		auth("Transport Layer Security (TLS)", "Tls"),
		{Tab: "security", Section: "Authentication", Label: "Enable domain security (mutual Auth TLS)", Param: "DomainSecureEnabled", Kind: "check", Checked: rc.DomainSecureEnabled},
		auth("Basic authentication", "BasicAuth"),
		auth("Offer basic authentication only after starting TLS", "BasicAuthRequireTLS"),
		auth("Integrated Windows authentication", "Integrated"),
		auth("Exchange Server authentication", "ExchangeServer"),
		auth("Externally secured (for example, with IPsec)", "ExternalAuthoritative"),
		perm("Exchange servers", "ExchangeServers"),
		perm("Legacy Exchange servers", "ExchangeLegacyServers"),
		perm("Partners", "Partners"),
		perm("Exchange users", "ExchangeUsers"),
		perm("Anonymous users", "AnonymousUsers"),
		{Tab: "scoping", Label: "Remote network settings", Param: "RemoteIPRanges", Kind: "lines", Value: strings.Join(rc.RemoteIPRanges, "\n"),
			Hint: "Receive mail from remote servers that have these IP addresses (one address, range or CIDR block per line)."},
		{Tab: "scoping", Label: "Network adapter bindings", Param: "Bindings", Kind: "lines", Value: strings.Join(rc.Bindings, "\n"),
			Hint: "Addresses and ports the connector listens on, one per line: 0.0.0.0:25, [::]:25."},
		{Tab: "scoping", Label: "FQDN", Param: "Fqdn", Kind: "text", Value: rc.Fqdn,
			Hint: "The name this connector gives in its banner, its EHLO reply and Received headers."},
	}
}

// dialog is an EAC dialog: a title, tabs of fields, an error from the
// cmdlet, and Save/Cancel.
type dialog struct {
	Title   string
	Action  string
	Hidden  map[string]string
	Tabs    []string
	Tab     string
	Fields  []field
	Error   string
	Cancel  string
	Submit  string
	Step    string
	Summary []detail
	Token   string
}

func (s *Server) findReceiveConnector(r *http.Request, id string) (*state.ReceiveConnector, error) {
	objs, err := s.get(r.Context(), cmd("Get-ReceiveConnector").Pos(id))
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if rc := receiveRecord(o); rc != nil {
			return rc, nil
		}
	}
	return nil, &cmdletError{msg: "The receive connector " + id + " couldn't be found."}
}

func (s *Server) editReceiveConnector(w http.ResponseWriter, r *http.Request, u *userSession) {
	id := r.FormValue("id")
	back := "/ecp/mailflow/receiveconnectors?sel=" + url.QueryEscape(id)
	rc, err := s.findReceiveConnector(r, id)
	if err != nil {
		s.render(w, "dialog", &dialog{Title: "Receive connector", Error: err.Error(), Cancel: back, Token: u.Token()})
		return
	}
	d := &dialog{Title: rc.Name, Action: "/ecp/mailflow/receiveconnectors/edit", Hidden: map[string]string{"id": rc.Identity},
		Fields: receiveFields(rc), Cancel: back, Submit: "Save", Token: u.Token(), Tab: r.FormValue("tab")}
	d.Tabs = tabs(d.Fields)
	if d.Tab == "" {
		d.Tab = d.Tabs[0]
	}
	if r.Method == http.MethodPost {
		c := cmd("Set-ReceiveConnector").Str("Identity", rc.Identity)
		d.Fields = apply(c, d.Fields, r, false)
		if len(c.args) > 1 {
			if err := s.change(r.Context(), u, c); err != nil {
				d.Error = err.Error()
				s.renderStatus(w, http.StatusUnprocessableEntity, "dialog", d)
				return
			}
		}
		name := r.PostFormValue("Name")
		sel := rc.Server + `\` + name
		http.Redirect(w, r, "/ecp/mailflow/receiveconnectors?server="+url.QueryEscape(rc.Server)+"&sel="+url.QueryEscape(sel), http.StatusSeeOther)
		return
	}
	if d.Tab == "" {
		d.Tab = "general"
	}
	s.render(w, "dialog", d)
}

// newReceiveConnector is the New receive connector wizard: name, role and
// type first, then bindings and remote network settings.
func (s *Server) newReceiveConnector(w http.ResponseWriter, r *http.Request, u *userSession) {
	server := r.FormValue("server")
	back := "/ecp/mailflow/receiveconnectors?server=" + url.QueryEscape(server)
	first := []field{
		{Tab: "new", Label: "Name:", Param: "Name", Kind: "text", Value: r.FormValue("Name")},
		{Tab: "new", Label: "Role:", Param: "TransportRole", Kind: "radio", Options: []string{"HubTransport", "FrontendTransport"}, Value: orDefault(r.FormValue("TransportRole"), "HubTransport"),
			Labels: map[string]string{"HubTransport": "Hub Transport", "FrontendTransport": "Frontend Transport"}},
		{Tab: "new", Label: "Type:", Param: "Usage", Kind: "radio", Options: []string{"Custom", "Partner", "Client", "Internal", "Internet"}, Value: orDefault(r.FormValue("Usage"), "Custom")},
	}
	second := []field{
		{Tab: "new", Label: "Network adapter bindings:", Param: "Bindings", Kind: "lines", Value: orDefault(r.FormValue("Bindings"), "0.0.0.0:25"),
			Hint: "Addresses and ports to listen on, one per line (0.0.0.0 means all available IPv4 addresses)."},
		{Tab: "new", Label: "Remote network settings:", Param: "RemoteIPRanges", Kind: "lines", Value: orDefault(r.FormValue("RemoteIPRanges"), "0.0.0.0-255.255.255.255\n::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			Hint: "Remote IP addresses this connector receives mail from: one address, range or CIDR block per line."},
	}
	d := &dialog{Title: "new receive connector", Action: "/ecp/mailflow/receiveconnectors/new", Hidden: map[string]string{"server": server},
		Cancel: back, Token: u.Token(), Tab: "new", Tabs: []string{"new"}}
	step := r.FormValue("step")
	if r.Method == http.MethodGet || step == "" {
		d.Fields, d.Submit, d.Step = first, "next", "2"
		s.render(w, "dialog", d)
		return
	}
	for _, f := range first {
		d.Hidden[f.Param] = f.Value
	}
	d.Summary = []detail{{Label: "Name", Value: first[0].Value}, {Label: "Role", Value: roleText(first[1].Value)}, {Label: "Type", Value: first[2].Value}}
	d.Fields, d.Submit, d.Step = second, "finish", "3"
	if step == "2" {
		s.render(w, "dialog", d)
		return
	}
	c := cmd("New-ReceiveConnector").Str("Name", first[0].Value).Str("TransportRole", first[1].Value).Str("Usage", first[2].Value)
	if server != "" {
		c.Str("Server", server)
	}
	c.List("Bindings", splitList(second[0].Value)).List("RemoteIPRanges", splitList(second[1].Value))
	if err := s.change(r.Context(), u, c); err != nil {
		d.Error = err.Error()
		s.renderStatus(w, http.StatusUnprocessableEntity, "dialog", d)
		return
	}
	sel := first[0].Value
	if server != "" {
		sel = server + `\` + sel
	}
	http.Redirect(w, r, back+"&sel="+url.QueryEscape(sel), http.StatusSeeOther)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (s *Server) deleteReceiveConnector(w http.ResponseWriter, r *http.Request, u *userSession) {
	id := r.PostFormValue("id")
	c := cmd("Remove-ReceiveConnector").Str("Identity", id).Raw("-Confirm:$false")
	if err := s.change(r.Context(), u, c); err != nil {
		s.render(w, "dialog", &dialog{Title: "Remove receive connector", Error: err.Error(), Cancel: "/ecp/mailflow/receiveconnectors", Token: u.Token()})
		return
	}
	http.Redirect(w, r, "/ecp/mailflow/receiveconnectors?server="+url.QueryEscape(r.PostFormValue("server")), http.StatusSeeOther)
}

// commandLog is Show command logging: the EMS command lines the EAC ran
// in this session, newest first, ready to paste into the shell.
func (s *Server) commandLog(w http.ResponseWriter, r *http.Request, u *userSession) {
	cmds := u.commands()
	for i, j := 0, len(cmds)-1; i < j; i, j = i+1, j-1 {
		cmds[i], cmds[j] = cmds[j], cmds[i]
	}
	s.render(w, "commandlog", struct {
		Commands []LoggedCommand
		Token    string
	}{cmds, u.Token()})
}
