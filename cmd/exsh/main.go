// Command exsh is an Exchange Server 2019 transport lab in one binary: an
// Exchange Management Shell over an organisation stored on disk, driving
// an in-process SMTP transport engine.
//
// See SPEC section 1 (or exsh -Help) for the command line. main only
// forwards to run, which tests call directly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"syscall"

	"golang.org/x/term"
)

// version is the exsh release; the build may set it with
// -ldflags "-X main.version=...".
var version = "0.1.0"

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// tuneGC sets the garbage collector for a mail server whose live heap is
// small and whose garbage comes per message: collecting at five times the
// live heap instead of twice cuts the collector's CPU share of a busy
// engine by about a fifth. A soft memory limit that follows the live heap
// (see followLiveHeap) keeps the heap from growing fivefold around large
// messages. GOGC and GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(baseMemoryLimit)
		followLiveHeap()
	}
}

// baseMemoryLimit is the soft limit while the live heap is small: well
// above what a busy engine keeps live with small messages (where GOGC
// decides), below what fivefold garbage of large ones would reach.
const baseMemoryLimit = 64 << 20

// followLiveHeap sets the soft memory limit after every collection to
// three times the live heap, never below baseMemoryLimit, so a live heap
// that really is large (many big messages at once) raises the limit
// instead of making the collector run back to back. It runs on the
// collector's own schedule: an idle process pays nothing.
func followLiveHeap() {
	sentinel := new([64]byte)
	runtime.SetFinalizer(sentinel, func(*[64]byte) {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(memoryLimitFor(sample[0].Value.Uint64()))
		}
		followLiveHeap()
	})
}

// memoryLimitFor is the soft limit for a live heap of live bytes.
func memoryLimitFor(live uint64) int64 {
	return max(baseMemoryLimit, 3*int64(min(live, 1<<40)))
}

// run is the whole program: it parses args, picks the mode and returns the
// process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Usage: exsh [-Command <script> | [-File] <file.ps1> [args...] | -Serve] [-DataPath <dir>] ...")
		fmt.Fprintln(stderr, "Run 'exsh -Help' for the list of parameters.")
		return exitUsage
	}
	if opts.help {
		io.WriteString(stdout, usageText)
		return 0
	}
	if opts.version {
		fmt.Fprintf(stdout, "exsh %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	dataPath, err := resolveDataPath(opts.dataPath, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "exsh: %v\n", err)
		return 1
	}
	setExchangeEnvironment(dataPath, os.LookupEnv, os.Setenv)
	p := &program{opts: opts, dataPath: dataPath, stdin: stdin, stdout: stdout, stderr: stderr}

	switch {
	case opts.serve:
		return p.serve()
	case opts.hasCommand && opts.command != "-":
		return p.runScript(opts.command, "", nil)
	case opts.hasFile && opts.file != "-":
		src, err := os.ReadFile(opts.file)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(stderr, "The argument '%s' is not recognized as the name of a script file. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\n", opts.file)
				return exitUsage
			}
			fmt.Fprintf(stderr, "exsh: %v\n", err)
			return 1
		}
		name := opts.file
		if abs, err := filepath.Abs(name); err == nil {
			name = abs
		}
		return p.runScript(string(src), name, opts.args)
	case opts.hasCommand || opts.hasFile:
		return p.runStdin()
	case isTerminal(stdin) && !opts.nonInteractive:
		return p.interactive()
	default:
		return p.runStdin()
	}
}

// program is one invocation of exsh.
type program struct {
	opts     *options
	dataPath string
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
}

// signalContext returns a context cancelled by SIGINT, SIGTERM or SIGHUP,
// for the modes that run a script: Ctrl+C stops the pipeline, as in pwsh.
// Once it is cancelled the signals get their default action back, so a
// second Ctrl+C ends a script that does not stop.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// outputWidth is the terminal's width, or 120 columns when w is not a
// terminal (SPEC section 1).
func outputWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 120
}

// promptFor is the Exchange Management Shell prompt for a location; a
// lab in progress on the data path shows, as
// "[PS] [lab: scanner-relay] /home/ana> ".
func promptFor(dataPath, location string) string {
	lab := ""
	if dataPath != "" {
		lab = labPrompt(dataPath)
	}
	if location == "" {
		location, _ = os.Getwd()
	}
	return "[PS] " + lab + location + "> "
}
