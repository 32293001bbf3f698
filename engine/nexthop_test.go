package engine_test

import (
	"testing"
	"time"

	"exsh/engine/enginetest"
	"exsh/state"
)

// A Front End whose hub refuses the proxy session answers the device
// with a temporary reply at once, in Exchange's shape (KB 979175), so the
// device keeps the message and tries again; nothing is queued. The hub
// refuses when Default EX01 grants no permission groups, and also when
// only the ExchangeServers group is taken away: what ExchangeUsers grants
// does not let a server log on as one.
func TestFrontEndAnswersTemporarilyWhenTheHubRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups func(state.Flags) state.Flags
	}{
		{"no permission groups", func(state.Flags) state.Flags { return nil }},
		{"without ExchangeServers", func(before state.Flags) state.Flags {
			var out state.Flags
			for _, g := range before {
				if g != "ExchangeServers" {
					out = append(out, g)
				}
			}
			return out
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Submitter: withTransport})
			e.Update(func(tx state.Tx) error {
				rc, err := tx.ReceiveConnectorByName("EX01", "Default EX01")
				if err != nil {
					return err
				}
				rc.PermissionGroups = tc.groups(rc.PermissionGroups)
				return tx.PutReceiveConnector(rc)
			})
			d := enginetest.Dial(t, e.Addr(25))
			d.Expect(anonymousBanner)
			d.Do("EHLO printer.contoso.com", "~^250 ")
			d.Do("MAIL FROM:<printer@contoso.com>", "250 2.1.0 Sender OK")
			d.Do("RCPT TO:<administrator@contoso.com>", "250 2.1.5 Recipient OK")
			d.Do("DATA", "~^354 ")
			start := time.Now()
			d.Do("Subject: scan\r\n\r\nscan\r\n.", `451 4.4.0 Primary target IP address responded with: "451 5.7.3 Cannot achieve Exchange Server authentication." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts.`)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the refusal took %v", took)
			}
			d.Do("QUIT", "~^221")
		})
	}
}
