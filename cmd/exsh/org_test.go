package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"exsh/engine/backend"
)

// orgAddrs are the three servers' addresses in the organisation tests.
var orgAddrs = []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}

// freeOrgOffset is a port offset under which every port the three servers
// listen on (etcd on their addresses; connectors, which may still listen
// on loopback, on 127.0.0.1 too) is free now. Every port stays below the
// band the other tests' offsets use (nextPortOffset: 20000 and up).
func freeOrgOffset(t *testing.T) int {
	t.Helper()
	return freeOffsetOn(t, append([]string{"127.0.0.1"}, orgAddrs...))
}

// freeOffsetOn is a port offset under which the ports a server listens on
// are free on every one of addrs, below 20000.
func freeOffsetOn(t *testing.T, addrs []string) int {
	t.Helper()
	ports := []int{etcdClientPort, etcdPeerPort, 25, 465, 587, 717, 2525, backend.Port}
	for off := 3000 + 10*(os.Getpid()%200); off+2525 < 20000; off += 997 {
		ok := true
		for _, a := range addrs {
			for _, p := range ports {
				l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(p+off)))
				if err != nil {
					ok = false
					break
				}
				l.Close()
			}
		}
		if ok {
			return off
		}
	}
	t.Skipf("no free port offset on %v", addrs)
	return 0
}

// orgEnv is the environment of an exsh an organisation test starts: its
// home in home, its data path and port offset only from its command line.
func orgEnv(home string) []string {
	return append(os.Environ(), "HOME="+home, "XDG_DATA_HOME=", "EXSH_DATA=", "EXSH_PORTOFFSET=")
}

// orgServerProc is one exsh -Serve of an organisation test.
type orgServerProc struct {
	t        *testing.T
	name     string
	dataPath string
	args     []string
	cmd      *exec.Cmd
	out      *lockedBuffer
	exited   chan struct{}
}

// lockedBuffer collects what a process or goroutine writes while a test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer starts exsh -Serve with args and waits until it serves.
func startServer(t *testing.T, name, dataPath string, args ...string) *orgServerProc {
	t.Helper()
	s := &orgServerProc{t: t, name: name, dataPath: dataPath, args: args}
	s.start()
	t.Cleanup(func() { s.stop(syscall.SIGKILL) })
	return s
}

func (s *orgServerProc) start() {
	s.t.Helper()
	s.cmd = exec.Command(exshPath(s.t), append([]string{"-Serve", "-NoWeb", "-DataPath", s.dataPath}, s.args...)...)
	s.cmd.Env = orgEnv(s.dataPath)
	s.out = &lockedBuffer{}
	pr, pw := io.Pipe()
	s.cmd.Stdout = io.MultiWriter(s.out, pw)
	s.cmd.Stderr = s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exited = make(chan struct{})
	serving := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Serving ") {
				close(serving)
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		s.cmd.Wait()
		pw.Close()
		close(s.exited)
	}()
	select {
	case <-serving:
	case <-s.exited:
		s.t.Fatalf("%s exited while starting:\n%s", s.name, s.out)
	case <-time.After(60 * time.Second):
		s.t.Fatalf("%s does not serve after 60 s:\n%s", s.name, s.out)
	}
}

// stop ends the server with sig and waits for it.
func (s *orgServerProc) stop(sig syscall.Signal) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// run runs an exsh -Command on the server's data path (attached to it).
func (s *orgServerProc) run(script string) (string, int) {
	s.t.Helper()
	cmd := exec.Command(exshPath(s.t), "-DataPath", s.dataPath, "-Command", script)
	cmd.Env = orgEnv(s.dataPath)
	out, _ := cmd.CombinedOutput()
	return string(out), cmd.ProcessState.ExitCode()
}

// must runs a script that must succeed and returns its output.
func (s *orgServerProc) must(script string) string {
	s.t.Helper()
	out, code := s.run(script)
	if code != 0 {
		s.t.Fatalf("on %s: %s: exit %d\n%s", s.name, script, code, out)
	}
	return out
}

