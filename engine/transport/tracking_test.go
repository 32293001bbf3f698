package transport

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	guidRE  = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	sessRE  = regexp.MustCompile(`\b08[0-9A-F]{14}\b`)
	idRE    = regexp.MustCompile(`\b42949672\d\d\b`)
	portRE  = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	eventRE = regexp.MustCompile(`Event:\d+`)
	startRE = regexp.MustCompile(`<GUID>;\d{4}-\d\d-\d\dT[\d:.]+Z`)
)

// renderEvents prints the events one per line with the fields that
// identify a flow; ids, GUIDs, session ids and ports are masked. The
// timestamps are those of the fake clock.
func renderEvents(evs []tracking.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%s %s %s | client=%s/%s server=%s/%s | ctx=%s | conn=%s | id=%s msgid=%s | to=%s | status=%s | bytes=%d count=%d | related=%s ref=%s | subject=%q sender=%s return=%s | info=%s dir=%s | orig=%s/%s | custom=%s | %s %s\n",
			e.Timestamp.Format("2006-01-02T15:04:05.000Z"), e.EventId, e.Source, e.ClientIp, e.ClientHostname, e.ServerIp, e.ServerHostname,
			e.SourceContext, e.ConnectorId, e.InternalMessageId, e.MessageId,
			strings.Join(e.Recipients, ";"), strings.Join(e.RecipientStatus, ";"), e.TotalBytes, e.RecipientCount,
			e.RelatedRecipientAddress, strings.Join(e.Reference, ";"), e.MessageSubject, e.Sender, e.ReturnPath,
			e.MessageInfo, e.Directionality, e.OriginalClientIp, e.OriginalServerIp, e.CustomData, e.TransportTrafficType, e.SchemaVersion)
	}
	s := b.String()
	for _, re := range []*regexp.Regexp{guidRE, sessRE} {
		s = re.ReplaceAllString(s, "<GUID>")
	}
	s = idRE.ReplaceAllString(s, "<ID>")
	s = portRE.ReplaceAllString(s, "127.0.0.1:<PORT>")
	s = eventRE.ReplaceAllString(s, "Event:<N>")
	s = startRE.ReplaceAllString(s, "<GUID>;<SESSION-START>")
	return s
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func trackingFlow(t *testing.T, run func(e *env)) string {
	e := newEnv(t)
	e.addMailbox("chris")
	e.addMailbox("michelle")
	run(e)
	evs, err := e.tr.Tracking().Search(tracking.Query{ResultSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	// DELIVER events go to the Mailbox Transport Delivery log.
	md, _ := filepath.Glob(filepath.Join(e.dir, "TransportRoles", "Logs", "MessageTracking", "MSGTRKMD*.LOG"))
	for _, ev := range evs {
		if ev.EventId == "DELIVER" && len(md) == 0 {
			t.Errorf("DELIVER logged but no MSGTRKMD file")
		}
	}
	return renderEvents(pipelineOrder(evs))
}

// pipelineOrder sorts events that share a timestamp into the order of
// the pipeline. The test clock stands still, so the search's time order
// cannot tell apart events that concurrent stages write in either order
// (RECEIVE, written once Submit's commit returns, and the categorizer's
// AGENTINFO; a FAIL and the DSN it causes); with a running clock they
// carry different times. Events of one kind keep their written order.
func pipelineOrder(evs []tracking.Event) []tracking.Event {
	stages := []string{"HAREDIRECT", "RECEIVE", "SUBMIT", "AGENTINFO", "RESOLVE", "EXPAND", "REDIRECT", "TRANSFER", "FAIL", "DSN", "DEFER", "SEND", "DELIVER", "DUPLICATEDELIVER"}
	rank := func(e tracking.Event) int {
		if i := slices.Index(stages, e.EventId); i >= 0 {
			return i
		}
		return len(stages)
	}
	out := slices.Clone(evs)
	slices.SortStableFunc(out, func(a, b tracking.Event) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return rank(a) - rank(b)
	})
	return out
}

func TestTrackingInternalDelivery(t *testing.T) {
	got := trackingFlow(t, func(e *env) {
		e.submit("chris@contoso.com", []string{"michelle@contoso.com"}, "internal")
		e.waitFor("delivery", func() bool { return len(e.mailbox("michelle@contoso.com")) == 1 })
	})
	checkGolden(t, "tracking-internal", got)
}

func TestTrackingExternalDelivery(t *testing.T) {
	got := trackingFlow(t, func(e *env) {
		s := newSink(t, "")
		e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, nil)
		e.submit("chris@contoso.com", []string{"user@fabrikam.com"}, "external")
		e.waitFor("sink", func() bool { return len(s.got()) == 1 })
		e.waitFor("empty", func() bool { return e.totalQueued() == 0 })
	})
	checkGolden(t, "tracking-external", got)
}

func TestTrackingNDR(t *testing.T) {
	got := trackingFlow(t, func(e *env) {
		e.submit("chris@contoso.com", []string{"nobody@contoso.com"}, "ndr")
		e.waitFor("NDR", func() bool { return len(e.mailbox("chris@contoso.com")) == 1 })
	})
	checkGolden(t, "tracking-ndr", got)
}

var _ = state.QueueSubmission
