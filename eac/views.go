package eac

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ---- servers ----

func (s *Server) readOnlyList(w http.ResponseWriter, r *http.Request, u *userSession, feature, tab, base string, c *command, columns []string, cells func(o objectView) []string, details func(o objectView) []detail) {
	v := &listView{Base: base, Heading: tab, Columns: columns}
	s.fillList(r, v, c, func(o objectView) string { return orDefault(o.P("Identity"), o.P("Thumbprint")) }, cells, details)
	s.render(w, "list", s.newPage(u, feature, tab, tab, v))
}

// fillList runs c and fills v with one row per object (identified by
// id), selects the row named by ?sel= (else the first) and shows its
// details.
func (s *Server) fillList(r *http.Request, v *listView, c *command, id func(o objectView) string, cells func(o objectView) []string, details func(o objectView) []detail) {
	objs, err := s.get(r.Context(), c)
	if err != nil {
		v.Error = err.Error()
	}
	byID := map[string]objectView{}
	for _, o := range objs {
		ov := objectView{o}
		key := id(ov)
		byID[strings.ToLower(key)] = ov
		v.Rows = append(v.Rows, listRow{ID: key, Cells: cells(ov), Href: rowHref(v.Base, "", key)})
	}
	v.selectRow(r.URL.Query().Get("sel"))
	if v.Selected != nil {
		v.Details = details(byID[strings.ToLower(v.Selected.ID)])
	}
}

func identity(o objectView) string { return o.P("Identity") }

func (s *Server) servers(w http.ResponseWriter, r *http.Request, u *userSession) {
	s.readOnlyList(w, r, u, "servers", "servers", "/ecp/servers/servers", cmd("Get-ExchangeServer"),
		[]string{"NAME", "SERVER ROLE", "VERSION"},
		func(o objectView) []string {
			return []string{o.P("Name"), o.P("ServerRole"), o.P("AdminDisplayVersion")}
		},
		func(o objectView) []detail {
			return []detail{{Value: o.P("Name")}, {Label: "FQDN", Value: o.P("Fqdn")}, {Label: "Server role", Value: o.P("ServerRole")},
				{Label: "Version", Value: o.P("AdminDisplayVersion")}, {Label: "Edition", Value: o.P("Edition")}, {Label: "Site", Value: o.P("Site")}}
		})
}

func (s *Server) databases(w http.ResponseWriter, r *http.Request, u *userSession) {
	s.readOnlyList(w, r, u, "servers", "databases", "/ecp/servers/databases", cmd("Get-MailboxDatabase"),
		[]string{"NAME", "ACTIVE ON SERVER", "SERVERS WITH COPIES", "STATUS"},
		func(o objectView) []string {
			status := "Dismounted"
			if b, _ := o.Get("Mounted"); b == true {
				status = "Mounted"
			}
			return []string{o.P("Name"), o.P("Server"), o.P("Server"), status}
		},
		func(o objectView) []detail {
			return []detail{{Value: o.P("Name")}, {Label: "Server", Value: o.P("Server")}, {Label: "Database path", Value: o.P("EdbFilePath")},
				{Label: "Log folder path", Value: o.P("LogFolderPath")}}
		})
}

func (s *Server) certificates(w http.ResponseWriter, r *http.Request, u *userSession) {
	s.readOnlyList(w, r, u, "servers", "certificates", "/ecp/servers/certificates", cmd("Get-ExchangeCertificate"),
		[]string{"NAME", "STATUS", "EXPIRES ON"},
		func(o objectView) []string {
			status := "Valid"
			if t, ok := o.Time("NotAfter"); ok && t.Before(time.Now()) {
				status = "Expired"
			}
			exp := o.P("NotAfter")
			if t, ok := o.Time("NotAfter"); ok {
				exp = t.Format("1/2/2006")
			}
			return []string{orDefault(o.P("FriendlyName"), o.P("Subject")), status, exp}
		},
		func(o objectView) []detail {
			return []detail{{Value: o.P("Subject")}, {Label: "Issuer", Value: o.P("Issuer")}, {Label: "Thumbprint", Value: o.P("Thumbprint")},
				{Label: "Assigned to services", Value: o.P("Services")}, {Label: "Valid from", Value: o.P("NotBefore")}, {Label: "Expires on", Value: o.P("NotAfter")},
				{Label: "Subject alternative names", Lines: o.L("CertificateDomains")}}
		})
}

// ---- queues (Queue Viewer) ----

func (s *Server) queues(w http.ResponseWriter, r *http.Request, u *userSession) {
	v := &listView{Base: "/ecp/queues/queues", Heading: "queues", Columns: []string{"NEXT HOP DOMAIN", "DELIVERY TYPE", "STATUS", "MESSAGE COUNT", "NEXT RETRY TIME", "LAST ERROR"}}
	s.fillList(r, v, cmd("Get-Queue"), identity,
		func(o objectView) []string {
			return []string{o.P("NextHopDomain"), o.P("DeliveryType"), o.P("Status"), o.P("MessageCount"), o.P("NextRetryTime"), o.P("LastError")}
		},
		func(o objectView) []detail {
			return []detail{{Value: o.P("Identity")}, {Label: "Next hop domain", Value: o.P("NextHopDomain")}, {Label: "Delivery type", Value: o.P("DeliveryType")},
				{Label: "Status", Value: o.P("Status")}, {Label: "Message count", Value: o.P("MessageCount")}, {Label: "Last error", Value: o.P("LastError")},
				{Label: "Next retry time", Value: o.P("NextRetryTime")}}
		})
	p := s.newPage(u, "queues", "queues", "queues", v)
	p.Error = r.URL.Query().Get("error")
	s.render(w, "queues", p)
}

