package labs

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/wildcard"
)

// Module is what Get-Command shows as the lab cmdlets' Source.
const Module = "exsh.Labs"

// Type names of the lab cmdlets' objects.
const (
	LabType       = "exsh.Labs.Lab"
	TaskType      = "exsh.Labs.TaskResult"
	HostType      = "exsh.Labs.Host"
	HostResultTyp = "exsh.Labs.HostResult"
	MailType      = "exsh.Labs.Mail"
)

func init() {
	table := func(cols ...string) format.View {
		v := format.View{}
		for _, c := range cols {
			v.Table = append(v.Table, format.Column{Property: c})
		}
		return v
	}
	format.Register(LabType, table("Name", "Title", "Level", "Status", "Progress"))
	format.Register(TaskType, table("Task", "Title", "Passed", "Message"))
	format.Register(HostType, table("Name", "Address", "Role", "Schedule", "LastResult"))
	format.Register(HostResultTyp, table("Host", "Stage", "Code", "Reply", "Accepted"))
	format.Register(MailType, table("Time", "Host", "From", "To", "Subject"))
}

// Cmdlets returns the lab cmdlets, run by r.
func (r *Runner) Cmdlets() []*interp.CmdletInfo {
	labName := func(ctx context.Context, prefix string) []string {
		labs, _ := r.Catalogue()
		var out []string
		for _, l := range labs {
			if strings.HasPrefix(l.Name, strings.ToLower(prefix)) {
				out = append(out, l.Name)
			}
		}
		return out
	}
	hostName := func(ctx context.Context, prefix string) []string {
		_, n, err := r.running()
		if err != nil {
			return nil
		}
		var out []string
		for _, h := range n.hosts {
			if h.Sender() && strings.HasPrefix(strings.ToLower(h.Name), strings.ToLower(prefix)) {
				out = append(out, h.Name)
			}
		}
		return out
	}
	task := &interp.ParamInfo{Name: "Task", Kind: interp.KindInt, Position: -1, Help: "The task's number (1, 2, ...); without it, every task."}
	cmds := []*interp.CmdletInfo{
		{
			Name:     "Get-Lab",
			Synopsis: "Lists the training labs.",
			Description: "Get-Lab lists the built-in labs and the trainers' labs found through $env:EXSH_LABS, with each lab's status " +
				"(NotStarted, InProgress, Passed) and progress (tasks passed at the last Test-Lab). Each lab also has its Story, " +
				"Active ($true for the lab in progress), and its Tasks and Guards as Test-Lab's rows (Task, Title, Passed, Message, Time): for the lab in progress they hold " +
				"the last Test-Lab's outcome without running the checks again, and LastTestTime says when it ran " +
				"(Passed, Time and LastTestTime are $null until Test-Lab runs).",
			Params: []*interp.ParamInfo{{Name: "Name", Kind: interp.KindString, Position: 0, Complete: labName,
				Help: "The lab's name; wildcards are allowed."}},
			Examples: []interp.Example{{Code: "Get-Lab", Remarks: "Lists every lab."}, {Code: "Get-Lab *relay*"},
				{Code: "(Get-Lab | Where-Object Active).Tasks", Remarks: "The tasks of the lab in progress, with the last Test-Lab's outcome."}},
			End: r.getLab,
		},
		{
			Name:     "Start-Lab",
			Synopsis: "Begins a training lab.",
			Description: "Start-Lab sets your own organisation aside, unchanged, and gives the lab a fresh organisation built by its setup " +
				"(often deliberately broken); the lab's simulated hosts start sending and receiving. It prints the lab's story and tasks. " +
				"Stop-Lab gives your organisation back exactly as it was.",
			Params: []*interp.ParamInfo{
				{Name: "Name", Kind: interp.KindString, Position: 0, Complete: labName, Sets: []string{"Name"}, Mandatory: true, Help: "The lab's name (Get-Lab lists them)."},
				{Name: "Path", Kind: interp.KindString, Position: -1, Sets: []string{"Path"}, Mandatory: true, Help: "A trainer's lab folder (the folder holding lab.psd1)."},
			},
			DefaultParameterSet:   "Name",
			SupportsShouldProcess: true,
			Examples:              []interp.Example{{Code: "Start-Lab scanner-relay"}, {Code: "Start-Lab -Path ./labs/my-lab"}},
			End:                   r.startLab,
		},
		{
			Name:     "Test-Lab",
			Synopsis: "Checks the lab's tasks.",
			Description: "Test-Lab checks each task of the lab in progress by behaviour (SMTP from the simulated hosts, queues, tracking), then the lab's guards " +
				"(no open relay, defaults left alone, users' mail still flowing, nothing lost). It returns one object per task and guard; " +
				"when one fails it also writes an error, so $? is $false and exsh -Command exits 1.",
			Params:     []*interp.ParamInfo{task},
			OutputType: TaskType,
			End:        r.testLab,
		},
		{
			Name:        "Get-LabHint",
			Synopsis:    "Shows the next hint.",
			Description: "Get-LabHint shows the next hint for a task (the first task not passed yet), each more specific than the last. When the hints run out the last one repeats, saying so.",
			Params:      []*interp.ParamInfo{{Name: "Task", Kind: interp.KindInt, Position: 0, Help: "The task's number."}},
			End:         r.getHint,
		},
		{
			Name:        "Show-LabSolution",
			Synopsis:    "Shows the lab's solution.",
			Description: "Show-LabSolution shows the commands of one solution to the lab in progress: only once the lab passed, or with -Force.",
			Params:      []*interp.ParamInfo{{Name: "Force", Kind: interp.KindSwitch, Position: -1, Help: "Shows the solution before the lab passed."}},
			End:         r.showSolution,
		},
		{
			Name:                  "Reset-Lab",
			Synopsis:              "Puts the lab back to its start.",
			Description:           "Reset-Lab discards the lab's organisation, queues, mailboxes and logs and builds them again from the lab's setup; the lab's status becomes InProgress.",
			SupportsShouldProcess: true,
			End:                   r.resetLab,
		},
		{
			Name:                  "Stop-Lab",
			Synopsis:              "Leaves the lab.",
			Description:           "Stop-Lab stops the lab's hosts, discards its organisation and gives your own organisation, mailboxes and queues back exactly as they were. The lab's status is remembered.",
			SupportsShouldProcess: true,
			End:                   r.stopLab,
		},
		{
			Name:        "Get-LabHost",
			Synopsis:    "Lists the lab's simulated hosts.",
			Description: "Get-LabHost lists the simulated hosts of the lab in progress: devices, applications, appliances and partners that send, and the outside mail servers that receive, each on its own loopback address. Outside a lab it returns nothing.",
			Params:      []*interp.ParamInfo{{Name: "Name", Kind: interp.KindString, Position: 0, Complete: hostName, Help: "The host's name; wildcards are allowed."}},
			OutputType:  HostType,
			End:         r.getHost,
		},
		{
			Name:     "Invoke-LabHost",
			Synopsis: "Makes a simulated host send its message now.",
			Description: "Invoke-LabHost makes a sending host connect from its own address to the organisation's connector, as it would on its schedule, and returns the outcome: " +
				"the first refusal (Stage Connect, Ehlo, StartTls, Auth, MailFrom, RcptTo or Data, with its Code and Reply) or Stage Done with the final 250.",
			Params: []*interp.ParamInfo{
				{Name: "Name", Kind: interp.KindString, Position: 0, Mandatory: true, Complete: hostName, FromPipelineByPropertyName: true, Help: "The host's name."},
				{Name: "From", Kind: interp.KindString, Position: -1, Help: "Sends from this address instead of the host's own sender."},
				{Name: "To", Kind: interp.KindString, Position: -1, Help: "Sends to this address (or several, comma-separated) instead."},
				{Name: "Subject", Kind: interp.KindString, Position: -1, Help: "The message's subject."},
				{Name: "Port", Kind: interp.KindInt, Position: -1, Help: "The Exchange port to connect to (25, 587, ...)."},
				{Name: "Credential", Kind: interp.KindCredential, Position: -1, Help: "Authenticates with this account (after STARTTLS when offered)."},
				{Name: "Size", Kind: interp.KindInt, Position: -1, Help: "Pads the message to about this many bytes."},
			},
			OutputType: HostResultTyp,
			Process:    r.invokeHost,
		},
		{
			Name:        "Get-LabMail",
			Synopsis:    "Lists the mail that reached the lab's outside world.",
			Description: "Get-LabMail lists the messages the lab's receiving hosts (partners, the Internet) got, oldest first. With -Wait it waits up to 30 seconds for a message that matches the filters, while mail is on its way out (queued, not in Retry).",
			Params: []*interp.ParamInfo{
				{Name: "Host", Kind: interp.KindString, Position: 0, Help: "Only what this receiving host got."},
				{Name: "Subject", Kind: interp.KindString, Position: -1, Help: "Only messages whose subject matches this wildcard."},
				{Name: "To", Kind: interp.KindString, Position: -1, Help: "Only messages to recipients matching this wildcard."},
				{Name: "Wait", Kind: interp.KindSwitch, Position: -1, Help: "Waits up to 30 seconds for a matching message while mail is on its way out."},
			},
			OutputType: MailType,
			End:        r.getMail,
		},
	}
	for _, c := range cmds {
		c.Module = Module
	}
	return cmds
}

