package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"exsh/cmdlets/utility"
	"exsh/shell/interp"
	"exsh/shell/remote"
	"exsh/shell/repl"
	"exsh/state"
)

// attach connects to the process serving the data path. It returns nil
// when there is none (the caller then opens the data path itself); other
// failures are reported and returned as err.
func (p *program) attach(ctx context.Context) (*remote.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := remote.Dial(dctx, remote.SocketPath(p.dataPath))
	if err == nil {
		return c, nil
	}
	if errors.Is(err, remote.ErrNoServer) {
		return nil, nil
	}
	if errors.Is(err, remote.ErrPathTooLong) {
		// Nobody can serve this data path over a socket.
		return nil, nil
	}
	return nil, fmt.Errorf("cannot attach to the exsh process serving %s: %w", p.dataPath, err)
}

// runScript runs -Command text or a -File script and returns the exit
// status.
func (p *program) runScript(src, filename string, args []string) int {
	ctx, stop := signalContext()
	defer stop()
	width := outputWidth(p.stdout)

	c, err := p.attach(ctx)
	if err != nil {
		fmt.Fprintf(p.stderr, "exsh: %v\n", err)
		return 1
	}
	if c != nil {
		defer c.Close()
		res, err := c.Run(ctx, &remote.RunRequest{Script: src, Filename: filename, Args: args, Width: width, Dir: workDir()}, p.stdout, p.stderr)
		if err != nil {
			fmt.Fprintf(p.stderr, "exsh: %v\n", err)
			return 1
		}
		return res.ExitCode
	}

	h := newHost(p.dataPath, p.opts, p.stderr)
	defer h.close()
	vars := map[string]any{}
	if filename != "" {
		vars["args"] = scriptArgs(args)
		vars["PSCommandPath"] = filename
		vars["PSScriptRoot"] = filepath.Dir(filename)
	}
	sess := h.newSession(p.stdout, p.stderr, width, vars)
	code, _ := runIn(ctx, sess, src, filename, p.stderr)
	if code == 1 && errors.Is(h.lastOpenErr(), errServed) {
		// A server appeared while this script waited for the store: say
		// what to do rather than leave a bare failure.
		fmt.Fprintf(p.stderr, "exsh: the data path %s became served by another exsh process while this script ran; run it again to attach\n", p.dataPath)
	}
	return code
}

// runStdin runs statements read from standard input, one at a time as each
// becomes complete (exsh -Command -, or a script piped to exsh).
func (p *program) runStdin() int {
	ctx, stop := signalContext()
	defer stop()
	width := outputWidth(p.stdout)

	c, err := p.attach(ctx)
	if err != nil {
		fmt.Fprintf(p.stderr, "exsh: %v\n", err)
		return 1
	}
	if c != nil {
		defer c.Close()
		dir := workDir()
		return repl.RunLines(ctx, p.stdin, incomplete, func(ctx context.Context, src string) (int, bool) {
			res, err := c.Run(ctx, &remote.RunRequest{Script: src, Width: width, Dir: dir}, p.stdout, p.stderr)
			if err != nil {
				fmt.Fprintf(p.stderr, "exsh: %v\n", err)
				return 1, true
			}
			return res.ExitCode, res.Exit
		})
	}
	h := newHost(p.dataPath, p.opts, p.stderr)
	defer h.close()
	sess := h.newSession(p.stdout, p.stderr, width, nil)
	return repl.RunLines(ctx, p.stdin, incomplete, func(ctx context.Context, src string) (int, bool) {
		return runIn(ctx, sess, src, "", p.stderr)
	})
}

// own opens the data path for this process (store, setup, engine) and
// starts serving management sessions on its socket. When another process
// already serves it, it returns a nil host and no error.
func (p *program) own() (*host, func(), error) {
	h := newHost(p.dataPath, p.opts, p.stderr)
	h.engineLog = slog.LevelWarn
	if err := h.ensureOpen(); err != nil {
		if errors.Is(err, errServed) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	l, err := remote.Listen(remote.SocketPath(p.dataPath))
	if errors.Is(err, remote.ErrPathTooLong) {
		// The data path is served here alone; others get a clear "in use".
		fmt.Fprintf(p.stderr, "WARNING: other exsh processes cannot attach: %v\n", err)
		h.web = h.startEAC()
		return h, h.close, nil
	}
	if err != nil {
		h.close()
		if errors.Is(err, remote.ErrInUse) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("cannot accept management sessions: %w", err)
	}
	h.web = h.startEAC()
	srv := &remote.Server{
		Name:       h.serverName(),
		DataPath:   p.dataPath,
		NewSession: h.remoteSession,
		ErrorLog:   log.New(p.stderr, "exsh: ", 0),
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(l)
	}()
	shutdown := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-served
		h.close()
	}
	return h, shutdown, nil
}

