package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	prompt "github.com/c-bata/go-prompt"
)

// Config configures an interactive loop.
type Config struct {
	// In is the terminal the user types on (the process's standard input).
	In *os.File
	// Out is where the loop writes text of its own (the line end after a
	// Ctrl+C); go-prompt itself draws on the process's standard output.
	Out io.Writer
	// Prompt returns the primary prompt, e.g. "[PS] /home/admin> ".
	Prompt func() string
	// Execute runs one complete statement (possibly several lines). It
	// returns the exit code and whether the statement asked to leave the
	// shell (`exit`). ctx is cancelled by Ctrl+C.
	Execute func(ctx context.Context, src string) (code int, exit bool)
	// Incomplete reports whether src needs more lines (an open brace,
	// quote or here-string): the loop then prompts with ">> ".
	Incomplete func(src string) bool
	// Catalog feeds tab completion; nil disables it.
	Catalog Catalog
	// HistoryFile keeps entered lines across sessions; "" keeps none.
	HistoryFile string
	// HistorySize bounds the history file; 0 means 1000 lines.
	HistorySize int
}

// ContinuationPrompt is shown while a statement is incomplete.
const ContinuationPrompt = ">> "

// ErrNotTerminal is returned by Run when cfg.In is not a terminal, and
// wrapped when the line editor cannot start on it (no controlling
// terminal); nothing has run then, so the caller can read lines instead.
var ErrNotTerminal = errors.New("standard input is not a terminal")

// Run runs the interactive loop until Ctrl+D on an empty line, `exit`, a
// hang-up, or SIGTERM. The terminal's state is restored on every way out,
// including a panic. The returned code is the exit status for the process.
func Run(ctx context.Context, cfg Config) (code int, err error) {
	term, err := newTerminal(int(cfg.In.Fd()))
	if err != nil {
		return 1, ErrNotTerminal
	}
	// Deferred calls also run while a panic unwinds.
	defer term.restore()
	defer term.close()

	l := &loop{cfg: cfg, term: term}
	history := loadHistory(cfg.HistoryFile, cfg.HistorySize)

	// Signals: Ctrl+C reaches us as SIGINT only while a statement runs (the
	// line editor takes the terminal out of signal mode); SIGTERM and
	// SIGHUP end the session from anywhere. go-prompt's Input installs no
	// handlers of its own.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	sigDone := make(chan struct{})
	var sigWG sync.WaitGroup
	sigWG.Add(1)
	go func() {
		defer sigWG.Done()
		for {
			select {
			case <-sigDone:
				return
			case s := <-sigs:
				if s == syscall.SIGINT {
					l.interrupt.Store(true)
					l.interruptRun()
					continue
				}
				l.terminated.Store(true)
				l.interruptRun()
				term.wakeUp()
			}
		}
	}()
	defer func() {
		signal.Stop(sigs)
		close(sigDone)
		sigWG.Wait()
	}()

	p, err := newPrompt(l, history)
	if err != nil {
		return 1, err
	}
	return l.run(ctx, p), nil
}

// newPrompt builds the go-prompt editor. prompt.New opens /dev/tty and
// panics when there is none; that becomes an error.
func newPrompt(l *loop, history []string) (p *prompt.Prompt, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: cannot start the line editor: %v", ErrNotTerminal, r)
		}
	}()
	p = prompt.New(
		func(string) {}, // Input is used, never Run
		l.complete,
		prompt.OptionParser(l.term),
		prompt.OptionWriter(&renderWriter{ConsoleWriter: prompt.NewStdoutWriter(), t: l.term}),
		prompt.OptionLivePrefix(func() (string, bool) { return l.prefix, true }),
		prompt.OptionPrefixTextColor(prompt.DefaultColor),
		prompt.OptionHistory(history),
		prompt.OptionCompletionWordSeparator(WordSeparators),
		prompt.OptionMaxSuggestion(10),
		prompt.OptionAddKeyBind(prompt.KeyBind{Key: prompt.ControlC, Fn: func(*prompt.Buffer) { l.interrupted = true }}),
		prompt.OptionSetExitCheckerOnInput(func(string, bool) bool {
			return l.interrupted || l.terminated.Load() || l.term.hangup.Load()
		}),
	)
	return p, nil
}