func errRecord(id, category string, err error) error {
	rec := interp.NewError(category, "LabException", id, "", "%s", err.Error())
	rec.Exception = err
	return rec
}

func (r *Runner) getLab(c *interp.Call) error {
	labs, errs := r.Catalogue()
	for _, e := range errs {
		c.WriteWarning(e.Error())
	}
	pattern := c.String("Name")
	r.mu.Lock()
	r.load()
	active := r.saved.Active
	if r.lab != nil {
		// A lab started from its folder is listed too.
		listed := false
		for _, l := range labs {
			listed = listed || l.Name == r.lab.Name
		}
		if !listed {
			labs = append(labs, r.lab)
		}
	}
	type row struct {
		l       *Lab
		st      labStatus
		results map[int]checkResult // the last Test-Lab's, for the lab in progress
	}
	var rows []row
	for _, l := range labs {
		if pattern != "" && !wildcard.Match(pattern, l.Name) {
			continue
		}
		st := labStatus{Status: NotStarted, Progress: fmt.Sprintf("0/%d", len(l.Tasks))}
		if s := r.saved.Labs[l.Name]; s != nil {
			st = *s
			if st.Progress == "" {
				st.Progress = fmt.Sprintf("0/%d", len(l.Tasks))
			}
		}
		var results map[int]checkResult
		if l.Name == active {
			if st.Status == NotStarted {
				st.Status = InProgress
			}
			results = map[int]checkResult{}
			for n, res := range r.saved.Results {
				results[n] = *res
			}
		}
		rows = append(rows, row{l, st, results})
	}
	r.mu.Unlock()
	if pattern != "" && len(rows) == 0 && !strings.ContainsAny(pattern, "*?[") {
		var names []string
		for _, l := range labs {
			names = append(names, l.Name)
		}
		return errRecord("LabNotFound", "ObjectNotFound", &UnknownLabError{Name: pattern, Close: closeMatches(pattern, names)})
	}
	for _, rw := range rows {
		o := object.New(LabType).
			Add("Name", rw.l.Name).Add("Title", rw.l.Title).Add("Level", rw.l.Level).
			Add("Status", rw.st.Status).Add("Progress", rw.st.Progress).
			Add("Teaches", rw.l.Teaches).Add("Source", rw.l.Source).Add("Story", rw.l.Story).
			Add("Active", rw.results != nil)
		tasks, guards, last := checkList(rw.l, rw.results)
		o.Add("Tasks", tasks).Add("Guards", guards).Add("LastTestTime", last)
		if err := c.WriteObject(o); err != nil {
			return err
		}
	}
	return nil
}

