package labs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"exsh/shell/interp"
)

// TaskResult is one row of Test-Lab.
type TaskResult struct {
	Task    int
	Title   string
	Passed  bool
	Message string
	time    time.Time // when the check ended
}

// checkEnv is what a built-in guard runs with.
type checkEnv struct {
	call   *interp.Call
	net    *network
	runner *Runner
	lab    *Lab
	invoke func(script string) ([]any, error)
}

// guardFunc is a built-in guard: nil when it holds, else what is wrong.
type guardFunc func(e *checkEnv) error

var guardFuncs = map[string]guardFunc{}

// builtinGuards are the guards a lab names by string in Guards.
var builtinGuards = map[string]*Task{}

func defineGuard(name, title string, fn guardFunc) {
	builtinGuards[strings.ToLower(name)] = &Task{Title: title, Builtin: name}
	guardFuncs[strings.ToLower(name)] = fn
}

func init() {
	defineGuard("NoOpenRelay", "Guard: the server is not an open relay", guardNoOpenRelay)
	defineGuard("DefaultsUntouched", "Guard: the default receive connectors are as Exchange set them up", guardDefaults)
	defineGuard("UsersFlow", "Guard: authenticated users still send, inside and out", guardUsersFlow)
	defineGuard("NothingLost", "Guard: no message was lost", guardNothingLost)
}

// outsideDomain is a domain outside the organisation (not an accepted
// domain) that the lab's network answers for, or example.net.
func (e *checkEnv) outsideDomain() string {
	accepted := map[string]bool{}
	if out, err := e.invoke(`Get-AcceptedDomain | ForEach-Object { "$($_.DomainName)" }`); err == nil {
		for _, v := range out {
			accepted[strings.ToLower(fmt.Sprint(v))] = true
		}
	}
	for _, h := range e.net.hosts {
		for _, d := range h.Domains {
			if d != "*" && !accepted[strings.ToLower(d)] {
				return d
			}
		}
	}
	return "example.net"
}

func guardNoOpenRelay(e *checkEnv) error {
	h := e.net.host(StrangerName)
	dom := e.outsideDomain()
	r := e.net.send(e.call.Ctx, h, &Override{From: "spam@example.org", To: "victim@" + dom, Subject: "Open relay probe", Port: 25})
	if r.Accepted || r.Stage == "Data" {
		return fmt.Errorf("%s (%s), a machine nobody registered, relayed mail to %s anonymously: the server is an open relay", h.Name, h.Address, dom)
	}
	return nil
}

func guardDefaults(e *checkEnv) error {
	if e.runner.saved.Baseline == nil {
		return nil
	}
	out, err := e.invoke(baselineScript)
	if err != nil {
		return fmt.Errorf("cannot read the receive connectors: %v", err)
	}
	now := map[string]string{}
	for _, v := range out {
		id, s, ok := strings.Cut(fmt.Sprint(v), "\t")
		if ok {
			now[id] = s
		}
	}
	var changed []string
	for id, was := range e.runner.saved.Baseline {
		if cur, ok := now[id]; !ok {
			changed = append(changed, id+" was removed")
		} else if cur != was {
			changed = append(changed, id+" was changed")
		}
	}
	if len(changed) > 0 {
		return errors.New(strings.Join(changed, "; ") + ": leave Exchange's default connectors as they are and solve it with a connector of your own")
	}
	return nil
}

