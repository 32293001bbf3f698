package labs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/syntax"
)

// DataFile is the name of a lab's data file inside its folder.
const DataFile = "lab.psd1"

// Lab is one training lab as its folder describes it.
type Lab struct {
	Name    string
	Title   string
	Level   string // Beginner, Intermediate, Advanced
	Teaches string // one line: what the lab teaches
	Story   string
	Hosts   []*HostSpec
	Tasks   []*Task
	Guards  []*Task
	// Setup and Solution are the scripts' texts (setup.ps1, solution.ps1).
	Setup    string
	Solution string
	// Source says where the lab came from: "built-in" or the folder.
	Source string
}

// Task is one thing the student must achieve (or, as a guard, must not
// break), with the check that proves it.
type Task struct {
	Title string
	Hints []string
	Check *interp.ScriptBlock
	// Builtin names a built-in guard ("NoOpenRelay", ...); Check is then
	// the guard's own script.
	Builtin string
}

// HostSpec is one simulated host: a sender (device, application,
// appliance, spammer, partner server) or a receiver (a partner's or the
// Internet's mail server).
type HostSpec struct {
	Name    string
	Address netip.Addr
	Role    string
	// Receiver hosts run an SMTP server and answer for Domains ("*": every
	// domain no other receiver claims).
	Receiver bool
	Domains  []string
	// Sender hosts send From -> To on Port (25, or 587 with an account).
	From, To, Subject string
	Port              int
	User, Password    string
	// HeloName is what the host says in EHLO; empty means its Name.
	HeloName string
	// Size pads the message body to about this many bytes.
	Size int
	// Every is the schedule: send once every so often while the lab runs;
	// 0 means only on demand (Invoke-LabHost).
	Every time.Duration
	// AtStart sends one message when the lab starts (hosts with a
	// schedule always do).
	AtStart bool
	// Hidden hosts do not show their address in Get-LabHost: finding it
	// is the student's task.
	Hidden bool
}

// Sender reports whether the host sends mail.
func (h *HostSpec) Sender() bool { return !h.Receiver }

// Schedule is the text Get-LabHost shows.
func (h *HostSpec) Schedule() string {
	switch {
	case h.Receiver:
		return "Listening"
	case h.Every > 0:
		return "Every " + h.Every.String()
	case h.AtStart:
		return "At start, then on demand"
	}
	return "On demand"
}

// minEvery bounds a schedule: no host sends more often than this.
const minEvery = 30 * time.Second

// LoadError is a lab folder that cannot be used: the file, the line (0
// when the problem is not on one line) and what is wrong.
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Load reads the lab in dir of fsys. source labels the lab's origin and
// prefixes file names in errors.
func Load(fsys fs.FS, dir, source string) (*Lab, error) {
	file := path.Join(dir, DataFile)
	label := func(name string) string {
		if source == "built-in" {
			return name
		}
		return strings.TrimSuffix(source, "/") + "/" + path.Base(name)
	}
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, &LoadError{File: label(file), Msg: "no lab data file: " + errors.Unwrap(err).Error()}
	}
	lab, err := parseData(string(data), label(file))
	if err != nil {
		return nil, err
	}
	lab.Source = source
	for _, s := range []struct {
		name string
		dst  *string
		need bool
	}{{"setup.ps1", &lab.Setup, false}, {"solution.ps1", &lab.Solution, true}} {
		b, err := fs.ReadFile(fsys, path.Join(dir, s.name))
		if err != nil {
			if s.need {
				return nil, &LoadError{File: label(path.Join(dir, s.name)), Msg: "missing: every lab has a solution"}
			}
			continue
		}
		if perr := interp.Parse(string(b), s.name); perr != nil {
			return nil, parseLoadError(perr, label(path.Join(dir, s.name)))
		}
		*s.dst = string(b)
	}
	return lab, nil
}

