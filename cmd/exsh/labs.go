package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"exsh/labs"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// The lab runner re-points this process's organisation through the host:
// a lab runs on its own data path (see package labs).
var _ labs.Environment = (*host)(nil)

// Switch stops the engine and closes the store, runs prepare, then opens
// the store at dataPath (set up on first use) and starts the engine there
// with dns. The cmdlets keep their Deps: the store behind lazyStore, the
// engine and the data path change under them.
func (h *host) Switch(dataPath string, dns *labs.DNS, prepare func() error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopBackend()
	if eng := h.eng; eng != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		eng.Stop(ctx)
		cancel()
	}
	if h.st != nil {
		h.st.Close()
	}
	h.eng, h.st = nil, nil
	unwireEngine(h.deps)
	h.opened, h.openErr = true, nil
	if prepare != nil {
		if err := prepare(); err != nil {
			h.openErr = err
			return err
		}
	}
	h.openErr = h.openAt(dataPath, dns, nil)
	return h.openErr
}

// openAt opens the store at dataPath and starts the engine, running
// beforeEngine (when not nil) between the two; h.mu is held. A lab's
// organisation is always EX01 in contoso.com, as its story says.
func (h *host) openAt(dataPath string, dns *labs.DNS, beforeEngine func()) error {
	var (
		local *boltdb.Store
		st    state.ServerStore
		err   error
	)
	so := setup.Options{ServerName: h.opts.serverName, Domain: h.opts.domain, DataPath: dataPath}
	if dataPath == h.dataPath {
		local, err = openStore(dataPath)
	} else {
		so.ServerName, so.Domain = "", ""
		local, err = h.openLabStore(dataPath)
	}
	if err != nil {
		return err
	}
	st = local
	if dataPath == h.dataPath && h.inOrganisation(dataPath) {
		// The organisation is set up (founded, joined) in etcd.
		if st, err = h.openOrganisation(local, dataPath); err != nil {
			return err
		}
	} else if err := setup.Run(local, so); err != nil {
		local.Close()
		return fmt.Errorf("cannot set up the data path %s: %w", dataPath, err)
	}
	h.st = st
	h.active = dataPath
	h.deps.Alive = nil
	if dataPath == h.dataPath {
		h.deps.Alive = h.alive()
	}
	h.deps.DataPath = dataPath
	wireStore(h.deps, st)
	if beforeEngine != nil {
		beforeEngine()
	}
	eng, err := startEngine(st, dataPath, h.engineOptions(dataPath), h.portMap, h.warn, h.engineLog, dns)
	if err != nil {
		// The organisation is still usable; say why no mail flows.
		fmt.Fprintf(h.warn, "WARNING: the transport engine did not start: %v\n", err)
	} else {
		h.eng = eng
		wireEngine(h.deps, eng)
		h.startBackend(st, eng)
		if h.web != nil {
			h.hookEAC(h.web, eng)
		}
	}
	return nil
}

// openLabStore opens a lab's store as openStore opens the user's: it
// waits a while for another process that holds it, and gives up with
// errServed when a server starts answering on the user's data path.
func (h *host) openLabStore(dataPath string) (*boltdb.Store, error) {
	if err := os.MkdirAll(dataPath, 0o700); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(openTimeout)
	for {
		st, err := boltdb.OpenDataPath(dataPath, boltdb.Options{Timeout: 200 * time.Millisecond})
		if err == nil || !errors.Is(err, state.ErrLocked) {
			return st, err
		}
		if served(h.dataPath) {
			return nil, errServed
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the lab in progress on %s is in use by another exsh process that does not accept management sessions; try again when it has finished: %w", h.dataPath, state.ErrLocked)
		}
	}
}

// activeDataPath is the data path of the organisation in use: the user's,
// or the lab's while one runs ($exinstall).
func (h *host) activeDataPath() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.active != "" {
		return h.active
	}
	if lab := labs.ActiveLab(h.dataPath); lab != "" {
		return h.labs.LabDataPath()
	}
	return h.dataPath
}

// inLab says whether the organisation in use is a lab's.
func (h *host) inLab() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.active != "" && h.active != h.dataPath
}

// labPrompt is the prompt's lab part: "[lab: scanner-relay] ", or "".
func labPrompt(dataPath string) string {
	if lab := labs.ActiveLab(dataPath); lab != "" {
		return "[lab: " + lab + "] "
	}
	return ""
}

// settle makes the listeners match the organisation now, so that a lab
// host's probe meets the connector the student has just changed.
func (h *host) settle() {
	if e := h.engine(); e != nil {
		e.Reload()
	}
}
