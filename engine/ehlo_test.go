package engine_test

import (
	"strings"
	"testing"

	"exsh/engine/enginetest"
)

// The EHLO reply of each default connector, before and after STARTTLS, in
// Exchange's keyword order (exchange-receive.md §7.2) less what exsh
// deliberately does not implement (engine/doc.go): X-ANONYMOUSTLS, NTLM,
// GSSAPI, X-EXPS, XEXCH50, XRDST, XSHADOWREQUEST. SMTPUTF8, seen in no real
// 2016/2019 reply, is never advertised.
func TestEHLOKeywordsPerConnector(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	const size = "SIZE 37748736"
	tests := []struct {
		port          int
		before, after []string
	}{
		// Default Frontend, Outbound Proxy Frontend: AUTH only after TLS
		// (BasicAuthRequireTLS).
		{25, []string{size, "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME", "BINARYMIME", "CHUNKING"},
			[]string{size, "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "AUTH LOGIN PLAIN", "8BITMIME", "BINARYMIME", "CHUNKING"}},
		{717, []string{size, "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME", "BINARYMIME", "CHUNKING"},
			[]string{size, "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "AUTH LOGIN PLAIN", "8BITMIME", "BINARYMIME", "CHUNKING"}},
		// Client Frontend: LOGIN withheld until TLS.
		{587, []string{size, "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME", "BINARYMIME", "CHUNKING"},
			[]string{size, "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "AUTH LOGIN PLAIN", "8BITMIME", "BINARYMIME", "CHUNKING"}},
		// Default (SizeEnabled EnabledWithoutValue): SIZE without a number.
		{2525, []string{"SIZE", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME", "BINARYMIME", "CHUNKING"},
			[]string{"SIZE", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "AUTH LOGIN PLAIN", "8BITMIME", "BINARYMIME", "CHUNKING"}},
		{465, []string{size, "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME", "BINARYMIME", "CHUNKING"},
			[]string{size, "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "AUTH LOGIN PLAIN", "8BITMIME", "BINARYMIME", "CHUNKING"}},
	}
	render := func(kws []string) string {
		lines := []string{"250-EX01.contoso.com Hello [127.0.0.1]"}
		for i, kw := range kws {
			sep := "-"
			if i == len(kws)-1 {
				sep = " "
			}
			lines = append(lines, "250"+sep+kw)
		}
		return strings.Join(lines, "\n")
	}
	for _, tt := range tests {
		d := enginetest.Dial(t, e.Addr(tt.port))
		d.Expect(`~^220 EX01\.contoso\.com `)
		d.Send("EHLO client.fabrikam.com")
		if got, want := strings.Join(d.Reply(), "\n"), render(tt.before); got != want {
			t.Errorf("port %d EHLO:\n%s\nwant\n%s", tt.port, got, want)
		}
		d.StartTLS()
		d.Send("EHLO client.fabrikam.com")
		if got, want := strings.Join(d.Reply(), "\n"), render(tt.after); got != want {
			t.Errorf("port %d EHLO after STARTTLS:\n%s\nwant\n%s", tt.port, got, want)
		}
	}
}