// checkList is Get-Lab's Tasks and Guards: one object per task and
// guard, shaped as Test-Lab's rows, with the last Test-Lab's outcome and
// its Time for the lab in progress (Passed and Time are $null for a check
// not run since the lab started), and when the last Test-Lab ran.
func checkList(l *Lab, results map[int]checkResult) (tasks, guards []any, last any) {
	var lastTime time.Time
	item := func(num int, t *Task) *object.PSObject {
		o := object.New(TaskType).Add("Task", num).Add("Title", t.Title)
		res, ok := results[num]
		if !ok {
			return o.Add("Passed", nil).Add("Message", "").Add("Time", nil)
		}
		if res.Time.After(lastTime) {
			lastTime = res.Time
		}
		return o.Add("Passed", res.Passed).Add("Message", res.Message).Add("Time", res.Time)
	}
	tasks, guards = []any{}, []any{}
	for i, t := range l.Tasks {
		tasks = append(tasks, item(i+1, t))
	}
	for i, g := range l.Guards {
		guards = append(guards, item(len(l.Tasks)+i+1, g))
	}
	if !lastTime.IsZero() {
		last = lastTime
	}
	return tasks, guards, last
}

// exinstallOf is $exinstall for a data path (with a trailing separator).
func exinstallOf(dataPath string) string {
	return strings.TrimSuffix(dataPath, string(filepath.Separator)) + string(filepath.Separator)
}

