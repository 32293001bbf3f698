package transport

import (
	"fmt"
	"strings"

	"exsh/state"
)

// RedirectMessages is Redirect-Message on this server: the messages
// waiting in its delivery queues (Ready or Retry; not those being
// delivered, suspended ones or the Submission, Unreachable and Poison
// queues) move, in one transaction, to a SmtpRelayToServers queue whose
// NextHopDomain lists the targets' FQDNs, and are handed over SMTP to the
// first target that takes them, which routes them again. It needs an
// organisation of several servers; it reports how many messages moved.
func (t *Transport) RedirectMessages(targets []string) (int, error) {
	if t.isStopped() {
		return 0, ErrStopped
	}
	if !t.cfg.Local.IsValid() || len(targets) == 0 {
		return 0, fmt.Errorf("this server is the only Transport service of its organisation: %w", ErrInvalidOperation)
	}
	var fqdns []string
	err := t.st.View(func(tx state.Tx) error {
		for _, name := range targets {
			srv, err := tx.Server(strings.TrimSpace(name))
			if err != nil {
				return fmt.Errorf("%q: %w", name, err)
			}
			if strings.EqualFold(srv.Name, t.cfg.ServerName) {
				return fmt.Errorf("%s is the server whose messages are redirected: %w", srv.Fqdn, ErrInvalidOperation)
			}
			fqdns = append(fqdns, srv.Fqdn)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	now := t.now()
	moved, relay := 0, int64(0)
	from := map[int64]int{}
	err = t.st.QueueUpdate(func(q state.QueueTx) error {
		moved, relay = 0, 0
		clear(from)
		rq, err := q.EnsureQueue(&state.QueueRecord{
			DeliveryType:     state.DeliveryRelayToServers,
			NextHopDomain:    strings.Join(fqdns, ","),
			NextHopConnector: zeroGuid,
			NextHopCategory:  "Internal",
			Created:          now,
		})
		if err != nil {
			return err
		}
		relay = rq.Number
		queues, err := q.Queues()
		if err != nil {
			return err
		}
		for _, qr := range queues {
			switch {
			case qr.Number <= state.QueuePoison, qr.Number == relay:
				continue
			}
			ms, err := waitingMessages(q, qr.Number)
			if err != nil {
				return err
			}
			for _, m := range ms {
				readyAgain(m)
				m.LastError = ""
				if err := q.MoveMessage(m, relay); err != nil {
					return err
				}
				from[qr.Number]++
				moved++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for n, k := range from {
		t.rates.outgoing(n, now, k)
	}
	if moved > 0 {
		t.rates.add(relay, now, true, moved)
		t.kick(relay)
	}
	return moved, nil
}

// redirectTargets are the servers a SmtpRelayToServers queue hands its
// messages to, by name, in the order Redirect-Message gave them. It is
// never nil: a queue without a server to go to waits, and never sends
// through the send connectors.
func redirectTargets(qr *state.QueueRecord) []string {
	out := []string{}
	for _, fqdn := range strings.Split(qr.NextHopDomain, ",") {
		if name, _, _ := strings.Cut(strings.TrimSpace(fqdn), "."); name != "" {
			out = append(out, name)
		}
	}
	return out
}
