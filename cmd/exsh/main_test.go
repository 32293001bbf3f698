package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"exsh/shell/remote"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"exsh": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// nextPortOffset hands each test its own -PortOffset so that engines of
// tests never want the same port, whether they run in parallel in this
// process or in another test process on the same machine. Offsets step
// by 7 from a random start, so that no multiple of the step up to 35
// steps equals a difference between two of the default ports (25, 443,
// 465, 587, 717, 2525), and an offset is handed out only when those ports
// are free on loopback. The ports stay below Linux's ephemeral range
// (32768 and up), where any client connection of a test, or a port picked
// with :0, could hold them.
func nextPortOffset() int {
	portOffsets.Lock()
	defer portOffsets.Unlock()
	if portOffsets.next == 0 {
		portOffsets.next = minPortOffset + 7*rand.IntN((maxPortOffset-minPortOffset)/7)
	}
	for range (maxPortOffset - minPortOffset) / 7 {
		off := portOffsets.next
		portOffsets.next += 7
		if portOffsets.next >= maxPortOffset {
			portOffsets.next = minPortOffset
		}
		if portsFree(off) {
			return off
		}
	}
	panic("no free port offset on loopback")
}

const minPortOffset, maxPortOffset = 20000, 30000

var portOffsets struct {
	sync.Mutex
	next int
}

// portsFree reports whether the default ports plus off can be listened on
// at 127.0.0.1 now.
func portsFree(off int) bool {
	for _, p := range []int{25, 443, 465, 587, 717, 2525} {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+off)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// testEnv is the environment every exsh started by a test gets: its own
// data path, its own ports, and a home directory inside the test.
func testEnv(dir string) []string {
	return []string{
		"EXSH_DATA=" + filepath.Join(dir, "data"),
		"EXSH_PORTOFFSET=" + strconv.Itoa(nextPortOffset()),
		"HOME=" + dir,
		"XDG_DATA_HOME=",
	}
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			for _, kv := range testEnv(env.WorkDir) {
				k, v, _ := cutEnv(kv)
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// status N cmd args... runs cmd and checks its exit status.
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: status N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("status: %v", err)
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("status: %v", err)
				}
				if got != want {
					ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
				}
			},
			// sleep DURATION pauses the script.
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: sleep duration")
				}
				d, err := time.ParseDuration(args[0])
				if err != nil {
					ts.Fatalf("sleep: %v", err)
				}
				time.Sleep(d)
			},
			// waitserve waits until a server answers on $EXSH_DATA.
			"waitserve": func(ts *testscript.TestScript, neg bool, args []string) {
				path := remote.SocketPath(ts.Getenv("EXSH_DATA"))
				deadline := time.Now().Add(20 * time.Second)
				for {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					c, err := remote.Dial(ctx, path)
					cancel()
					if err == nil {
						c.Close()
						if neg {
							ts.Fatalf("%s is served", path)
						}
						return
					}
					if neg {
						return
					}
					if time.Now().After(deadline) {
						ts.Fatalf("nothing serves %s: %v", path, err)
					}
					time.Sleep(20 * time.Millisecond)
				}
			},
		},
	})
}

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// exshPath returns the exsh command testscript.Main put on $PATH.
func exshPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("exsh")
	if err != nil {
		t.Fatalf("exsh is not on PATH: %v", err)
	}
	return p
}
