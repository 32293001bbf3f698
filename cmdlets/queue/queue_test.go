package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"exsh/cmdlets"
	"exsh/engine/transport"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

// fakeAdmin is an in-memory administration API.
type fakeAdmin struct {
	queues   []transport.QueueInfo
	messages []transport.MessageInfo
	calls    []string
	export   []byte
}

func (f *fakeAdmin) Queues() ([]transport.QueueInfo, error) { return f.queues, nil }

func (f *fakeAdmin) ResolveQueues(id string) ([]transport.QueueInfo, error) {
	name := id
	if i := strings.LastIndexByte(id, '\\'); i >= 0 {
		name = id[i+1:]
	}
	var out []transport.QueueInfo
	for _, q := range f.queues {
		if strings.EqualFold(q.Identity, `EX01\`+name) || strings.EqualFold(q.NextHopDomain, name) {
			out = append(out, q)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: %w", id, transport.ErrQueueNotFound)
	}
	return out, nil
}

func (f *fakeAdmin) MessagesContext(ctx context.Context, mf transport.MessageFilter) ([]transport.MessageInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return f.Messages(mf)
}

func (f *fakeAdmin) Messages(mf transport.MessageFilter) ([]transport.MessageInfo, error) {
	var out []transport.MessageInfo
	for _, m := range f.messages {
		switch {
		case mf.Identity != "":
			if !strings.EqualFold(m.Identity, mf.Identity) && !strings.HasSuffix(m.Identity, `\`+mf.Identity) {
				continue
			}
		case mf.Queue != "":
			if !strings.EqualFold(m.Queue, mf.Queue) {
				continue
			}
		}
		if !mf.IncludeRecipientInfo {
			m.Recipients = nil
		}
		out = append(out, m)
	}
	if mf.Identity != "" && len(out) == 0 {
		return nil, fmt.Errorf("%q: %w", mf.Identity, transport.ErrMessageNotFound)
	}
	return out, nil
}

func (f *fakeAdmin) record(s string) error        { f.calls = append(f.calls, s); return nil }
func (f *fakeAdmin) SuspendQueue(id string) error { return f.record("SuspendQueue " + id) }
func (f *fakeAdmin) ResumeQueue(id string) error  { return f.record("ResumeQueue " + id) }
func (f *fakeAdmin) RetryQueue(id string, resubmit bool) error {
	return f.record(fmt.Sprintf("RetryQueue %s %v", id, resubmit))
}
func (f *fakeAdmin) SuspendMessage(id string) error { return f.record("SuspendMessage " + id) }
func (f *fakeAdmin) ResumeMessage(id string) error  { return f.record("ResumeMessage " + id) }
func (f *fakeAdmin) RemoveMessage(id string, ndr bool) error {
	return f.record(fmt.Sprintf("RemoveMessage %s %v", id, ndr))
}
func (f *fakeAdmin) ExportMessage(id string) ([]byte, error) {
	f.record("ExportMessage " + id)
	return f.export, nil
}

func (f *fakeAdmin) RedirectMessages(targets []string) (int, error) {
	f.record("RedirectMessages " + strings.Join(targets, ","))
	return 0, nil
}

func newFake() *fakeAdmin {
	return &fakeAdmin{
		queues: []transport.QueueInfo{
			{Identity: `EX01\4`, DeliveryType: "SmtpDeliveryToMailbox", Status: "Ready", MessageCount: 0, RiskLevel: "Normal", NextHopDomain: "mailbox database 0471695037", NextHopCategory: "Internal"},
			{Identity: `EX01\5`, DeliveryType: "SmartHostConnectorDelivery", Status: "Retry", MessageCount: 12, RiskLevel: "Normal", NextHopDomain: "[127.0.0.1]", NextHopCategory: "External",
				LastError: "441 4.4.1 Error encountered while communicating with primary target IP address", LastRetryTime: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)},
			{Identity: `EX01\6`, DeliveryType: "DnsConnectorDelivery", Status: "Retry", MessageCount: 3, RiskLevel: "Normal", NextHopDomain: "fabrikam.com", NextHopCategory: "External"},
			{Identity: `EX01\Submission`, DeliveryType: "Undefined", Status: "Ready", RiskLevel: "Normal", NextHopDomain: "Submission", NextHopCategory: "Internal"},
			{Identity: `EX01\Unreachable`, DeliveryType: "Unreachable", Status: "Ready", MessageCount: 1, RiskLevel: "Normal", NextHopDomain: "Unreachable Domain", NextHopCategory: "Internal"},
		},
		messages: []transport.MessageInfo{
			{Identity: `EX01\5\11`, Queue: `EX01\5`, FromAddress: "chris@contoso.com", Status: "Retry", Subject: "One", Size: 2048,
				Recipients: []transport.MessageRecipient{{Address: "ann@fabrikam.com", Status: "Retry"}}},
			{Identity: `EX01\5\12`, Queue: `EX01\5`, FromAddress: "michelle@contoso.com", Status: "Suspended", Subject: "Two", Size: 1024,
				Recipients: []transport.MessageRecipient{{Address: "bob@tailspintoys.com", Status: "Retry"}}},
			{Identity: `EX01\Unreachable\13`, Queue: `EX01\Unreachable`, FromAddress: "chris@contoso.com", Status: "Ready", Subject: "Three",
				Recipients: []transport.MessageRecipient{{Address: "x@northwind.com", Status: "Ready", LastError: "A matching connector cannot be found to route the external recipient"}}},
		},
		export: []byte("Subject: Two\r\n\r\nbody\r\n"),
	}
}

func deps(a cmdlets.QueueAdmin) *cmdlets.Deps { return &cmdlets.Deps{Queues: a} }

func identities(rt *runtime) string {
	var ids []string
	for _, o := range rt.Objects {
		v, _ := o.(*object.PSObject).Get("Identity")
		ids = append(ids, object.ToString(v))
	}
	return strings.Join(ids, " ")
}

func TestGetQueue(t *testing.T) {
	f := newFake()
	cmd := find(t, Cmdlets(deps(f)), "Get-Queue")
	tests := []struct {
		bound map[string]any
		want  string
	}{
		{nil, `EX01\4 EX01\5 EX01\6 EX01\Submission EX01\Unreachable`},
		{map[string]any{"Identity": `EX01\5`}, `EX01\5`},
		{map[string]any{"Identity": `Unreachable`}, `EX01\Unreachable`},
		{map[string]any{"Identity": `*`}, `EX01\4 EX01\5 EX01\6 EX01\Submission EX01\Unreachable`},
		{map[string]any{"Filter": "MessageCount -gt 0"}, `EX01\5 EX01\6 EX01\Unreachable`},
		{map[string]any{"Filter": "Status -eq 'Retry' -and MessageCount -ge 10"}, `EX01\5`},
		{map[string]any{"Filter": "DeliveryType -eq 'SmtpDeliveryToMailbox' -or NextHopDomain -like '*.com'"}, `EX01\4 EX01\6`},
		{map[string]any{"Filter": "LastError -ne $null", "Server": "EX01"}, `EX01\5`},
		{map[string]any{"Exclude": []any{"Empty"}}, `EX01\5 EX01\6 EX01\Unreachable`},
		{map[string]any{"Include": []any{"External"}}, `EX01\5 EX01\6`},
		{map[string]any{"Include": []any{"Internal"}, "Exclude": []any{"Empty"}}, `EX01\Unreachable`},
		{map[string]any{"Include": []any{"DnsConnectorDelivery,Unreachable"}}, `EX01\6 EX01\Unreachable`},
		{map[string]any{"SortOrder": []any{"-MessageCount"}}, `EX01\5 EX01\6 EX01\Unreachable EX01\4 EX01\Submission`},
		{map[string]any{"SortOrder": []any{"+Status,-MessageCount"}}, `EX01\Unreachable EX01\4 EX01\Submission EX01\5 EX01\6`},
		{map[string]any{"ResultSize": "2"}, `EX01\4 EX01\5`},
		{map[string]any{"ResultSize": "Unlimited", "BookmarkIndex": 4}, `EX01\Submission EX01\Unreachable`},
		{map[string]any{"SearchForward": false, "ResultSize": "1"}, `EX01\Unreachable`},
	}
	for _, tt := range tests {
		rt, err := invoke(t, cmd, tt.bound)
		if err != nil {
			t.Errorf("%v: %v", tt.bound, err)
			continue
		}
		if got := identities(rt); got != tt.want {
			t.Errorf("%v:\n got %s\nwant %s", tt.bound, got, tt.want)
		}
	}

	rt, _ := invoke(t, cmd, map[string]any{"Identity": `EX01\5`})
	q := rt.Objects[0].(*object.PSObject)
	if q.TypeNames[1] != QueueType {
		t.Errorf("type names %v", q.TypeNames)
	}
	for p, want := range map[string]any{"DeliveryType": "SmartHostConnectorDelivery", "Status": "Retry", "MessageCount": 12, "NextHopDomain": "[127.0.0.1]", "RiskLevel": "Normal", "OutboundIPPool": 0} {
		if got, _ := q.Get(p); got != want {
			t.Errorf("%s = %#v, want %#v", p, got, want)
		}
	}
	if v, _ := q.Get("NextRetryTime"); v != nil {
		t.Errorf("zero time shown as %v", v)
	}
	if v, _ := q.Get("LastRetryTime"); v == nil {
		t.Error("LastRetryTime missing")
	}
}

func TestGetQueueErrors(t *testing.T) {
	cmd := find(t, Cmdlets(deps(newFake())), "Get-Queue")
	tests := []struct {
		bound map[string]any
		want  string
	}{
		{map[string]any{"Identity": `EX01\Nope`}, `The operation couldn't be performed because object 'EX01\Nope' couldn't be found on 'EX01.contoso.com'.`},
		{map[string]any{"Identity": `Nope`}, `The operation couldn't be performed because object 'EX01\Nope' couldn't be found on 'EX01.contoso.com'.`},
		{map[string]any{"Filter": "Colour -eq 'red'"}, "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"\"Colour\" is not a recognized filterable property. For a list of recognized filterable properties, see the command help.\n\"Colour -eq 'red'\" at position 1.\""},
		{map[string]any{"Filter": "MessageCount -gt"}, "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"Invalid filter syntax. For a description of the filter parameter syntax see the command help.\n\"MessageCount -gt\" at position 17.\""},
		{map[string]any{"Identity": `EX01\5`, "Filter": "MessageCount -gt 0"}, "Parameter set cannot be resolved using the specified named parameters."},
		{map[string]any{"Server": "EX02"}, `The operation couldn't be performed because object 'EX02' couldn't be found on 'EX01.contoso.com'.`},
		{map[string]any{"ResultSize": "0"}, "Cannot process argument transformation on parameter 'ResultSize'."},
		{map[string]any{"SortOrder": []any{"+Colour"}}, `"Colour" is not a recognized sortable property.`},
		{map[string]any{"Include": []any{"Outside"}}, `Cannot bind parameter 'Include'. Cannot convert value "Outside"`},
	}
	for _, tt := range tests {
		_, err := invoke(t, cmd, tt.bound)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v\nwant %s", tt.bound, err, tt.want)
		}
	}

	// Without a Transport service.
	_, err := invoke(t, find(t, Cmdlets(&cmdlets.Deps{}), "Get-Queue"), nil)
	if err == nil || !strings.Contains(err.Error(), "The Microsoft Exchange Transport service isn't running on server EX01.") {
		t.Errorf("no engine: %v", err)
	}
}

func TestQueueActions(t *testing.T) {
	tests := []struct {
		cmd      string
		bound    map[string]any
		calls    string
		confirms string
		err      string
	}{
		{"Suspend-Queue", map[string]any{"Identity": `EX01\5`}, `SuspendQueue EX01\5`, `Suspending queue | EX01\5`, ""},
		{"Suspend-Queue", map[string]any{"Filter": "NextHopCategory -eq 'External'"}, `SuspendQueue EX01\5,SuspendQueue EX01\6`, `Suspending queue | EX01\5,Suspending queue | EX01\6`, ""},
		{"Resume-Queue", map[string]any{"Identity": `5`}, `ResumeQueue EX01\5`, `Resuming queue | EX01\5`, ""},
		{"Retry-Queue", map[string]any{"Identity": `EX01\6`}, `RetryQueue EX01\6 false`, `Retrying queue | EX01\6`, ""},
		{"Retry-Queue", map[string]any{"Identity": `EX01\Unreachable`, "Resubmit": true}, `RetryQueue EX01\Unreachable true`, `Retrying queue | EX01\Unreachable`, ""},
		{"Retry-Queue", map[string]any{"Identity": `EX01\Unreachable`}, ``, ``, `The Unreachable queue can't be retried. To route its messages again, use Retry-Queue -Identity EX01\Unreachable -Resubmit $true.`},
		{"Suspend-Queue", map[string]any{"Identity": `EX01\Nope`}, ``, ``, `couldn't be found`},
		{"Suspend-Message", map[string]any{"Identity": `EX01\5\11`}, `SuspendMessage EX01\5\11`, `Suspending message | EX01\5\11`, ""},
		{"Suspend-Message", map[string]any{"Identity": `11`}, `SuspendMessage EX01\5\11`, `Suspending message | EX01\5\11`, ""},
		{"Resume-Message", map[string]any{"Filter": "Status -eq 'Suspended'"}, `ResumeMessage EX01\5\12`, `Resuming message | EX01\5\12`, ""},
		{"Remove-Message", map[string]any{"Identity": `EX01\Unreachable\13`}, `RemoveMessage EX01\Unreachable\13 true`, `Removing message | EX01\Unreachable\13`, ""},
		{"Remove-Message", map[string]any{"Identity": `EX01\Unreachable\13`, "WithNDR": false}, `RemoveMessage EX01\Unreachable\13 false`, `Removing message | EX01\Unreachable\13`, ""},
		{"Remove-Message", map[string]any{"Filter": "Recipients -like '*@tailspintoys.com'"}, `RemoveMessage EX01\5\12 true`, `Removing message | EX01\5\12`, ""},
		{"Remove-Message", map[string]any{"Identity": `EX01\5\99`}, ``, ``, `The operation couldn't be performed because object 'EX01\5\99' couldn't be found on 'EX01.contoso.com'.`},
		{"Remove-Message", map[string]any{}, ``, ``, `missing mandatory parameters: Identity`},
	}
	for _, tt := range tests {
		f := newFake()
		rt, err := invoke(t, find(t, Cmdlets(deps(f)), tt.cmd), tt.bound)
		if err == nil && len(rt.Errors) > 0 {
			err = rt.Errors[0]
		}
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s %v: error %v, want %s", tt.cmd, tt.bound, err, tt.err)
			}
		} else if err != nil {
			t.Errorf("%s %v: %v", tt.cmd, tt.bound, err)
		}
		if got := strings.Join(f.calls, ","); got != tt.calls {
			t.Errorf("%s %v: calls %q, want %q", tt.cmd, tt.bound, got, tt.calls)
		}
		if got := strings.Join(rt.Confirms, ","); got != tt.confirms {
			t.Errorf("%s %v: confirms %q, want %q", tt.cmd, tt.bound, got, tt.confirms)
		}
	}
}

