package engine_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"exsh/engine/enginetest"
	"exsh/state/setup"
)

// pythonClient runs a Python smtplib script; it skips when python3 is
// missing unless EXSH_REQUIRE_PYTHON=1.
func pythonClient(t *testing.T, script string, args ...string) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("EXSH_REQUIRE_PYTHON") == "1" {
			t.Fatal("python3 is required (EXSH_REQUIRE_PYTHON=1)")
		}
		t.Skip("python3 not installed")
	}
	out, err := exec.Command(py, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}

const pySubmit = `
import smtplib, ssl, sys
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP(host, port, local_hostname="pyclient")
code, banner = s.ehlo()
print("ehlo-plain", "auth" in s.esmtp_features, "starttls" in s.esmtp_features)
s.starttls(context=ctx)
s.ehlo()
print("ehlo-tls", s.esmtp_features.get("auth", ""))
s.login(user, password)
refused = s.sendmail(user, ["administrator@contoso.com", "someone@gmail.com"], "Subject: from python\r\n\r\nhello\r\n")
print("refused", refused)
code, msg = s.noop()
print("noop", code, msg.decode())
s.quit()
`

const pyAnonymous = `
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="pyclient")
print("banner-ok")
s.ehlo()
s.mail("nas@fabrikam.com")
print(s.rcpt("someone@gmail.com"))
print(s.rcpt("administrator@contoso.com"))
code, msg = s.data(b"Subject: anon\r\n\r\nhello\r\n")
print(code, msg.decode())
s.quit()
`

func TestPythonSmtplib(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	host, port := splitHostPort(e.Addr(587))
	out := pythonClient(t, pySubmit, host, port, "administrator@contoso.com", setup.DefaultAdministratorPassword)
	for _, want := range []string{"ehlo-plain False True", "ehlo-tls  LOGIN PLAIN", "refused {}", "noop 250 2.0.0 OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("submission output lacks %q:\n%s", want, out)
		}
	}
	host, port = splitHostPort(e.Addr(25))
	out = pythonClient(t, pyAnonymous, host, port)
	for _, want := range []string{
		"(550, b'5.7.54 SMTP; Unable to relay recipient in non-accepted domain')",
		"(250, b'2.1.5 Recipient OK')",
		"250 2.6.0 <",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("anonymous output lacks %q:\n%s", want, out)
		}
	}
	if n := len(e.Recorder.Submissions()); n != 2 {
		t.Errorf("%d submissions, want 2", n)
	}
}

func splitHostPort(addr string) (string, string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}
