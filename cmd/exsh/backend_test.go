package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"exsh/engine/backend"
	"exsh/engine/mail"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// prepareDataPath sets a data path up; with ip, its server gets that
// address and offset, as a server of an organisation has.
func prepareDataPath(t *testing.T, dir, ip string, offset int) {
	t.Helper()
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := setup.Run(st, setup.Options{DataPath: dir, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	if ip == "" {
		return
	}
	err = st.Update(func(tx state.Tx) error {
		srv, err := tx.Server("EX01")
		if err != nil {
			return err
		}
		srv.IPAddress, srv.PortOffset = ip, offset
		return tx.PutServer(srv)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A server of an organisation serves its management channel while its
// engine runs, with its own credential, and stops it with the engine.
func TestBackendWiring(t *testing.T) {
	dir := t.TempDir()
	offset := nextPortOffset()
	prepareDataPath(t, dir, "127.0.0.1", offset)
	h := newHost(dir, &options{portOffset: offset, hasPortOffset: true}, io.Discard)
	if err := h.ensureOpen(); err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			h.close()
		}
	}()
	addr := "127.0.0.1:" + strconv.Itoa(backend.Port+offset)
	if got, want := h.backendLine(), "Exchange Back End  "+addr; got != want {
		t.Errorf("banner line %q, want %q", got, want)
	}
	if h.deps.ServerName != "EX01" || h.deps.Remote == nil {
		t.Errorf("Deps: ServerName %q, Remote set %v", h.deps.ServerName, h.deps.Remote != nil)
	}

	var out, errb bytes.Buffer
	sess := h.newSession(&out, &errb, 120, nil)
	if code, _ := runIn(context.Background(), sess, `Get-Queue -Server EX01.contoso.com | Select-Object -ExpandProperty Identity`, "", &errb); code != 0 || !strings.Contains(out.String(), `EX01\Submission`) {
		t.Errorf("Get-Queue -Server EX01: exit %d\n%s%s", code, out.String(), errb.String())
	}

	// Another server logs on with its credential; this one's checks it.
	cred := h.engine().Credential()
	for _, tc := range []struct {
		cred mail.ServerCredential
		want error
	}{
		{cred, nil},
		{mail.ServerCredential{Account: cred.Account, Secret: "wrong"}, backend.ErrAccessDenied},
	} {
		d := &backend.Dialer{Store: h.store(), Credential: tc.cred}
		c, err := d.Server("EX01")
		if err != nil {
			t.Fatal(err)
		}
		qs, err := c.Queues()
		if !errors.Is(err, tc.want) || tc.want == nil && len(qs) == 0 {
			t.Errorf("the channel with secret %q: %d queues, %v; want %v", tc.cred.Secret, len(qs), err, tc.want)
		}
		d.Close()
	}

	st := h.store()
	dl := &backend.Dialer{Store: st, Credential: cred}
	defer dl.Close()
	c, err := dl.Server("EX01")
	if err != nil {
		t.Fatal(err)
	}
	h.close()
	closed = true
	if h.backendLine() != "" || h.deps.Remote != nil {
		t.Error("the channel is still wired after the host closed")
	}
	if _, err := c.Queues(); !errors.Is(err, backend.ErrUnreachable) {
		t.Errorf("the channel after the host closed: %v, want unreachable", err)
	}
}

// A single server has no channel: nothing more listens, the cmdlets see
// no other server.
func TestBackendSingleServer(t *testing.T) {
	dir := t.TempDir()
	offset := nextPortOffset()
	prepareDataPath(t, dir, "", 0)
	h := newHost(dir, &options{portOffset: offset, hasPortOffset: true}, io.Discard)
	if err := h.ensureOpen(); err != nil {
		t.Fatal(err)
	}
	defer h.close()
	if line := h.backendLine(); line != "" {
		t.Errorf("a single server has a channel: %q", line)
	}
	if h.deps.Remote != nil || h.deps.ServerName != "" {
		t.Errorf("a single server's Deps: ServerName %q, Remote set %v", h.deps.ServerName, h.deps.Remote != nil)
	}
	if ok, _ := tryListen("127.0.0.1:" + strconv.Itoa(backend.Port+offset)); !ok {
		t.Error("something listens on the back-end port of a single server")
	}
}

// tryListen reports whether addr is free to listen on.
func tryListen(addr string) (bool, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false, err
	}
	l.Close()
	return true, nil
}