func TestWhatIfAndDecline(t *testing.T) {
	f := newFake()
	rt, err := invoke(t, find(t, Cmdlets(deps(f)), "Suspend-Queue"), map[string]any{"Identity": `EX01\5`, "WhatIf": true})
	if err != nil {
		t.Fatal(err)
	}
	if got := rt.Host.String(); got != "What if: Suspending queue \"EX01\\5\".\n" {
		t.Errorf("WhatIf output %q", got)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls %v", f.calls)
	}
	rt = &runtime{Decline: true}
	if _, err := invokeRT(t, rt, find(t, Cmdlets(deps(f)), "Remove-Message"), map[string]any{"Identity": `13`}); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Errorf("declined but called %v", f.calls)
	}
}

func TestGetMessage(t *testing.T) {
	f := newFake()
	cmd := find(t, Cmdlets(deps(f)), "Get-Message")
	tests := []struct {
		bound map[string]any
		want  string
	}{
		{nil, `EX01\5\11 EX01\5\12 EX01\Unreachable\13`},
		{map[string]any{"Identity": `EX01\5\12`}, `EX01\5\12`},
		{map[string]any{"Queue": `EX01\Unreachable`}, `EX01\Unreachable\13`},
		{map[string]any{"Filter": "FromAddress -like 'chris@*'"}, `EX01\5\11 EX01\Unreachable\13`},
		{map[string]any{"Filter": "Status -eq 'Suspended' -or Size -gt 1.5KB"}, `EX01\5\11 EX01\5\12`},
		{map[string]any{"Filter": "Recipients -eq 'x@northwind.com'"}, `EX01\Unreachable\13`},
		{map[string]any{"SortOrder": []any{"-Size"}}, `EX01\5\11 EX01\5\12 EX01\Unreachable\13`},
		{map[string]any{"SortOrder": []any{"+Size"}}, `EX01\Unreachable\13 EX01\5\12 EX01\5\11`},
		{map[string]any{"ResultSize": "1"}, `EX01\5\11`},
	}
	for _, tt := range tests {
		rt, err := invoke(t, cmd, tt.bound)
		if err != nil {
			t.Errorf("%v: %v", tt.bound, err)
			continue
		}
		if got := identities(rt); got != tt.want {
			t.Errorf("%v:\n got %s\nwant %s", tt.bound, got, tt.want)
		}
	}

	// A queue piped from Get-Queue selects that queue's messages.
	qs, _ := invoke(t, find(t, Cmdlets(deps(f)), "Get-Queue"), map[string]any{"Identity": `EX01\5`})
	rt, _ := invoke(t, cmd, map[string]any{"Identity": qs.Objects[0]})
	if got := identities(rt); got != `EX01\5\11 EX01\5\12` {
		t.Errorf("piped queue: %s", got)
	}

	// Recipients only with -IncludeRecipientInfo, also when a filter used them.
	rt, _ = invoke(t, cmd, map[string]any{"Filter": "Recipients -like '*northwind*'"})
	if r, _ := rt.Objects[0].(*object.PSObject).Get("Recipients"); len(r.([]any)) != 0 {
		t.Errorf("recipients without -IncludeRecipientInfo: %v", r)
	}
	rt, _ = invoke(t, cmd, map[string]any{"Identity": `13`, "IncludeRecipientInfo": true})
	m := rt.Objects[0].(*object.PSObject)
	r, _ := m.Get("Recipients")
	if l := r.([]any); len(l) != 1 || object.ToString(l[0]) != "x@northwind.com;Ready;A matching connector cannot be found to route the external recipient" {
		t.Errorf("recipients %v", r)
	}
	for p, want := range map[string]any{"FromAddress": "chris@contoso.com", "Queue": `EX01\Unreachable`, "Status": "Ready", "Subject": "Three"} {
		if got, _ := m.Get(p); got != want {
			t.Errorf("%s = %v", p, got)
		}
	}
	if m.TypeNames[1] != MessageType {
		t.Errorf("type names %v", m.TypeNames)
	}

	_, err := invoke(t, cmd, map[string]any{"Queue": `EX01\5`, "Filter": "Status -eq 'Retry'"})
	if err == nil || err.Error() != "Parameter set cannot be resolved using the specified named parameters." {
		t.Errorf("Queue with Filter: %v", err)
	}
	_, err = invoke(t, cmd, map[string]any{"Identity": `EX01\5\77`})
	var e *interp.ErrorRecord
	if !errors.As(err, &e) || e.Reason != "ManagementObjectNotFoundException" {
		t.Errorf("not found: %v", err)
	}
}