// serve is exsh -Serve: run the engine until SIGINT or SIGTERM and accept
// management sessions meanwhile.
func (p *program) serve() int {
	ctx, stop := signalContext()
	defer stop()
	if c, _ := p.attach(ctx); c != nil {
		c.Close()
		fmt.Fprintf(p.stderr, "exsh: the data path %s is already served by exsh process %d\n", p.dataPath, c.PID)
		return 1
	}
	h, shutdown, err := p.own()
	if err != nil {
		fmt.Fprintf(p.stderr, "exsh: %v\n", err)
		return 1
	}
	if h == nil {
		fmt.Fprintf(p.stderr, "exsh: the data path %s is already served by another exsh process\n", p.dataPath)
		return 1
	}
	defer shutdown()
	if h.engine() == nil {
		// The warning says why; a server without its engine is no use.
		return 1
	}
	if !p.opts.noLogo {
		p.banner(h)
		fmt.Fprintf(p.stdout, "Serving %s (process %d). Press Ctrl+C to stop.\n", p.dataPath, os.Getpid())
	}
	releaseStartupPages()
	<-ctx.Done()
	if !p.opts.noLogo {
		fmt.Fprintln(p.stdout, "Stopping the transport engine...")
	}
	return 0
}

// banner prints which endpoint each enabled connector listens on.
func (p *program) banner(h *host) {
	eng := h.engine()
	if eng == nil {
		return
	}
	for _, line := range endpointLines(eng) {
		fmt.Fprintln(p.stdout, line)
	}
	if line := h.backendLine(); line != "" {
		fmt.Fprintln(p.stdout, line)
	}
	if h.web != nil {
		fmt.Fprintln(p.stdout, h.eacLine(h.web))
	}
	if line := h.orgLine(); line != "" {
		fmt.Fprintln(p.stdout, line)
	}
}

// interactive is exsh on a terminal: the REPL, on a session of its own
// (owning the data path and serving others) or attached to the owner.
func (p *program) interactive() int {
	ctx := context.Background()
	in := p.stdin.(*os.File)

	c, err := p.attach(ctx)
	if err != nil {
		fmt.Fprintf(p.stderr, "exsh: %v\n", err)
		return 1
	}
	if c == nil {
		h, shutdown, err := p.own()
		if err != nil {
			fmt.Fprintf(p.stderr, "exsh: %v\n", err)
			return 1
		}
		if h != nil {
			defer shutdown()
			return p.interactiveLocal(ctx, in, h)
		}
		// Someone else got there first.
		if c, err = p.attach(ctx); err != nil || c == nil {
			fmt.Fprintf(p.stderr, "exsh: the data path %s is in use and cannot be attached to\n", p.dataPath)
			return 1
		}
	}
	defer c.Close()
	return p.interactiveRemote(ctx, in, c)
}

func (p *program) interactiveLocal(ctx context.Context, in *os.File, h *host) int {
	if !p.opts.noLogo {
		greet(p.stdout)
		p.banner(h)
		fmt.Fprintln(p.stdout)
	}
	ask := &terminalConfirm{in: in, out: p.stdout}
	sess := h.newSessionConfirm(p.stdout, p.stderr, outputWidth(p.stdout), nil, ask.confirm)
	code, err := repl.Run(ctx, repl.Config{
		In:     in,
		Out:    p.stdout,
		Prompt: func() string { return promptFor(p.dataPath, sessionLocation(sess)) },
		Execute: func(ctx context.Context, src string) (int, bool) {
			setSessionWidth(sess, outputWidth(p.stdout))
			ask.reset()
			return runIn(ctx, sess, src, "", p.stderr)
		},
		Incomplete:  incomplete,
		Catalog:     &localCatalog{sess: sess},
		HistoryFile: filepath.Join(p.dataPath, "history"),
	})
	if errors.Is(err, repl.ErrNotTerminal) {
		// A terminal without a controlling tty (setsid): read lines.
		sctx, stop := signalContext()
		defer stop()
		return repl.RunLines(sctx, in, incomplete, func(ctx context.Context, src string) (int, bool) {
			setSessionWidth(sess, outputWidth(p.stdout))
			return runIn(ctx, sess, src, "", p.stderr)
		})
	}
	if err != nil {
		fmt.Fprintf(p.stderr, "exsh: %v\n", err)
		return 1
	}
	return code
}

