package backend_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"exsh/engine/backend"
	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/state"
	"exsh/state/statetest"
)

var goodCredential = mail.ServerCredential{Account: `CONTOSO\EX02$`, Secret: "s3cret"}

// lone serves EX01's channel from an organisation of its own, with cfg's
// parts and limits, and returns it and a Dialer for EX01 with cred.
func lone(t *testing.T, cfg backend.Config) (*backend.Server, func(cred mail.ServerCredential) *backend.Client) {
	t.Helper()
	st := statetest.MustOpenSetUp(t)
	port := enginetest.FreePort()
	statetest.Update(t, st, func(tx state.Tx) error {
		srv, err := tx.Server("EX01")
		if err != nil {
			return err
		}
		srv.IPAddress, srv.PortOffset = "127.0.0.1", port-backend.Port
		return tx.PutServer(srv)
	})
	cfg.Addr = "127.0.0.1:" + strconv.Itoa(port)
	cfg.Store = st
	cfg.Check = checkFunc(func(user, password string) bool {
		return user == goodCredential.Account && password == goodCredential.Secret
	})
	srv, err := backend.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return srv, func(cred mail.ServerCredential) *backend.Client {
		d := &backend.Dialer{Store: st, Credential: cred}
		t.Cleanup(d.Close)
		c, err := d.Server("EX01")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// held is a Transport service whose queue walks and a tracking log whose
// searches run until their context ends, and say when they started and
// why they stopped. It finds no queue.
type held struct {
	*transport.Transport
	*tracking.Log
	started chan string
	stopped chan error
}

func newHeld() *held {
	return &held{started: make(chan string, 16), stopped: make(chan error, 16)}
}

func (h *held) wait(ctx context.Context, op string) error {
	h.started <- op
	<-ctx.Done()
	h.stopped <- ctx.Err()
	return ctx.Err()
}

func (h *held) ResolveQueues(identity string) ([]transport.QueueInfo, error) {
	return nil, transport.ErrQueueNotFound
}

func (h *held) MessagesContext(ctx context.Context, _ transport.MessageFilter) ([]transport.MessageInfo, error) {
	return nil, h.wait(ctx, "Messages")
}

func (h *held) SearchContext(ctx context.Context, _ tracking.Query) ([]tracking.Event, error) {
	return nil, h.wait(ctx, "Search")
}

// A server answers at most MaxRequests requests at once: one more gets a
// quick busy error the caller can retry, and is served once a request
// ends.
func TestChannelBusy(t *testing.T) {
	h := newHeld()
	_, client := lone(t, backend.Config{MaxRequests: 1, Queues: h})
	c := client(goodCredential)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.MessagesContext(ctx, transport.MessageFilter{})
		first <- err
	}()
	select {
	case <-h.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the first request did not start")
	}

	start := time.Now()
	_, err := c.ResolveQueues("Submission")
	took := time.Since(start)
	var busy *backend.BusyError
	if !errors.As(err, &busy) || !errors.Is(err, backend.ErrBusy) {
		t.Fatalf("a request over the cap: %v, want a *BusyError", err)
	}
	if busy.Server != "EX01" || busy.RetryAfter != time.Second || !strings.Contains(err.Error(), "try again in 1 second") {
		t.Errorf("the busy error: %+v: %v", busy, err)
	}
	if took > 2*time.Second {
		t.Errorf("a request over the cap was answered after %v", took)
	}

	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the first request after its caller gave up: %v", err)
	}
	// Its slot is free again once the server saw the caller go.
	if !enginetest.WaitFor(t, 10*time.Second, func() bool {
		_, err = c.ResolveQueues("Submission")
		return errors.Is(err, transport.ErrQueueNotFound)
	}) {
		t.Fatalf("the server stays busy after its request ended: %v", err)
	}
}

