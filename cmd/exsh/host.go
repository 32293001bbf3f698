package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"exsh/cmdlets"
	"exsh/cmdlets/all"
	"exsh/eac"
	"exsh/engine"
	"exsh/labs"
	"exsh/shell/interp"
	"exsh/shell/remote"
	"exsh/state"
	"exsh/state/boltdb"
)

// host is what one data path needs in this process: the command table,
// the store (opened on first use by an Exchange cmdlet, so that scripts
// that only use the language start fast), and the transport engine,
// started with the store.
type host struct {
	dataPath string
	opts     *options
	// warn receives warnings that belong to no script (the engine could
	// not start a listener, for example).
	warn io.Writer
	// engineLog is the least severe engine message written to warn: a
	// server shows warnings, a script only errors.
	engineLog slog.Level

	deps     *cmdlets.Deps
	commands []*interp.CmdletInfo

	offsetOnce sync.Once
	offset     int

	mu      sync.Mutex
	opened  bool // ensureOpen ran; openErr says how it went
	openErr error
	st      state.ServerStore
	eng     *engine.Service
	org     *orgServer // this server's place in an organisation of several; nil on a single server
	active  string     // the data path open: the user's or a lab's

	labs *labs.Runner
	web  *eac.Server // the Exchange admin center, when this process serves it

	// backend is the management channel to the other servers of an
	// organisation (backend.go); nil on a single server. It has its own
	// lock: it is started and stopped with and without mu held.
	backendMu sync.Mutex
	backend   *backendRun
}

func newHost(dataPath string, opts *options, warn io.Writer) *host {
	h := &host{dataPath: dataPath, opts: opts, warn: warn, engineLog: slog.LevelError}
	h.deps = &cmdlets.Deps{Store: &lazyStore{h: h}, DataPath: dataPath}
	table := all.New(h.deps, all.Options{PortMap: h.portMap})
	h.labs = labs.NewRunner(labs.Config{DataPath: dataPath, Env: h, PortMap: h.portMap, Warn: warn, Settle: h.settle})
	for _, c := range h.labs.Cmdlets() {
		if c.Name != "Get-Lab" {
			table.Exchange = append(table.Exchange, c)
		} else {
			table.Language = append(table.Language, c)
		}
	}
	for _, c := range table.Exchange {
		h.guard(c)
	}
	h.commands = table.All()
	return h
}

// portOffset is -PortOffset, or the offset a member of an organisation
// of several servers was set up with (its data path remembers it, and the
// other servers reach it there), or the default for this process, worked
// out once and only when something needs it.
func (h *host) portOffset() int {
	h.offsetOnce.Do(func() {
		if h.opts.hasPortOffset {
			h.offset = h.opts.portOffset
		} else if mi, err := readMemberInfo(h.dataPath); err == nil && mi != nil {
			h.offset = mi.PortOffset
		} else {
			h.offset = defaultPortOffset(os.Getenv)
		}
	})
	return h.offset
}

// portMap turns one of this server's configured ports into the port it
// listens on.
func (h *host) portMap(port int) int {
	if p := port + h.portOffset(); p <= 65535 {
		return p
	}
	return port
}

// guard makes a cmdlet open the store (and start the engine) before it
// first runs, so that the engine's parts in Deps are set when its body
// reads them.
func (h *host) guard(c *interp.CmdletInfo) {
	begin := c.Begin
	c.Begin = func(call *interp.Call) error {
		if err := h.ensureOpen(); err != nil {
			return storeErrorRecord(err)
		}
		if begin != nil {
			return begin(call)
		}
		return nil
	}
}

// storeErrorRecord turns a failure to open the data path into the error a
// cmdlet reports.
func storeErrorRecord(err error) error {
	rec := interp.NewError("ResourceUnavailable", "DataSourceOperationException", "OpenStoreFailed", "", "%v", err)
	rec.Exception = err
	return rec
}

// errServed is returned by openStore when, while it waited for the store
// lock, a server started answering on the data path's socket.
var errServed = errors.New("another exsh process is serving this data path")

