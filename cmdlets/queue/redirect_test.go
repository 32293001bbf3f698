package queue

import (
	"testing"

	"exsh/cmdlets"
	"exsh/state"
	"exsh/state/statetest"
)

func TestRedirectMessage(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	d := &cmdlets.Deps{Store: st}
	redirect := find(t, Cmdlets(d), "Redirect-Message")
	for _, tc := range []struct {
		name   string
		server string
		target []any
		want   string
	}{
		{"not a server of the organisation", "EX01", []any{"ex02.contoso.com"}, "The operation couldn't be performed because object 'ex02.contoso.com' couldn't be found on 'EX01.contoso.com'."},
		{"the source itself", "EX01", []any{"EX01.contoso.com"}, "The target server EX01.contoso.com is the server whose messages are being redirected. Specify another Mailbox server of the organization."},
		{"unknown source", "EX09", []any{"EX01.contoso.com"}, "The operation couldn't be performed because object 'EX09' couldn't be found on 'EX01.contoso.com'."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, err := invoke(t, redirect, map[string]any{"Server": tc.server, "Target": tc.target})
			if err != nil {
				t.Fatal(err)
			}
			if len(rt.Errors) != 1 || rt.Errors[0].Error() != tc.want {
				t.Errorf("errors %v, want %q", rt.Errors, tc.want)
			}
		})
	}
	// With a second server in the directory the arguments are valid, but
	// a Transport service that is the only one of its organisation (a
	// single server) has nowhere to hand the messages.
	l := newLab(t)
	statetest.Update(t, l.st, func(tx state.Tx) error {
		return tx.PutServer(&state.ExchangeServer{Name: "EX02", Fqdn: "EX02.contoso.com", ServerRole: "Mailbox"})
	})
	err := l.runErr("Redirect-Message", map[string]any{"Server": "EX01", "Target": []any{"EX02.contoso.com"}, "Confirm": false})
	if want := "Messages can't be redirected to EX02.contoso.com. This server is the only Transport service of its organisation."; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