// parseLoadError turns a syntax error into a LoadError naming its line.
func parseLoadError(err error, file string) error {
	var pe *syntax.ParseError
	if errors.As(err, &pe) {
		return &LoadError{File: file, Line: pe.Line, Msg: pe.Msg}
	}
	return &LoadError{File: file, Msg: err.Error()}
}

// parseData evaluates a lab data file: one hashtable literal in the
// shell's own syntax. It runs in a session with no commands, so a data
// file can hold values and script blocks but do nothing.
func parseData(text, file string) (*Lab, error) {
	if err := interp.Parse(text, file); err != nil {
		return nil, parseLoadError(err, file)
	}
	sess := interp.NewSession(interp.Config{})
	out, err := sess.Invoke(context.Background(), text)
	if err != nil || len(out) != 1 {
		return nil, &LoadError{File: file, Line: 1, Msg: "the data file must be one hashtable: @{ Name = ...; Tasks = @(...) }"}
	}
	h, ok := out[0].(*object.Hashtable)
	if !ok {
		return nil, &LoadError{File: file, Line: 1, Msg: "the data file must be one hashtable: @{ Name = ...; Tasks = @(...) }"}
	}
	d := &dataReader{file: file, text: text}
	lab := &Lab{
		Name:    d.str(h, "Name", true),
		Title:   d.str(h, "Title", true),
		Level:   d.str(h, "Level", false),
		Teaches: d.str(h, "Teaches", false),
		Story:   strings.TrimSpace(d.str(h, "Story", true)),
	}
	if lab.Level == "" {
		lab.Level = "Beginner"
	}
	d.known(h, "", "Name", "Title", "Level", "Teaches", "Story", "Hosts", "Tasks", "Guards")
	if lab.Name != "" && !validName(lab.Name) {
		d.fail("Name", "a lab's Name is lower-case letters, digits and dashes, such as scanner-relay")
	}
	for i, v := range d.list(h, "Hosts") {
		if hs := d.host(v, i); hs != nil {
			lab.Hosts = append(lab.Hosts, hs)
		}
	}
	tasks := d.list(h, "Tasks")
	if len(tasks) == 0 && d.err == nil {
		d.fail("Tasks", "a lab needs at least one task: Tasks = @( @{ Title = ...; Check = { ... } } )")
	}
	for i, v := range tasks {
		if t := d.task(v, fmt.Sprintf("Tasks[%d]", i), false); t != nil {
			lab.Tasks = append(lab.Tasks, t)
		}
	}
	for i, v := range d.list(h, "Guards") {
		if t := d.task(v, fmt.Sprintf("Guards[%d]", i), true); t != nil {
			lab.Guards = append(lab.Guards, t)
		}
	}
	if d.err == nil {
		d.checkHosts(lab)
	}
	if d.err != nil {
		return nil, d.err
	}
	return lab, nil
}

func validName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return s != ""
}

// dataReader reads a data file's hashtables, keeping the first error with
// the line of the key it concerns.
type dataReader struct {
	file, text string
	err        error
}

// fail records an error about key, on the first line that assigns it.
func (d *dataReader) fail(key, msg string) {
	if d.err != nil {
		return
	}
	d.err = &LoadError{File: d.file, Line: d.lineOf(key), Msg: msg}
}

// lineOf finds the first line that assigns key (`Key =`), else 1.
func (d *dataReader) lineOf(key string) int {
	if i := strings.IndexByte(key, '['); i >= 0 {
		// Tasks[2].Check: the line of the list, then the n-th entry.
		base := key[:i]
		n, _ := strconv.Atoi(key[i+1 : strings.IndexByte(key, ']')])
		rest := ""
		if j := strings.IndexByte(key, '.'); j >= 0 {
			rest = key[j+1:]
		}
		start := d.lineOf(base)
		if rest == "" {
			return start
		}
		seen := -1
		lines := strings.Split(d.text, "\n")
		for ln := start; ln <= len(lines); ln++ {
			if keyOnLine(lines[ln-1], rest) {
				seen++
				if seen == n {
					return ln
				}
			}
		}
		return start
	}
	for i, l := range strings.Split(d.text, "\n") {
		if keyOnLine(l, key) {
			return i + 1
		}
	}
	return 1
}

