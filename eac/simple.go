package eac

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"exsh/shell/object"
)

// simpleKind is a list with New, Edit and Delete over one object type
// whose dialogs are plain fields: send connectors, accepted domains,
// mailboxes.
type simpleKind struct {
	path, feature, tab, heading, noun string
	get, set, new, remove             string
	columns                           []string
	cells                             func(o *object.PSObject) []string
	details                           func(o *object.PSObject) []detail
	fields                            func(o *object.PSObject) []field // Edit
	newFields                         []field
	id                                string // the identity property
	// also adds what the EAC sets along with the user's changes (a send
	// connector with smart hosts routes without DNS); isNew for New.
	also func(c *command, r *http.Request, before []field, isNew bool)
}

var simpleKinds = []*simpleKind{
	{
		path: "/ecp/mailflow/sendconnectors", feature: "mailflow", tab: "sendconnectors", heading: "send connectors", noun: "send connector",
		get: "Get-SendConnector", set: "Set-SendConnector", new: "New-SendConnector", remove: "Remove-SendConnector", id: "Identity",
		columns: []string{"NAME", "STATUS"},
		cells: func(o *object.PSObject) []string {
			return []string{prop(o, "Name"), enabledText(propBool(o, "Enabled"))}
		},
		details: func(o *object.PSObject) []detail {
			return []detail{{Value: prop(o, "Name")}, {Label: "Status", Value: enabledText(propBool(o, "Enabled"))},
				{Label: "Address space", Lines: props(o, "AddressSpaces")}, {Label: "Smart hosts", Lines: props(o, "SmartHosts")},
				{Label: "Port", Value: prop(o, "Port")}, {Label: "Source servers", Lines: props(o, "SourceTransportServers")},
				{Label: "Maximum send message size", Value: prop(o, "MaxMessageSize")}}
		},
		fields: func(o *object.PSObject) []field {
			return []field{
				{Tab: "general", Label: "Name", Param: "Name", Kind: "text", Value: prop(o, "Name")},
				{Tab: "general", Section: "Connector status", Label: "Enable", Param: "Enabled", Kind: "check", Checked: propBool(o, "Enabled")},
				{Tab: "general", Label: "Protocol logging level", Param: "ProtocolLoggingLevel", Kind: "select", Options: []string{"None", "Verbose"}, Value: prop(o, "ProtocolLoggingLevel")},
				{Tab: "general", Label: "Maximum send message size (MB)", Param: "MaxMessageSize", Kind: "mb", Value: mbText(o, "MaxMessageSize")},
				{Tab: "delivery", Label: "Smart hosts", Param: "SmartHosts", Kind: "lines", Value: strings.Join(props(o, "SmartHosts"), "\n"),
					Hint: "Route mail through these smart hosts, one per line. Empty: use MX records."},
				{Tab: "delivery", Label: "Port", Param: "Port", Kind: "number", Value: prop(o, "Port")},
				{Tab: "scoping", Label: "Address space", Param: "AddressSpaces", Kind: "lines", Value: strings.Join(props(o, "AddressSpaces"), "\n"),
					Hint: "SMTP:domain;cost, one per line (SMTP:*;1 for every domain)."},
				{Tab: "scoping", Label: "Source server", Param: "SourceTransportServers", Kind: "lines", Value: strings.Join(props(o, "SourceTransportServers"), "\n")},
			}
		},
		newFields: []field{
			{Tab: "new", Label: "Name:", Param: "Name", Kind: "text"},
			{Tab: "new", Label: "Type:", Param: "Usage", Kind: "radio", Options: []string{"Custom", "Internal", "Internet", "Partner"}, Value: "Custom"},
			{Tab: "new", Label: "Address space:", Param: "AddressSpaces", Kind: "lines", Value: "SMTP:*;1"},
			{Tab: "new", Label: "Smart hosts:", Param: "SmartHosts", Kind: "lines", Hint: "Empty: use MX records associated with the recipient domain."},
		},
		also: func(c *command, r *http.Request, before []field, isNew bool) {
			// "Route mail through smart hosts" versus "MX record
			// associated with recipient domain", as the EAC sets it.
			after := len(splitList(r.PostFormValue("SmartHosts"))) > 0
			had := false
			for _, f := range before {
				if f.Param == "SmartHosts" {
					had = len(splitList(f.Value)) > 0
				}
			}
			if after && (isNew || !had) {
				c.Bool("DNSRoutingEnabled", false)
			} else if !after && had && !isNew {
				c.Bool("DNSRoutingEnabled", true)
			}
		},
	},
	{
		path: "/ecp/mailflow/accepteddomains", feature: "mailflow", tab: "accepteddomains", heading: "accepted domains", noun: "accepted domain",
		get: "Get-AcceptedDomain", set: "Set-AcceptedDomain", new: "New-AcceptedDomain", remove: "Remove-AcceptedDomain", id: "Identity",
		columns: []string{"NAME", "ACCEPTED DOMAIN", "DOMAIN TYPE"},
		cells: func(o *object.PSObject) []string {
			name := prop(o, "Name")
			if propBool(o, "Default") {
				name += " (default domain)"
			}
			return []string{name, prop(o, "DomainName"), prop(o, "DomainType")}
		},
		details: func(o *object.PSObject) []detail {
			return []detail{{Value: prop(o, "Name")}, {Label: "Accepted domain", Value: prop(o, "DomainName")}, {Label: "Domain type", Value: prop(o, "DomainType")},
				{Label: "Default", Value: yesNo(propBool(o, "Default"))}}
		},
		fields: func(o *object.PSObject) []field {
			return []field{
				{Tab: "general", Label: "Name", Param: "Name", Kind: "text", Value: prop(o, "Name")},
				{Tab: "general", Label: "Accepted domain", Kind: "static", Value: prop(o, "DomainName")},
				{Tab: "general", Section: "This accepted domain is:", Label: "", Param: "DomainType", Kind: "radio", Options: []string{"Authoritative", "InternalRelay", "ExternalRelay"}, Value: prop(o, "DomainType"), Labels: domainTypeLabels},
				{Tab: "general", Label: "Make this the default domain", Param: "MakeDefault", Kind: "check", Checked: propBool(o, "Default")},
			}
		},
		newFields: []field{
			{Tab: "new", Label: "Name:", Param: "Name", Kind: "text"},
			{Tab: "new", Label: "Accepted domain:", Param: "DomainName", Kind: "text"},
			{Tab: "new", Section: "This accepted domain is:", Param: "DomainType", Kind: "radio", Options: []string{"Authoritative", "InternalRelay", "ExternalRelay"}, Value: "Authoritative", Labels: domainTypeLabels},
		},
	},
	{
		path: "/ecp/recipients/mailboxes", feature: "recipients", tab: "mailboxes", heading: "mailboxes", noun: "user mailbox",
		get: "Get-Mailbox", set: "Set-Mailbox", new: "New-Mailbox", remove: "Remove-Mailbox", id: "Identity",
		columns: []string{"DISPLAY NAME", "MAILBOX TYPE", "EMAIL ADDRESS"},
		cells: func(o *object.PSObject) []string {
			return []string{orDefault(prop(o, "DisplayName"), prop(o, "Name")), "User", prop(o, "PrimarySmtpAddress")}
		},
		details: func(o *object.PSObject) []detail {
			return []detail{{Value: orDefault(prop(o, "DisplayName"), prop(o, "Name"))}, {Label: "User mailbox", Value: prop(o, "PrimarySmtpAddress")},
				{Label: "Alias", Value: prop(o, "Alias")}, {Label: "User logon name", Value: prop(o, "UserPrincipalName")},
				{Label: "Email addresses", Lines: props(o, "EmailAddresses")}, {Label: "Database", Value: prop(o, "Database")}}
		},
		fields: func(o *object.PSObject) []field {
			return []field{
				{Tab: "general", Label: "Display name", Param: "DisplayName", Kind: "text", Value: prop(o, "DisplayName")},
				{Tab: "general", Label: "Name", Param: "Name", Kind: "text", Value: prop(o, "Name")},
				{Tab: "general", Label: "Alias", Param: "Alias", Kind: "text", Value: prop(o, "Alias")},
				{Tab: "general", Label: "User logon name", Param: "UserPrincipalName", Kind: "text", Value: prop(o, "UserPrincipalName")},
				{Tab: "general", Label: "New password", Param: "Password", Kind: "password"},
				{Tab: "email address", Label: "Primary SMTP address", Param: "PrimarySmtpAddress", Kind: "text", Value: prop(o, "PrimarySmtpAddress")},
				{Tab: "email address", Label: "Email addresses", Param: "EmailAddresses", Kind: "lines", Value: strings.Join(props(o, "EmailAddresses"), "\n"),
					Hint: "SMTP:primary@domain and smtp:other@domain, one per line."},
			}
		},
		newFields: []field{
			{Tab: "new", Label: "Alias:", Param: "Alias", Kind: "text"},
			{Tab: "new", Label: "Display name:", Param: "DisplayName", Kind: "text"},
			{Tab: "new", Label: "*Name:", Param: "Name", Kind: "text"},
			{Tab: "new", Label: "*User logon name:", Param: "UserPrincipalName", Kind: "text"},
			{Tab: "new", Label: "*New password:", Param: "Password", Kind: "password"},
		},
	},
}

