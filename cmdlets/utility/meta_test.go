package utility

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"exsh/shell/interp"
	"exsh/shell/object"
)

func TestGetMember(t *testing.T) {
	rt := newRT()
	out := mustInvoke(t, rt, "Get-Member", nil, obj("Name", "EX01", "Count", 3, "Tags", []any{"a"}, "None", nil), obj("Name", "again"))
	checkGolden(t, "get_member", render(out))
	out = mustInvoke(t, rt, "Get-Member", map[string]any{"MemberType": []any{"Property"}, "Name": []any{"L*"}}, "text")
	if got := showAll(out); got != "@{TypeName=System.String; Name=Length; MemberType=Property; Definition=int Length {get;}}" {
		t.Errorf("filtered: %s", got)
	}
}

// Get-Member lists the .NET members the shell's type registry defines,
// System.Object's first by kind and name, then the properties.
func TestGetMemberRegisteredTypes(t *testing.T) {
	tests := []struct {
		input any
		want  []string // Name=MemberType rows expected, in order
	}{
		{object.NewHashtable(), []string{"Add=Method", "Clear=Method", "Contains=Method", "ContainsKey=Method", "ContainsValue=Method",
			"Equals=Method", "GetHashCode=Method", "GetType=Method", "Remove=Method", "ToString=Method",
			"Count=Property", "Keys=Property", "Values=Property"}},
		{time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), []string{"Add=Method", "AddDays=Method"}},
	}
	for _, tt := range tests {
		rt := newRT()
		var got []string
		for _, o := range mustInvoke(t, rt, "Get-Member", nil, tt.input) {
			p := o.(*object.PSObject)
			n, _ := p.Get("Name")
			k, _ := p.Get("MemberType")
			got = append(got, fmt.Sprintf("%v=%v", n, k))
		}
		if !strings.HasPrefix(strings.Join(got, " "), strings.Join(tt.want, " ")) {
			t.Errorf("Get-Member %T:\n%v\nwant it to start with\n%v", tt.input, got, tt.want)
		}
	}
}

func sessionWithCmdlets() *interp.Session {
	return interp.NewSession(interp.Config{Commands: Cmdlets()})
}

func TestGetCommand(t *testing.T) {
	rt := newRT()
	rt.sess = sessionWithCmdlets()
	out := mustInvoke(t, rt, "Get-Command", map[string]any{"Name": []any{"*-Csv", "gci"}})
	checkGolden(t, "get_command", render(out))
	out = mustInvoke(t, rt, "Get-Command", map[string]any{"Verb": []any{"Select"}})
	if got := showAll(out); got != "Select-Object | Select-String" {
		t.Errorf("-Verb: %s", got)
	}
	mustInvoke(t, rt, "Get-Command", map[string]any{"Name": []any{"Get-Nothing"}})
	if len(rt.errs) != 1 || !strings.Contains(rt.errs[0].Error(), "is not recognized") {
		t.Errorf("errors: %v", rt.errs)
	}
	out = mustInvoke(t, rt, "Get-Command", map[string]any{"Name": []any{"Get-Date"}, "Syntax": true})
	want := "Get-Date [[-Date] <DateTime>] [-Year <Int32>] [-Month <Int32>] [-Day <Int32>] [-Hour <Int32>] [-Minute <Int32>] [-Second <Int32>] [-Millisecond <Int32>] [-Format <String>] [-DisplayHint {Date | Time | DateTime}] [<CommonParameters>]\n\n" +
		"Get-Date [[-Date] <DateTime>] [-Year <Int32>] [-Month <Int32>] [-Day <Int32>] [-Hour <Int32>] [-Minute <Int32>] [-Second <Int32>] [-Millisecond <Int32>] [-UFormat <String>] [-DisplayHint {Date | Time | DateTime}] [<CommonParameters>]"
	if got := object.ToString(out[0]); got != want {
		t.Errorf("-Syntax:\n%s\nwant\n%s", got, want)
	}
}

