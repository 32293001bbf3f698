package interp

import (
	"os"
	"strings"

	"exsh/shell/object"
)

// scope holds variables; lookups walk to the parent, as PowerShell's
// dynamic scoping does (a function's scope is a child of its caller's).
type scope struct {
	vars   map[string]*variable
	parent *scope
	// funcs are the functions defined in this scope (nil until one is).
	funcs map[string]*function
}

// lookupFunction finds a function visible from this scope.
func (sc *scope) lookupFunction(name string) *function {
	k := strings.ToLower(name)
	for s := sc; s != nil; s = s.parent {
		if fn, ok := s.funcs[k]; ok {
			return fn
		}
	}
	return nil
}

// snapshot copies every variable visible from sc into a new scope whose
// parent is global: the captured state of GetNewClosure().
func (sc *scope) snapshot(global *scope) *scope {
	out := newScope(global)
	for s := sc; s != nil; s = s.parent {
		for k, v := range s.vars {
			if _, seen := out.vars[k]; !seen {
				c := *v
				out.vars[k] = &c
			}
		}
	}
	return out
}

// variable is one variable; typ is a type constraint from [int]$x = ...
type variable struct {
	name  string
	value any
	typ   string
}

func newScope(parent *scope) *scope {
	return &scope{vars: make(map[string]*variable, 4), parent: parent}
}

func (sc *scope) lookup(name string) *variable {
	k := strings.ToLower(name)
	for s := sc; s != nil; s = s.parent {
		if v, ok := s.vars[k]; ok {
			return v
		}
	}
	return nil
}

// set assigns in this scope, honouring an existing local type constraint.
func (sc *scope) set(name string, value any) {
	k := strings.ToLower(name)
	if v, ok := sc.vars[k]; ok {
		v.value = value
		return
	}
	sc.vars[k] = &variable{name: name, value: value}
}

// keep notes the scope's own variables of these names and returns the
// function that puts them back as they were (removing those it lacked).
func (sc *scope) keep(names ...string) func() error {
	saved := make(map[string]*variable, len(names))
	for _, n := range names {
		k := strings.ToLower(n)
		if v, ok := sc.vars[k]; ok {
			c := *v
			saved[k] = &c
		} else {
			saved[k] = nil
		}
	}
	return func() error {
		for k, v := range saved {
			if v == nil {
				delete(sc.vars, k)
			} else {
				sc.vars[k] = v
			}
		}
		return nil
	}
}

func (sc *scope) remove(name string) bool {
	k := strings.ToLower(name)
	for s := sc; s != nil; s = s.parent {
		if _, ok := s.vars[k]; ok {
			delete(s.vars, k)
			return true
		}
	}
	return false
}

// automatic variable names that the frame computes.
func (f *frame) lookupVar(scopeName, name string) (any, bool) {
	switch strings.ToLower(scopeName) {
	case "env":
		if v, ok := f.s.env[strings.ToLower(name)]; ok {
			if v == nil {
				return nil, false
			}
			return *v, true
		}
		v, ok := os.LookupEnv(name)
		return v, ok
	case "global":
		if v := f.s.global.lookup(name); v != nil {
			return v.value, true
		}
		return nil, false
	case "script":
		sc := f.scriptScope()
		if v := sc.lookup(name); v != nil {
			return v.value, true
		}
		return nil, false
	case "local", "private":
		if v, ok := f.sc.vars[strings.ToLower(name)]; ok {
			return v.value, true
		}
		return nil, false
	}
	switch strings.ToLower(name) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	case "?":
		return f.s.lastOK, true
	case "error":
		return errorList(f.s.errs), true
	case "psitem":
		name = "_"
	case "pwd":
		// Set-Location keeps the session's location as a PathInfo in the
		// global $PWD; before that it is the process directory.
		if v := f.s.global.lookup(name); v != nil && v.value != nil {
			return v.value, true
		}
		wd, _ := os.Getwd()
		return pathInfo(wd), true
	case "host":
		h := object.New("System.Management.Automation.Internal.Host.InternalHost")
		h.Add("Name", "ConsoleHost").Add("Version", "5.1.17763.1")
		return h, true
	case "executioncontext":
		return nil, true
	}
	if v := f.sc.lookup(name); v != nil {
		return v.value, true
	}
	return nil, false
}

func (f *frame) scriptScope() *scope { return f.s.global }

// setVar assigns a variable, converting to its type constraint.
func (f *frame) setVar(scopeName, name string, value any) error {
	var sc *scope
	switch strings.ToLower(scopeName) {
	case "env":
		if value == nil {
			f.s.env[strings.ToLower(name)] = nil
		} else {
			s := object.ToString(value)
			f.s.env[strings.ToLower(name)] = &s
		}
		return nil
	case "global":
		sc = f.s.global
	case "script":
		sc = f.scriptScope()
	default:
		sc = f.sc
	}
	switch strings.ToLower(name) {
	case "true", "false", "null":
		if strings.ToLower(name) == "null" {
			return nil // $null = ... discards
		}
		return runtimeError("WriteError", "SessionStateUnauthorizedAccessException", "VariableNotWritable",
			"Cannot overwrite variable %s because it is read-only or constant.", name)
	case "?":
		return nil
	case "psitem":
		name = "_"
	}
	k := strings.ToLower(name)
	if v, ok := sc.vars[k]; ok {
		if v.typ != "" {
			c, err := object.Convert(value, v.typ)
			if err != nil {
				return convErr(err)
			}
			value = c
		}
		v.value = value
		return nil
	}
	sc.vars[k] = &variable{name: name, value: value}
	return nil
}

// constrainVar sets a variable with a type constraint ([int]$x = 5).
func (f *frame) constrainVar(scopeName, name, typ string, value any) error {
	c, err := object.Convert(value, typ)
	if err != nil {
		return convErr(err)
	}
	sc := f.sc
	switch strings.ToLower(scopeName) {
	case "global":
		sc = f.s.global
	case "script":
		sc = f.scriptScope()
	}
	sc.vars[strings.ToLower(name)] = &variable{name: name, value: c, typ: typ}
	return nil
}

// pathString is a PathInfo's base value: it shows as the path.
type pathString string

func (p pathString) String() string { return string(p) }

// pathInfo is a System.Management.Automation.PathInfo for a directory, as
// $PWD and Get-Location give.
func pathInfo(dir string) *object.PSObject {
	o := object.New("System.Management.Automation.PathInfo", "System.Object")
	o.Add("Drive", "").Add("Provider", `Microsoft.PowerShell.Core\FileSystem`).Add("ProviderPath", dir).Add("Path", dir)
	o.Base = pathString(dir)
	o.StringProperty = "Path"
	return o
}