// domainTypeLabels are the EAC's words for the accepted domain types.
var domainTypeLabels = map[string]string{
	"Authoritative": "Authoritative: email is delivered to a valid recipient in this Exchange organization.",
	"InternalRelay": "Internal Relay: email is delivered to recipients in this Exchange organization or relayed to an email server at another physical location.",
	"ExternalRelay": "External Relay: email is relayed to an email server at another physical location.",
}

func enabledText(b bool) string {
	if b {
		return "Enabled"
	}
	return "Disabled"
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// mbText is a ByteQuantifiedSize property in MB ("unlimited" stays).
func mbText(o *object.PSObject, name string) string {
	v, ok := o.Get(name)
	if !ok || v == nil {
		return ""
	}
	n, err := object.ToInt64(v)
	if err != nil {
		return object.ToString(v)
	}
	if n < 0 {
		return "unlimited"
	}
	return strconv.FormatInt(n/(1<<20), 10)
}

func (s *Server) simpleList(w http.ResponseWriter, r *http.Request, u *userSession, k *simpleKind) {
	v := &listView{Base: k.path, Heading: k.heading, Columns: k.columns, CanNew: true, CanEdit: true, CanDelete: true}
	s.fillList(r, v, cmd(k.get), func(o objectView) string { return o.P(k.id) },
		func(o objectView) []string { return k.cells(o.o) },
		func(o objectView) []detail { return k.details(o.o) })
	s.render(w, "list", s.newPage(u, k.feature, k.tab, k.heading, v))
}

func (s *Server) findOne(r *http.Request, get, id string) (*object.PSObject, error) {
	objs, err := s.get(r.Context(), cmd(get).Pos(id))
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, &cmdletError{msg: "The object " + id + " couldn't be found."}
	}
	return objs[0], nil
}

