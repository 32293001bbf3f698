package eac

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/cmdlets/all"
	"exsh/cmdlets/mail"
	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/engine/transport"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// lab is a whole server as cmd/exsh runs it: store, Transport service,
// receive connectors on free loopback ports, the cmdlet table, and the
// EAC on its own TLS listener.
type lab struct {
	st    *boltdb.Store
	dir   string
	ports *enginetest.PortMap
	svc   *engine.Service
	cmds  []*interp.CmdletInfo
	eac   *Server
	url   string // https://127.0.0.1:port
	now   *fakeClock
}

// fakeClock is the EAC's clock; tests move it to end idle sessions.
type fakeClock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.skew += d
	c.mu.Unlock()
}

func newLab(t *testing.T) *lab {
	t.Helper()
	dir := t.TempDir()
	st, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := setup.Run(st, setup.Options{DataPath: dir, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	// No tarpit: refusals are answered at once.
	if err := st.Update(func(tx state.Tx) error {
		rcs, err := tx.ReceiveConnectors()
		if err != nil {
			return err
		}
		for _, rc := range rcs {
			rc.TarpitInterval, rc.AuthTarpitInterval = 0, 0
			if err := tx.PutReceiveConnector(rc); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cred, err := engine.NewServerCredential(st, "")
	if err != nil {
		t.Fatal(err)
	}
	ports := &enginetest.PortMap{}
	tr, err := transport.New(st, transport.Config{Credential: cred, ServerName: "EX01", Fqdn: "EX01.contoso.com", DataPath: dir, PortMap: ports.Map,
		LookupMX: func(context.Context, string) ([]*net.MX, error) { return nil, errors.New("no DNS in tests") }})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc, err := enginetest.StartService(ports, func() (*engine.Service, error) {
		return engine.New(st, engine.Options{DataPath: dir, PortMap: ports.Map, Submitter: tr, Credential: cred})
	})
	if err != nil {
		tr.Stop(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		svc.Stop(ctx)
		tr.Stop(ctx)
	})
	l := &lab{st: st, dir: dir, ports: ports, svc: svc, now: &fakeClock{}}
	deps := &cmdlets.Deps{Store: st, DataPath: dir, Ports: svc, Queues: tr, Submitter: tr, Tracking: tr.Tracking(),
		Mailboxes: mail.StoreMailboxes(st), PasswordCost: bcrypt.MinCost}
	l.cmds = all.New(deps, all.Options{PortMap: ports.Map}).All()

	srv, err := New(Config{
		NewSession:        l.session,
		Store:             st,
		FailedSignInDelay: 300 * time.Millisecond,
		MapInterval:       200 * time.Millisecond,
		Now:               l.now.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	svc.OnSessionEnd(func(e engine.SessionEnd) {
		srv.SessionEnded(SessionEvent{Time: e.Time, Connector: e.Connector, Identity: e.Identity, Remote: e.Remote, Accepted: e.Accepted, Refusal: e.Refusal})
	})
	l.eac = srv
	l.url = strings.TrimSuffix(srv.URL(), "/ecp/")
	return l
}

func (l *lab) session(stdout, stderr io.Writer) *interp.Session {
	return interp.NewSession(interp.Config{
		Stdout:    stdout,
		Stderr:    stderr,
		Width:     120,
		Commands:  l.cmds,
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) },
	})
}

// shell runs a script as the shell would and returns what it printed and
// the first line of its first error ("" when none).
func (l *lab) shell(t *testing.T, script string) (out, errText string) {
	t.Helper()
	var o, e bytes.Buffer
	sess := l.session(&o, &e)
	sess.Run(context.Background(), script, "")
	if errs := sess.Errors(); len(errs) > 0 {
		errText = errorMessage(errs[len(errs)-1])
	}
	return o.String(), errText
}

// client is an HTTPS client that trusts nothing but does not verify (the
// organisation's certificate is self-signed) and keeps cookies.
func (l *lab) client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:       jar,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 20 * time.Second,
	}
}

var canaryRE = regexp.MustCompile(`name="canary" value="([^"]+)"`)

// signIn signs c in and returns the session's anti-forgery token.
func (l *lab) signIn(t *testing.T, c *http.Client, user, password string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(l.url + "/ecp/auth/logon.aspx")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := canaryRE.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no canary on the sign-in page:\n%s", body)
	}
	res, err = c.PostForm(l.url+"/ecp/auth/logon.aspx", url.Values{"username": {user}, "password": {password}, "canary": {string(m[1])}, "url": {"/ecp/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return res, ""
	}
	// The token is on every page.
	page := l.get(t, c, "/ecp/mailflow/receiveconnectors")
	ms := canaryRE.FindStringSubmatch(page)
	if ms == nil {
		t.Fatalf("no canary on the signed-in page:\n%s", page)
	}
	return res, ms[1]
}

// get fetches a page that must answer 200.
func (l *lab) get(t *testing.T, c *http.Client, path string) string {
	t.Helper()
	res, err := c.Get(l.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, res.Status, b)
	}
	return string(b)
}
