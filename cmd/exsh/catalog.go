package main

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"exsh/shell/interp"
	"exsh/shell/remote"
	"exsh/shell/repl"
)

// commonParams are PowerShell's common parameters, which every cmdlet
// accepts; the binder handles them, so they are not in each ParamInfo.
var commonParams = []*repl.ParamInfo{
	{Name: "ErrorAction", Help: "How to respond to a non-terminating error.", Position: -1,
		Values: []string{"Break", "Continue", "Ignore", "Inquire", "SilentlyContinue", "Stop", "Suspend"}},
	{Name: "WarningAction", Help: "How to respond to a warning.", Position: -1,
		Values: []string{"Break", "Continue", "Ignore", "Inquire", "SilentlyContinue", "Stop", "Suspend"}},
	{Name: "ErrorVariable", Help: "Stores errors about the command in the named variable.", Position: -1},
	{Name: "OutVariable", Help: "Stores output objects in the named variable.", Position: -1},
	{Name: "Verbose", Help: "Displays detailed information about the operation.", Switch: true, Position: -1},
	{Name: "Debug", Help: "Displays programmer-level detail about the operation.", Switch: true, Position: -1},
}

var shouldProcessParams = []*repl.ParamInfo{
	{Name: "WhatIf", Help: "Shows what would happen if the cmdlet runs. The cmdlet is not run.", Switch: true, Position: -1},
	{Name: "Confirm", Help: "Prompts you for confirmation before running the cmdlet.", Switch: true, Position: -1},
}

// isPathParam says whether a parameter takes a file path, for completion.
func isPathParam(p *interp.ParamInfo) bool {
	if p.Kind != interp.KindString && p.Kind != interp.KindObject {
		return false
	}
	switch strings.ToLower(p.Name) {
	case "path", "literalpath", "filepath", "outfile", "attachments", "destination":
		return true
	}
	return false
}

// isCommandParam says whether a parameter takes a command name.
func isCommandParam(c *interp.CmdletInfo, p *interp.ParamInfo) bool {
	switch c.Name {
	case "Get-Help", "Get-Command":
		return strings.EqualFold(p.Name, "Name")
	}
	return false
}

// cmdletParams converts a cmdlet's parameters, adding the common ones.
func cmdletParams(c *interp.CmdletInfo) []*repl.ParamInfo {
	var out []*repl.ParamInfo
	have := map[string]bool{}
	for _, p := range c.Params {
		have[strings.ToLower(p.Name)] = true
		out = append(out, &repl.ParamInfo{
			Name:        p.Name,
			Help:        p.Help,
			Values:      p.Values,
			Array:       p.Array,
			Switch:      p.Kind == interp.KindSwitch,
			Completable: p.Complete != nil,
			Path:        isPathParam(p),
			Command:     isCommandParam(c, p),
			Position:    p.Position,
		})
	}
	extra := commonParams
	if c.SupportsShouldProcess {
		extra = append(append([]*repl.ParamInfo(nil), shouldProcessParams...), commonParams...)
	}
	for _, p := range extra {
		if !have[strings.ToLower(p.Name)] {
			out = append(out, p)
		}
	}
	return out
}

func cmdletToRepl(c *interp.CmdletInfo) *repl.CommandInfo {
	return &repl.CommandInfo{Name: c.Name, Aliases: c.Aliases, Synopsis: c.Synopsis, Params: cmdletParams(c)}
}

func cmdletToRemote(c *interp.CmdletInfo) remote.Command {
	rc := remote.Command{Name: c.Name, Aliases: c.Aliases, Synopsis: c.Synopsis}
	for _, p := range cmdletParams(c) {
		rc.Params = append(rc.Params, remote.Param{Name: p.Name, Help: p.Help, Values: p.Values,
			Array: p.Array, Switch: p.Switch, Completable: p.Completable, Path: p.Path, Command: p.Command, Position: p.Position})
	}
	return rc
}

func remoteToRepl(rc remote.Command) *repl.CommandInfo {
	c := &repl.CommandInfo{Name: rc.Name, Aliases: rc.Aliases, Synopsis: rc.Synopsis}
	for _, p := range rc.Params {
		c.Params = append(c.Params, &repl.ParamInfo{Name: p.Name, Help: p.Help, Values: p.Values,
			Array: p.Array, Switch: p.Switch, Completable: p.Completable, Path: p.Path, Command: p.Command, Position: p.Position})
	}
	return c
}

// completeParam runs a parameter's value completion, bounded in time so a
// slow store never freezes the prompt.
func completeParam(ctx context.Context, cmds []*interp.CmdletInfo, command, param, prefix string) []string {
	for _, c := range cmds {
		if !strings.EqualFold(c.Name, command) {
			continue
		}
		for _, p := range c.Params {
			if strings.EqualFold(p.Name, param) && p.Complete != nil {
				ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				return p.Complete(ctx, prefix)
			}
		}
	}
	return nil
}

// variableNames lists a session's variables, sorted.
func variableNames(sess *interp.Session) []string {
	names := make([]string, 0, len(sess.Variables()))
	for name := range sess.Variables() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// localCatalog completes from a session in this process. It is used on
// the prompt's goroutine only, between statements.
type localCatalog struct {
	sess *interp.Session

	n    int // len(sess.Commands()) when cmds was built
	cmds []*repl.CommandInfo
}

func (l *localCatalog) Commands() []*repl.CommandInfo {
	all := l.sess.Commands()
	if l.cmds == nil || len(all) != l.n {
		l.cmds = make([]*repl.CommandInfo, len(all))
		for i, c := range all {
			l.cmds[i] = cmdletToRepl(c)
		}
		l.n = len(all)
	}
	return l.cmds
}

func (l *localCatalog) Variables() []string { return variableNames(l.sess) }

func (l *localCatalog) CompleteValue(ctx context.Context, command, param, prefix string) []string {
	return completeParam(ctx, l.sess.Commands(), command, param, prefix)
}

// remoteCatalog completes from a session attached to a server: the command
// table is fetched once; variables and identities are asked for as needed.
type remoteCatalog struct {
	c *remote.Client

	once sync.Once
	cmds []*repl.CommandInfo
}

func (r *remoteCatalog) Commands() []*repl.CommandInfo {
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		table, err := r.c.Commands(ctx)
		if err != nil {
			return
		}
		for _, rc := range table {
			r.cmds = append(r.cmds, remoteToRepl(rc))
		}
	})
	return r.cmds
}

func (r *remoteCatalog) Variables() []string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	names, _ := r.c.Variables(ctx)
	return names
}

func (r *remoteCatalog) CompleteValue(ctx context.Context, command, param, prefix string) []string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	items, _ := r.c.Complete(ctx, command, param, prefix)
	return items
}
