package main

import (
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// orgMailbox is a mailbox of the mail test, on one server's database.
type orgMailbox struct {
	server, alias, address string
}

// orgSent is one message a test client sent.
type orgSent struct {
	subject string
	box     int  // index in the test's mailboxes
	down    bool // sent while EX02 was down
	acked   bool // the Front End answered 250 to the end of DATA
	err     error
}

// sendOrgMail sends one message over c (a client that has said EHLO):
// nil means the server acknowledged it with 250.
func sendOrgMail(c *smtp.Client, conn net.Conn, from, to, subject string) error {
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@fabrikam.com>\r\nDate: %s\r\n\r\nThe body of %s.\r\n",
		from, to, subject, subject, time.Now().Format(time.RFC1123Z), subject)
	return w.Close()
}

// dialOrgFrontEnd opens an SMTP session with a Front End and says EHLO.
func dialOrgFrontEnd(addr string) (*smtp.Client, net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c, err := smtp.NewClient(conn, "")
	if err == nil {
		err = c.Hello("client.fabrikam.com")
	}
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return c, conn, nil
}

// Mail across an organisation of three servers, each its own process
// with its own data path: a message entering EX01 for a mailbox on EX02
// is delivered there with a Received line per hop; EX01's shell reads
// EX02's queues; and with EX02 killed mid-traffic, mail for the other
// servers flows on and, once EX02 returns, every acknowledged message is
// delivered exactly once.
func TestOrganisationMail(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	offset := freeOrgOffset(t)
	off := strconv.Itoa(offset)
	dir := t.TempDir()
	d := func(i int) string { return filepath.Join(dir, fmt.Sprintf("D%d", i)) }
	ex01 := startServer(t, "EX01", d(1), "-ServerName", "EX01", "-IPAddress", orgAddrs[0], "-PortOffset", off)
	ex02 := startServer(t, "EX02", d(2), "-ServerName", "EX02", "-IPAddress", orgAddrs[1], "-PortOffset", off, "-Join", orgAddrs[0])
	ex03 := startServer(t, "EX03", d(3), "-ServerName", "EX03", "-IPAddress", orgAddrs[2], "-PortOffset", off, "-Join", orgAddrs[0])
	frontEnd := func(i int) string { return net.JoinHostPort(orgAddrs[i], strconv.Itoa(25+offset)) }

	// dumpQueues shows every server's queues when the test fails.
	dumpQueues := func() {
		if !t.Failed() {
			return
		}
		for _, s := range []string{"EX01", "EX02", "EX03"} {
			out, _ := ex01.run("Get-Queue -Server " + s + " | Format-List Identity,DeliveryType,Status,MessageCount,NextHopDomain,LastError")
			t.Logf("Get-Queue -Server %s (in EX01's shell):\n%s", s, out)
			out, _ = ex01.run("Get-Message -Server " + s + ` -Filter "Subject -like '*'" -ResultSize 30 | Format-List Identity,Subject,Status,LastError,RetryCount,NextRetryTime`)
			t.Logf("Get-Message -Server %s (in EX01's shell):\n%s", s, out)
		}
	}
	t.Cleanup(dumpQueues)

	// A mailbox on each server's database.
	dbs := map[string]string{}
	for _, line := range strings.Split(ex01.must(`Get-MailboxDatabase | ForEach-Object { $_.Server + '|' + $_.Name }`), "\n") {
		if srv, name, ok := strings.Cut(strings.TrimSpace(line), "|"); ok {
			dbs[srv] = name
		}
	}
	var boxes []orgMailbox
	var script strings.Builder
	for _, srv := range []string{"EX01", "EX02", "EX03"} {
		if dbs[srv] == "" {
			t.Fatalf("no mailbox database on %s: %v", srv, dbs)
		}
		alias := "box" + strings.ToLower(srv)
		fmt.Fprintf(&script, "New-Mailbox -Name 'Box %s' -Alias %s -Database '%s' | ForEach-Object { $_.Alias + '|' + $_.PrimarySmtpAddress }\n", srv, alias, dbs[srv])
		boxes = append(boxes, orgMailbox{server: srv, alias: alias})
	}
	out := ex01.must(script.String())
	for i := range boxes {
		m := regexp.MustCompile(`(?m)^` + boxes[i].alias + `\|(\S+@\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("New-Mailbox did not show %s's address:\n%s", boxes[i].alias, out)
		}
		boxes[i].address = m[1]
	}
	// Every server knows them (and their databases) before mail flows.
	for _, s := range []*orgServerProc{ex02, ex03} {
		s.waitOutput("Get-Mailbox boxex02 | ForEach-Object Database", dbs["EX02"], 5*time.Second)
	}

	// 1. Mail entering EX01's Front End for a mailbox on EX02 is delivered
	// on EX02; each hop's Received line names its server and address.
	c, conn, err := dialOrgFrontEnd(frontEnd(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := sendOrgMail(c, conn, "alice@fabrikam.com", boxes[1].address, "hops-1"); err != nil {
		t.Fatalf("sending to %s through EX01's Front End: %v", boxes[1].address, err)
	}
	c.Quit()
	start := time.Now()
	ex01.waitOutput("Get-MailboxMessage boxex02 | ForEach-Object Subject", "hops-1", 30*time.Second)
	t.Logf("a message through EX01's Front End for a mailbox on EX02 was read in EX01's shell %v after its 250", time.Since(start).Round(time.Millisecond))
	hops := strings.Split(strings.TrimSpace(ex01.must(`Get-MailboxMessage boxex02 | Where-Object Subject -eq 'hops-1' | ForEach-Object Received`)), "\n")
	want := []string{
		`^from EX02\.contoso\.com \(127\.0\.0\.12\) by EX02\.contoso\.com \(127\.0\.0\.12\) with Microsoft SMTP Server .* via Mailbox Transport;`,
		`^from EX01\.contoso\.com \(127\.0\.0\.11\) by EX02\.contoso\.com \(127\.0\.0\.12\) with Microsoft SMTP Server \(version=TLS1_[23]`,
		`^from client\.fabrikam\.com \(127\.0\.0\.1\) by EX01\.contoso\.com \(127\.0\.0\.11\) with Microsoft SMTP Server .* via Frontend Transport;`,
	}
	if len(hops) != len(want) {
		t.Errorf("Received chain of the message on EX02:\n%s\nwant %d lines", strings.Join(hops, "\n"), len(want))
	}
	for i := 0; i < len(hops) && i < len(want); i++ {
		if !regexp.MustCompile(want[i]).MatchString(strings.TrimSpace(hops[i])) {
			t.Errorf("Received line %d:\n%s\nwant %s", i+1, hops[i], want[i])
		}
	}
	// EX02's own shell reads it too, and EX01's -Server EX02 alike.
	if out := ex02.must(`(Get-MailboxMessage boxex02).Subject; (Get-MailboxMessage -Server EX02).Subject`); strings.Count(out, "hops-1") != 2 {
		t.Errorf("EX02's shell, Get-MailboxMessage boxex02 and -Server EX02:\n%s", out)
	}

	// 2. A shell attached to EX01 reads EX02's queues; the forest's digest
	// covers all three servers.
	out = ex01.must(`Get-Queue -Server EX02 | ForEach-Object Identity`)
	if !strings.Contains(out, `EX02\Submission`) || strings.Contains(out, `EX01\`) || strings.Contains(out, `EX03\`) {
		t.Errorf("Get-Queue -Server EX02 in EX01's shell:\n%s", out)
	}
	if out := ex01.must(`Get-Queue | ForEach-Object Identity`); !strings.Contains(out, `EX01\Submission`) || strings.Contains(out, `EX02\`) {
		t.Errorf("Get-Queue in EX01's shell:\n%s", out)
	}
	// Test-Mailflow from EX01 to EX02's system mailbox, and to its own.
	out = ex01.must(`(Test-Mailflow -TargetMailboxServer EX02 -ExecutionTimeout 30).TestMailflowResult; (Test-Mailflow -ExecutionTimeout 30).TestMailflowResult`)
	if strings.Join(strings.Fields(out), ",") != "Success,Success" {
		t.Errorf("Test-Mailflow -TargetMailboxServer EX02 and Test-Mailflow in EX01's shell:\n%s", out)
	}
	out = ex01.must(`Get-MailboxMessage -Server EX02 | Where-Object Subject -like 'Test-Mailflow *' | Measure-Object | ForEach-Object Count`)
	if strings.TrimSpace(out) != "1" {
		t.Errorf("Test-Mailflow's messages in EX02's store: %q, want 1", out)
	}
	out = ex01.must(`Get-QueueDigest -Forest -Filter "MessageCount -ge 0" -GroupBy ServerName | ForEach-Object GroupByValue`)
	if got := strings.Fields(out); len(got) != 3 || !strings.Contains(out, "EX01") || !strings.Contains(out, "EX02") || !strings.Contains(out, "EX03") {
		t.Errorf("Get-QueueDigest -Forest -GroupBy ServerName shows %q, want EX01, EX02 and EX03", got)
	}

	// 3. Senders keep sending through EX01's and EX03's Front Ends to
	// mailboxes on all three servers while EX02 is killed and stays down
	// for a while.
	const senders = 6
	var (
		mu      sync.Mutex
		sent    []*orgSent
		down    bool // EX02 is down: later messages count as sent while down
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		nextMsg int
	)
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fe := frontEnd([]int{0, 2}[i%2])
			var c *smtp.Client
			var conn net.Conn
			defer func() {
				if c != nil {
					c.Quit()
				}
			}()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				m := &orgSent{subject: fmt.Sprintf("load-%d-%d", i, n), box: nextMsg % len(boxes), down: down}
				nextMsg++
				sent = append(sent, m)
				mu.Unlock()
				if c == nil {
					c, conn, m.err = dialOrgFrontEnd(fe)
				}
				if m.err == nil {
					m.err = sendOrgMail(c, conn, fmt.Sprintf("sender%d@fabrikam.com", i), boxes[m.box].address, m.subject)
				}
				mu.Lock()
				m.acked = m.err == nil
				mu.Unlock()
				if m.err != nil {
					// A refused message: a new session for the next.
					if c != nil {
						c.Close()
					}
					c = nil
					time.Sleep(20 * time.Millisecond)
				}
				// Paced, so that the test leaves room on a shared
				// machine: at most about 600 messages a second in all.
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	stopSenders := func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}
	defer stopSenders()
	count := func(pred func(*orgSent) bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, m := range sent {
			if pred(m) {
				n++
			}
		}
		return n
	}
	time.Sleep(2 * time.Second)
	ackedBefore := count(func(m *orgSent) bool { return m.acked })
	if ackedBefore == 0 {
		t.Fatalf("no message was acknowledged in 2 s of sending: %v", firstErrors(&mu, sent))
	}
	ex02.stop(syscall.SIGKILL)
	killed := time.Now()
	mu.Lock()
	down = true
	mu.Unlock()
	t.Logf("EX02 killed after %d messages were acknowledged", ackedBefore)
	time.Sleep(4 * time.Second)
	stopSenders()

	// Mail for the mailboxes on EX01 and EX03 was accepted and is
	// delivered while EX02 is down.
	others := func(m *orgSent) bool { return m.box != 1 }
	if n := count(func(m *orgSent) bool { return m.down && m.acked && others(m) }); n == 0 {
		t.Fatalf("no message for EX01's or EX03's mailboxes was acknowledged while EX02 was down: %v", firstErrors(&mu, sent))
	}
	deliveredWhileDown := waitDelivered(t, ex01, boxes, sent, others, 60*time.Second)
	t.Logf("with EX02 down, every acknowledged message for EX01's and EX03's mailboxes was delivered %v after the kill", deliveredWhileDown.Sub(killed).Round(time.Millisecond))
	// The mail for EX02's mailbox waits on EX01 and EX03 in a queue for
	// its database, in Retry; the digest of the forest shows it, and says
	// that EX02 cannot be asked.
	if n := count(func(m *orgSent) bool { return m.acked && m.down && m.box == 1 }); n > 0 {
		out, _ := ex01.run(`Get-QueueDigest -Forest -Filter "MessageCount -gt 0" -GroupBy NextHopDomain -DetailsLevel Verbose | ForEach-Object { $_.GroupByValue + '|' + $_.MessageCount + '|' + ($_.Details -join ',') }`)
		t.Logf("queues while EX02 is down (next hop|messages|queues):\n%s", strings.TrimSpace(out))
		if !strings.Contains(out, strings.ToLower(dbs["EX02"])+"|") || !strings.Contains(out, "The server EX02 cannot be reached") {
			t.Errorf("Get-QueueDigest -Forest while EX02 is down:\n%s", out)
		}
		for _, s := range []string{"EX01", "EX03"} {
			out := ex01.must(fmt.Sprintf(`Get-Queue -Server %s -Filter "NextHopDomain -eq '%s'" | ForEach-Object Status`, s, dbs["EX02"]))
			if strings.TrimSpace(out) != "Retry" {
				t.Errorf("%s's queue for %s while EX02 is down: %q, want Retry", s, dbs["EX02"], out)
			}
		}
	}

	// EX02 returns with the same command line, and is killed again while
	// EX01 hands it the mail that waited: a message EX02 took but whose
	// 250 EX01 never read must not arrive twice.
	ex02.start()
	back := time.Now()
	waiting := func() int {
		out, _ := ex01.run(fmt.Sprintf(`(Get-Queue -Filter "NextHopDomain -eq '%s'").MessageCount`, dbs["EX02"]))
		n, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			return -1
		}
		return n
	}
	before := waiting()
	for n := before; n == before; n = waiting() {
		if time.Since(killed) > 60*time.Second {
			t.Fatalf("EX01's queue for %s keeps %d messages after EX02's return", dbs["EX02"], n)
		}
	}
	ex02.stop(syscall.SIGKILL)
	killedAgain := time.Now()
	t.Logf("EX02 killed again while EX01 handed it the %d messages that waited for it (%d left)", before, waiting())
	// EX02 stays down until EX01 sees it so: its return wakes the queues
	// for it at once.
	ex01.waitOutput("Get-ExchangeServer EX02 | ForEach-Object ServerState", "Down", 15*time.Second)
	ex02.start()
	restarted := time.Now()
	t.Logf("EX02 was down for %v, then for %v", back.Sub(killed).Round(time.Millisecond), restarted.Sub(killedAgain).Round(time.Millisecond))
	all := func(*orgSent) bool { return true }
	caughtUp := waitDelivered(t, ex01, boxes, sent, all, 90*time.Second)
	t.Logf("every acknowledged message was delivered %v after EX02 restarted", caughtUp.Sub(restarted).Round(time.Millisecond))
	if took := caughtUp.Sub(restarted); took > 60*time.Second {
		t.Errorf("the mail that waited for EX02 was delivered %v after its return, want within 60 s", took.Round(time.Millisecond))
	}
	// Once every queue is empty nothing more arrives: count again.
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := ex01.run(`Get-QueueDigest -Forest -Filter "MessageCount -gt 0" | ForEach-Object { $_.GroupByValue + '|' + $_.MessageCount }`)
		if strings.TrimSpace(out) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queues do not drain within 60 s:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	got := readSubjects(t, ex01, boxes)
	acked, refused, lateArrived := 0, 0, 0
	for _, m := range sent {
		n := got[m.box][m.subject]
		switch {
		case m.acked:
			acked++
			if n != 1 {
				t.Errorf("%s (acknowledged, for %s on %s) was delivered %d times", m.subject, boxes[m.box].alias, boxes[m.box].server, n)
			}
		default:
			refused++
			if n > 1 {
				t.Errorf("%s (not acknowledged: %v) was delivered %d times", m.subject, m.err, n)
			}
			lateArrived += n
		}
		delete(got[m.box], m.subject)
	}
	for i, rest := range got {
		delete(rest, "hops-1")
		for s, n := range rest {
			t.Errorf("%s holds %d copies of %q, which was not sent to it", boxes[i].alias, n, s)
		}
	}
	t.Logf("%d messages sent by %d clients, %d acknowledged (%d while EX02 was down), %d refused (%d of them delivered nonetheless); first refusals: %v",
		len(sent), senders, acked, count(func(m *orgSent) bool { return m.down && m.acked }), refused, lateArrived, firstErrors(&mu, sent))
}

// firstErrors is the distinct errors of the first refused messages.
func firstErrors(mu *sync.Mutex, sent []*orgSent) []string {
	mu.Lock()
	defer mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, m := range sent {
		if m.err == nil {
			continue
		}
		s := m.err.Error()
		var te *textproto.Error
		if errors.As(m.err, &te) {
			s = strconv.Itoa(te.Code) + " " + te.Msg
		}
		if !seen[s] && len(out) < 5 {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// readSubjects reads the subjects in each mailbox, through s's shell, as
// a count per subject.
func readSubjects(t *testing.T, s *orgServerProc, boxes []orgMailbox) []map[string]int {
	t.Helper()
	var script strings.Builder
	for _, b := range boxes {
		fmt.Fprintf(&script, "Get-MailboxMessage %s -ResultSize Unlimited | ForEach-Object { '%s|' + $_.Subject }\n", b.alias, b.alias)
	}
	out := s.must(script.String())
	got := make([]map[string]int, len(boxes))
	for i := range got {
		got[i] = map[string]int{}
	}
	for _, line := range strings.Split(out, "\n") {
		alias, subject, ok := strings.Cut(strings.TrimSpace(line), "|")
		if !ok {
			continue
		}
		for i, b := range boxes {
			if b.alias == alias {
				got[i][subject]++
			}
		}
	}
	return got
}

// waitDelivered waits until every acknowledged message that which selects
// is in its mailbox, and returns when it saw them all.
func waitDelivered(t *testing.T, s *orgServerProc, boxes []orgMailbox, sent []*orgSent, which func(*orgSent) bool, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var want []orgMailbox
	need := map[int]bool{}
	for _, m := range sent {
		if m.acked && which(m) {
			need[m.box] = true
		}
	}
	for i, b := range boxes {
		if need[i] {
			want = append(want, b)
		}
	}
	for {
		got := readSubjects(t, s, want)
		var missing []string
		for _, m := range sent {
			if !m.acked || !which(m) {
				continue
			}
			for i, b := range want {
				if b.alias == boxes[m.box].alias && got[i][m.subject] == 0 {
					missing = append(missing, b.alias+":"+m.subject)
				}
			}
		}
		if len(missing) == 0 {
			return time.Now()
		}
		if time.Now().After(deadline) {
			sort.Strings(missing)
			if len(missing) > 20 {
				missing = append(missing[:20], fmt.Sprintf("and %d more", len(missing)-20))
			}
			t.Fatalf("acknowledged messages not delivered within %v: %v", timeout, missing)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
