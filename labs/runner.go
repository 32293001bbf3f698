package labs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"exsh/shell/interp"
)

// Environment is the running organisation the runner re-points: the
// binary's host (store, engine, command table) implements it.
type Environment interface {
	// Switch stops the transport engine and closes the organisation's
	// store, runs prepare (which may remove a lab's folder), then opens
	// the store at dataPath (setting it up on first use) and starts the
	// engine there. dns is the lab DNS the engine resolves with; nil means
	// no DNS at all.
	Switch(dataPath string, dns *DNS, prepare func() error) error
}

// Config configures a Runner.
type Config struct {
	// DataPath is the user's own data path; labs live under DataPath/Labs.
	DataPath string
	// Env re-points the organisation.
	Env Environment
	// PortMap turns an Exchange port into the port exsh listens on (the
	// port offset); the hosts use it. nil keeps ports unchanged.
	PortMap func(int) int
	// Catalog holds the built-in labs, one folder each; nil means the
	// embedded catalogue.
	Catalog fs.FS
	// Getenv reads $EXSH_LABS; nil means os.Getenv.
	Getenv func(string) string
	// Warn receives problems that belong to no command (a lab that cannot
	// be resumed after a restart).
	Warn io.Writer
	// Settle makes the running engine take up the latest configuration
	// (a connector created a moment ago); the runner calls it before the
	// hosts probe. nil means changes apply by themselves.
	Settle func()
	// AfterSetup is a script run after every lab's setup, before its
	// hosts start: a classroom (or a test) can adjust every lab, such as
	// shortening Exchange's 5-second tarpit.
	AfterSetup string
}

// Runner runs one lab at a time on a data path.
type Runner struct {
	cfg Config

	mu     sync.Mutex
	saved  savedState
	lab    *Lab     // the lab in progress, or nil
	net    *network // its hosts
	loaded bool
}

// savedState is Labs/state.json: what survives a restart.
type savedState struct {
	// Active is the lab in progress ("" when none); Path its folder when
	// it is not a built-in one.
	Active  string    `json:",omitempty"`
	Path    string    `json:",omitempty"`
	Started time.Time `json:",omitzero"`
	// Hints counts the hints shown per task (1-based task number).
	Hints map[int]int `json:",omitempty"`
	// Passed says which of the active lab's tasks passed at the last
	// Test-Lab.
	Passed map[int]bool `json:",omitempty"`
	// Results is the last Test-Lab outcome of each of the active lab's
	// tasks and guards, by number (Get-Lab shows them).
	Results map[int]*checkResult `json:",omitempty"`
	// Baseline is the default connectors' settings right after setup.
	Baseline map[string]string `json:",omitempty"`
	// Last is each host's last SMTP outcome, by lower-case name.
	Last map[string]*Result `json:",omitempty"`
	// Labs is every lab's status and progress, by name.
	Labs map[string]*labStatus `json:",omitempty"`
}

// checkResult is one task's or guard's outcome at the last Test-Lab.
type checkResult struct {
	Passed  bool
	Message string
	Time    time.Time
}

type labStatus struct {
	Status   string // NotStarted, InProgress, Passed
	Progress string // "2/4"
	Passed   bool   // passed at least once; remembered after Stop-Lab
}

// Status values of Get-Lab.
const (
	NotStarted = "NotStarted"
	InProgress = "InProgress"
	Passed     = "Passed"
)

