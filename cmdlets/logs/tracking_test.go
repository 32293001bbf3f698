package logs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/engine/mail"
	"exsh/engine/transport"
	"exsh/engine/transport/tracking"
	"exsh/shell/object"
	"exsh/state/boltdb"
	"exsh/state/setup"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// writeLog fills a data path's tracking folder with one message's events.
func writeLog(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	l := tracking.New(tracking.DefaultDir(dir), "15.02.1118.007", nil, tracking.DefaultLimits)
	defer l.Close()
	base := tracking.Event{ClientIp: "127.0.0.56", ServerHostname: "EX01", ConnectorId: `EX01\Default EX01`,
		InternalMessageId: "7", MessageId: "<abc@contoso.com>", NetworkMessageId: "9c2f7b1e-0000-4000-8000-000000000001",
		Sender: "chris@contoso.com", MessageSubject: "Quarterly report", TotalBytes: 2048, RecipientCount: 2,
		Recipients: []string{"michelle@contoso.com", "ann@fabrikam.com"}, CustomData: "S:DeliveryPriority=Normal;S:AccountForest=contoso.com"}
	for i, ev := range []struct{ prefix, id, source string }{
		{tracking.PrefixTransport, "RECEIVE", "SMTP"},
		{tracking.PrefixTransport, "AGENTINFO", "AGENT"},
		{tracking.PrefixMailboxDelivery, "DELIVER", "STOREDRIVER"},
		{tracking.PrefixTransport, "FAIL", "ROUTING"},
		{tracking.PrefixTransport, "DSN", "DSN"},
	} {
		e := base
		e.Timestamp = t0.Add(time.Duration(i) * time.Minute)
		e.EventId, e.Source = ev.id, ev.source
		if ev.id == "DELIVER" {
			e.Recipients = []string{"michelle@contoso.com"}
		}
		if ev.id == "FAIL" {
			e.Recipients = []string{"ann@fabrikam.com"}
			e.RecipientStatus = []string{"550 5.4.1 Recipient address rejected"}
		}
		if ev.id == "DSN" {
			e.Sender, e.Recipients = "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com", []string{"chris@contoso.com"}
			e.MessageSubject = "Undeliverable: Quarterly report"
			e.Reference = []string{"<abc@contoso.com>"}
			e.MessageId = "<dsn@EX01.contoso.com>"
		}
		l.Write(ev.prefix, e)
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func events(rt *runtime) string {
	var ids []string
	for _, o := range rt.Objects {
		v, _ := o.(*object.PSObject).Get("EventId")
		ids = append(ids, object.ToString(v))
	}
	return strings.Join(ids, " ")
}

func TestGetMessageTrackingLog(t *testing.T) {
	dir := writeLog(t)
	cmd := find(t, Cmdlets(&cmdlets.Deps{DataPath: dir}), "Get-MessageTrackingLog")
	tests := []struct {
		bound map[string]any
		want  string
	}{
		{nil, "RECEIVE AGENTINFO DELIVER FAIL DSN"},
		{map[string]any{"EventId": "Fail"}, "FAIL"},
		{map[string]any{"Sender": "CHRIS@contoso.com"}, "RECEIVE AGENTINFO DELIVER FAIL"},
		{map[string]any{"Recipients": strs("ann@fabrikam.com")}, "RECEIVE AGENTINFO FAIL"},
		{map[string]any{"Recipients": strs("nobody@contoso.com", "chris@contoso.com")}, "DSN"},
		{map[string]any{"MessageId": "abc@contoso.com"}, "RECEIVE AGENTINFO DELIVER FAIL"},
		{map[string]any{"MessageSubject": "undeliverable"}, "DSN"},
		{map[string]any{"Reference": "<abc@contoso.com>"}, "DSN"},
		{map[string]any{"Source": "storedriver"}, "DELIVER"},
		{map[string]any{"InternalMessageId": "7", "EventId": "RECEIVE"}, "RECEIVE"},
		{map[string]any{"Start": t0.Add(2 * time.Minute)}, "DELIVER FAIL DSN"},
		{map[string]any{"End": t0.Add(2 * time.Minute)}, "RECEIVE AGENTINFO"},
		{map[string]any{"Start": t0.Add(time.Minute), "End": t0.Add(3 * time.Minute)}, "AGENTINFO DELIVER"},
		{map[string]any{"ResultSize": "2"}, "FAIL DSN"},
		{map[string]any{"ResultSize": "Unlimited", "Server": "EX01"}, "RECEIVE AGENTINFO DELIVER FAIL DSN"},
	}
	for _, tt := range tests {
		rt, err := invoke(t, cmd, tt.bound)
		if err != nil {
			t.Errorf("%v: %v", tt.bound, err)
			continue
		}
		if got := events(rt); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.bound, got, tt.want)
		}
	}

	rt, _ := invoke(t, cmd, map[string]any{"EventId": "FAIL"})
	o := rt.Objects[0].(*object.PSObject)
	want := map[string]string{
		"Source": "ROUTING", "Sender": "chris@contoso.com", "MessageSubject": "Quarterly report",
		"InternalMessageId": "7", "TotalBytes": "2048", "ConnectorId": `EX01\Default EX01`,
		"MessageLatencyType": "None",
	}
	for k, v := range want {
		if got, _ := o.Get(k); object.ToString(got) != v {
			t.Errorf("%s = %v, want %s", k, got, v)
		}
	}
	if r, _ := o.Get("Recipients"); fmt.Sprint(r) != "[ann@fabrikam.com]" {
		t.Errorf("Recipients %v", r)
	}
	if r, _ := o.Get("RecipientStatus"); fmt.Sprint(r) != "[550 5.4.1 Recipient address rejected]" {
		t.Errorf("RecipientStatus %v", r)
	}
	if ts, _ := o.Get("Timestamp"); !ts.(time.Time).Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("Timestamp %v", ts)
	}
	if ed, _ := o.Get("EventData"); object.ToString(ed.([]any)[0]) != "[DeliveryPriority, Normal]" {
		t.Errorf("EventData %v", ed)
	}
	if o.TypeNames[0] != EventType {
		t.Errorf("type %v", o.TypeNames)
	}
	var names []string
	for _, p := range o.Properties()[:10] {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, ","); got != "Timestamp,ClientIp,ClientHostname,ServerIp,ServerHostname,SourceContext,ConnectorId,Source,EventId,InternalMessageId" {
		t.Errorf("property order %s", got)
	}

	for _, bad := range []map[string]any{{"Server": "EX02"}, {"ResultSize": "none"}} {
		if _, err := invoke(t, cmd, bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}

	// An empty data path has nothing to find.
	rt, err := invoke(t, find(t, Cmdlets(&cmdlets.Deps{DataPath: t.TempDir()}), "Get-MessageTrackingLog"), nil)
	if err != nil || len(rt.Objects) != 0 {
		t.Errorf("empty folder: %v %d", err, len(rt.Objects))
	}
}

