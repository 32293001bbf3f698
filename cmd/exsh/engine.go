package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"exsh/engine"
	"exsh/engine/transport"
	"exsh/state"
	"exsh/state/boltdb"
)

// engineHandle is the transport running in this process: the Transport
// service (queues, categorizer, delivery) and the receive side that
// listens on the receive connectors and submits to it.
type engineHandle struct {
	transport *transport.Transport
	receive   *engine.Service
	view      *engineView
}

// engineView is what the cmdlets get as Deps.Engine: the receive side's
// methods (ListenPort, Endpoints, Reload) and the Transport service's
// administration API (Queues, Messages, SuspendQueue, ...). Start and Stop
// exist on both and are therefore not promoted: no cmdlet can stop the
// engine it runs on.
type engineView struct {
	*engine.Service
	*transport.Transport
}

// startEngine starts the Transport service, then the listeners. portMap
// turns a binding's port into the port to listen on (-PortOffset).
func startEngine(st *boltdb.Store, dataPath string, opts *options, portMap func(int) int, warn io.Writer, level slog.Level) (*engineHandle, error) {
	var serverName, fqdn string
	st.View(func(tx state.Tx) error {
		if org, err := tx.Org(); err == nil {
			serverName = org.ServerName
			if srv, err := tx.Server(org.ServerName); err == nil {
				fqdn = srv.Fqdn
			}
		}
		return nil
	})
	logger := slog.New(slog.NewTextHandler(warn, &slog.HandlerOptions{Level: level}))
	// One server account and secret for both directions between the Front
	// End and the Transport service (proxy to the hub, outbound proxy on 717).
	cred, err := engine.NewServerCredential(st, serverName)
	if err != nil {
		return nil, fmt.Errorf("server credential: %w", err)
	}
	t, err := transport.New(st, transport.Config{
		Credential: cred,
		ServerName: serverName,
		Fqdn:       fqdn,
		DataPath:   dataPath,
		PortMap:    portMap,
		Logger:     logger,
	})
	if err != nil {
		return nil, fmt.Errorf("transport service: %w", err)
	}
	ctx := context.Background()
	if err := t.Start(ctx); err != nil {
		return nil, fmt.Errorf("transport service: %w", err)
	}
	svc, err := engine.New(st, engine.Options{
		DataPath:   dataPath,
		PortMap:    portMap,
		ListenAll:  opts.listenAll,
		ServerName: serverName,
		Submitter:  t,
		Logger:     logger,
		Credential: cred,
	})
	if err == nil {
		err = svc.Start(ctx)
	}
	if err != nil {
		t.Stop(ctx)
		return nil, fmt.Errorf("receive connectors: %w", err)
	}
	return &engineHandle{transport: t, receive: svc, view: &engineView{Service: svc, Transport: t}}, nil
}

// service is the value cmdlets get as Deps.Engine.
func (e *engineHandle) service() any { return e.view }

// stop stops the listeners first (no new mail), then the transport.
func (e *engineHandle) stop(ctx context.Context) error {
	first := e.receive.Stop(ctx)
	if err := e.transport.Stop(ctx); err != nil && first == nil {
		first = err
	}
	return first
}

// endpointLines are the startup banner's lines, one per connector with
// each of its bindings and where it listens, names aligned (IPv4 first):
// "Default Frontend EX01  0.0.0.0:25 -> 127.0.0.1:10025, [::]:25 -> [::1]:10025".
func (e *engineHandle) endpointLines() []string {
	return formatEndpoints(e.receive.Endpoints())
}

func formatEndpoints(eps []engine.Endpoint) []string {
	var names []string
	groups := map[string][]engine.Endpoint{}
	width := 0
	for _, ep := range eps {
		if _, ok := groups[ep.Connector]; !ok {
			names = append(names, ep.Connector)
		}
		groups[ep.Connector] = append(groups[ep.Connector], ep)
		width = max(width, len(ep.Connector))
	}
	lines := make([]string, len(names))
	for i, name := range names {
		g := groups[name]
		sort.SliceStable(g, func(a, b int) bool {
			return !strings.HasPrefix(g[a].Binding, "[") && strings.HasPrefix(g[b].Binding, "[")
		})
		parts := make([]string, len(g))
		for j, ep := range g {
			// Endpoint.String says why an endpoint does not listen.
			parts[j] = strings.TrimPrefix(ep.String(), ep.Connector+"  ")
		}
		lines[i] = fmt.Sprintf("%-*s  %s", width, name, strings.Join(parts, ", "))
	}
	return lines
}
