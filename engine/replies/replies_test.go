package replies

import (
	"strings"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		r    Reply
		want string
	}{
		{SenderOK, "250 2.1.0 Sender OK"},
		{RecipientOK, "250 2.1.5 Recipient OK"},
		{StartData, "354 Start mail input; end with <CRLF>.<CRLF>"},
		{Closing, "221 2.0.0 Service closing transmission channel"},
		{StartTLS, "220 2.0.0 SMTP server ready"},
		{AuthOK, "235 2.7.0 Authentication successful"},
		{AuthFailed, "535 5.7.3 Authentication unsuccessful"},
		{RelayDenied, "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"},
		{NotAuthed, "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"},
		{SendAsDenied, "550 5.7.60 SMTP; Client does not have permissions to send as this sender"},
		{SendHelloFirst, "503 5.5.2 Send hello first"},
		{Unrecognized, "500 5.3.3 Unrecognized command"},
		{TooManyRecipients, "452 4.5.3 Too many recipients"},
		{TooBig, "552 5.3.4 Message size exceeds fixed maximum message size"},
		{ConnectionTimedOut, "421 4.4.1 Connection timed out"},
		{ServiceUnavailable, "421 4.3.2 Service not available"},
		{Resources, "452 4.3.1 Insufficient system resources"},
		{IdleTimeout, "451 4.7.0 Timeout waiting for client input"},
		{HopCountExceeded, "554 5.4.6 Hop count exceeded - possible mail loop"},
		{NoopOK, "250 2.0.0 OK"},
		{ResetOK, "250 2.0.0 Resetting"},
		{VrfyReply, "252 2.1.5 Cannot VRFY user"},
		{InvalidAddress, "501 5.1.7 Invalid address"},
		{InvalidRecipient, "501 5.1.3 Invalid address"},
		{InvalidArguments, "501 5.5.4 Invalid arguments"},
		{UnknownParameter, "501 5.5.4 Invalid arguments"},
		{HeaderTooBig, "552 5.3.4 Header size exceeds fixed maximum size"},
		{NeedMail, "503 5.5.2 Need mail command"},
		{NeedRcpt, "503 5.5.2 Need rcpt command"},
		{SenderAlready, "503 5.5.2 Sender already specified"},
		{AlreadyAuthed, "503 5.5.2 Auth command already specified"},
		{AuthCancelled, "501 5.5.4 Authentication cancelled"},
		{AuthNotInMail, "503 5.5.1 Bad sequence of commands"},
		{TLSNotAvailable, "500 5.3.3 Unrecognized command"},
		{TLSAlreadyActive, "503 5.5.2 Only one STARTTLS command can be issued per session"},
		{DataNeedsBdat, "503 5.5.1 Bad sequence of commands"},
		{BdatBadArgs, "501 5.5.4 Invalid arguments"},
		{TooManyConnections, "421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel"},
		{TooManyServerConnections, "421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel"},
		{TooManyErrors, "421 4.7.0 Too many errors on this connection, closing transmission channel"},
		{NotImplemented, "502 5.3.3 Command not implemented"},
		{BareLF, "554 5.6.0 Invalid message content, contains bare linefeeds"},
		{LocalError, "451 4.7.0 Temporary server error. Please try again later"},
		{Queued("<a@b>", 5111011082268, "mail1.fabrikam.com"), "250 2.6.0 <a@b> [InternalId=5111011082268, Hostname=mail1.fabrikam.com] Queued mail for delivery"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("got %q want %q", got, tc.want)
		}
		back, err := Parse(tc.want)
		if err != nil || back != tc.r {
			t.Errorf("Parse(%q) = %+v, %v", tc.want, back, err)
		}
	}
	if got := SenderOK.Line(false); got != "250 Sender OK" {
		t.Errorf("without enhanced codes: %q", got)
	}
}

func TestBanner(t *testing.T) {
	tm := time.Date(2016, 8, 5, 16, 24, 41, 0, time.FixedZone("", -7*3600))
	want := "220 mail1.fabrikam.com Microsoft ESMTP MAIL Service ready at Fri, 5 Aug 2016 16:24:41 -0700"
	if got := Banner("mail1.fabrikam.com", tm); got != want {
		t.Errorf("got %q", got)
	}
}

func TestLines(t *testing.T) {
	for _, tt := range []struct {
		r    Reply
		want []string
	}{
		{Reply{250, "2.1.0", "Sender OK"}, []string{"250 2.1.0 Sender OK"}},
		{Reply{550, "5.7.1", "Refused\nfor policy\nreasons"}, []string{"550-5.7.1 Refused", "550-5.7.1 for policy", "550 5.7.1 reasons"}},
		{Reply{550, "", "a\nb"}, []string{"550-a", "550 b"}},
		{Reply{550, "", "\nb"}, []string{"550-", "550 b"}},
		{Reply{250, "2.0.0", "ok\n"}, []string{"250-2.0.0 ok", "250 2.0.0"}},
	} {
		if got := tt.r.Lines(true); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%+v: %q", tt.r, got)
		}
	}
}

func TestIsEnhancedCode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"5.7.54", true}, {"2.0.0", true}, {"4.4.0", true}, {"5.123.456", true},
		{"3.0.0", false}, {"5.7", false}, {"5.7.", false}, {"5..1", false},
		{"5.1234.1", false}, {"5.7.54.1", false}, {"55.7.1", false}, {"5.7.x", false},
		{"", false}, {"250", false}, {"5.7.5٤", false},
	} {
		if got := IsEnhancedCode(tc.in); got != tc.want {
			t.Errorf("IsEnhancedCode(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	// Every string of up to seven characters from a small alphabet gets
	// the answer of the plain definition: three dot-separated groups, the
	// class 2, 4 or 5, then two groups of one to three digits.
	plain := func(s string) bool {
		parts := strings.Split(s, ".")
		if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
			return false
		}
		for _, p := range parts[1:] {
			if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
				return false
			}
		}
		return true
	}
	alphabet := []byte("25.0x")
	var walk func(prefix []byte)
	walk = func(prefix []byte) {
		if got, want := IsEnhancedCode(string(prefix)), plain(string(prefix)); got != want {
			t.Errorf("IsEnhancedCode(%q) = %v, want %v", prefix, got, want)
		}
		if len(prefix) == 7 {
			return
		}
		for _, c := range alphabet {
			walk(append(prefix, c))
		}
	}
	walk(nil)
}