func (r *Runner) startLab(c *interp.Call) error {
	var lab *Lab
	var err error
	path := c.String("Path")
	if path != "" {
		lab, err = LoadDir(path)
		if err == nil {
			path, _ = filepath.Abs(path)
		}
	} else {
		lab, err = r.find(c.String("Name"), "")
	}
	if err != nil {
		if _, ok := err.(*UnknownLabError); ok {
			return errRecord("LabNotFound", "ObjectNotFound", err)
		}
		return errRecord("LabInvalid", "InvalidData", err)
	}
	if !c.ShouldProcess(lab.Name, "Start-Lab") {
		return nil
	}
	if cur := r.Active(); cur != nil {
		c.WriteWarning(fmt.Sprintf("The lab %s was in progress; it is left for %s.", cur.Name, lab.Name))
	}
	if err := r.start(c.Ctx, lab, path, c.Session().Commands()); err != nil {
		return errRecord("StartLabFailed", "InvalidOperation", err)
	}
	c.Session().SetVar("exinstall", exinstallOf(r.LabDataPath()))
	c.WriteHost(briefing(lab), true)
	return nil
}

// briefing is what Start-Lab prints: title, story, tasks, and how to go on.
func briefing(lab *Lab) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nLab: %s - %s (%s)\n\n", lab.Name, lab.Title, lab.Level)
	for _, l := range strings.Split(lab.Story, "\n") {
		b.WriteString("  " + strings.TrimRight(l, " \r") + "\n")
	}
	b.WriteString("\nTasks:\n")
	for i, t := range lab.Tasks {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, t.Title)
	}
	b.WriteString("\nGet-LabHost shows the hosts, Invoke-LabHost makes one send now, Test-Lab checks your work, Get-LabHint helps.\n")
	return b.String()
}

func (r *Runner) testLab(c *interp.Call) error {
	res, err := r.test(c, c.Int("Task", 0))
	if err != nil {
		return errRecord("TestLabFailed", "InvalidOperation", err)
	}
	var failed []string
	for _, t := range res {
		o := object.New(TaskType).Add("Task", t.Task).Add("Title", t.Title).Add("Passed", t.Passed).Add("Message", t.Message)
		if err := c.WriteObject(o); err != nil {
			return err
		}
		if !t.Passed {
			failed = append(failed, fmt.Sprint(t.Task))
		}
	}
	// The table of checks comes first: the shell shows it before an
	// error, and before this host text once asked.
	if len(failed) > 0 {
		c.WriteError(interp.NewError("InvalidResult", "LabException", "LabTaskFailed", "", "%d of %d checks failed (%s).", len(failed), len(res), strings.Join(failed, ", ")))
	} else if c.Int("Task", 0) == 0 {
		c.FlushOutput()
		c.WriteHost("All tasks passed. Show-LabSolution shows one way to solve it; Stop-Lab gives your organisation back.", true)
	}
	return nil
}