func (p *program) interactiveRemote(ctx context.Context, in *os.File, c *remote.Client) int {
	if !p.opts.noLogo {
		greet(p.stdout)
		fmt.Fprintf(p.stdout, "Connected to %s: exsh process %d serves %s.\n\n", c.Server, c.PID, c.DataPath)
	}
	location := workDir()
	ask := &terminalConfirm{in: in, out: p.stdout}
	c.Confirm = ask.confirm
	code, err := repl.Run(ctx, repl.Config{
		In:     in,
		Out:    p.stdout,
		Prompt: func() string { return promptFor(p.dataPath, location) },
		Execute: func(ctx context.Context, src string) (int, bool) {
			ask.reset()
			res, err := c.Run(ctx, &remote.RunRequest{Script: src, Width: outputWidth(p.stdout), Terminal: isTerminal(p.stdout), Interactive: true, Dir: workDir()}, p.stdout, p.stderr)
			if err != nil {
				fmt.Fprintf(p.stderr, "exsh: %v\n", err)
				return 1, true
			}
			if res.Location != "" {
				location = res.Location
			}
			return res.ExitCode, res.Exit
		},
		Incomplete:  incomplete,
		Catalog:     &remoteCatalog{c: c},
		HistoryFile: filepath.Join(p.dataPath, "history"),
	})
	if errors.Is(err, repl.ErrNotTerminal) {
		sctx, stop := signalContext()
		defer stop()
		return repl.RunLines(sctx, in, incomplete, func(ctx context.Context, src string) (int, bool) {
			res, err := c.Run(ctx, &remote.RunRequest{Script: src, Width: outputWidth(p.stdout), Dir: workDir()}, p.stdout, p.stderr)
			if err != nil {
				fmt.Fprintf(p.stderr, "exsh: %v\n", err)
				return 1, true
			}
			return res.ExitCode, res.Exit
		})
	}
	if err != nil {
		fmt.Fprintf(p.stderr, "exsh: %v\n", err)
		return 1
	}
	return code
}

// workDir is this process's working directory ("" when unknown).
func workDir() string {
	wd, _ := os.Getwd()
	return wd
}

// serverName is this server's name, for the welcome message.
func (h *host) serverName() string {
	name := h.opts.serverName
	if h.org != nil {
		// In an organisation of several servers, this one.
		return h.org.name
	}
	if st := h.store(); st != nil {
		st.View(func(tx state.Tx) error {
			if org, err := tx.Org(); err == nil && org.ServerName != "" {
				name = org.ServerName
			}
			return nil
		})
	}
	if name == "" {
		name = "EX01"
	}
	return name
}

// remoteSession is a management session for an attached client: a fresh
// shell session over the same command table.
func (h *host) remoteSession() (remote.Session, error) {
	return &serverSession{h: h}, nil
}

type serverSession struct {
	h         *host
	out, errw switchWriter
	sess      *interp.Session
	started   bool // the first script ran; its Dir set the location

	ask func(prompt string) bool // the running script's client's Confirm
}

// confirm asks the client whose script is running.
func (s *serverSession) confirm(prompt string) bool {
	if s.ask == nil {
		return true
	}
	return s.ask(prompt)
}

func (s *serverSession) session(width int) *interp.Session {
	if s.sess == nil {
		if width <= 0 {
			width = 120
		}
		s.sess = s.h.newSessionConfirm(&s.out, &s.errw, width, nil, s.confirm)
	}
	return s.sess
}

// startIn puts a new session where its client is, so that relative paths
// mean the same as they would in the client.
func (s *serverSession) startIn(dir string) {
	if s.started {
		return
	}
	s.started = true
	if dir != "" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			utility.SetLocation(s.sess, dir)
		}
	}
}

func (s *serverSession) Run(ctx context.Context, req *remote.RunRequest, client *remote.Streams) remote.Result {
	s.out.set(client.Stdout)
	s.errw.set(client.Stderr)
	s.ask = client.Confirm
	defer func() {
		s.out.set(nil)
		s.errw.set(nil)
		s.ask = nil
	}()
	stderr := client.Stderr
	sess := s.session(req.Width)
	s.startIn(req.Dir)
	// Each request carries the client's width at the time it was sent, so
	// an attached shell follows its terminal's resizes; a request without
	// one keeps the width the session has.
	setSessionWidth(sess, req.Width)
	sess.SetTerminal(req.Terminal)
	if req.Filename != "" {
		sess.SetVar("args", scriptArgs(req.Args))
		sess.SetVar("PSCommandPath", req.Filename)
		sess.SetVar("PSScriptRoot", filepath.Dir(req.Filename))
	}
	code, exit := runIn(ctx, sess, req.Script, req.Filename, stderr)
	return remote.Result{ExitCode: code, Exit: exit, Succeeded: sess.LastSucceeded(), Location: utility.Location(sess)}
}

func (s *serverSession) Commands() []remote.Command {
	cmds := s.session(0).Commands()
	out := make([]remote.Command, len(cmds))
	for i, c := range cmds {
		out[i] = cmdletToRemote(c)
	}
	return out
}

func (s *serverSession) Complete(ctx context.Context, command, param, prefix string) []string {
	return completeParam(ctx, s.session(0).Commands(), command, param, prefix)
}

func (s *serverSession) Variables() []string { return variableNames(s.session(0)) }

func (s *serverSession) Close() error { return nil }
