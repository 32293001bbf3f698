package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// ErrNoServer is returned by Dial when nothing serves the data path: no
// socket file, or a stale one left by a process that died.
var ErrNoServer = errors.New("no exsh process is serving this data path")

// Client is a management session attached to a server. A Client runs one
// request at a time; it is safe to call its methods from several
// goroutines, which then take turns.
type Client struct {
	c *conn

	// Server, PID and DataPath are what the server reported.
	Server   string
	PID      int
	DataPath string

	// Confirm answers the server's -Confirm questions during Run for an
	// interactive request; nil answers "no".
	Confirm func(prompt string) bool

	mu     sync.Mutex // one request at a time
	broken error      // set when the connection failed; later calls return it
}

// Dial connects to the socket at path and opens a session. When no server
// listens there it returns an error wrapping ErrNoServer, so the caller
// can open the data path itself.
func Dial(ctx context.Context, path string) (*Client, error) {
	if err := checkSocketPath(path); err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("%s: %w", path, ErrNoServer)
		}
		return nil, err
	}
	c := &Client{c: newConn(nc)}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	} else {
		nc.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if err := c.c.write(&Message{Type: typeHello, Version: Version, Client: fmt.Sprintf("exsh pid %d", os.Getpid())}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("attach to %s: %w", path, err)
	}
	m, err := c.c.read()
	if err != nil {
		nc.Close()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			// The server was shutting down between accept and hello.
			return nil, fmt.Errorf("%s: %w", path, ErrNoServer)
		}
		return nil, fmt.Errorf("attach to %s: %w", path, err)
	}
	nc.SetDeadline(time.Time{})
	switch m.Type {
	case typeWelcome:
	case typeError:
		nc.Close()
		return nil, fmt.Errorf("attach to %s: %s", path, m.Text)
	default:
		nc.Close()
		return nil, fmt.Errorf("attach to %s: unexpected %q", path, m.Type)
	}
	if m.Version != Version {
		nc.Close()
		return nil, fmt.Errorf("attach to %s: %w (server %d, client %d)", path, ErrVersion, m.Version, Version)
	}
	c.Server, c.PID, c.DataPath = m.Server, m.PID, m.DataPath
	return c, nil
}

// Close ends the session.
func (c *Client) Close() error { return c.c.close() }

// ErrConnectionLost is wrapped by the errors of requests whose connection
// broke (the server stopped or crashed).
var ErrConnectionLost = errors.New("connection to the exsh server was lost")

func (c *Client) fail(err error) error {
	if c.broken == nil {
		c.broken = fmt.Errorf("%w: %v", ErrConnectionLost, err)
		c.c.close()
	}
	return c.broken
}

// Run runs a script on the server, copying its output to stdout and its
// error text to stderr as they arrive. When ctx is cancelled the server is
// asked to stop the script (the way Ctrl+C stops a pipeline) and Run still
// waits for its result.
func (c *Client) Run(ctx context.Context, req *RunRequest, stdout, stderr io.Writer) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return Result{ExitCode: 1}, c.broken
	}
	if err := c.c.write(&Message{Type: typeRun, Run: req}); err != nil {
		return Result{ExitCode: 1}, c.fail(err)
	}

	// Forward a cancellation while the result is awaited.
	finished := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case <-ctx.Done():
			c.c.write(&Message{Type: typeCancel})
		case <-finished:
		}
	}()
	defer func() {
		close(finished)
		<-watcherDone
	}()

	for {
		m, err := c.c.read()
		if err != nil {
			return Result{ExitCode: 1}, c.fail(err)
		}
		switch m.Type {
		case typeStdout:
			io.WriteString(stdout, m.Data)
		case typeStderr:
			io.WriteString(stderr, m.Data)
		case typeConfirm:
			ok := c.Confirm != nil && c.Confirm(m.Text)
			if err := c.c.write(&Message{Type: typeAnswer, OK: ok}); err != nil {
				return Result{ExitCode: 1}, c.fail(err)
			}
		case typeDone:
			if m.Result == nil {
				return Result{ExitCode: 1}, errors.New("remote: result missing")
			}
			return *m.Result, nil
		case typeError:
			return Result{ExitCode: 1}, errors.New(m.Text)
		}
	}
}

// request sends a request and waits for the reply of type want.
func (c *Client) request(ctx context.Context, m *Message, want string) (*Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil, c.broken
	}
	if err := c.c.write(m); err != nil {
		return nil, c.fail(err)
	}
	type reply struct {
		m   *Message
		err error
	}
	ch := make(chan reply, 1)
	go func() {
		for {
			r, err := c.c.read()
			if err != nil || r.Type == want || r.Type == typeError {
				ch <- reply{r, err}
				return
			}
		}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, c.fail(r.err)
		}
		if r.m.Type == typeError {
			return nil, errors.New(r.m.Text)
		}
		return r.m, nil
	case <-ctx.Done():
		// The reply would arrive out of step with later requests; the
		// connection cannot be trusted any more.
		err := c.fail(ctx.Err())
		<-ch
		return nil, err
	}
}

// Commands fetches the server's command table.
func (c *Client) Commands(ctx context.Context) ([]Command, error) {
	m, err := c.request(ctx, &Message{Type: typeCommands}, typeCommands)
	if err != nil {
		return nil, err
	}
	return m.Commands, nil
}

// Complete asks the server for candidate values of a parameter.
func (c *Client) Complete(ctx context.Context, command, param, prefix string) ([]string, error) {
	m, err := c.request(ctx, &Message{Type: typeComplete, Complete: &Completion{Command: command, Param: param, Prefix: prefix}}, typeComplete)
	if err != nil {
		return nil, err
	}
	return m.Items, nil
}

// Variables fetches the names of the session's variables.
func (c *Client) Variables(ctx context.Context) ([]string, error) {
	m, err := c.request(ctx, &Message{Type: typeVariables}, typeVariables)
	if err != nil {
		return nil, err
	}
	return m.Items, nil
}