func guardUsersFlow(e *checkEnv) error {
	out, err := e.invoke(`(Get-AcceptedDomain | Where-Object { $_.Default }).DomainName`)
	if err != nil || len(out) == 0 {
		return fmt.Errorf("cannot read the default accepted domain: %v", err)
	}
	domain := fmt.Sprint(out[0])
	h := e.net.host(StrangerName)
	subject := fmt.Sprintf("Users flow probe %d", time.Now().UnixNano())
	// One message to a colleague and to the outside: an authenticated
	// user may relay, and one message a check keeps within the
	// connector's MessageRateLimit.
	to := "administrator@" + domain + ",someone@" + e.outsideDomain()
	r := e.net.send(e.call.Ctx, h, &Override{From: probeUser + "@" + domain, To: to, Subject: subject, Port: 587, User: probeUser, Password: probePassword})
	if !r.Accepted {
		return fmt.Errorf("Ben, an authenticated user, can no longer send to a colleague and outside on port 587: %s at %s", r, r.Stage)
	}
	// His message to the Administrator must reach the mailbox: Front End
	// to Transport service to Mailbox Transport.
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, _ := e.invoke(fmt.Sprintf(`@(Get-MessageTrackingLog -EventId DELIVER -MessageSubject '%s').Count`, subject))
		if len(got) == 1 && fmt.Sprint(got[0]) != "0" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Ben's message to the Administrator was accepted but not delivered within 20 seconds: mail between the Front End and the Transport service does not flow")
		}
		select {
		case <-e.call.Ctx.Done():
			return e.call.Ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func guardNothingLost(e *checkEnv) error {
	out, err := e.invoke(`@(Get-MessageTrackingLog -EventId FAIL -ResultSize Unlimited).Count; @(Get-Queue | Where-Object { $_.Identity -like '*\Poison' -and $_.MessageCount -gt 0 }).Count`)
	if err != nil || len(out) != 2 {
		return fmt.Errorf("cannot read the queues and the tracking log: %v", err)
	}
	if fmt.Sprint(out[0]) != "0" {
		return fmt.Errorf("%v message(s) failed (FAIL in Get-MessageTrackingLog): a message was removed or returned instead of delivered", out[0])
	}
	if fmt.Sprint(out[1]) != "0" {
		return errors.New("messages sit in the Poison queue")
	}
	return nil
}

// childScope calls the script block it is given in a child scope.
var childScope, _ = interp.NewScriptBlock("& $args[0]")

// test runs the checks of the lab in progress (one task when only > 0)
// and its guards, in the caller's session.
func (r *Runner) test(call *interp.Call, only int) ([]*TaskResult, error) {
	lab, n, err := r.running()
	if err != nil {
		return nil, err
	}
	if only < 0 || only > len(lab.Tasks) {
		return nil, fmt.Errorf("the lab %s has %d task(s); -Task must be 1 to %d", lab.Name, len(lab.Tasks), len(lab.Tasks))
	}
	r.cfg.Settle()
	env := &checkEnv{call: call, net: n, runner: r, lab: lab}
	env.invoke = func(script string) ([]any, error) {
		sb, err := interp.NewScriptBlock(script)
		if err != nil {
			return nil, err
		}
		return call.InvokeScript(sb, nil)
	}
	var out []*TaskResult
	for i, t := range lab.Tasks {
		if only > 0 && i+1 != only {
			continue
		}
		out = append(out, runCheck(env, i+1, t))
	}
	if only == 0 {
		for i, g := range lab.Guards {
			out = append(out, runCheck(env, len(lab.Tasks)+i+1, g))
		}
	}
	r.record(lab, out, only)
	return out, nil
}

func runCheck(e *checkEnv, num int, t *Task) *TaskResult {
	res := &TaskResult{Task: num, Title: t.Title, Passed: true}
	var err error
	if t.Builtin != "" {
		e.runner.mu.Lock()
		e.runner.load()
		e.runner.mu.Unlock()
		err = guardFuncs[strings.ToLower(t.Builtin)](e)
	} else {
		// & runs the check in a scope of its own: its variables do not
		// land in the student's session.
		var out []any
		out, err = e.call.InvokeScript(childScope, nil, t.Check)
		if err == nil {
			for _, v := range out {
				if b, ok := v.(bool); ok && !b {
					err = errors.New("the check returned $false")
				}
			}
		}
	}
	if err != nil {
		var ee *interp.ExitError
		if errors.As(err, &ee) || errors.Is(err, context.Canceled) {
			err = fmt.Errorf("the check stopped: %v", err)
		}
		res.Passed, res.Message = false, err.Error()
	} else if t.Builtin != "" {
		res.Message = "OK"
	} else {
		res.Message = "Done"
	}
	res.time = time.Now()
	return res
}

// record keeps which tasks passed, and the lab's status.
func (r *Runner) record(lab *Lab, res []*TaskResult, only int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lab != lab {
		return
	}
	if r.saved.Passed == nil {
		r.saved.Passed = map[int]bool{}
	}
	if r.saved.Results == nil {
		r.saved.Results = map[int]*checkResult{}
	}
	all := true
	for _, t := range res {
		r.saved.Results[t.Task] = &checkResult{Passed: t.Passed, Message: t.Message, Time: t.time}
		if t.Task <= len(lab.Tasks) {
			r.saved.Passed[t.Task] = t.Passed
		}
		all = all && t.Passed
	}
	done := 0
	for i := range lab.Tasks {
		if r.saved.Passed[i+1] {
			done++
		}
	}
	if r.net != nil {
		r.saved.Last = r.net.results()
	}
	st := r.status(lab.Name)
	st.Progress = fmt.Sprintf("%d/%d", done, len(lab.Tasks))
	if only == 0 && all {
		st.Status, st.Passed = Passed, true
	} else {
		st.Status = InProgress
	}
	r.save()
}

// Hint is one hint Get-LabHint shows.
type Hint struct {
	Task      int    // the task's number
	TaskTitle string // its title
	Number    int    // which hint (1-based)
	Of        int    // how many the task has
	Again     bool   // the hints ran out: this is the last one again
	Text      string
}

// hint returns the next hint of a task (the first task not passed when
// task is 0).
func (r *Runner) hint(task int) (*Hint, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.load()
	lab := r.lab
	if lab == nil {
		return nil, ErrNoLab
	}
	if task == 0 {
		task = 1
		for i := range lab.Tasks {
			if !r.saved.Passed[i+1] {
				task = i + 1
				break
			}
		}
	}
	if task < 1 || task > len(lab.Tasks) {
		return nil, fmt.Errorf("the lab %s has %d task(s); -Task must be 1 to %d", lab.Name, len(lab.Tasks), len(lab.Tasks))
	}
	t := lab.Tasks[task-1]
	if r.saved.Hints == nil {
		r.saved.Hints = map[int]int{}
	}
	h := &Hint{Task: task, TaskTitle: t.Title, Of: len(t.Hints), Number: r.saved.Hints[task]}
	if h.Number < h.Of {
		h.Number++
		r.saved.Hints[task] = h.Number
		r.save()
	} else {
		h.Again = true
	}
	h.Text = t.Hints[h.Number-1]
	return h, nil
}

// passed reports whether the lab in progress passed.
func (r *Runner) passed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lab == nil {
		return false
	}
	st := r.saved.Labs[r.lab.Name]
	return st != nil && st.Passed
}
