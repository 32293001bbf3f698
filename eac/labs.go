package eac

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"exsh/shell/object"
)

// The labs page shows the training labs (Get-Lab) and, for the lab in
// progress, its story, its tasks and guards with the outcome of the last
// Test-Lab (kept by the lab runner: the page runs no check) and its
// simulated hosts (Get-LabHost). A trainer starts, tests, resets and
// stops labs from it through the lab cmdlets. Hints and solutions are
// not on it: it is made to be projected in class, and Get-LabHint moves
// each student's hints on, so they stay in the shell.

// labsView is the labs page.
type labsView struct {
	List    *listView
	Current *currentLab
	Notice  string
}

// currentLab is the lab in progress.
type currentLab struct {
	Name, Title, Level, Status, Progress string
	Story                                []storyPara
	Done, Total                          int // tasks passed at the last Test-Lab, of all
	Percent                              int
	LastTest                             string // when Test-Lab last ran ("" never)
	Tasks, Guards                        []checkRow
	Hosts                                []hostRow
	HostsError                           string
}

// checkRow is a task or guard with its last Test-Lab outcome.
type checkRow struct {
	Num, Title, Message, Time string
	State                     string // passed, failed, untested
}

// storyPara is a paragraph of a lab's story: prose, or (indented in the
// story) a device's display or a command, kept as it is.
type storyPara struct {
	Text string
	Code bool
}

// paragraphs reflows a story written for an 80-column terminal: lines
// of a paragraph join, blank lines part paragraphs, indented lines stay.
func paragraphs(story string) []storyPara {
	var out []storyPara
	var lines []string
	code := false
	flush := func() {
		if len(lines) > 0 {
			if code {
				out = append(out, storyPara{Text: strings.Join(lines, "\n"), Code: true})
			} else {
				out = append(out, storyPara{Text: strings.Join(lines, " ")})
			}
		}
		lines, code = nil, false
	}
	for _, l := range strings.Split(strings.ReplaceAll(story, "\r\n", "\n"), "\n") {
		indented := strings.HasPrefix(l, "  ") || strings.HasPrefix(l, "\t")
		switch {
		case strings.TrimSpace(l) == "":
			flush()
			continue
		case len(lines) > 0 && indented != code:
			flush()
		}
		code = indented
		lines = append(lines, strings.TrimSpace(l))
	}
	flush()
	return out
}

// hostRow is a line of Get-LabHost.
type hostRow struct{ Name, Address, Role, Schedule, LastResult string }

// labTime is how the labs page writes a time: the server's local time.
func labTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }

func checkRows(v any) (rows []checkRow, done int) {
	list, _ := v.([]any)
	for _, x := range list {
		o, ok := x.(*object.PSObject)
		if !ok {
			continue
		}
		r := checkRow{Num: prop(o, "Task"), Title: prop(o, "Title"), Message: prop(o, "Message"), State: "untested"}
		if p, ok := o.Get("Passed"); ok && p != nil {
			if b, _ := p.(bool); b {
				r.State = "passed"
				done++
			} else {
				r.State = "failed"
			}
		}
		if t, ok := (objectView{o}).Time("Time"); ok {
			r.Time = labTime(t)
		}
		rows = append(rows, r)
	}
	return rows, done
}

func (s *Server) labsPage(w http.ResponseWriter, r *http.Request, u *userSession) {
	list := &listView{Base: "/ecp/labs", Heading: "labs", Columns: []string{"NAME", "TITLE", "LEVEL", "STATUS", "PROGRESS"}}
	v := &labsView{List: list}
	objs, err := s.get(r.Context(), cmd("Get-Lab"))
	if err != nil {
		list.Error = err.Error()
	}
	byName := map[string]objectView{}
	for _, o := range objs {
		ov := objectView{o}
		name := ov.P("Name")
		byName[strings.ToLower(name)] = ov
		list.Rows = append(list.Rows, listRow{ID: name, Cells: []string{name, ov.P("Title"), ov.P("Level"), ov.P("Status"), ov.P("Progress")}, Href: rowHref(list.Base, "", name)})
		if propBool(o, "Active") {
			v.Current = s.currentLab(r, ov)
		}
	}
	sel := r.URL.Query().Get("sel")
	if sel == "" && v.Current != nil {
		sel = v.Current.Name
	}
	list.selectRow(sel)
	if list.Selected != nil {
		o := byName[strings.ToLower(list.Selected.ID)]
		tasks, _ := checkRows(mustGet(o, "Tasks"))
		var titles []string
		for _, t := range tasks {
			titles = append(titles, t.Num+". "+t.Title)
		}
		list.Details = []detail{{Value: o.P("Title")}, {Label: "Name", Value: o.P("Name")}, {Label: "Level", Value: o.P("Level")},
			{Label: "Status", Value: o.P("Status")}, {Label: "Progress", Value: o.P("Progress")},
			{Label: "What it teaches", Value: o.P("Teaches")}, {Label: "Tasks", Lines: titles}, {Label: "Source", Value: o.P("Source")}}
	}
	if r.URL.Query().Has("tested") && v.Current != nil {
		v.Notice = "Test-Lab ran at " + v.Current.LastTest + ": " + v.Current.Progress + " tasks passed."
	}
	p := s.newPage(u, "labs", "", "labs", v)
	p.Error = r.URL.Query().Get("error")
	s.render(w, "labs", p)
}

