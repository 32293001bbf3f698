package cmdlets

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"exsh/engine/backend"
	"exsh/shell/object"
)

// A failure to reach another server's service is Exchange's "Failed to
// connect" error, with the reason the channel gave; other errors are not
// the server's.
func TestServerError(t *testing.T) {
	d := &Deps{Now: func() time.Time { return time.Date(2026, 11, 5, 14, 3, 9, 0, time.UTC) }}
	task := NewTask(d, "Get-Queue", Site{Server: "EX01", ServerFqdn: "EX01.contoso.com", Domain: "contoso.com"})
	p := &ServerParts{Name: "EX02", Fqdn: "EX02.contoso.com"}
	for _, tc := range []struct {
		name     string
		err      error
		category string
		message  string
	}{
		{"busy", &backend.BusyError{Server: "EX02", Fqdn: "EX02.contoso.com", RetryAfter: time.Second}, CategoryResourceBusy,
			`Failed to connect to the Microsoft Exchange Transport service on computer "EX02.contoso.com". The server is busy. The server EX02 is busy: it is answering as many requests as it serves at once; try again in 1 second.`},
		{"unreachable", &backend.UnreachableError{Server: "EX02", Fqdn: "EX02.contoso.com", Addr: "127.0.0.12:444", Err: errors.New("connection refused")}, CategoryInvalidOperation,
			`Failed to connect to the Microsoft Exchange Transport service on computer "EX02.contoso.com". Verify that a valid computer name was used and the Microsoft Exchange Transport service is started. The server EX02 cannot be reached at 127.0.0.12:444: connection refused.`},
		{"access denied", fmt.Errorf("the server EX02 refused the logon of CONTOSO\\EX01$: %w", backend.ErrAccessDenied), CategoryPermissionDenied,
			`Failed to connect to the Microsoft Exchange Transport service on computer "EX02.contoso.com". Access is denied. The server EX02 refused the logon of CONTOSO\EX01$: access is denied.`},
		{"not running", fmt.Errorf("the Microsoft Exchange Transport service: %w", backend.ErrNotRunning), CategoryInvalidOperation,
			`The Microsoft Exchange Transport service isn't running on server EX02.`},
	} {
		e := task.ServerError(ServiceTransport, "QueueViewerException", p, tc.err)
		if e == nil {
			t.Errorf("%s: no error record", tc.name)
			continue
		}
		if e.Category != tc.category || e.Message != tc.message || !errors.Is(e.Exception, tc.err) {
			t.Errorf("%s: %s %q (%v)\nwant %s %q", tc.name, e.Category, e.Message, e.Exception, tc.category, tc.message)
		}
	}
	if e := task.ServerError(ServiceTransport, "QueueViewerException", p, errors.New("disk full")); e != nil {
		t.Errorf("an error not of the channel: %+v", e)
	}
}

// A failed Deps.At gives the not-found error for a server the
// organisation lacks, the connection error for one it cannot reach, and
// a store error otherwise.
func TestAtError(t *testing.T) {
	d := &Deps{Now: func() time.Time { return time.Date(2026, 11, 5, 14, 3, 9, 0, time.UTC) }}
	task := NewTask(d, "Get-Queue", Site{Server: "EX01", ServerFqdn: "EX01.contoso.com", Domain: "contoso.com"})
	p := &ServerParts{Name: "EX02", Fqdn: "EX02.contoso.com"}
	for _, tc := range []struct {
		name   string
		p      *ServerParts
		err    error
		reason string
		prefix string
	}{
		{"unknown", nil, fmt.Errorf("%q: %w", "EX09", ErrUnknownServer), ReasonNotFound,
			"The operation couldn't be performed because object 'EX09' couldn't be found on "},
		{"unreachable", p, &backend.UnreachableError{Server: "EX02", Fqdn: "EX02.contoso.com", Err: errors.New("connection refused")}, "QueueViewerException",
			`Failed to connect to the Microsoft Exchange Transport service on computer "EX02.contoso.com".`},
		{"store", nil, errors.New("disk full"), ReasonStoreFailure, "Active Directory operation failed on "},
	} {
		e := task.AtError(ServiceTransport, "QueueViewerException", "EX09", tc.p, tc.err)
		if !strings.HasPrefix(e.Message, tc.prefix) || e.Reason != tc.reason {
			t.Errorf("%s: %s %q\nwant %s %q...", tc.name, e.Reason, e.Message, tc.reason, tc.prefix)
		}
	}
}

// A server object piped in names its server; other objects name none.
func TestServerObject(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
		ok   bool
	}{
		{"Get-ExchangeServer", object.New(ExchangeServerType, "System.Object").Add("Name", "EX02"), "EX02", true},
		{"Get-TransportService", object.New(TransportServerType, "System.Object").Add("Name", "EX03"), "EX03", true},
		{"a queue", object.New("Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo").Add("Name", "EX02"), "", false},
		{"a string", "EX02", "", false},
	} {
		got, ok := ServerObject(tc.v)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