func TestGetHelp(t *testing.T) {
	rt := newRT()
	rt.sess = sessionWithCmdlets()
	for _, mode := range []string{"", "Detailed", "Full", "Examples"} {
		bound := map[string]any{"Name": "select"}
		if mode != "" {
			bound[mode] = true
		}
		out := mustInvoke(t, rt, "Get-Help", bound)
		checkGolden(t, "help_select_"+strings.ToLower(orNone(mode)), render(out))
	}
	out := mustInvoke(t, rt, "Get-Help", map[string]any{"Name": "Get-Content", "Parameter": "Tail"})
	checkGolden(t, "help_parameter", render(out))
	out = mustInvoke(t, rt, "Get-Help", map[string]any{"Name": "*-Csv"})
	checkGolden(t, "help_list", render(out))
	if err := invoke(t, rt, "Get-Help", map[string]any{"Name": "Get-Nothing"}); err == nil || !strings.Contains(err.Error(), "could not find") {
		t.Errorf("unknown topic: %v", err)
	}
}

// TestDeclarations checks every cmdlet's declaration: names, help, an
// example, unique parameter names and aliases, positions without gaps.
func TestDeclarations(t *testing.T) {
	seen := map[string]string{}
	for _, ci := range Cmdlets() {
		if !strings.Contains(ci.Name, "-") || ci.Synopsis == "" || ci.Description == "" || len(ci.Examples) == 0 {
			t.Errorf("%s: incomplete declaration", ci.Name)
		}
		for _, n := range append([]string{ci.Name}, ci.Aliases...) {
			if prev, ok := seen[strings.ToLower(n)]; ok {
				t.Errorf("%s: name %q also used by %s", ci.Name, n, prev)
			}
			seen[strings.ToLower(n)] = ci.Name
		}
		names := map[string]bool{}
		for _, p := range ci.Params {
			for _, n := range append([]string{p.Name}, p.Aliases...) {
				if names[strings.ToLower(n)] {
					t.Errorf("%s: parameter name %q declared twice", ci.Name, n)
				}
				names[strings.ToLower(n)] = true
			}
			if p.Help == "" {
				t.Errorf("%s -%s: no help", ci.Name, p.Name)
			}
		}
	}
}

// Exchange cmdlets get Exchange's parameter type names in their syntax.
func TestExchangeSyntax(t *testing.T) {
	ci := &interp.CmdletInfo{
		Name:   "Set-ReceiveConnector",
		Module: "Microsoft.Exchange.Management.PowerShell.SnapIn",
		Params: []*interp.ParamInfo{
			{Name: "Identity", Kind: interp.KindString, Position: 0, Mandatory: true, FromPipeline: true},
			{Name: "Bindings", Kind: interp.KindString, Position: -1, Array: true, Multi: true},
			{Name: "MaxMessageSize", Kind: interp.KindByteSize, Position: -1},
			{Name: "ConnectionTimeout", Kind: interp.KindTimeSpan, Position: -1},
			{Name: "ProtocolLoggingLevel", Kind: interp.KindEnum, Position: -1, Values: []string{"None", "Verbose"}},
			{Name: "Enabled", Kind: interp.KindBool, Position: -1},
			{Name: "DomainController", Kind: interp.KindString, Position: -1},
		},
		SupportsShouldProcess: true,
	}
	want := "Set-ReceiveConnector [-Identity] <ReceiveConnectorIdParameter> [-Bindings <MultiValuedProperty>] " +
		"[-MaxMessageSize <ByteQuantifiedSize>] [-ConnectionTimeout <EnhancedTimeSpan>] [-ProtocolLoggingLevel {None | Verbose}] " +
		"[-Enabled <Boolean>] [-DomainController <Fqdn>] [-WhatIf] [-Confirm] [<CommonParameters>]"
	if got := syntaxLines(ci); len(got) != 1 || got[0] != want {
		t.Errorf("syntax:\n%q\nwant\n%q", got, want)
	}
}