func TestExportMessage(t *testing.T) {
	f := newFake()
	list := Cmdlets(deps(f))
	export := find(t, list, "Export-Message")

	rt, _ := invoke(t, export, map[string]any{"Identity": `EX01\5\11`})
	if len(rt.Errors) != 1 || !strings.Contains(rt.Errors[0].Error(), `The message "EX01\5\11" must be suspended before it can be exported.`) {
		t.Errorf("not suspended: %v", rt.Errors)
	}
	if len(f.calls) != 0 {
		t.Errorf("exported anyway: %v", f.calls)
	}

	rt, err := invoke(t, export, map[string]any{"Identity": `EX01\5\12`})
	if err != nil || len(rt.Errors) > 0 {
		t.Fatal(err, rt.Errors)
	}
	o := rt.Objects[0].(*object.PSObject)
	if data, _ := o.Get("FileData"); string(data.([]byte)) != string(f.export) {
		t.Errorf("FileData %q", data)
	}
	if o.TypeNames[0] != BinaryFileType {
		t.Errorf("type %v", o.TypeNames)
	}

	dir := t.TempDir()
	assemble := find(t, list, "AssembleMessage")
	path := filepath.Join(dir, "m.eml")
	for i := 0; i < 2; i++ {
		if _, err := invoke(t, assemble, map[string]any{"Path": path, "InputObject": o}); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != string(f.export)+string(f.export) {
		t.Errorf("AssembleMessage appends: %q", b)
	}
	// FileData that went through the pipeline as a list of bytes.
	o2 := object.New("x").Add("FileData", []any{72, 105})
	os.Remove(path)
	invoke(t, assemble, map[string]any{"Path": path, "InputObject": o2})
	if b, _ := os.ReadFile(path); string(b) != "Hi" {
		t.Errorf("byte list: %q", b)
	}

	// -Path, relative to $PWD.
	rt = &runtime{Vars: map[string]any{"pwd": dir}}
	if _, err := invokeRT(t, rt, export, map[string]any{"Identity": `12`, "Path": `out\12.eml`}); err == nil {
		t.Error("missing directory accepted")
	}
	os.Mkdir(filepath.Join(dir, "out"), 0o700)
	rt = &runtime{Vars: map[string]any{"pwd": dir}}
	if _, err := invokeRT(t, rt, export, map[string]any{"Identity": `12`, "Path": `out\12.eml`}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out", "12.eml")); string(b) != string(f.export) {
		t.Errorf("-Path wrote %q", b)
	}
	if len(rt.Objects) != 0 {
		t.Errorf("-Path also returned %d objects", len(rt.Objects))
	}
}

func TestQueueDigest(t *testing.T) {
	f := newFake()
	for i := range f.queues {
		if f.queues[i].Identity == `EX01\Submission` {
			f.queues[i].MessageCount = 30 // not a delivery queue: not shown without -Filter
		}
	}
	cmd := find(t, Cmdlets(deps(f)), "Get-QueueDigest")
	rt, err := invoke(t, cmd, map[string]any{"Server": []any{"EX01"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.Objects) != 1 {
		t.Fatalf("%d groups", len(rt.Objects))
	}
	g := rt.Objects[0].(*object.PSObject)
	if v, _ := g.Get("GroupByValue"); v != "[127.0.0.1]" {
		t.Errorf("GroupByValue %v", v)
	}
	if v, _ := g.Get("Details"); object.ToString(v.([]any)[0]) != `EX01\5:12` {
		t.Errorf("Details %v", v)
	}

	rt, _ = invoke(t, cmd, map[string]any{"Forest": true, "Filter": "MessageCount -gt 0", "GroupBy": "NextHopCategory"})
	var got []string
	for _, o := range rt.Objects {
		k, _ := o.(*object.PSObject).Get("GroupByValue")
		n, _ := o.(*object.PSObject).Get("MessageCount")
		got = append(got, fmt.Sprintf("%v=%v", k, n))
	}
	if strings.Join(got, " ") != "Internal=31 External=15" {
		t.Errorf("groups %v", got)
	}
	if _, err := invoke(t, cmd, nil); err == nil {
		t.Error("no scope accepted")
	}
	if _, err := invoke(t, cmd, map[string]any{"Dag": []any{"DAG1"}}); err == nil {
		t.Error("unknown DAG accepted")
	}
}

func TestInvalidOpText(t *testing.T) {
	err := fmt.Errorf("%q: the message must be suspended before it can be exported: %w", `EX01\3\12`, transport.ErrInvalidOperation)
	if got := invalidOpText(err); got != "The message must be suspended before it can be exported." {
		t.Errorf("%q", got)
	}
}

// stallingAdmin's message walk lasts until its caller gives up.
type stallingAdmin struct {
	*fakeAdmin
	started chan struct{}
}

func (s *stallingAdmin) MessagesContext(ctx context.Context, _ transport.MessageFilter) ([]transport.MessageInfo, error) {
	close(s.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

// Stopping the pipeline (Ctrl+C in the shell) stops Get-Message's walk of
// the queues, on this server or another.
func TestGetMessageStopsWithThePipeline(t *testing.T) {
	a := &stallingAdmin{fakeAdmin: newFake(), started: make(chan struct{})}
	var out bytes.Buffer
	s := interp.NewSession(interp.Config{Stdout: &out, Stderr: &out, Width: 120, Commands: Cmdlets(deps(a)),
		NewOutput: func(w io.Writer, width int) interp.Output { return format.NewOutput(w, width) }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, "Get-Message", "") }()
	select {
	case <-a.started:
	case <-time.After(10 * time.Second):
		t.Fatal("Get-Message did not walk the queues")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Get-Message went on after its pipeline was stopped")
	}
}

func TestServerPart(t *testing.T) {
	for _, tc := range []struct {
		identity string
		message  bool
		want     string
	}{
		{`EX02\Submission`, false, "EX02"},
		{`Submission`, false, ""},
		{`*\Unreachable`, false, ""},
		{`EX02\3\12`, true, "EX02"},
		{`3\12`, true, ""},
		{`Unreachable\12`, true, ""},
		{`12`, true, ""},
		{`*\3\12`, true, ""},
	} {
		if got := serverPart(tc.identity, tc.message); got != tc.want {
			t.Errorf("serverPart(%q, %v) = %q, want %q", tc.identity, tc.message, got, tc.want)
		}
	}
}
