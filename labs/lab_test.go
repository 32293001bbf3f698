package labs

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// Every built-in lab loads, has a story, tasks with hints, a solution
// and guards, and its hosts live on loopback addresses of their own.
func TestCatalogueLoads(t *testing.T) {
	r := NewRunner(Config{DataPath: t.TempDir(), Getenv: func(string) string { return "" }})
	labs, errs := r.Catalogue()
	for _, err := range errs {
		t.Error(err)
	}
	want := []string{"app-send-as", "appliance-only", "capstone", "find-device", "internal-relay-domain", "internet-send-connector",
		"lock-default-frontend", "lost-message", "partner-connector", "scanner-relay", "size-limit", "smart-host-retry"}
	var got []string
	for _, l := range labs {
		got = append(got, l.Name)
		if l.Story == "" || l.Solution == "" || len(l.Tasks) == 0 || len(l.Guards) == 0 {
			t.Errorf("%s: story, solution, tasks or guards missing", l.Name)
		}
		for _, task := range l.Tasks {
			if len(task.Hints) == 0 || task.Check == nil {
				t.Errorf("%s: task %q has no hints or no check", l.Name, task.Title)
			}
		}
		for _, h := range l.Hosts {
			if !h.Address.Is4() || !h.Address.IsLoopback() || h.Address == exchangeAddr {
				t.Errorf("%s: host %s at %s", l.Name, h.Name, h.Address)
			}
			if h.Every != 0 && h.Every < minEvery {
				t.Errorf("%s: host %s sends every %s", l.Name, h.Name, h.Every)
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("catalogue %v, want %v", got, want)
	}
}

// A lab's DNS answers only with its hosts' loopback addresses, and says
// "not found" for everything else: no name ever reaches a real resolver.
func TestDNSAnswersOnlyLoopback(t *testing.T) {
	r := NewRunner(Config{DataPath: t.TempDir(), Getenv: func(string) string { return "" }})
	labs, _ := r.Catalogue()
	ctx := context.Background()
	names := []string{"contoso.com", "fabrikam.com", "mail.fabrikam.com", "relay.northwindtraders.com", "legacy.contoso.com",
		"gmail.com", "www.example.com", "8.8.8.8", "localhost", "tailspintoys.com", "no-such-domain.invalid"}
	for _, l := range labs {
		n := newNetwork(l, func(p int) int { return p })
		for _, name := range names {
			mxs, err := n.dns.LookupMX(ctx, name)
			for _, mx := range mxs {
				a, perr := netip.ParseAddr(mx.Host)
				if perr != nil || !a.IsLoopback() {
					t.Errorf("%s: MX %s -> %q", l.Name, name, mx.Host)
				}
			}
			var dnsErr *net.DNSError
			if err != nil && (!errors.As(err, &dnsErr) || !dnsErr.IsNotFound) {
				t.Errorf("%s: MX %s: %v", l.Name, name, err)
			}
			ips, _ := n.dns.LookupNetIP(ctx, name)
			for _, a := range ips {
				if !a.IsLoopback() {
					t.Errorf("%s: A %s -> %s", l.Name, name, a)
				}
			}
		}
		for _, h := range n.hosts {
			if !h.Address.IsLoopback() {
				t.Errorf("%s: host %s at %s", l.Name, h.Name, h.Address)
			}
		}
	}
}

// The hosts connect only to the server's loopback address, from their
// own: a sender to a port nothing listens on fails at Connect, and the
// server address it tried is 127.0.0.1.
func TestSendersStayOnLoopback(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		got <- c.RemoteAddr().String()
		c.Write([]byte("554 5.7.1 go away\r\n"))
		c.Close()
	}()
	defer l.Close()
	lab := &Lab{Name: "t", Hosts: []*HostSpec{{Name: "Dev", Address: netip.MustParseAddr("127.0.0.57"), Port: 25, From: "a@contoso.com", To: "b@contoso.com"}}}
	n := newNetwork(lab, func(int) int { return port })
	res := n.send(context.Background(), n.host("Dev"), nil)
	if res.Accepted || res.Code != 554 {
		t.Errorf("result %+v", res)
	}
	if from := <-got; !strings.HasPrefix(from, "127.0.0.57:") {
		t.Errorf("connected from %s", from)
	}
}

// A broken lab file is refused on load with its file and line.
func TestLoadErrorsNameTheLine(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "example-lab", DataFile))
	if err != nil {
		t.Fatal(err)
	}
	sol := &fstest.MapFile{Data: []byte("Get-ReceiveConnector\n")}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"syntax", strings.Replace(string(good), "Check = {", "Check = {{", 1), "lab.psd1:"},
		{"unknown key", strings.Replace(string(good), "Level   = 'Beginner'", "Levle   = 'Beginner'", 1), `lab.psd1:5: unknown key "Levle"`},
		{"address", strings.Replace(string(good), "'127.0.0.56'", "'10.0.0.56'", 1), "lab.psd1:15: NAS: Address \"10.0.0.56\" must be a loopback address"},
		{"flood", strings.Replace(string(good), "Every = 300", "Every = 1", 1), "lab.psd1:16: NAS: Every is 1s"},
		{"no check", strings.Replace(string(good), "Check = {", "Chek = {", 1), `unknown key "Chek"`},
		{"not a hashtable", "'hello'", "lab.psd1:1: the data file must be one hashtable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"lab/lab.psd1": {Data: []byte(tc.data)}, "lab/solution.ps1": sol}
			_, err := Load(fsys, "lab", "/trainer/lab")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Load(fstest.MapFS{"lab/lab.psd1": {Data: good}}, "lab", "x"); err == nil || !strings.Contains(err.Error(), "solution") {
		t.Errorf("a lab without a solution: %v", err)
	}
	if _, err := LoadDir(filepath.Join("testdata", "example-lab")); err != nil {
		t.Errorf("the example lab: %v", err)
	}
}

func TestCloseMatches(t *testing.T) {
	names := []string{"scanner-relay", "size-limit", "smart-host-retry", "lost-message"}
	for _, tc := range []struct{ in, want string }{
		{"scaner-relay", "scanner-relay"},
		{"relay", "scanner-relay"},
		{"size", "size-limit"},
		{"zzzzzz", ""},
	} {
		if got := strings.Join(closeMatches(tc.in, names), ","); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
		}
	}
}
