package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"exsh/shell/remote"
)

// wideRow is a one-row table whose last column is cut to the width.
const wideRow = `[pscustomobject]@{Name = 'x'; Text = 'a' * 300}`

// rowLength is the length of the table row wideRow prints.
func rowLength(t *testing.T, out string) int {
	t.Helper()
	for l := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(l, "x ") {
			if !strings.HasSuffix(l, "...") {
				t.Errorf("row not cut: %q", l)
			}
			return len(l)
		}
	}
	t.Fatalf("no row in %q", out)
	return 0
}

// An attached client sends its width with every statement: the server's
// session formats at the new width after a resize, and a request without
// a width (an older client) keeps the width the session has.
func TestAttachedSessionFollowsWidth(t *testing.T) {
	dir, err := os.MkdirTemp("", "exsh-width")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	serveAttach(t, dir)

	ctx := context.Background()
	dial := func() *remote.Client {
		c, err := remote.Dial(ctx, remote.SocketPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	run := func(c *remote.Client, width int) int {
		t.Helper()
		var out, errOut bytes.Buffer
		res, err := c.Run(ctx, &remote.RunRequest{Script: wideRow, Width: width}, &out, &errOut)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("width %d: %v %+v %s", width, err, res, errOut.String())
		}
		return rowLength(t, out.String())
	}

	c := dial()
	for _, tc := range []struct{ width, line int }{{100, 99}, {60, 59}, {0, 59}, {150, 149}} {
		if got := run(c, tc.width); got != tc.line {
			t.Errorf("request width %d: row of %d columns, want %d", tc.width, got, tc.line)
		}
	}
	// A session whose first request has no width starts at 120.
	if got := run(dial(), 0); got != 119 {
		t.Errorf("no width: row of %d columns, want 119", got)
	}
}

// Clear-Host clears an attached client's terminal: the request says the
// client's output is a terminal; a client writing to a file gets nothing.
func TestAttachedClearHost(t *testing.T) {
	dir, err := os.MkdirTemp("", "exsh-cls")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	serveAttach(t, dir)
	ctx := context.Background()
	c, err := remote.Dial(ctx, remote.SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for _, terminal := range []bool{true, false, true} {
		var out, errOut bytes.Buffer
		res, err := c.Run(ctx, &remote.RunRequest{Script: "cls", Terminal: terminal, Interactive: true}, &out, &errOut)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("cls: %v %+v %s", err, res, errOut.String())
		}
		if cleared := strings.Contains(out.String(), "\x1b[2J"); cleared != terminal {
			t.Errorf("terminal %v: output %q", terminal, out.String())
		}
	}
}

// serveAttach serves dir's session socket, as exsh -Serve does, until the
// test ends.
func serveAttach(t *testing.T, dir string) {
	t.Helper()
	h := newHost(dir, &options{}, io.Discard)
	t.Cleanup(h.close)
	serveHost(t, h, dir)
}

// serveHost serves h's management sessions on dir's socket until the
// test ends.
func serveHost(t *testing.T, h *host, dir string) {
	t.Helper()
	l, err := remote.Listen(remote.SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	srv := &remote.Server{Name: "EX01", DataPath: dir, NewSession: h.remoteSession}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-served
	})
}