// NewRunner returns the runner of cfg.DataPath.
func NewRunner(cfg Config) *Runner {
	if cfg.PortMap == nil {
		cfg.PortMap = func(p int) int { return p }
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Catalog == nil {
		cfg.Catalog = builtin
	}
	if cfg.Warn == nil {
		cfg.Warn = io.Discard
	}
	if cfg.Settle == nil {
		cfg.Settle = func() {}
	}
	return &Runner{cfg: cfg}
}

// SetAfterSetup sets Config.AfterSetup for the labs started from now on.
func (r *Runner) SetAfterSetup(script string) {
	r.mu.Lock()
	r.cfg.AfterSetup = script
	r.mu.Unlock()
}

// Dir is where the runner keeps its state and the running lab's
// organisation: <DataPath>/Labs.
func (r *Runner) Dir() string { return filepath.Join(r.cfg.DataPath, "Labs") }

// LabDataPath is the running lab's own data path: its organisation,
// queues, mailboxes and logs.
func (r *Runner) LabDataPath() string { return filepath.Join(r.Dir(), "Current") }

// mailFile is where the lab's receivers record what they got.
func (r *Runner) mailFile() string { return filepath.Join(r.LabDataPath(), "LabMail.jsonl") }

func (r *Runner) statePath() string { return filepath.Join(r.Dir(), "state.json") }

// ActiveLab reads the name of the lab in progress on dataPath from its
// state file, for a prompt ("" when none).
func ActiveLab(dataPath string) string {
	b, err := os.ReadFile(filepath.Join(dataPath, "Labs", "state.json"))
	if err != nil {
		return ""
	}
	var s savedState
	if json.Unmarshal(b, &s) != nil {
		return ""
	}
	return s.Active
}

func (r *Runner) load() {
	if r.loaded {
		return
	}
	r.loaded = true
	b, err := os.ReadFile(r.statePath())
	if err == nil {
		if err := json.Unmarshal(b, &r.saved); err != nil {
			fmt.Fprintf(r.cfg.Warn, "WARNING: %s cannot be read (%v); lab progress starts over\n", r.statePath(), err)
			r.saved = savedState{}
		}
	}
	if r.saved.Labs == nil {
		r.saved.Labs = map[string]*labStatus{}
	}
}

func (r *Runner) save() error {
	if err := os.MkdirAll(r.Dir(), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(&r.saved, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.statePath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, r.statePath())
}

// Resume is called when the binary opens the data path: when a lab is in
// progress it returns the lab's data path and DNS to open instead of the
// user's, listen, which starts the lab's receivers (call it once the
// store is open, before the engine starts, so that mail queued for them
// before a restart finds them there), and start, which starts the
// senders' schedules once the engine runs. Without a lab in progress it
// returns the user's data path.
func (r *Runner) Resume() (dataPath string, dns *DNS, listen, start func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.load()
	none := func() {}
	if r.saved.Active == "" {
		return r.cfg.DataPath, nil, none, none
	}
	lab, err := r.find(r.saved.Active, r.saved.Path)
	if err == nil {
		if _, serr := os.Stat(r.LabDataPath()); serr != nil {
			err = serr
		}
	}
	if err != nil {
		fmt.Fprintf(r.cfg.Warn, "WARNING: the lab %s cannot be resumed (%v); your own organisation is back\n", r.saved.Active, err)
		r.saved.Active, r.saved.Path = "", ""
		r.save()
		return r.cfg.DataPath, nil, none, none
	}
	r.lab = lab
	r.net = newNetwork(lab, r.cfg.PortMap)
	n := r.net
	for k, v := range r.saved.Last {
		n.last[k] = v
	}
	n.loadMail(r.mailFile())
	listen = func() {
		if err := n.listenAll(); err != nil {
			fmt.Fprintf(r.cfg.Warn, "WARNING: the lab's hosts did not start: %v\n", err)
		}
	}
	return r.LabDataPath(), n.dns, listen, func() { n.schedule(false) }
}

// Close stops the running lab's hosts (the process is ending; the lab
// stays in progress).
func (r *Runner) Close() {
	r.mu.Lock()
	n := r.net
	r.mu.Unlock()
	if n != nil {
		n.close()
	}
}

// Active returns the lab in progress, or nil.
func (r *Runner) Active() *Lab {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lab
}

// Catalogue returns every lab: the built-in ones, then the trainers'
// from $EXSH_LABS (folders of lab folders, separated like PATH). Labs
// that do not load are returned as errors.
func (r *Runner) Catalogue() ([]*Lab, []error) {
	var out []*Lab
	var errs []error
	entries, _ := fs.ReadDir(r.cfg.Catalog, ".")
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		lab, err := Load(r.cfg.Catalog, e.Name(), "built-in")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, lab)
	}
	for _, dir := range filepath.SplitList(r.cfg.Getenv("EXSH_LABS")) {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, DataFile)); err == nil {
			lab, err := Load(os.DirFS(dir), ".", dir)
			if err != nil {
				errs = append(errs, err)
			} else {
				out = append(out, lab)
			}
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("EXSH_LABS: %w", err))
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			sub := filepath.Join(dir, e.Name())
			if _, err := os.Stat(filepath.Join(sub, DataFile)); err != nil {
				continue
			}
			lab, err := Load(os.DirFS(sub), ".", sub)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, lab)
		}
	}
	return out, errs
}

