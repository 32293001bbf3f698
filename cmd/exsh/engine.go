package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sort"
	"strings"

	"exsh/cmdlets"
	"exsh/cmdlets/mail"
	"exsh/engine"
	"exsh/engine/transport"
	"exsh/labs"
	"exsh/state"
)

// startEngine starts this server's transport engine (engine.NewServer:
// the Transport service, then the listeners of the receive connectors).
// portMap turns a binding's port into the port to listen on (-PortOffset).
// dns is a lab's DNS; nil makes no DNS lookup at all.
func startEngine(st state.ServerStore, dataPath string, so serverOptions, portMap func(int) int, warn io.Writer, level slog.Level, dns *labs.DNS) (*engine.Service, error) {
	logger := slog.New(slog.NewTextHandler(warn, &slog.HandlerOptions{Level: level}))
	eo := engine.Options{
		DataPath:   dataPath,
		PortMap:    portMap,
		ListenAll:  so.listenAll,
		Logger:     logger,
		IPAddress:  so.ipAddress,
		ServerName: so.serverName,
		Alive:      so.alive,
	}
	tc := transport.Config{ServerName: so.serverName}
	if dns != nil {
		// engine.NewServer hands LookupMX on to the Transport service.
		eo.LookupMX, eo.HostPort = dns.LookupMX, dns.HostPort
		tc.LookupNetIP, tc.HostPort = dns.LookupNetIP, dns.HostPort
	}
	svc, err := engine.NewServer(st, eo, tc)
	if err != nil {
		return nil, err
	}
	if err := svc.Start(context.Background()); err != nil {
		return nil, err
	}
	return svc, nil
}

// serverOptions are what the engine needs to know of the server it runs:
// in an organisation of several servers, which one it is, its address and
// the others' liveness; zero on a single server.
type serverOptions struct {
	listenAll  bool
	ipAddress  netip.Addr
	serverName string
	alive      func(server string) bool
}

// engineOptions are the server options of the data path being opened.
func (h *host) engineOptions(dataPath string) serverOptions {
	so := serverOptions{listenAll: h.opts.listenAll}
	if h.org != nil && dataPath == h.dataPath {
		so.ipAddress, so.serverName, so.alive = h.org.ip, h.org.name, h.org.store.Alive
	}
	return so
}

// wireStore gives the cmdlets what they read from the open store itself.
func wireStore(d *cmdlets.Deps, st state.QueueStore) {
	d.Mailboxes = mail.StoreMailboxes(st)
}

// wireEngine gives the cmdlets the parts of the running engine they use.
// Start and Stop are not among them: no cmdlet can stop the engine it
// runs on.
func wireEngine(d *cmdlets.Deps, svc *engine.Service) {
	d.Ports = svc
	if tr := svc.Transport(); tr != nil {
		d.Queues = tr
		d.Submitter = tr
		if log := tr.Tracking(); log != nil {
			d.Tracking = log
		}
	}
}

// unwireEngine takes the engine away from the cmdlets (it is stopping).
func unwireEngine(d *cmdlets.Deps) {
	d.Ports, d.Queues, d.Submitter, d.Tracking = nil, nil, nil, nil
}

// endpointLines are the startup banner's lines, one per connector with
// each of its bindings and where it listens, names aligned (IPv4 first):
// "Default Frontend EX01  0.0.0.0:25 -> 127.0.0.1:10025, [::]:25 -> [::1]:10025".
func endpointLines(svc *engine.Service) []string {
	return formatEndpoints(svc.Endpoints())
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
