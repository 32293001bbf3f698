package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests drive the interactive shell in a real terminal: tmux
// provides the pseudo-terminal and renders the screen, which the tests
// read back with capture-pane. They are skipped when tmux is missing,
// unless EXSH_REQUIRE_TMUX=1 says the CI host must have it.

type tmuxPane struct {
	t      *testing.T
	server string // private tmux server (-L), so tests never share one
}

func newPane(t *testing.T) *tmuxPane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("EXSH_REQUIRE_TMUX") == "1" {
			t.Fatal("tmux is required (EXSH_REQUIRE_TMUX=1) but not installed")
		}
		t.Skip("tmux not installed")
	}
	dir := t.TempDir()
	p := &tmuxPane{t: t, server: fmt.Sprintf("exsh-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	env := append(testEnv(dir), "PATH="+os.Getenv("PATH"), "TERM=xterm", "PS1=$ ", "HISTFILE=/dev/null")
	args := []string{"-L", p.server, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "-c", dir,
		"env", "-i"}
	args = append(args, env...)
	args = append(args, "bash", "--norc", "--noprofile")
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-L", p.server, "kill-server").Run() })
	p.waitFor(shellRE, 5*time.Second)
	return p
}

// send sends keys: tmux key names (Enter, Tab, C-c, C-d) or, with
// literal, text. go-prompt needs each key in its own read, so every call
// is one send-keys and a short pause.
func (p *tmuxPane) send(literal bool, keys ...string) {
	p.t.Helper()
	args := []string{"-L", p.server, "send-keys", "-t", "t"}
	if literal {
		args = append(args, "-l")
	}
	args = append(args, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		p.t.Fatalf("tmux send-keys %q: %v\n%s", keys, err, out)
	}
	time.Sleep(150 * time.Millisecond)
}

func (p *tmuxPane) typeText(s string) { p.send(true, s) }
func (p *tmuxPane) key(k string)      { p.send(false, k) }

// line types a line and presses Enter.
func (p *tmuxPane) line(s string) {
	p.typeText(s)
	p.key("Enter")
}

func (p *tmuxPane) capture() string {
	out, err := exec.Command("tmux", "-L", p.server, "capture-pane", "-p", "-t", "t").Output()
	if err != nil {
		p.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// waitFor waits until the screen matches the regular expression.
func (p *tmuxPane) waitFor(pattern string, timeout time.Duration) string {
	p.t.Helper()
	re := regexp.MustCompile("(?m)" + pattern)
	deadline := time.Now().Add(timeout)
	for {
		screen := p.capture()
		if re.MatchString(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("screen does not match %q after %v:\n%s", pattern, timeout, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resize makes the window cols wide and waits until the pane's terminal
// has that width (tmux may apply a pane's new size a little later).
func (p *tmuxPane) resize(cols int) {
	p.t.Helper()
	if out, err := exec.Command("tmux", "-L", p.server, "resize-window", "-t", "t", "-x", strconv.Itoa(cols)).CombinedOutput(); err != nil {
		p.t.Fatalf("tmux resize-window: %v\n%s", err, out)
	}
	out, err := exec.Command("tmux", "-L", p.server, "display-message", "-p", "-t", "t", "#{pane_tty}").Output()
	if err != nil {
		p.t.Fatalf("tmux display-message: %v", err)
	}
	tty, err := os.OpenFile(strings.TrimSpace(string(out)), os.O_RDONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		p.t.Fatal(err)
	}
	defer tty.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ws, err := unix.IoctlGetWinsize(int(tty.Fd()), unix.TIOCGWINSZ)
		if err == nil && int(ws.Col) == cols {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the pane's terminal is not %d columns wide: %+v %v", cols, ws, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// promptRE matches the EMS prompt at the start of a line (capture-pane
// drops the blank after it when nothing follows).
const promptRE = `^\[PS\] [^\n]*> ?`

// shellRE matches the pane's bash prompt alone on a line.
const shellRE = `^\$ ?$`

func startREPL(t *testing.T) *tmuxPane {
	p := newPane(t)
	p.line("exsh -NoLogo")
	if screen := p.waitFor(promptRE+`$`, 20*time.Second); strings.Contains(screen, "Welcome") || strings.Contains(screen, "->") {
		t.Errorf("-NoLogo printed a banner:\n%s", screen)
	}
	return p
}

func TestREPLCompletion(t *testing.T) {
	t.Parallel()
	p := startREPL(t)

	// A cmdlet name: the menu shows it with its synopsis; Tab takes it.
	p.typeText("Get-ReceiveCon")
	p.waitFor(`Get-ReceiveConnector\s+\S`, 5*time.Second)
	p.key("Tab")
	p.waitFor(promptRE+`Get-ReceiveConnector\s*$`, 5*time.Second)

	// A parameter of that cmdlet, with its help.
	p.typeText(" -Ser")
	p.waitFor(`-Server\s+Returns the connectors`, 5*time.Second)
	p.key("Tab")
	p.waitFor(promptRE+`Get-ReceiveConnector -Server`, 5*time.Second)
	p.key("C-c")
	p.waitFor(promptRE+`$`, 5*time.Second)

	// An enumerated value, also as the second element of a list.
	p.typeText("Set-ReceiveConnector x -PermissionGroups AnonymousUsers,ExchangeSer")
	p.waitFor(`ExchangeServers`, 5*time.Second)
	p.key("Tab")
	p.waitFor(promptRE+`Set-ReceiveConnector x -PermissionGroups AnonymousUsers,ExchangeServers`, 5*time.Second)
	p.key("C-c")

	// An identity of an existing object, inside quotes and out.
	p.typeText("Get-ReceiveConnector -Identity 'Default Fr")
	p.waitFor(`Frontend EX01'\s+Identity`, 5*time.Second)
	p.key("Tab")
	p.waitFor(promptRE+`Get-ReceiveConnector -Identity 'Default Frontend EX01'$`, 5*time.Second)
	p.key("Enter")
	p.waitFor(`^EX01\\Default Frontend EX01 +\{`, 10*time.Second)
	p.waitFor(promptRE+`$`, 5*time.Second)
	// A quoted identity typed from its start closes its quote too.
	p.typeText("Get-ReceiveConnector 'Def")
	p.key("Tab")
	p.waitFor(promptRE+`Get-ReceiveConnector 'Default EX01'$`, 5*time.Second)
	p.key("C-c")
	p.typeText("Get-ReceiveConnector Client")
	p.waitFor(`'Client Frontend EX01'`, 5*time.Second)
	p.key("C-c")

	// A variable.
	p.typeText("$exins")
	p.waitFor(`\$exinstall`, 5*time.Second)
	p.key("Tab")
	p.key("Enter")
	p.waitFor(`(?m)^/.*/data/$`, 5*time.Second)

	p.line("exit")
	p.waitFor(shellRE, 10*time.Second)
}

func TestREPLMultiLine(t *testing.T) {
	t.Parallel()
	p := startREPL(t)
	p.line("foreach ($i in 1..3) {")
	p.waitFor(`^>> ?$`, 5*time.Second)
	p.line(`  "line $i"`)
	p.waitFor(`^>> ?$`, 5*time.Second)
	p.line("}")
	screen := p.waitFor(`line 3\n`+promptRE+`$`, 10*time.Second)
	if !strings.Contains(screen, "line 1\nline 2\nline 3") {
		t.Fatalf("multi-line statement output:\n%s", screen)
	}
	// History: Up recalls the last line.
	p.key("Up")
	p.waitFor(promptRE+`}$`, 5*time.Second)
	p.key("C-c")
	p.line("exit")
	p.waitFor(shellRE, 10*time.Second)
}

func TestREPLCtrlCStopsPipeline(t *testing.T) {
	t.Parallel()
	p := startREPL(t)
	p.line("1..100000 | ForEach-Object { Start-Sleep -Milliseconds 1 }; 'not reached'")
	time.Sleep(time.Second)
	start := time.Now()
	p.key("C-c")
	p.waitFor(promptRE+`$`, 5*time.Second)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Ctrl+C took %v", d)
	}
	if strings.Contains(p.capture(), "not reached") {
		t.Fatal("the script went on after Ctrl+C")
	}
	// The shell is still there.
	p.line(`"still " + "here"`)
	p.waitFor(`^still here$`, 5*time.Second)

	// Ctrl+C at the prompt clears the line and stays.
	p.typeText("Get-Date -Bogus")
	p.key("C-c")
	p.waitFor(promptRE+`$`, 5*time.Second)
	p.line("exit")
	p.waitFor(shellRE, 10*time.Second)
}

// stty -a must show a sane terminal after the shell leaves.
func checkSaneTerminal(t *testing.T, p *tmuxPane) {
	t.Helper()
	p.line("clear; stty -a | tr ' ' '\\n' | grep -E '^-?(echo|icanon|isig|icrnl)$' | tr '\\n' ' '; echo END")
	screen := p.waitFor(`END$`, 5*time.Second)
	for _, flag := range []string{"echo", "icanon", "isig", "icrnl"} {
		if strings.Contains(screen, "-"+flag+" ") || !strings.Contains(screen, flag+" ") {
			t.Errorf("terminal flag %s not restored:\n%s", flag, screen)
		}
	}
}

func TestREPLExitRestoresTerminal(t *testing.T) {
	t.Parallel()
	p := startREPL(t)
	p.line("exit 3")
	p.waitFor(shellRE, 10*time.Second)
	p.line("echo status=$?")
	p.waitFor(`^status=3$`, 5*time.Second)
	checkSaneTerminal(t, p)
}

func TestREPLCtrlDLeaves(t *testing.T) {
	t.Parallel()
	// Without -NoLogo the shell greets as the Exchange Management Shell
	// does, with a tip of the day, then shows where each connector
	// listens, one line per connector.
	p := newPane(t)
	p.line("exsh")
	p.waitFor(`^Default Frontend EX01 +0\.0\.0\.0:25 -> 127\.0\.0\.1:\d+, \[::\]:25 -> \[::1\]:\d+$`, 20*time.Second)
	screen := p.waitFor(promptRE+`$`, 5*time.Second)
	for _, want := range []string{
		`^ +Welcome to the Exchange Management Shell!$`,
		`^Only Exchange cmdlets: Get-ExCommand$`,
		`^Get help for a cmdlet: Help <cmdlet name> or <cmdlet name> -\?$`,
		`^Tip of the day #\d+:$`,
	} {
		if !regexp.MustCompile("(?m)" + want).MatchString(screen) {
			t.Errorf("no %s on the first screen:\n%s", want, screen)
		}
	}
	if n := strings.Count(screen, "Default Frontend EX01 "); n != 1 {
		t.Errorf("Default Frontend EX01 on %d lines:\n%s", n, screen)
	}
	p.key("C-d")
	p.waitFor(shellRE, 10*time.Second)
	checkSaneTerminal(t, p)
}

func TestREPLSIGTERMRestoresTerminal(t *testing.T) {
	t.Parallel()
	p := startREPL(t)
	// exsh is the only child of the pane's shell.
	p.typeText("Get-Da")
	out, err := exec.Command("pgrep", "-P", panePID(t, p)).Output()
	if err != nil {
		t.Skipf("pgrep: %v", err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(out))[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitFor(shellRE, 10*time.Second)
	checkSaneTerminal(t, p)
}

// panePID is the process id of the pane's shell.
func panePID(t *testing.T, p *tmuxPane) string {
	out, err := exec.Command("tmux", "-L", p.server, "display-message", "-p", "-t", "t", "#{pane_pid}").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func TestREPLAttached(t *testing.T) {
	t.Parallel()
	p := newPane(t)
	p.line("exsh -Serve -NoLogo &")
	p.line("until [ -S $EXSH_DATA/exsh.sock ]; do sleep 0.1; done; echo SERVING")
	p.waitFor(`^SERVING$`, 20*time.Second)
	p.line("clear; exsh")
	p.waitFor(`^Connected to EX01`, 10*time.Second)
	p.waitFor(promptRE+`$`, 5*time.Second)

	// The remote session keeps its variables from one statement to the next.
	p.line("$x = 21")
	p.line("$x * 2")
	p.waitFor(`^42$`, 5*time.Second)

	// Completion uses the server's command table.
	p.typeText("Get-ReceiveCon")
	p.waitFor(`Get-ReceiveConnector\s+\S`, 5*time.Second)
	p.key("Tab")
	p.typeText(" -Iden")
	p.key("Tab")
	p.typeText(" 'Client F")
	p.waitFor(`Frontend EX01`, 5*time.Second)
	p.key("C-c")

	// Ctrl+C stops only this client's pipeline.
	p.line("1..100000 | ForEach-Object { Start-Sleep -Milliseconds 1 }")
	time.Sleep(time.Second)
	p.key("C-c")
	p.waitFor(promptRE+`$`, 5*time.Second)
	// -Confirm asks the attached user.
	p.line("Remove-ReceiveConnector 'Client Proxy EX01' -Confirm")
	p.waitFor(`Are you sure you want to perform this action\?`, 10*time.Second)
	p.line("N")
	p.waitFor(promptRE+`$`, 5*time.Second)
	p.line("clear; (Get-ReceiveConnector).Count")
	p.waitFor(`^5$`, 5*time.Second)
	p.line("exit")
	p.waitFor(shellRE, 10*time.Second)
	p.line("kill %1; wait; echo STOPPED")
	p.waitFor(`^STOPPED$`, 20*time.Second)
	checkSaneTerminal(t, p)
}

// Keys that arrive in one read — a paste, or a script typing fast — are
// each handled: two lines pasted at once run as two statements.
func TestREPLPasteSeveralLines(t *testing.T) {
	t.Parallel()
	p := startREPL(t)
	p.typeText("\"pasted \" + 1\r\"pasted \" + 2\r")
	p.waitFor(`^pasted 1$`, 5*time.Second)
	p.waitFor(`^pasted 2$`, 5*time.Second)
	p.line("exit")
	p.waitFor(shellRE, 10*time.Second)
}

// History is kept in <DataPath>/history across sessions.
func TestREPLHistoryPersists(t *testing.T) {
	t.Parallel()
	p := startREPL(t)
	p.line(`"marker-" + 42`)
	p.waitFor(`^marker-42$`, 5*time.Second)
	p.line("exit")
	p.waitFor(shellRE, 10*time.Second)
	p.line("clear; exsh -NoLogo")
	p.waitFor(promptRE+`$`, 20*time.Second)
	p.key("Up")
	p.waitFor(promptRE+`exit$`, 5*time.Second)
	p.key("Up")
	p.waitFor(promptRE+`"marker-" \+ 42$`, 5*time.Second)
	p.key("C-c")
	p.key("C-d")
	p.waitFor(shellRE, 10*time.Second)
}

// -Confirm asks on the terminal; N leaves the object alone.
func TestREPLConfirm(t *testing.T) {
	t.Parallel()
	p := startREPL(t)
	p.line("Remove-ReceiveConnector 'Client Proxy EX01' -Confirm")
	p.waitFor(`Are you sure you want to perform this action\?`, 10*time.Second)
	p.waitFor(`\[Y\] Yes  \[A\] Yes to All  \[N\] No  \[L\] No to All  \[\?\] Help \(default is "Y"\):`, 5*time.Second)
	p.line("N")
	p.waitFor(promptRE+`$`, 5*time.Second)
	p.line("clear; (Get-ReceiveConnector).Count")
	p.waitFor(`^5$`, 5*time.Second)
	p.line("exit")
	p.waitFor(shellRE, 10*time.Second)
}

// Tables are cut to the terminal's width when each statement runs: after
// the window is resized the next statement follows it, in a shell of its
// own and in one attached to exsh -Serve.
func TestREPLWidthFollowsResize(t *testing.T) {
	t.Parallel()
	for _, attached := range []bool{false, true} {
		name := "local"
		if attached {
			name = "attached"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newPane(t)
			if attached {
				p.line("exsh -Serve -NoLogo &")
				p.line("until [ -S $EXSH_DATA/exsh.sock ]; do sleep 0.1; done; echo SERVING")
				p.waitFor(`^SERVING$`, 20*time.Second)
				p.line("clear; exsh")
				p.waitFor(`^Connected to EX01`, 10*time.Second)
			} else {
				p.line("exsh -NoLogo")
			}
			p.waitFor(promptRE+`$`, 20*time.Second)

			// The row is "x", the padding of the Name column, then the
			// Text column cut with "..." to one less than the width.
			for _, cols := range []int{120, 80, 150} {
				p.resize(cols)
				p.line("clear; " + wideRow)
				p.waitFor(fmt.Sprintf(`^x    a{%d}\.\.\.\n+`, cols-9)+promptRE+`$`, 10*time.Second)
			}
			p.line("exit")
			p.waitFor(shellRE, 10*time.Second)
			if attached {
				p.line("kill %1; wait; echo STOPPED")
				p.waitFor(`^STOPPED$`, 20*time.Second)
			}
		})
	}
}
