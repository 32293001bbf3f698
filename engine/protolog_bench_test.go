package engine_test

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/emersion/go-smtp"

	"exsh/engine/enginetest"
	"exsh/engine/protolog"
	"exsh/state"
)

// BenchmarkProtocolLogOverhead is BenchmarkDefaultFrontend (8 concurrent
// sessions per GOMAXPROCS, 1 KB messages, one connection each, proxied to
// the hub) with Default Frontend's ProtocolLoggingLevel at None and at
// Verbose (its default). "intraorg=None" also turns off the Front End's
// intra-org send log, which is Verbose by default, so the None case
// writes no protocol log at all; "all=Verbose" adds the hub's Default
// EX01 receive log.
func BenchmarkProtocolLogOverhead(b *testing.B) {
	for _, c := range []struct {
		name               string
		frontend, intraOrg string
		hub                string
	}{
		{"frontend=None/intraorg=None", "None", "None", "None"},
		{"frontend=None", "None", "Verbose", "None"},
		{"frontend=Verbose", "Verbose", "Verbose", "None"},
		{"all=Verbose", "Verbose", "Verbose", "Verbose"},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchmarkFrontendLogging(b, c.frontend, c.intraOrg, c.hub)
		})
	}
}

func benchmarkFrontendLogging(b *testing.B, frontend, intraOrg, hub string) {
	e := enginetest.Start(b, enginetest.Options{Prepare: func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		rc.MaxInboundConnectionPerSource = state.Unlimited
		rc.ProtocolLoggingLevel = frontend
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
		h, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
		if err != nil {
			return err
		}
		h.ProtocolLoggingLevel = hub
		if err := tx.PutReceiveConnector(h); err != nil {
			return err
		}
		ts, err := tx.TransportService("EX01", "FrontEnd")
		if err != nil {
			return err
		}
		ts.IntraOrgConnectorProtocolLoggingLevel = intraOrg
		return tx.PutTransportService(ts)
	}})
	addr := e.Addr(25)
	b.SetBytes(int64(len(kilobyte)))
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		if err := c.Hello("bench"); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if err := c.SendMail("bench@fabrikam.com", []string{"administrator@contoso.com"}, bytes.NewReader(kilobyte)); err != nil {
				b.Error(err)
				return
			}
		}
		c.Quit()
	})
	b.StopTimer()
	files, _ := filepath.Glob(filepath.Join(logDir(e, "FrontEnd", "SmtpReceive"), "*.LOG"))
	if logged := len(files) > 0; logged != (frontend == "Verbose") {
		b.Errorf("Default Frontend at %s: %d receive log files", frontend, len(files))
	}
}

// BenchmarkProtocolLogLine is the cost of one protocol log line (a RCPT
// TO, as Default Frontend logs it) at Verbose and at None, from
// concurrent sessions sharing one log file as the receive connectors of
// a service do. A message on Default Frontend writes about nine lines on
// an open session, and about as many again in the Front End's intra-org
// send log.
func BenchmarkProtocolLogLine(b *testing.B) {
	for _, level := range []protolog.Level{protolog.LevelNone, protolog.LevelVerbose} {
		name := map[protolog.Level]string{protolog.LevelNone: "None", protolog.LevelVerbose: "Verbose"}[level]
		b.Run(name, func(b *testing.B) {
			l := protolog.New(b.TempDir(), protolog.Receive, protolog.DefaultLimits)
			defer l.Close()
			local := netip.MustParseAddrPort("127.0.0.1:25")
			remote := netip.MustParseAddrPort("127.0.0.56:50123")
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				s := l.Session(`EX01\Default Frontend EX01`, level, local, remote)
				for pb.Next() {
					s.Recv("RCPT TO:<administrator@contoso.com>")
				}
			})
			if err := l.Err(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