// waitOutput runs script on the server until its output contains want.
func (s *orgServerProc) waitOutput(script, want string, timeout time.Duration) time.Duration {
	s.t.Helper()
	start := time.Now()
	for {
		out, _ := s.run(script)
		if strings.Contains(out, want) {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			s.t.Fatalf("on %s, %s does not show %q within %v:\n%s", s.name, script, want, timeout, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Three servers on one machine: founding from a single server's data path,
// joining, a change seen everywhere, concurrent changes of one property on
// two servers, a member's restart, and the loss of the majority.
func TestOrganisationOfThreeServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	off := strconv.Itoa(freeOrgOffset(t))
	dir := t.TempDir()
	d := func(i int) string { return filepath.Join(dir, fmt.Sprintf("D%d", i)) }

	// A single server first: its organisation moves into etcd.
	single := &orgServerProc{t: t, name: "single", dataPath: d(1)}
	single.must("New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com | Out-Null")

	start := time.Now()
	ex01 := startServer(t, "EX01", d(1), "-ServerName", "EX01", "-IPAddress", orgAddrs[0], "-PortOffset", off)
	t.Logf("EX01 founded the organisation in %v", time.Since(start))
	start = time.Now()
	ex02 := startServer(t, "EX02", d(2), "-ServerName", "EX02", "-IPAddress", orgAddrs[1], "-PortOffset", off, "-Join", orgAddrs[0])
	ex03 := startServer(t, "EX03", d(3), "-ServerName", "EX03", "-IPAddress", orgAddrs[2], "-PortOffset", off, "-Join", orgAddrs[1]+":"+strconv.Itoa(etcdClientPort+mustAtoi(off)))
	t.Logf("EX02 and EX03 joined in %v", time.Since(start))
	if want := "etcd member EX02  clients http://127.0.0.12:" + strconv.Itoa(etcdClientPort+mustAtoi(off)); !strings.Contains(ex02.out.String(), want) {
		t.Errorf("EX02's banner does not say %q:\n%s", want, ex02.out)
	}

	// A join that cannot be: a name in use, a data path with an
	// organisation of its own. Both are refused before anything starts.
	own := &orgServerProc{t: t, name: "own", dataPath: d(4)}
	own.must("Get-AcceptedDomain | Out-Null")
	for _, tc := range []struct{ dataPath, name, want string }{
		{d(5), "EX01", "already has a server named EX01"},
		{d(4), "EX04", "holds an organisation of its own"},
	} {
		cmd := exec.Command(exshPath(t), "-Serve", "-NoWeb", "-DataPath", tc.dataPath, "-ServerName", tc.name, "-IPAddress", "127.0.0.14", "-PortOffset", off, "-Join", orgAddrs[0])
		cmd.Env = orgEnv(dir)
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), tc.want) {
			t.Errorf("joining as %s from %s: exit %d, want 1 and %q:\n%s", tc.name, tc.dataPath, code, tc.want, out)
		}
	}

	out := ex03.must("Get-ExchangeServer | Format-Table Name,ServerState -HideTableHeaders; Get-AcceptedDomain fabrikam.com | ForEach-Object DomainName; Get-MailboxDatabase | ForEach-Object { $_.Server + ' ' + $_.Name }")
	for _, want := range []string{"EX01 Up", "EX02 Up", "EX03 Up", "fabrikam.com"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("EX03 does not show %q:\n%s", want, out)
		}
	}
	for _, srv := range []string{"EX01", "EX02", "EX03"} {
		if n := strings.Count(out, srv+" Mailbox Database "); n != 1 {
			t.Errorf("%d mailbox databases of %s:\n%s", n, srv, out)
		}
	}
	if out := ex02.must("(Get-ReceiveConnector -Server EX02).Count; (Get-ReceiveConnector).Count"); strings.Fields(out)[1] != "15" {
		t.Errorf("receive connectors (EX02's, all):\n%s", out)
	}

	// A change on EX01 is seen on EX03 within 2 s.
	ex01.must("New-AcceptedDomain -Name Tailspin -DomainName tailspintoys.com | Out-Null")
	took := ex03.waitOutput("Get-AcceptedDomain | ForEach-Object DomainName", "tailspintoys.com", 2*time.Second)
	t.Logf("a change on EX01 was read on EX03 %v after its cmdlet returned (one exsh -Command per read)", took)

	// Two administrators add to one multivalued property on two servers
	// at once: every value lands.
	const each = 8
	var wg sync.WaitGroup
	for i, s := range []*orgServerProc{ex01, ex02} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			script := fmt.Sprintf(`foreach ($j in 1..%d) { Set-ReceiveConnector "Default EX01" -RemoteIPRanges @{Add="10.%d.$j.0/24"} -ErrorAction Stop }`, each, i+1)
			if out, code := s.run(script); code != 0 {
				t.Errorf("on %s: exit %d\n%s", s.name, code, out)
			}
		}()
	}
	wg.Wait()
	// EX03 reads them all within 2 s of the last change.
	deadline := time.Now().Add(2 * time.Second)
	for {
		var missing []string
		ranges := strings.TrimSpace(ex03.must(`(Get-ReceiveConnector "Default EX01").RemoteIPRanges -join ","`))
		for i := 1; i <= 2; i++ {
			for j := 1; j <= each; j++ {
				if r := fmt.Sprintf("10.%d.%d.0/24", i, j); !strings.Contains(ranges+",", r+",") {
					missing = append(missing, r)
				}
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("lost: %v\nhave: %s", missing, ranges)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A member stops, misses a change, and restarts with just its data
	// path: it is the server, at the address and offset, its data path
	// remembers.
	ex03.stop(syscall.SIGTERM)
	ex01.waitOutput("Get-ExchangeServer EX03 | ForEach-Object ServerState", "Down", 10*time.Second)
	ex01.must("New-AcceptedDomain -Name Wingtip -DomainName wingtiptoys.com | Out-Null")
	args := ex03.args
	ex03.args = nil
	ex03.start()
	ex03.args = args
	ex03.waitOutput("Get-AcceptedDomain | ForEach-Object DomainName", "wingtiptoys.com", 2*time.Second)
	ex01.waitOutput("Get-ExchangeServer EX03 | ForEach-Object ServerState", "Up", 10*time.Second)
	if want := "Exchange Back End  127.0.0.13:" + strconv.Itoa(444+mustAtoi(off)); !strings.Contains(ex03.out.String(), want) {
		t.Errorf("EX03's banner after a restart does not say %q:\n%s", want, ex03.out)
	}
	if out := ex03.must("Get-Queue | ForEach-Object Identity"); !strings.Contains(out, `EX03\Submission`) {
		t.Errorf("Get-Queue on EX03 after a restart:\n%s", out)
	}

	// Without a majority a change fails fast and clearly, reads go on,
	// and the change is not made once the majority is back.
	// A server killed shows as down once its liveness lease expires.
	ex03.stop(syscall.SIGKILL)
	took = ex01.waitOutput("Get-ExchangeServer EX03 | ForEach-Object ServerState", "Down", 6*time.Second)
	t.Logf("EX03, killed, showed as down on EX01 after %v", took.Round(time.Millisecond))
	ex02.stop(syscall.SIGKILL)
	start = time.Now()
	out, code := ex01.run(`Set-ReceiveConnector "Default EX01" -Banner "220 without a majority"`)
	took = time.Since(start)
	if code != 1 || !strings.Contains(out, "The organisation's majority of servers cannot be reached, so the change was not made") {
		t.Errorf("a change without a majority: exit %d\n%s", code, out)
	}
	if took > 10*time.Second {
		t.Errorf("the change failed after %v", took)
	}
	t.Logf("without a majority a change failed after %v: %s", took.Round(time.Millisecond), strings.SplitN(out, "\n", 2)[0])
	if out := ex01.must(`(Get-ReceiveConnector "Default EX01").Name`); !strings.Contains(out, "Default EX01") {
		t.Errorf("reading without a majority:\n%s", out)
	}
	// Cut off from the majority, EX01 cannot tell who runs: the others
	// show as down.
	ex01.waitOutput("Get-ExchangeServer EX02 | ForEach-Object ServerState", "Down", 5*time.Second)
	ex02.start()
	ex02.must(`New-AcceptedDomain -Name Litware -DomainName litwareinc.com | Out-Null`)
	ex01.waitOutput("Get-AcceptedDomain | ForEach-Object DomainName", "litwareinc.com", 2*time.Second)
	if out := ex01.must(`(Get-ReceiveConnector "Default EX01").Banner`); strings.Contains(out, "without a majority") {
		t.Errorf("the refused change was made later: %s", out)
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func TestJoinURL(t *testing.T) {
	for _, tt := range []struct {
		member string
		offset int
		want   string
	}{
		{"127.0.0.11", 0, "http://127.0.0.11:2379"},
		{"127.0.0.11", 10000, "http://127.0.0.11:12379"},
		{"127.0.0.11:2379", 10000, "http://127.0.0.11:2379"},
		{"ex01.contoso.com", 0, "http://ex01.contoso.com:2379"},
		{"ex01.contoso.com:32379", 0, "http://ex01.contoso.com:32379"},
		{"::1", 0, "http://[::1]:2379"},
		{"[::1]", 5, "http://[::1]:2384"},
		{"[::1]:2400", 5, "http://[::1]:2400"},
	} {
		if got := joinURL(tt.member, tt.offset); got != tt.want {
			t.Errorf("joinURL(%q, %d) = %q, want %q", tt.member, tt.offset, got, tt.want)
		}
	}
}

// A data path that remembers its membership but lost its etcd member's
// data is refused, rather than started as a new organisation of its own.
func TestMemberDataMissing(t *testing.T) {
	dir := t.TempDir()
	if err := writeMemberInfo(dir, &memberInfo{ServerName: "EX02", IPAddress: "127.0.0.12", PortOffset: 10000}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exshPath(t), "-DataPath", dir, "-Command", "Get-ExchangeServer")
	cmd.Env = orgEnv(dir)
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "etcd member's data") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "etcd")); err == nil {
		t.Error("an etcd member was started")
	}
}

// A member keeps the port offset it was set up with, where the other
// servers reach it: without -PortOffset it is the one its data path
// remembers, and another one is refused before anything starts.
func TestMemberPortOffset(t *testing.T) {
	dir := t.TempDir()
	if err := writeMemberInfo(dir, &memberInfo{ServerName: "EX02", IPAddress: "127.0.0.12", PortOffset: 12000}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EXSH_PORTOFFSET", "30000")
	if got := newHost(dir, &options{}, io.Discard).portOffset(); got != 12000 {
		t.Errorf("portOffset() = %d, want the remembered 12000", got)
	}
	if got := newHost(t.TempDir(), &options{}, io.Discard).portOffset(); got != 30000 {
		t.Errorf("portOffset() of a single server = %d, want $EXSH_PORTOFFSET's 30000", got)
	}

	cmd := exec.Command(exshPath(t), "-DataPath", dir, "-PortOffset", "20000", "-Command", "Get-ExchangeServer")
	cmd.Env = orgEnv(dir)
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "with port offset 12000; it cannot move to -PortOffset 20000") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "etcd")); err == nil {
		t.Error("an etcd member was started")
	}
}