func keyOnLine(line, key string) bool {
	l := strings.ToLower(line)
	k := strings.ToLower(key)
	for i := strings.Index(l, k); i >= 0; {
		before := i == 0 || !isWord(l[i-1])
		after := strings.TrimLeft(l[i+len(k):], " \t")
		if before && strings.HasPrefix(after, "=") {
			return true
		}
		j := strings.Index(l[i+1:], k)
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

func isWord(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
}

func get(h *object.Hashtable, key string) (any, bool) {
	for _, k := range h.Keys() {
		if s, ok := k.(string); ok && strings.EqualFold(s, key) {
			return h.Get(k)
		}
	}
	return nil, false
}

// known fails on a key the format does not define (a typo would
// otherwise be ignored).
func (d *dataReader) known(h *object.Hashtable, where string, keys ...string) {
	for _, k := range h.Keys() {
		s, _ := k.(string)
		ok := false
		for _, want := range keys {
			if strings.EqualFold(s, want) {
				ok = true
			}
		}
		if !ok {
			d.fail(s, fmt.Sprintf("unknown key %q%s; the keys are %s", s, where, strings.Join(keys, ", ")))
		}
	}
}

func (d *dataReader) str(h *object.Hashtable, key string, need bool) string {
	v, ok := get(h, key)
	if !ok || v == nil {
		if need {
			d.fail(key, "missing "+key)
		}
		return ""
	}
	switch s := v.(type) {
	case string:
		if need && strings.TrimSpace(s) == "" {
			d.fail(key, key+" is empty")
		}
		return s
	case fmt.Stringer:
		return s.String()
	}
	return fmt.Sprint(v)
}

func (d *dataReader) list(h *object.Hashtable, key string) []any {
	v, ok := get(h, key)
	if !ok || v == nil {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func (d *dataReader) strs(h *object.Hashtable, key string) []string {
	var out []string
	for _, v := range d.list(h, key) {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func (d *dataReader) host(v any, i int) *HostSpec {
	where := fmt.Sprintf("Hosts[%d]", i)
	h, ok := v.(*object.Hashtable)
	if !ok {
		d.fail("Hosts", where+" must be a hashtable: @{ Name = 'Scanner'; Address = '127.0.0.50'; ... }")
		return nil
	}
	d.known(h, " in "+where, "Name", "Address", "Role", "Domains", "From", "To", "Subject", "Port", "User", "Password", "Helo", "Size", "Every", "AtStart", "Hidden")
	hs := &HostSpec{
		Name:     d.str(h, "Name", true),
		Role:     d.str(h, "Role", true),
		Domains:  d.strs(h, "Domains"),
		From:     d.str(h, "From", false),
		To:       d.str(h, "To", false),
		Subject:  d.str(h, "Subject", false),
		User:     d.str(h, "User", false),
		Password: d.str(h, "Password", false),
		HeloName: d.str(h, "Helo", false),
	}
	addr := d.str(h, "Address", true)
	a, err := netip.ParseAddr(addr)
	if addr != "" && (err != nil || !a.Is4() || !a.IsLoopback() || a == netip.MustParseAddr("127.0.0.1")) {
		d.fail(where+".Address", fmt.Sprintf("%s: Address %q must be a loopback address 127.0.0.2 to 127.255.255.254 (127.0.0.1 is the Exchange server)", hs.Name, addr))
	}
	hs.Address = a
	hs.Receiver = len(hs.Domains) > 0
	hs.AtStart = d.bool(h, "AtStart", where, hs.Name)
	hs.Hidden = d.bool(h, "Hidden", where, hs.Name)
	hs.Port = d.int(h, "Port", where)
	hs.Size = d.int(h, "Size", where)
	if every := d.int(h, "Every", where); every > 0 {
		hs.Every = time.Duration(every) * time.Second
		if hs.Every < minEvery {
			d.fail(where+".Every", fmt.Sprintf("%s: Every is %ds; hosts send at most once every %s", hs.Name, every, minEvery))
		}
	}
	if !hs.Receiver {
		if hs.Port == 0 {
			hs.Port = 25
		}
		if hs.From == "" || hs.To == "" {
			d.fail("Hosts", fmt.Sprintf("%s: a sending host needs From and To (a receiving host needs Domains)", hs.Name))
		}
	}
	return hs
}

func (d *dataReader) bool(h *object.Hashtable, key, where, name string) bool {
	v, ok := get(h, key)
	if !ok {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		d.fail(where+"."+key, name+": "+key+" is $true or $false")
	}
	return b
}

func (d *dataReader) int(h *object.Hashtable, key, where string) int {
	v, ok := get(h, key)
	if !ok || v == nil {
		return 0
	}
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case string:
		if i, err := strconv.Atoi(n); err == nil {
			return i
		}
	}
	d.fail(where+"."+key, fmt.Sprintf("%s must be a number, not %v", key, v))
	return 0
}

func (d *dataReader) task(v any, where string, guard bool) *Task {
	if s, ok := v.(string); ok && guard {
		g, ok := builtinGuards[strings.ToLower(s)]
		if !ok {
			names := make([]string, 0, len(builtinGuards))
			for _, g := range builtinGuards {
				names = append(names, g.Builtin)
			}
			sort.Strings(names)
			d.fail("Guards", fmt.Sprintf("unknown guard %q; the built-in guards are %s, or write @{ Title = ...; Check = { ... } }", s, strings.Join(names, ", ")))
			return nil
		}
		return g
	}
	h, ok := v.(*object.Hashtable)
	if !ok {
		d.fail(where, where+" must be a hashtable: @{ Title = ...; Hints = @(...); Check = { ... } }")
		return nil
	}
	d.known(h, " in "+where, "Title", "Hints", "Check")
	t := &Task{Title: d.str(h, "Title", true), Hints: d.strs(h, "Hints")}
	c, _ := get(h, "Check")
	sb, ok := c.(*interp.ScriptBlock)
	if !ok {
		d.fail(where+".Title", fmt.Sprintf("%s (%s) needs Check = { ... }: a script block that throws when the task is not done", where, t.Title))
		return nil
	}
	t.Check = sb
	if !guard && len(t.Hints) == 0 {
		d.fail(where+".Title", fmt.Sprintf("%s (%s) needs at least one hint", where, t.Title))
	}
	return t
}

// checkHosts checks what concerns several hosts: unique names and
// addresses, one catch-all receiver at most.
func (d *dataReader) checkHosts(lab *Lab) {
	names := map[string]bool{}
	addrs := map[netip.Addr]string{}
	catchAll := ""
	for _, h := range lab.Hosts {
		k := strings.ToLower(h.Name)
		if names[k] || strings.EqualFold(h.Name, StrangerName) {
			d.fail("Hosts", fmt.Sprintf("two hosts are named %s (%s is the built-in probe)", h.Name, StrangerName))
		}
		names[k] = true
		if o, ok := addrs[h.Address]; ok || h.Address == strangerAddr {
			d.fail("Hosts", fmt.Sprintf("%s and %s share the address %s (%s is the built-in probe's)", o, h.Name, h.Address, strangerAddr))
		}
		addrs[h.Address] = h.Name
		for _, dom := range h.Domains {
			if dom == "*" {
				if catchAll != "" {
					d.fail("Hosts", fmt.Sprintf("%s and %s both answer for every domain (*)", catchAll, h.Name))
				}
				catchAll = h.Name
			}
		}
	}
}
