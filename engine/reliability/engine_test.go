package reliability

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/engine"
	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

// inProcess is an engine with the real Transport service behind it,
// running in the test process over a temporary data path.
type inProcess struct {
	*enginetest.Env
	tr *transport.Transport
}

// startInProcess starts the engine and the Transport service; prepare,
// if set, changes the organisation first.
func startInProcess(t testing.TB, prepare func(tx state.Tx) error) *inProcess {
	t.Helper()
	ip := &inProcess{}
	ip.Env = enginetest.Start(t, enginetest.Options{
		Prepare: func(tx state.Tx) error {
			if err := addMailboxes(tx, testMailboxes...); err != nil {
				return err
			}
			if prepare != nil {
				return prepare(tx)
			}
			return nil
		},
		Submitter: func(st *boltdb.Store, dataPath string, ports func(int) int) (mail.Submitter, func()) {
			tr, err := transport.New(st, transport.Config{ServerName: "EX01", Fqdn: "EX01.contoso.com", DataPath: dataPath, PortMap: ports})
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			ip.tr = tr
			return tr, func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				tr.Stop(ctx)
			}
		},
	})
	return ip
}

// setConnector changes one receive connector of EX01 and waits until the
// engine uses the change.
func (ip *inProcess) setConnector(name string, fn func(rc *state.ReceiveConnector)) {
	ip.T.Helper()
	ip.Update(func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", name)
		if err != nil {
			return err
		}
		fn(rc)
		return tx.PutReceiveConnector(rc)
	})
}

const (
	defaultFrontend = "Default Frontend EX01"
	clientFrontend  = "Client Frontend EX01"
)

// onDisk is a Transport service and engine over a data path the test
// chose (a small tmpfs, say), with a synced store as in production.
type onDisk struct {
	t     testing.TB
	dir   string
	st    *boltdb.Store
	tr    *transport.Transport
	svc   *engine.Service
	ports *enginetest.PortMap
}

// startOnDisk opens dir (running setup the first time) and starts the
// Transport service and the receive connectors, as serverMain does.
func startOnDisk(t testing.TB, dir string, prepare ...func(tx state.Tx) error) *onDisk {
	t.Helper()
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.Run(st, setup.Options{DataPath: dir, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	for _, fn := range append([]func(tx state.Tx) error{prepareOrg}, prepare...) {
		if err := st.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	o := &onDisk{t: t, dir: dir, st: st, ports: &enginetest.PortMap{}}
	o.tr, err = transport.New(st, transport.Config{ServerName: "EX01", DataPath: dir, PortMap: o.ports.Map})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	o.svc, err = enginetest.StartService(o.ports, func() (*engine.Service, error) {
		return engine.New(st, engine.Options{DataPath: dir, PortMap: o.ports.Map, ServerName: "EX01", Submitter: o.tr})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.stop() })
	return o
}

func (o *onDisk) addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", o.svc.ListenPort(port)) }

// stop stops everything and closes the store; it may be called twice.
func (o *onDisk) stop() {
	if o.st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.svc.Stop(ctx); err != nil && !errors.Is(err, engine.ErrStopped) {
		o.t.Errorf("stopping the engine: %v", err)
	}
	if err := o.tr.Stop(ctx); err != nil && !errors.Is(err, transport.ErrStopped) {
		o.t.Errorf("stopping the Transport service: %v", err)
	}
	if err := o.st.Close(); err != nil {
		o.t.Errorf("closing the store: %v", err)
	}
	o.st = nil
}
