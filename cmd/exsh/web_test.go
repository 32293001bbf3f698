package main

import (
	"bufio"
	"crypto/tls"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeEAC starts exsh -Serve and finds the EAC where its banner says,
// answering with the sign-in page; with -NoWeb there is none.
func TestServeEAC(t *testing.T) {
	for _, noWeb := range []bool{false, true} {
		dir := t.TempDir()
		offset := nextPortOffset()
		args := []string{"-Serve", "-DataPath", dir + "/data", "-PortOffset", strconv.Itoa(offset)}
		if noWeb {
			args = append(args, "-NoWeb")
		}
		cmd := exec.Command(exshPath(t), args...)
		cmd.Env = append(cmd.Environ(), "HOME="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stop := func() {
			cmd.Process.Kill()
			cmd.Wait()
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var eac string
		timeout := time.After(20 * time.Second)
	read:
		for {
			select {
			case ln, ok := <-lines:
				if !ok || strings.HasPrefix(ln, "Serving ") {
					break read
				}
				if strings.HasPrefix(ln, "EAC  ") {
					eac = strings.TrimPrefix(ln, "EAC  ")
				}
			case <-timeout:
				stop()
				t.Fatal("no banner from exsh -Serve")
			}
		}
		want := "https://127.0.0.1:" + strconv.Itoa(443+offset) + "/ecp/"
		switch {
		case noWeb && eac != "":
			t.Errorf("-NoWeb: the banner lists the EAC at %s", eac)
		case !noWeb && eac != want:
			t.Errorf("EAC line %q, want %q", eac, want)
		case !noWeb:
			c := &http.Client{
				Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
				Timeout:       10 * time.Second,
			}
			res, err := c.Get(eac)
			if err != nil {
				t.Errorf("GET %s: %v", eac, err)
				break
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/ecp/auth/logon.aspx") {
				t.Errorf("GET %s: %s to %q, want the sign-in page", eac, res.Status, res.Header.Get("Location"))
			}
			if cs := res.TLS; cs == nil || len(cs.PeerCertificates) == 0 || !strings.Contains(cs.PeerCertificates[0].Subject.CommonName, "EX01") {
				t.Errorf("the EAC's certificate is not the organisation's: %+v", cs)
			}
		}
		go func() {
			for range lines {
			}
		}()
		stop()
	}
}
