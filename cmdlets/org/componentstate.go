package org

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// ServerComponentStateType is the type name of Get-ServerComponentState's
// objects.
const ServerComponentStateType = "Microsoft.Exchange.Management.SystemConfigurationTasks.ServerComponentStatePresentationObject"

var componentStateTypeNames = []string{ServerComponentStateType, "System.Object"}

var componentRequesters = []string{"HealthApi", "Maintenance", "Sidelined", "Functional", "Deployment"}

var componentStates = []string{state.ComponentActive, state.ComponentInactive, state.ComponentDraining}

// componentStateView is one component as Get-ServerComponentState shows it.
type componentStateView struct {
	Server       string
	Component    string
	State        string
	LocalStates  []string
	RemoteStates []string
	Identity     string
	IsValid      bool
	ObjectState  string
}

func componentStateCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := cmdlets.CompleteServers(d)
	completeComponent := completer(d, func(state.Tx) ([]string, error) { return state.ServerComponents, nil })
	idHelp := "Specifies the server: its name, FQDN or GUID."
	get := &interp.CmdletInfo{
		Name:        "Get-ServerComponentState",
		Synopsis:    "Gets the state of a server's components.",
		Description: "Get-ServerComponentState lists a server's components (ServerWideOffline, HubTransport, FrontendTransport, ...) and whether each is Active, Inactive or Draining.",
		OutputType:  ServerComponentStateType,
		Params: []*interp.ParamInfo{identityParam(idHelp, true, complete),
			{Name: "Component", Kind: interp.KindString, Position: -1, Complete: completeComponent, Help: "Returns only the named component."},
			domainControllerParam()},
		Examples: []interp.Example{
			{Code: "Get-ServerComponentState EX01", Remarks: "Shows every component's state."},
			{Code: "Get-ServerComponentState EX01 -Component HubTransport | Format-List", Remarks: "Shows who put the hub in its current state."},
		},
	}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			srv, err := r.server(tx, cmdlets.IdentityText(c.Value("Identity")))
			if err != nil {
				return err
			}
			states, err := tx.ServerComponentStates(srv.Name)
			if err != nil {
				return err
			}
			want := ""
			if c.Has("Component") {
				var ok bool
				if want, ok = state.CanonicalComponent(c.String("Component")); !ok {
					return r.badComponent(c.String("Component"))
				}
			}
			for _, comp := range state.ServerComponents {
				if want != "" && comp != want {
					continue
				}
				own := componentRecord(states, comp)
				out = append(out, cmdlets.ToObject(componentStateTypeNames, &componentStateView{
					Server: srv.Fqdn, Component: comp, State: state.EffectiveComponentState(states, comp),
					LocalStates: requesterLines(own), RemoteStates: requesterLines(own), Identity: srv.Fqdn, IsValid: true, ObjectState: "New",
				}))
			}
			return nil
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}
	set := &interp.CmdletInfo{
		Name:     "Set-ServerComponentState",
		Synopsis: "Changes the state of a server component.",
		Description: "Set-ServerComponentState records a requester's wish for a component's state. A component is Active only when every requester wants it Active. " +
			"HubTransport Draining (for maintenance) stops the Transport service from accepting new mail (MAIL FROM gets 421 4.3.2 Service not available) while it delivers what is queued; " +
			"Inactive does the same; FrontendTransport Inactive does it on the Front End's connectors; ServerWideOffline Inactive on all of them.",
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{identityParam(idHelp, true, complete),
			{Name: "Component", Kind: interp.KindString, Mandatory: true, Position: -1, Complete: completeComponent, Help: "Specifies the component: ServerWideOffline, HubTransport, FrontendTransport, ..."},
			{Name: "State", Kind: interp.KindEnum, Mandatory: true, Position: -1, Values: componentStates, Help: "Specifies the state: Active, Inactive or Draining."},
			{Name: "Requester", Kind: interp.KindEnum, Mandatory: true, Position: -1, Values: componentRequesters, Help: "Specifies who asks for the state: Maintenance for an administrator's maintenance, HealthApi, Sidelined, Functional or Deployment."},
			named("LocalOnly", interp.KindSwitch, "Accepted for compatibility; the lab keeps one copy of the state."),
			named("RemoteOnly", interp.KindSwitch, "Accepted for compatibility; the lab keeps one copy of the state."),
			named("TimeoutInSeconds", interp.KindInt, "Accepted for compatibility."),
			domainControllerParam()},
		Examples: []interp.Example{
			{Code: "Set-ServerComponentState EX01 -Component HubTransport -State Draining -Requester Maintenance", Remarks: "Starts maintenance: no new mail, queued mail still goes out."},
			{Code: "Set-ServerComponentState EX01 -Component HubTransport -State Active -Requester Maintenance", Remarks: "Ends maintenance."},
		},
	}
	set.Process = func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			srv, err := r.server(tx, cmdlets.IdentityText(c.Value("Identity")))
			if err != nil {
				return err
			}
			comp, ok := state.CanonicalComponent(c.String("Component"))
			if !ok {
				return r.badComponent(c.String("Component"))
			}
			st := canonical(c.String("State"), componentStates)
			requester := canonical(c.String("Requester"), componentRequesters)
			states, err := tx.ServerComponentStates(srv.Name)
			if err != nil {
				return err
			}
			rec := componentRecord(states, comp)
			if rec == nil {
				rec = &state.ServerComponentState{Server: srv.Name, Component: comp}
			}
			if rec.Requesters == nil {
				rec.Requesters = map[string]state.ComponentRequest{}
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Setting the state of component \"%s\" on server \"%s\" to \"%s\" for requester \"%s\".", comp, srv.Name, st, requester)) {
				return errSkip
			}
			rec.Requesters[requester] = state.ComponentRequest{State: st, Timestamp: time.Now().UTC()}
			return tx.PutServerComponentState(rec)
		}))
	}
	return []*interp.CmdletInfo{get, set}
}

// componentRecord is the stored state of component comp among states, or
// nil when no requester has set one.
func componentRecord(states []*state.ServerComponentState, comp string) *state.ServerComponentState {
	for _, s := range states {
		if strings.EqualFold(s.Component, comp) {
			return s
		}
	}
	return nil
}

func (r *run) badComponent(name string) error {
	return r.task.InvalidArgument("The component \"%s\" isn't valid. Valid components are: %s.", name, strings.Join(state.ServerComponents, ", "))
}

// requesterLines shows each requester's request as Exchange's LocalStates
// do: "<timestamp> Maintenance Draining".
func requesterLines(s *state.ServerComponentState) []string {
	out := []string{}
	if s == nil {
		return out
	}
	var names []string
	for n := range s.Requesters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		q := s.Requesters[n]
		out = append(out, fmt.Sprintf("%s %s %s", q.Timestamp.Format("1/2/2006 3:04:05 PM"), n, q.State))
	}
	return out
}