// queueAction runs Retry-Queue, Suspend-Queue or Resume-Queue.
func (s *Server) queueAction(w http.ResponseWriter, r *http.Request, u *userSession) {
	id := r.PostFormValue("id")
	var c *command
	switch r.PostFormValue("action") {
	case "retry":
		c = cmd("Retry-Queue").Str("Identity", id)
		if strings.HasSuffix(strings.ToLower(id), `\unreachable`) {
			c.Bool("Resubmit", true)
		}
	case "suspend":
		c = cmd("Suspend-Queue").Str("Identity", id).Raw("-Confirm:$false")
	case "resume":
		c = cmd("Resume-Queue").Str("Identity", id)
	default:
		http.Error(w, "400 Bad Request: unknown action", http.StatusBadRequest)
		return
	}
	target := "/ecp/queues/queues?sel=" + url.QueryEscape(id)
	if err := s.change(r.Context(), u, c); err != nil {
		target += "&error=" + url.QueryEscape(err.Error())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request, u *userSession) {
	v := &listView{Base: "/ecp/queues/messages", Heading: "messages", Columns: []string{"FROM ADDRESS", "SUBJECT", "STATUS", "SIZE (KB)", "QUEUE", "LAST ERROR"}}
	s.fillList(r, v, cmd("Get-Message").Raw("-IncludeRecipientInfo"), identity,
		func(o objectView) []string {
			return []string{o.P("FromAddress"), o.P("Subject"), o.P("Status"), o.P("Size"), o.P("Queue"), o.P("LastError")}
		},
		func(o objectView) []detail {
			return []detail{{Value: o.P("Subject")}, {Label: "Identity", Value: o.P("Identity")}, {Label: "From", Value: o.P("FromAddress")},
				{Label: "Recipients", Lines: o.L("Recipients")}, {Label: "Status", Value: o.P("Status")}, {Label: "Received", Value: o.P("DateReceived")},
				{Label: "Last error", Value: o.P("LastError")}}
		})
	p := s.newPage(u, "queues", "messages", "messages", v)
	p.Error = r.URL.Query().Get("error")
	s.render(w, "messages", p)
}

// messageAction runs Suspend-Message, Resume-Message or Remove-Message
// (with or without a non-delivery report).
func (s *Server) messageAction(w http.ResponseWriter, r *http.Request, u *userSession) {
	id := r.PostFormValue("id")
	var c *command
	switch r.PostFormValue("action") {
	case "suspend":
		c = cmd("Suspend-Message").Str("Identity", id).Raw("-Confirm:$false")
	case "resume":
		c = cmd("Resume-Message").Str("Identity", id)
	case "removendr":
		c = cmd("Remove-Message").Str("Identity", id).Bool("WithNDR", true).Raw("-Confirm:$false")
	case "remove":
		c = cmd("Remove-Message").Str("Identity", id).Bool("WithNDR", false).Raw("-Confirm:$false")
	default:
		http.Error(w, "400 Bad Request: unknown action", http.StatusBadRequest)
		return
	}
	target := "/ecp/queues/messages"
	if err := s.change(r.Context(), u, c); err != nil {
		target += "?sel=" + url.QueryEscape(id) + "&error=" + url.QueryEscape(err.Error())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// ---- delivery reports ----

type reportView struct {
	Sender, Recipient, Subject, Start, End string
	Searched                               bool
	Rows                                   [][]string
	Error                                  string
}

// deliveryReports searches the message tracking log by sender,
// recipient, subject and time (Get-MessageTrackingLog).
func (s *Server) deliveryReports(w http.ResponseWriter, r *http.Request, u *userSession) {
	q := r.URL.Query()
	v := &reportView{Sender: q.Get("sender"), Recipient: q.Get("recipient"), Subject: q.Get("subject"), Start: q.Get("start"), End: q.Get("end")}
	if q.Has("search") {
		v.Searched = true
		c := cmd("Get-MessageTrackingLog")
		if v.Sender != "" {
			c.Str("Sender", v.Sender)
		}
		if v.Recipient != "" {
			c.Str("Recipients", v.Recipient)
		}
		if v.Subject != "" {
			c.Str("MessageSubject", v.Subject)
		}
		if v.Start != "" {
			c.Str("Start", strings.Replace(v.Start, "T", " ", 1))
		}
		if v.End != "" {
			c.Str("End", strings.Replace(v.End, "T", " ", 1))
		}
		objs, err := s.get(r.Context(), c)
		if err != nil {
			v.Error = err.Error()
		}
		for _, o := range objs {
			ov := objectView{o}
			ts := ov.P("Timestamp")
			if t, ok := ov.Time("Timestamp"); ok {
				ts = t.Format("2006-01-02 15:04:05")
			}
			v.Rows = append(v.Rows, []string{ts, ov.P("EventId"), ov.P("Source"), ov.P("Sender"), strings.Join(ov.L("Recipients"), ", "), ov.P("MessageSubject"), strings.Join(ov.L("RecipientStatus"), ", ")})
		}
	}
	s.render(w, "reports", s.newPage(u, "mailflow", "deliveryreports", "delivery reports", v))
}