// find loads a lab by name, or from its folder when path is set.
func (r *Runner) find(name, path string) (*Lab, error) {
	if path != "" {
		return LoadDir(path)
	}
	labs, _ := r.Catalogue()
	for _, l := range labs {
		if strings.EqualFold(l.Name, name) {
			return l, nil
		}
	}
	var names []string
	for _, l := range labs {
		names = append(names, l.Name)
	}
	return nil, &UnknownLabError{Name: name, Close: closeMatches(name, names)}
}

// LoadDir loads a trainer's lab folder.
func LoadDir(dir string) (*Lab, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot find the lab folder %s", abs)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a lab folder: give the folder that holds %s", abs, DataFile)
	}
	return Load(os.DirFS(abs), ".", abs)
}

// UnknownLabError is a lab name that is in no catalogue.
type UnknownLabError struct {
	Name  string
	Close []string
}

func (e *UnknownLabError) Error() string {
	msg := fmt.Sprintf("There is no lab named %q.", e.Name)
	if len(e.Close) > 0 {
		msg += " Did you mean " + strings.Join(e.Close, ", ") + "?"
	}
	return msg + " Get-Lab lists the labs."
}

// closeMatches are the names within a small edit distance of name, or
// that contain it, closest first.
func closeMatches(name string, names []string) []string {
	type cand struct {
		n string
		d int
	}
	var cs []cand
	lname := strings.ToLower(name)
	for _, n := range names {
		d := editDistance(lname, n)
		if d <= max(2, len(lname)/3) || (len(lname) >= 3 && strings.Contains(n, lname)) {
			cs = append(cs, cand{n, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i, c := range cs {
		if i == 3 {
			break
		}
		out = append(out, c.n)
	}
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ErrNoLab is returned by the commands that need a lab in progress.
var ErrNoLab = errors.New("No lab is in progress. Start one with Start-Lab <name>; Get-Lab lists them.")

// start begins lab (again): a fresh organisation built by the lab's setup
// replaces the working one, and the hosts start. sess runs the setup; its
// commands are the session's.
func (r *Runner) start(ctx context.Context, lab *Lab, path string, cmds []*interp.CmdletInfo) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.load()
	if r.net != nil {
		r.net.close()
		r.net, r.lab = nil, nil
	}
	n := newNetwork(lab, r.cfg.PortMap)
	n.mailFile = r.mailFile()
	labPath := r.LabDataPath()
	fresh := func() error {
		if err := os.RemoveAll(labPath); err != nil {
			return err
		}
		return os.MkdirAll(labPath, 0o700)
	}
	back := func() {
		r.saved.Active, r.saved.Path = "", ""
		r.save()
		r.cfg.Env.Switch(r.cfg.DataPath, nil, func() error { return os.RemoveAll(labPath) })
	}
	// The lab is recorded as in progress before the store moves, so that
	// a crash half-way leaves a lab to resume or give up, never the
	// user's organisation replaced by an unrecorded one.
	r.saved.Active, r.saved.Path, r.saved.Started = lab.Name, path, time.Now().UTC()
	r.saved.Hints, r.saved.Passed, r.saved.Results, r.saved.Baseline, r.saved.Last = nil, nil, nil, nil, nil
	if err := r.save(); err != nil {
		return fmt.Errorf("cannot record the lab: %w", err)
	}
	if err := r.cfg.Env.Switch(labPath, n.dns, fresh); err != nil {
		back()
		return fmt.Errorf("cannot open the lab's organisation: %w", err)
	}
	var errBuf strings.Builder
	sess := interp.NewSession(interp.Config{Commands: cmds, Stderr: &errBuf})
	sess.SetVar("ErrorActionPreference", "Stop")
	for _, s := range []struct{ name, text string }{{"prologue", prologue}, {"setup.ps1", lab.Setup}, {"AfterSetup", r.cfg.AfterSetup}} {
		if strings.TrimSpace(s.text) == "" {
			continue
		}
		if err := sess.Run(ctx, s.text, s.name); err != nil || !sess.LastSucceeded() {
			back()
			msg := strings.TrimSpace(errBuf.String())
			if msg == "" && err != nil {
				msg = err.Error()
			}
			return fmt.Errorf("the lab's %s failed: %s", s.name, msg)
		}
	}
	base, err := baseline(ctx, sess)
	if err != nil {
		back()
		return fmt.Errorf("cannot read the lab's starting connectors: %w", err)
	}
	r.saved.Baseline = base
	if err := n.start(true); err != nil {
		back()
		return err
	}
	r.lab, r.net = lab, n
	r.saved.Last = n.results()
	st := r.status(lab.Name)
	st.Status, st.Progress = InProgress, fmt.Sprintf("0/%d", len(lab.Tasks))
	return r.save()
}

// stop leaves the lab: its hosts stop, its organisation is discarded, and
// the user's own comes back as it was.
func (r *Runner) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.load()
	if r.saved.Active == "" {
		return ErrNoLab
	}
	if r.net != nil {
		r.net.close()
	}
	name := r.saved.Active
	r.lab, r.net = nil, nil
	labPath := r.LabDataPath()
	if err := r.cfg.Env.Switch(r.cfg.DataPath, nil, func() error { return os.RemoveAll(labPath) }); err != nil {
		return fmt.Errorf("cannot reopen your organisation: %w", err)
	}
	st := r.status(name)
	if st.Passed {
		st.Status = Passed
	} else {
		st.Status = InProgress
	}
	r.saved.Active, r.saved.Path, r.saved.Hints, r.saved.Passed, r.saved.Results, r.saved.Baseline, r.saved.Last = "", "", nil, nil, nil, nil, nil
	return r.save()
}

func (r *Runner) status(name string) *labStatus {
	st := r.saved.Labs[name]
	if st == nil {
		st = &labStatus{Status: NotStarted}
		r.saved.Labs[name] = st
	}
	return st
}

// saveResults records the hosts' last outcomes, so that Get-LabHost
// shows them after a restart.
func (r *Runner) saveResults() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.net != nil {
		r.saved.Last = r.net.results()
		r.save()
	}
}

// running returns the lab in progress and its network, or ErrNoLab.
func (r *Runner) running() (*Lab, *network, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.load()
	if r.lab == nil || r.net == nil {
		return nil, nil, ErrNoLab
	}
	return r.lab, r.net, nil
}

// prologue runs before every lab's setup: the people every lab has.
const prologue = `
New-Mailbox -Name 'Ana Souza' -Alias ana -Password (ConvertTo-SecureString 'Pa$$w0rd-Ana' -AsPlainText -Force) | Out-Null
New-Mailbox -Name 'Ben Smith' -Alias ben -Password (ConvertTo-SecureString 'Pa$$w0rd-Ben' -AsPlainText -Force) | Out-Null
`

// Ben's account: the authenticated user the guards send as (Ana is the
// labs' stories' user).
const (
	probeUser     = "ben"
	probePassword = "Pa$$w0rd-Ben"
)

// isDefaultConnector says whether a receive connector identity is one of
// the five that setup creates.
func isDefaultConnector(identity string) bool {
	name := identity
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	for _, p := range []string{"Default Frontend ", "Default ", "Client Frontend ", "Client Proxy ", "Outbound Proxy Frontend "} {
		if strings.HasPrefix(name, p) && !strings.Contains(name[len(p):], " ") {
			return true
		}
	}
	return false
}

// baselineScript prints one line per receive connector: its identity, a
// tab, and its settings and permissions.
const baselineScript = `Get-ReceiveConnector | ForEach-Object {
  $id = "$($_.Identity)"
  $perm = (Get-ADPermission -Identity $id | ForEach-Object { "$($_.User)|$($_.ExtendedRights)|$($_.Deny)" }) -join ';'
  $id + "` + "`t" + `" + (($_.Bindings -join ',') + ' ' + ($_.RemoteIPRanges -join ',') + ' ' + "$($_.PermissionGroups)" + ' ' + "$($_.AuthMechanism)" + ' ' + "$($_.Enabled)" + ' ' + "$($_.MaxMessageSize)" + ' ' + $perm)
}`

// baseline reads the default connectors' settings.
func baseline(ctx context.Context, sess interface {
	Invoke(context.Context, string) ([]any, error)
}) (map[string]string, error) {
	out, err := sess.Invoke(ctx, baselineScript)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, v := range out {
		id, settings, ok := strings.Cut(fmt.Sprint(v), "\t")
		if ok && isDefaultConnector(id) {
			m[id] = settings
		}
	}
	return m, nil
}