// openTimeout bounds the wait for another process's store lock.
const openTimeout = 5 * time.Second

// openStore opens the data path's store, waiting at most openTimeout for a
// process that holds it. It checks the management socket between attempts
// and returns errServed when a server appears (the caller attaches).
func openStore(dataPath string) (*boltdb.Store, error) {
	if err := os.MkdirAll(dataPath, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the data path: %w", err)
	}
	deadline := time.Now().Add(openTimeout)
	for {
		st, err := boltdb.OpenDataPath(dataPath, boltdb.Options{Timeout: 200 * time.Millisecond})
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, state.ErrLocked) {
			return nil, err
		}
		if served(dataPath) {
			return nil, errServed
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the data path %s is in use by another exsh process that does not accept management sessions (exsh -Command or -File); try again when it has finished: %w", dataPath, state.ErrLocked)
		}
	}
}

// served reports whether a live server answers on the data path's socket.
func served(dataPath string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := remote.Dial(ctx, remote.SocketPath(dataPath))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ensureOpen opens the store (setting the data path up on first use) and
// starts the engine, once; later calls return the first outcome.
func (h *host) ensureOpen() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.opened {
		return h.openErr
	}
	h.opened = true
	h.openErr = h.open()
	return h.openErr
}

func (h *host) open() error {
	// A lab in progress runs on its own data path (package labs).
	dataPath, dns, listen, start := h.labs.Resume()
	if err := h.openAt(dataPath, dns, listen); err != nil {
		return err
	}
	start()
	return nil
}

// lastOpenErr is the outcome of opening the store ("nil" also when it was
// never needed).
func (h *host) lastOpenErr() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.openErr
}

// store returns the open store, or nil.
func (h *host) store() state.ServerStore {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st
}

// engine returns the running engine, or nil.
func (h *host) engine() *engine.Service {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.eng
}

// close stops the EAC and the engine and closes the store.
func (h *host) close() {
	if h.web != nil {
		h.web.Close()
	}
	h.stopBackend()
	h.mu.Lock()
	eng, st := h.eng, h.st
	h.eng, h.st = nil, nil
	h.mu.Unlock()
	if eng != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := eng.Stop(ctx); err != nil {
			fmt.Fprintf(h.warn, "WARNING: stopping the transport engine: %v\n", err)
		}
		cancel()
	}
	// A lab's hosts stop after the engine, which may be sending to them.
	h.labs.Close()
	if st != nil {
		st.Close()
	}
	h.closeOrganisation()
}

// lazyStore is the state.Store the cmdlets see: it opens the real store
// on first use.
type lazyStore struct{ h *host }

var _ state.Store = (*lazyStore)(nil)

func (l *lazyStore) real() (state.Store, error) {
	if err := l.h.ensureOpen(); err != nil {
		return nil, err
	}
	return l.h.store(), nil
}

func (l *lazyStore) View(fn func(tx state.Tx) error) error {
	st, err := l.real()
	if err != nil {
		return err
	}
	return st.View(fn)
}

func (l *lazyStore) Update(fn func(tx state.Tx) error) error {
	st, err := l.real()
	if err != nil {
		return err
	}
	return st.Update(fn)
}

func (l *lazyStore) Subscribe() (<-chan state.Change, func()) {
	st, err := l.real()
	if err != nil {
		ch := make(chan state.Change)
		close(ch)
		return ch, func() {}
	}
	return st.Subscribe()
}

// Generation is the open store's generation; 0 before it is opened.
func (l *lazyStore) Generation() uint64 {
	if st := l.h.store(); st != nil {
		return st.Generation()
	}
	return 0
}

func (l *lazyStore) Path() string {
	if st := l.h.store(); st != nil {
		return st.Path()
	}
	return l.h.dataPath + string(os.PathSeparator) + boltdb.FileName
}

// Close is a no-op: the host owns the store and closes it.
func (l *lazyStore) Close() error { return nil }