func (r *Runner) getHint(c *interp.Call) error {
	h, err := r.hint(c.Int("Task", 0))
	if err != nil {
		return errRecord("GetLabHintFailed", "InvalidOperation", err)
	}
	head := fmt.Sprintf("Hint %d of %d for task %d (%s):", h.Number, h.Of, h.Task, h.TaskTitle)
	if h.Again {
		head = fmt.Sprintf("No more hints for task %d; the last one again (%d of %d):", h.Task, h.Number, h.Of)
	}
	return c.WriteObject(head + "\n" + h.Text)
}

func (r *Runner) showSolution(c *interp.Call) error {
	lab := r.Active()
	if lab == nil {
		return errRecord("ShowLabSolutionFailed", "InvalidOperation", ErrNoLab)
	}
	if !r.passed() && !c.Bool("Force") {
		return errRecord("LabNotPassed", "InvalidOperation",
			fmt.Errorf("The lab %s has not passed yet: keep trying (Get-LabHint), or use Show-LabSolution -Force to see the solution now.", lab.Name))
	}
	return c.WriteObject(strings.TrimRight(lab.Solution, "\n"))
}

func (r *Runner) resetLab(c *interp.Call) error {
	r.mu.Lock()
	r.load()
	lab, path := r.lab, r.saved.Path
	r.mu.Unlock()
	if lab == nil {
		return errRecord("ResetLabFailed", "InvalidOperation", ErrNoLab)
	}
	if !c.ShouldProcess(lab.Name, "Reset-Lab") {
		return nil
	}
	if err := r.start(c.Ctx, lab, path, c.Session().Commands()); err != nil {
		return errRecord("ResetLabFailed", "InvalidOperation", err)
	}
	c.Session().SetVar("exinstall", exinstallOf(r.LabDataPath()))
	c.WriteHost(fmt.Sprintf("The lab %s is back at its start.", lab.Name), true)
	return nil
}

func (r *Runner) stopLab(c *interp.Call) error {
	lab := r.Active()
	name := "the lab"
	if lab != nil {
		name = lab.Name
	}
	if lab == nil && ActiveLab(r.cfg.DataPath) == "" {
		return errRecord("StopLabFailed", "InvalidOperation", ErrNoLab)
	}
	if !c.ShouldProcess(name, "Stop-Lab") {
		return nil
	}
	if err := r.stop(); err != nil {
		return errRecord("StopLabFailed", "InvalidOperation", err)
	}
	c.Session().SetVar("exinstall", exinstallOf(r.cfg.DataPath))
	c.WriteHost("Your own organisation is back.", true)
	return nil
}

