package eac

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"exsh/shell/interp"
	"exsh/shell/object"
)

// command is an EMS command line under construction. Every value is
// quoted as a PowerShell single-quoted string (a quote doubled), so
// nothing a user typed can end the string and become code.
type command struct {
	name string
	args []string
	show []string // args as Show command logging lists them (secrets hidden)
}

func cmd(name string) *command { return &command{name: name} }

func (c *command) add(arg string) {
	c.args = append(c.args, arg)
	c.show = append(c.show, arg)
}

// Secret adds -Name with a password as a SecureString; the logged command
// line shows a placeholder instead of the password.
func (c *command) Secret(param, v string) *command {
	c.args = append(c.args, "-"+param+" (ConvertTo-SecureString -String "+quote(v)+" -AsPlainText -Force)")
	c.show = append(c.show, "-"+param+" (ConvertTo-SecureString -String '<password>' -AsPlainText -Force)")
	return c
}

// Shown is the command line as Show command logging lists it.
func (c *command) Shown() string {
	if len(c.show) == 0 {
		return c.name
	}
	return c.name + " " + strings.Join(c.show, " ")
}

// quote is a PowerShell single-quoted string literal of s.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Str adds -Name 'value'.
func (c *command) Str(param, v string) *command {
	c.add("-" + param + " " + quote(v))
	return c
}

// Pos adds a positional 'value' (the Identity, as the EAC writes it).
func (c *command) Pos(v string) *command {
	c.add(quote(v))
	return c
}

// Bool adds -Name $true or $false.
func (c *command) Bool(param string, v bool) *command {
	c.add("-" + param + " " + boolText(v))
	return c
}

// Switch adds -Name.
func (c *command) Switch(param string) *command {
	c.add("-" + param)
	return c
}

// Int adds -Name n.
func (c *command) Int(param string, n int64) *command {
	c.add("-" + param + " " + strconv.FormatInt(n, 10))
	return c
}

// List adds -Name 'a','b' ($null for an empty list).
func (c *command) List(param string, vs []string) *command {
	if len(vs) == 0 {
		c.add("-" + param + " $null")
		return c
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	c.add("-" + param + " " + strings.Join(q, ","))
	return c
}

// Raw adds an argument the EAC wrote itself (never user text).
func (c *command) Raw(arg string) *command {
	c.add(arg)
	return c
}

func (c *command) String() string {
	if len(c.args) == 0 {
		return c.name
	}
	return c.name + " " + strings.Join(c.args, " ")
}

func boolText(b bool) string {
	if b {
		return "$true"
	}
	return "$false"
}

// cmdletError is the error a cmdlet reported: its message, as the shell
// prints it in the first line of the error.
type cmdletError struct{ msg string }

func (e *cmdletError) Error() string { return e.msg }

// invoke runs one command line in a fresh shell session and returns the
// objects it wrote, or the first error record it reported.
func (s *Server) invoke(ctx context.Context, line string) ([]any, error) {
	sess := s.cfg.NewSession(io.Discard, io.Discard)
	before := len(sess.Errors())
	out, err := sess.Invoke(ctx, line)
	errs := sess.Errors()
	if n := len(errs) - before; n > 0 {
		// Errors() is newest first: the first one reported is the oldest.
		return out, &cmdletError{msg: errorMessage(errs[n-1])}
	}
	if err != nil {
		var rec *interp.ErrorRecord
		if errors.As(err, &rec) {
			return out, &cmdletError{msg: rec.Message}
		}
		return out, &cmdletError{msg: err.Error()}
	}
	return out, nil
}

func errorMessage(v any) string {
	if rec, ok := v.(*interp.ErrorRecord); ok {
		return rec.Message
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return object.ToString(v)
}

// get runs a read command line and returns its objects.
func (s *Server) get(ctx context.Context, c *command) ([]*object.PSObject, error) {
	out, err := s.invoke(ctx, c.String())
	var objs []*object.PSObject
	for _, v := range out {
		if o, ok := v.(*object.PSObject); ok {
			objs = append(objs, o)
		}
	}
	return objs, err
}

// change runs a command line that changes the organisation, on behalf of
// the signed-in user, and records it for Show command logging.
func (s *Server) change(ctx context.Context, u *userSession, c *command) error {
	_, err := s.changeOut(ctx, u, c)
	return err
}

// changeOut is change for a command whose output the page shows.
func (s *Server) changeOut(ctx context.Context, u *userSession, c *command) ([]any, error) {
	out, err := s.invoke(ctx, c.String())
	lc := LoggedCommand{Time: s.cfg.Now(), Command: c.Shown(), Status: "Completed"}
	if err != nil {
		lc.Status, lc.Error = "Failed", err.Error()
	}
	u.record(lc)
	return out, err
}

// prop reads a property of a shell object as text ("" when absent).
func prop(o *object.PSObject, name string) string {
	v, ok := o.Get(name)
	if !ok || v == nil {
		return ""
	}
	return object.ToString(v)
}

// props reads a multivalued property as a list of texts.
func props(o *object.PSObject, name string) []string {
	v, ok := o.Get(name)
	if !ok || v == nil {
		return nil
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, x := range l {
			out = append(out, object.ToString(x))
		}
		return out
	}
	return []string{object.ToString(v)}
}

// propInt reads a numeric property (0 when absent or not a number).
func propInt(o *object.PSObject, name string) int64 {
	v, ok := o.Get(name)
	if !ok || v == nil {
		return 0
	}
	n, err := object.ToInt64(v)
	if err != nil {
		return 0
	}
	return n
}

// propBool reads a boolean property.
func propBool(o *object.PSObject, name string) bool {
	v, ok := o.Get(name)
	if !ok {
		return false
	}
	b, _ := v.(bool)
	return b
}

// objectView reads a shell object's properties for templates.
type objectView struct{ o *object.PSObject }

// Get returns a property's value.
func (v objectView) Get(name string) (any, bool) { return v.o.Get(name) }

// P is a property as text.
func (v objectView) P(name string) string { return prop(v.o, name) }

// L is a multivalued property as texts.
func (v objectView) L(name string) []string { return props(v.o, name) }

// Time is a date property.
func (v objectView) Time(name string) (time.Time, bool) {
	x, ok := v.o.Get(name)
	if !ok {
		return time.Time{}, false
	}
	t, ok := x.(time.Time)
	return t, ok && !t.IsZero()
}
