package cmdlets

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"exsh/shell/interp"
	"exsh/state"
	"exsh/state/statetest"
)

func TestStoreErrorWithoutMajority(t *testing.T) {
	task := NewTask(nil, "Set-ReceiveConnector", Site{Server: "EX01", ServerFqdn: "EX01.contoso.com"})
	err := fmt.Errorf("changing the organisation: no answer within 6s: %w", state.ErrUnavailable)
	got := task.StoreError(err).Error()
	want := "Active Directory operation failed on EX01.contoso.com. The organisation's majority of servers cannot be reached, so the change was not made"
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "Get-ExchangeServer") ||
		!strings.Contains(got, "(changing the organisation: no answer within 6s).") {
		t.Errorf("got %q", got)
	}
}

func TestNewTaskWithoutStore(t *testing.T) {
	for _, tt := range []struct {
		d    *Deps
		want string
	}{
		{nil, "EX01"},
		{&Deps{}, "EX01"},
		{&Deps{ServerName: "EX02"}, "EX02"},
		// A store that still reads names the server as the site does.
		{&Deps{Store: statetest.MustOpenSetUp(t)}, "EX01.contoso.com"},
	} {
		got := NewTaskWithoutStore(tt.d, "Get-Mailbox").StoreError(state.ErrClosed).Error()
		if want := "Active Directory operation failed on " + tt.want + ". store is closed"; !strings.HasPrefix(got, want) {
			t.Errorf("ServerName %v: got %q, want it to begin %q", tt.d, got, want)
		}
	}
}

// One hands out the single object found, and Exchange's errors for none
// and for several.
func TestOne(t *testing.T) {
	task := NewTask(&Deps{}, "Get-SendConnector", Site{Server: "EX01", ServerFqdn: "EX01.contoso.com", Domain: "contoso.com"})
	for _, tc := range []struct {
		found  []string
		want   string
		reason string
	}{
		{nil, "", ReasonNotFound},
		{[]string{"Internet"}, "Internet", ""},
		{[]string{"Internet", "internet"}, "", ReasonAmbiguous},
	} {
		got, err := One(task, tc.found, "Internet")
		var e *interp.ErrorRecord
		if got != tc.want || tc.reason == "" && err != nil || tc.reason != "" && (!errors.As(err, &e) || e.Reason != tc.reason) {
			t.Errorf("One(%q) = %q, %v; want %q, %s", tc.found, got, err, tc.want, tc.reason)
		}
	}
}