func TestGetMessageTrackingLogFromTransport(t *testing.T) {
	dir := t.TempDir()
	st, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := setup.Run(st, setup.Options{DataPath: dir, PasswordCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	tr, err := transport.New(st, transport.Config{ServerName: "EX01", Fqdn: "EX01.contoso.com", DataPath: dir, SweepInterval: time.Hour,
		LookupMX: func(context.Context, string) ([]*net.MX, error) { return nil, errors.New("no DNS") }})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tr.Stop(ctx)
	}()
	data := "From: <administrator@contoso.com>\r\nTo: <nobody@contoso.com>\r\nSubject: Tracking test\r\nMessage-ID: <track1@contoso.com>\r\n\r\nHi\r\n"
	_, err = tr.Submit(&mail.Submission{ConnectorIdentity: `EX01\Default EX01`, SessionID: "08DE2E5A1B2C3D4E",
		ClientIP: netip.MustParseAddr("127.0.0.1"), ServerIP: netip.MustParseAddr("127.0.0.1"),
		ClientHostname: "EX01.contoso.com", ServerHostname: "EX01.contoso.com",
		Sender: "administrator@contoso.com", Recipients: []string{"nobody@contoso.com"}, ReceivedAt: time.Now(),
		Data: []byte(data), Direction: "Originating"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := find(t, Cmdlets(&cmdlets.Deps{Store: st, DataPath: dir, Tracking: tr.Tracking()}), "Get-MessageTrackingLog")
	deadline := time.Now().Add(10 * time.Second)
	for {
		rt, err := invoke(t, cmd, map[string]any{"MessageId": "track1@contoso.com"})
		if err != nil {
			t.Fatal(err)
		}
		got := events(rt)
		// An unknown recipient in the authoritative domain: the message is
		// received, fails in the resolver and the sender gets a DSN.
		if strings.Contains(got, "RECEIVE") && strings.Contains(got, "FAIL") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events for track1: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
