package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"

	"exsh/engine"
	"exsh/engine/transport"
	"exsh/labs"
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
// dns is a lab's DNS; nil makes no DNS lookup at all.
func startEngine(st *boltdb.Store, dataPath string, opts *options, portMap func(int) int, warn io.Writer, level slog.Level, dns *labs.DNS) (*engineHandle, error) {
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
	tc := transport.Config{
		Credential: cred,
		ServerName: serverName,
		Fqdn:       fqdn,
		DataPath:   dataPath,
		PortMap:    portMap,
		Logger:     logger,
	}
	var lookupMX func(ctx context.Context, domain string) ([]*net.MX, error)
	var hostPort func(netip.Addr, int) int
	if dns != nil {
		hostPort = dns.HostPort
		lookupMX, tc.LookupMX, tc.LookupNetIP, tc.HostPort = dns.LookupMX, dns.LookupMX, dns.LookupNetIP, dns.HostPort
	}
	t, err := transport.New(st, tc)
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
		LookupMX:   lookupMX,
		HostPort:   hostPort,
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

// endpointLines are the startup banner's lines, one per connector
// binding, names aligned: "Default Frontend EX01  0.0.0.0:25 -> 127.0.0.1:10025".
func (e *engineHandle) endpointLines() []string {
	eps := e.receive.Endpoints()
	width := 0
	for _, ep := range eps {
		width = max(width, len(ep.Connector))
	}
	lines := make([]string, len(eps))
	for i, ep := range eps {
		if ep.Listen == "" {
			// Endpoint.String says why it does not listen.
			lines[i] = ep.Connector + strings.Repeat(" ", width-len(ep.Connector)) + strings.TrimPrefix(ep.String(), ep.Connector)
			continue
		}
		lines[i] = fmt.Sprintf("%-*s  %s -> %s", width, ep.Connector, ep.Binding, ep.Listen)
	}
	return lines
}
