package main

import (
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A server founding an organisation on the IPv6 loopback: its etcd
// member, connectors and management channel listen on ::1, it takes mail
// over SMTP there and delivers it, Get-ExchangeServer shows it up, and it
// restarts with the same command line.
func TestOrganisationIPv6(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	ln.Close()
	offset := freeOffsetOn(t, []string{"::1"})
	off := strconv.Itoa(offset)
	args := []string{"-ServerName", "EX01", "-IPAddress", "::1", "-PortOffset", off}
	ex01 := startServer(t, "EX01", t.TempDir(), args...)
	for _, want := range []string{
		"etcd member EX01  clients http://[::1]:" + strconv.Itoa(etcdClientPort+offset),
		"0.0.0.0:25 -> [::1]:" + strconv.Itoa(25+offset),
		"0.0.0.0:2525 -> [::1]:" + strconv.Itoa(2525+offset),
	} {
		if !strings.Contains(ex01.out.String(), want) {
			t.Errorf("EX01's banner does not say %q:\n%s", want, ex01.out)
		}
	}
	up := func() {
		t.Helper()
		out := ex01.must("Get-ExchangeServer | Format-Table Name,ServerState -HideTableHeaders")
		if got := strings.Join(strings.Fields(out), " "); got != "EX01 Up" {
			t.Errorf("Get-ExchangeServer: %q, want EX01 Up", got)
		}
	}
	up()

	frontEnd := net.JoinHostPort("::1", strconv.Itoa(25+offset))
	send := func(subject string) {
		t.Helper()
		c, conn, err := dialOrgFrontEnd(frontEnd)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := sendOrgMail(c, conn, "alice@fabrikam.com", "administrator@contoso.com", subject); err != nil {
			t.Fatalf("the Front End on %s refused %s: %v", frontEnd, subject, err)
		}
		c.Quit()
	}
	send("v6-1")
	ex01.waitOutput("Get-MailboxMessage administrator | ForEach-Object Subject", "v6-1", 30*time.Second)
	hops := strings.Split(strings.TrimSpace(ex01.must(`Get-MailboxMessage administrator | Where-Object Subject -eq 'v6-1' | ForEach-Object Received`)), "\n")
	if len(hops) != 3 || !strings.Contains(hops[0], "by EX01.contoso.com (::1)") || !strings.Contains(hops[2], "from client.fabrikam.com (::1) by EX01.contoso.com (::1)") {
		t.Errorf("Received chain:\n%s", strings.Join(hops, "\n"))
	}
	// The management channel on ::1.
	if out := ex01.must(`Get-Queue -Server EX01 | ForEach-Object Identity`); !strings.Contains(out, `EX01\Submission`) {
		t.Errorf("Get-Queue -Server EX01:\n%s", out)
	}

	ex01.stop(syscall.SIGTERM)
	ex01.start()
	up()
	send("v6-2")
	ex01.waitOutput("Get-MailboxMessage administrator | ForEach-Object Subject", "v6-2", 30*time.Second)
}