func mustGet(o objectView, name string) any {
	v, _ := o.Get(name)
	return v
}

// currentLab reads the lab in progress from its Get-Lab object, and its
// hosts.
func (s *Server) currentLab(r *http.Request, o objectView) *currentLab {
	c := &currentLab{Name: o.P("Name"), Title: o.P("Title"), Level: o.P("Level"), Status: o.P("Status"), Progress: o.P("Progress"),
		Story: paragraphs(o.P("Story"))}
	c.Tasks, c.Done = checkRows(mustGet(o, "Tasks"))
	c.Guards, _ = checkRows(mustGet(o, "Guards"))
	c.Total = len(c.Tasks)
	if c.Total > 0 {
		c.Percent = 100 * c.Done / c.Total
	}
	if t, ok := o.Time("LastTestTime"); ok {
		c.LastTest = labTime(t)
	}
	hosts, err := s.get(r.Context(), cmd("Get-LabHost"))
	if err != nil {
		c.HostsError = err.Error()
	}
	for _, h := range hosts {
		c.Hosts = append(c.Hosts, hostRow{Name: prop(h, "Name"), Address: prop(h, "Address"), Role: prop(h, "Role"), Schedule: prop(h, "Schedule"), LastResult: prop(h, "LastResult")})
	}
	return c
}

// labActions are the changes the labs page makes, each through its
// cmdlet, with the confirmation the trainer answers first.
var labActions = map[string]struct {
	label, title, confirm string
}{
	"start": {"Start", "Start lab", "Start the lab '%s'? The organisation in use is set aside, unchanged, and the lab's organisation replaces it for everyone using this server (shells, the EAC, SMTP) until the lab is stopped."},
	"reset": {"Reset", "Reset lab", "Reset the lab '%s'? Its organisation, queues, mailboxes and logs go back to the lab's start; every change made during the lab is lost."},
	"stop":  {"Stop", "Stop lab", "Stop the lab '%s'? Its organisation is discarded and your own organisation, mailboxes and queues come back exactly as they were."},
}

// confirmView is the confirmation dialog of a lab action.
type confirmView struct {
	Title, Message, Action, Name, Submit, Cancel, Token string
}

func (s *Server) labConfirm(w http.ResponseWriter, r *http.Request, u *userSession) {
	action, name := r.FormValue("action"), r.FormValue("name")
	a, ok := labActions[action]
	if !ok || name == "" {
		http.Error(w, "400 Bad Request: unknown action", http.StatusBadRequest)
		return
	}
	msg := strings.Replace(a.confirm, "%s", name, 1)
	if action == "start" {
		// Starting a lab leaves the one in progress.
		objs, _ := s.get(r.Context(), cmd("Get-Lab"))
		for _, o := range objs {
			if propBool(o, "Active") && !strings.EqualFold(prop(o, "Name"), name) {
				msg += " The lab '" + prop(o, "Name") + "' in progress is left."
			}
		}
	}
	s.render(w, "labconfirm", &confirmView{Title: a.title, Message: msg, Action: action, Name: name,
		Submit: strings.ToLower(a.label), Cancel: "/ecp/labs?sel=" + url.QueryEscape(name), Token: u.Token()})
}

// labAction runs Start-Lab, Reset-Lab or Stop-Lab once confirmed.
func (s *Server) labAction(w http.ResponseWriter, r *http.Request, u *userSession) {
	name := r.PostFormValue("name")
	var c *command
	switch r.PostFormValue("action") {
	case "start":
		c = cmd("Start-Lab").Str("Name", name).Raw("-Confirm:$false")
	case "reset":
		c = cmd("Reset-Lab").Raw("-Confirm:$false")
	case "stop":
		c = cmd("Stop-Lab").Raw("-Confirm:$false")
	default:
		http.Error(w, "400 Bad Request: unknown action", http.StatusBadRequest)
		return
	}
	target := "/ecp/labs?sel=" + url.QueryEscape(name)
	if err := s.change(r.Context(), u, c); err != nil {
		target += "&error=" + url.QueryEscape(err.Error())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// labTest runs Test-Lab; the page then shows the outcome it stored. A
// failing check is the outcome, not an error of the action.
func (s *Server) labTest(w http.ResponseWriter, r *http.Request, u *userSession) {
	out, err := s.changeOut(r.Context(), u, cmd("Test-Lab"))
	target := "/ecp/labs?tested=1"
	if err != nil && len(out) == 0 {
		target = "/ecp/labs?error=" + url.QueryEscape(err.Error())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