func (r *Runner) getHost(c *interp.Call) error {
	_, n, err := r.running()
	if err != nil {
		return nil // outside a lab there are no hosts
	}
	pattern := c.String("Name")
	for _, h := range n.hosts {
		if pattern != "" && !wildcard.Match(pattern, h.Name) {
			continue
		}
		last := ""
		if lr := n.lastResult(h.Name); lr != nil {
			last = lr.String()
		}
		addr := h.Address.String()
		if h.Hidden {
			addr = "(unknown)"
		}
		o := object.New(HostType).Add("Name", h.Name).Add("Address", addr).Add("Role", h.Role).
			Add("Schedule", h.Schedule()).Add("LastResult", last).
			Add("Domains", strings.Join(h.Domains, ", ")).Add("From", h.From).Add("To", h.To).Add("Port", h.Port)
		if err := c.WriteObject(o); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) invokeHost(c *interp.Call) error {
	_, n, err := r.running()
	if err != nil {
		return errRecord("InvokeLabHostFailed", "InvalidOperation", err)
	}
	name := c.String("Name")
	h := n.host(name)
	if h == nil {
		var names []string
		for _, h := range n.hosts {
			if h.Sender() {
				names = append(names, h.Name)
			}
		}
		sort.Strings(names)
		return errRecord("LabHostNotFound", "ObjectNotFound", fmt.Errorf("The lab has no sending host named %q; its senders are %s.", name, strings.Join(names, ", ")))
	}
	if h.Receiver {
		return errRecord("LabHostNotSender", "InvalidOperation", fmt.Errorf("%s receives mail; it does not send. Get-LabMail shows what it got.", h.Name))
	}
	o := &Override{From: c.String("From"), To: c.String("To"), Subject: c.String("Subject"), Port: c.Int("Port", 0), Size: c.Int("Size", 0)}
	if cr, ok := c.Value("Credential").(*interp.Credential); ok && cr != nil {
		o.User = cr.UserName
		if cr.Password != nil {
			o.Password = cr.Password.Plain
		}
	}
	r.cfg.Settle()
	res := n.send(c.Ctx, h, o)
	r.saveResults()
	out := object.New(HostResultTyp).Add("Host", res.Host).Add("Stage", res.Stage).Add("Code", res.Code).
		Add("Reply", res.Reply).Add("Accepted", res.Accepted).Add("Time", res.Time)
	return c.WriteObject(out)
}

func (r *Runner) getMail(c *interp.Call) error {
	_, n, err := r.running()
	if err != nil {
		return errRecord("GetLabMailFailed", "InvalidOperation", err)
	}
	host, subj, to := c.String("Host"), c.String("Subject"), c.String("To")
	match := func(m *Message) bool {
		if host != "" && !strings.EqualFold(host, m.Host) {
			return false
		}
		if subj != "" && !wildcard.Match(subj, m.Subject) {
			return false
		}
		if to != "" {
			ok := false
			for _, t := range m.To {
				ok = ok || wildcard.Match(to, t)
			}
			return ok
		}
		return true
	}
	var got []*Message
	deadline := 150 // 30 s in 200 ms steps
	idle := 0       // checks in a row that found nothing in flight
	for {
		got = got[:0]
		for _, m := range n.messages() {
			if match(m) {
				got = append(got, m)
			}
		}
		if len(got) > 0 || !c.Bool("Wait") || deadline == 0 {
			break
		}
		deadline--
		if deadline%5 == 0 {
			// Stop waiting when nothing is on its way out: no message
			// waits in a queue that is not in Retry or suspended.
			if inFlight(c) {
				idle = 0
			} else if idle++; idle == 2 {
				break
			}
		}
		if err := sleep(c.Ctx); err != nil {
			return err
		}
	}
	for _, m := range got {
		o := object.New(MailType).Add("Time", m.Time).Add("Host", m.Host).Add("From", m.From).
			Add("To", strings.Join(m.To, ", ")).Add("Subject", m.Subject).Add("Size", m.Size)
		if err := c.WriteObject(o); err != nil {
			return err
		}
	}
	return nil
}

// inFlightScript counts the messages on their way: in the Submission
// queue or a delivery queue that is neither in Retry nor suspended.
const inFlightScript = `@(Get-Queue -ErrorAction SilentlyContinue | Where-Object { $_.MessageCount -gt 0 -and $_.Status -ne 'Retry' -and $_.Status -ne 'Suspended' -and $_.DeliveryType -ne 'Unreachable' }).Count`

func inFlight(c *interp.Call) bool {
	sb, err := interp.NewScriptBlock(inFlightScript)
	if err != nil {
		return false
	}
	out, err := c.InvokeScript(sb, nil)
	return err == nil && len(out) == 1 && fmt.Sprint(out[0]) != "0"
}

// sleep waits 200 ms, or until ctx ends.
func sleep(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}