type loop struct {
	cfg  Config
	term *terminal

	prefix      string // the prompt go-prompt shows; read by its goroutine
	interrupted bool   // Ctrl+C at the prompt; set and read on the Input goroutine

	terminated atomic.Bool // SIGTERM or SIGHUP
	interrupt  atomic.Bool // SIGINT (Ctrl+C) while a statement ran

	mu        sync.Mutex
	cancelRun context.CancelFunc // set while a statement runs
}

func (l *loop) interruptRun() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancelRun != nil {
		l.cancelRun()
	}
}

func (l *loop) complete(d prompt.Document) []prompt.Suggest {
	if l.cfg.Catalog == nil {
		return nil
	}
	explicit := l.term.last() == '\t'
	// Only the current line of a multi-line statement is in the editor.
	sugg := Complete(context.Background(), l.cfg.Catalog, d.TextBeforeCursor(), explicit)
	out := make([]prompt.Suggest, len(sugg))
	for i, s := range sugg {
		out[i] = prompt.Suggest{Text: s.Text, Description: s.Description}
	}
	return out
}

func (l *loop) run(ctx context.Context, p *prompt.Prompt) int {
	code := 0
	for {
		src, ok := l.read(p)
		if !ok {
			return code
		}
		if strings.TrimSpace(src) == "" {
			continue
		}
		runCtx, cancel := context.WithCancel(ctx)
		l.interrupt.Store(false)
		l.mu.Lock()
		l.cancelRun = cancel
		l.mu.Unlock()
		c, exit := l.cfg.Execute(runCtx, src)
		l.mu.Lock()
		l.cancelRun = nil
		l.mu.Unlock()
		cancel()
		if l.interrupt.Load() && l.cfg.Out != nil {
			// The terminal echoed ^C; start the prompt on a line of its own.
			io.WriteString(l.cfg.Out, "\n")
		}
		if exit {
			return c
		}
		code = c
		if l.terminated.Load() || ctx.Err() != nil {
			return code
		}
	}
}

// read reads one statement, with continuation lines while it is
// incomplete. ok is false when the session should end.
func (l *loop) read(p *prompt.Prompt) (src string, ok bool) {
	var lines []string
	for {
		if len(lines) == 0 {
			l.prefix = l.cfg.Prompt()
		} else {
			l.prefix = ContinuationPrompt
		}
		l.interrupted = false
		line := p.Input()
		// go-prompt's own teardown restores a raw-mode copy; put the
		// terminal back in the state we found it in.
		l.term.restore()
		switch {
		case l.terminated.Load() || l.term.hangup.Load():
			return "", false
		case l.interrupted:
			// Ctrl+C abandons the line, and a statement being continued.
			return "", true
		case line == "" && l.term.last() == 0x04:
			if len(lines) == 0 {
				return "", false
			}
			// Ctrl+D in a continuation abandons the statement.
			return "", true
		}
		appendHistory(l.cfg.HistoryFile, line)
		lines = append(lines, line)
		src = strings.Join(lines, "\n")
		if l.cfg.Incomplete == nil || !l.cfg.Incomplete(src) {
			return src, true
		}
	}
}

// RunLines runs the statements read from r (a script piped to exsh),
// one at a time as each becomes complete, with the session kept between
// them. It returns the exit code of the last statement, or N of `exit N`.
func RunLines(ctx context.Context, r io.Reader, incomplete func(string) bool, execute func(ctx context.Context, src string) (code int, exit bool)) int {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	code := 0
	var pending []string
	flush := func() (int, bool) {
		src := strings.Join(pending, "\n")
		pending = pending[:0]
		if strings.TrimSpace(src) == "" {
			return code, false
		}
		return execute(ctx, src)
	}
	for sc.Scan() {
		pending = append(pending, strings.TrimSuffix(sc.Text(), "\r"))
		if incomplete != nil && incomplete(strings.Join(pending, "\n")) {
			continue
		}
		c, exit := flush()
		code = c
		if exit || ctx.Err() != nil {
			return code
		}
	}
	if len(pending) > 0 {
		// End of input inside a statement: run it to report the error.
		c, _ := flush()
		code = c
	}
	return code
}