func (s *Server) simpleEdit(w http.ResponseWriter, r *http.Request, u *userSession, k *simpleKind) {
	id := r.FormValue("id")
	back := k.path + "?sel=" + url.QueryEscape(id)
	o, err := s.findOne(r, k.get, id)
	if err != nil {
		s.render(w, "dialog", &dialog{Title: k.noun, Error: err.Error(), Cancel: back, Token: u.Token()})
		return
	}
	id = prop(o, k.id)
	d := &dialog{Title: orDefault(prop(o, "DisplayName"), prop(o, "Name")), Action: k.path + "/edit", Hidden: map[string]string{"id": id},
		Fields: k.fields(o), Cancel: back, Submit: "Save", Token: u.Token(), Tab: r.FormValue("tab")}
	d.Tabs = tabs(d.Fields)
	if d.Tab == "" {
		d.Tab = d.Tabs[0]
	}
	if r.Method == http.MethodPost {
		c := cmd(k.set).Str("Identity", id)
		before := d.Fields
		d.Fields = apply(c, d.Fields, r, false)
		if k.also != nil && len(c.args) > 1 {
			k.also(c, r, before, false)
		}
		if len(c.args) > 1 {
			if err := s.change(r.Context(), u, c); err != nil {
				d.Error = err.Error()
				s.renderStatus(w, http.StatusUnprocessableEntity, "dialog", d)
				return
			}
		}
		sel := id
		if n := r.PostFormValue("Name"); n != "" && k.id == "Identity" && !strings.Contains(id, `\`) {
			sel = n
		}
		http.Redirect(w, r, k.path+"?sel="+url.QueryEscape(sel), http.StatusSeeOther)
		return
	}
	s.render(w, "dialog", d)
}

func (s *Server) simpleNew(w http.ResponseWriter, r *http.Request, u *userSession, k *simpleKind) {
	d := &dialog{Title: "new " + k.noun, Action: k.path + "/new", Cancel: k.path, Submit: "save", Token: u.Token(), Tab: "new", Tabs: []string{"new"}}
	d.Fields = append([]field(nil), k.newFields...)
	if r.Method == http.MethodPost {
		c := cmd(k.new)
		blank := make([]field, len(d.Fields))
		for i, f := range d.Fields {
			f.Value, f.Checked = "", false
			blank[i] = f
		}
		d.Fields = apply(c, blank, r, true)
		if k.also != nil {
			k.also(c, r, blank, true)
		}
		if err := s.change(r.Context(), u, c); err != nil {
			d.Error = err.Error()
			s.renderStatus(w, http.StatusUnprocessableEntity, "dialog", d)
			return
		}
		http.Redirect(w, r, k.path+"?sel="+url.QueryEscape(r.PostFormValue("Name")), http.StatusSeeOther)
		return
	}
	s.render(w, "dialog", d)
}

func (s *Server) simpleDelete(w http.ResponseWriter, r *http.Request, u *userSession, k *simpleKind) {
	c := cmd(k.remove).Str("Identity", r.PostFormValue("id")).Raw("-Confirm:$false")
	if err := s.change(r.Context(), u, c); err != nil {
		s.render(w, "dialog", &dialog{Title: "Remove " + k.noun, Error: err.Error(), Cancel: k.path, Token: u.Token()})
		return
	}
	http.Redirect(w, r, k.path, http.StatusSeeOther)
}