// An operation that can stop (a queue walk, a tracking search) stops when
// its caller goes away or gives up.
func TestChannelStopsWorkOfCallerGone(t *testing.T) {
	h := newHeld()
	_, client := lone(t, backend.Config{Queues: h, Tracking: h})
	c := client(goodCredential)
	for _, tc := range []struct {
		name string
		call func(ctx context.Context) error
		// timeout is the caller's own deadline; 0 cancels it instead.
		timeout time.Duration
	}{
		{"Get-Message, caller gone", func(ctx context.Context) error {
			_, err := c.MessagesContext(ctx, transport.MessageFilter{})
			return err
		}, 0},
		{"tracking search, caller gone", func(ctx context.Context) error {
			_, err := c.SearchContext(ctx, tracking.Query{})
			return err
		}, 0},
		{"tracking search, caller's deadline", func(ctx context.Context) error {
			_, err := c.SearchContext(ctx, tracking.Query{})
			return err
		}, 300 * time.Millisecond},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		if tc.timeout > 0 {
			ctx, cancel = context.WithTimeout(context.Background(), tc.timeout)
		}
		done := make(chan error, 1)
		go func() { done <- tc.call(ctx) }()
		select {
		case <-h.started:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the operation did not start", tc.name)
		}
		if tc.timeout == 0 {
			cancel()
		}
		select {
		case err := <-h.stopped:
			if err == nil {
				t.Errorf("%s: the operation stopped without its context ending", tc.name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the operation still runs after its caller went", tc.name)
		}
		if err := <-done; err == nil {
			t.Errorf("%s: the call succeeded", tc.name)
		}
		cancel()
	}
}

// A failed logon is answered after the delay; an address that sends
// many at once gets them answered one delay apart and is locked out
// meanwhile, even with the right credential, until they are answered.
func TestChannelFailedLogons(t *testing.T) {
	const delay = 700 * time.Millisecond
	srv, client := lone(t, backend.Config{FailedLogonDelay: delay})

	start := time.Now()
	_, err := client(mail.ServerCredential{Account: goodCredential.Account, Secret: "guess"}).ResolveQueues("x")
	if took := time.Since(start); !errors.Is(err, backend.ErrAccessDenied) || took < delay {
		t.Fatalf("a wrong secret: %v after %v, want access denied after %v", err, took, delay)
	}

	// Connections set up first, so that the guesses arrive together.
	const guesses = 8
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: guesses}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	post := func(cred mail.ServerCredential) (*http.Response, error) {
		req, err := http.NewRequest(http.MethodPost, "https://"+srv.Addr()+"/exsh/backend/v1/ResolveQueues", strings.NewReader(`{"identity":"x"}`))
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(cred.Account, cred.Secret)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	var wg sync.WaitGroup
	for range guesses {
		wg.Go(func() {
			if resp, err := post(goodCredential); err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("warming up: %v", err)
			}
		})
	}
	wg.Wait()
	// The first guess went a while ago: its address has no backlog left.
	time.Sleep(delay)

	type answer struct {
		status     int
		retryAfter string
		took       time.Duration
	}
	answers := make(chan answer, guesses)
	start = time.Now()
	for i := range guesses {
		wg.Go(func() {
			resp, err := post(mail.ServerCredential{Account: goodCredential.Account, Secret: "guess" + strconv.Itoa(i)})
			if err != nil {
				t.Error(err)
				return
			}
			answers <- answer{resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(start)}
		})
	}
	// The first answer is a lockout; the right credential is refused too
	// while the address is locked out.
	first := <-answers
	if first.status != http.StatusTooManyRequests || first.retryAfter == "" || first.took >= delay {
		t.Errorf("the first answer to %d guesses at once: %+v, want 429 with Retry-After before %v", guesses, first, delay)
	}
	_, err = client(goodCredential).ResolveQueues("x")
	if !errors.Is(err, backend.ErrAccessDenied) || !strings.Contains(err.Error(), "too many failed logons") {
		t.Errorf("the right credential from a locked-out address: %v", err)
	}
	wg.Wait()
	close(answers)
	refused, locked := 0, 1
	var last time.Duration
	for a := range answers {
		switch a.status {
		case http.StatusUnauthorized:
			refused++
			last = max(last, a.took)
		case http.StatusTooManyRequests:
			locked++
		default:
			t.Errorf("a guess answered %+v", a)
		}
	}
	if refused == 0 || refused > 5 || refused+locked != guesses {
		t.Errorf("%d guesses at once: %d refused, %d locked out", guesses, refused, locked)
	}
	if want := time.Duration(refused) * delay; last < want {
		t.Errorf("%d failed logons answered within %v, want one delay apart (%v)", refused, last, want)
	}

	// Once they are answered, the right credential is served at once.
	start = time.Now()
	if _, err := client(goodCredential).ResolveQueues("x"); !errors.Is(err, backend.ErrNotRunning) || time.Since(start) >= delay {
		t.Errorf("the right credential after the lockout: %v after %v", err, time.Since(start))
	}
}
