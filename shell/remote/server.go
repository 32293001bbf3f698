package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Session is one management session on the server, created for each
// connection by [Server.NewSession]. The server calls its methods from one
// goroutine at a time, except that the context given to Run is cancelled
// from another goroutine when the client asks to stop.
type Session interface {
	// Run runs a script, writing its formatted output to client.Stdout
	// and its error text to client.Stderr as it is produced.
	Run(ctx context.Context, req *RunRequest, client *Streams) Result
	// Commands returns the command table for client-side completion.
	Commands() []Command
	// Complete returns candidate values for a parameter.
	Complete(ctx context.Context, command, param, prefix string) []string
	// Variables returns the names of the session's variables.
	Variables() []string
	// Close ends the session.
	Close() error
}

// Streams is the client's side of a running script.
type Streams struct {
	Stdout, Stderr io.Writer
	// Confirm asks the client's user to confirm an action (-Confirm) and
	// returns the answer. For a script that is not interactive it
	// accepts without asking, as a non-interactive shell does.
	Confirm func(prompt string) bool
}

// Server accepts management sessions on a Unix socket.
type Server struct {
	// NewSession returns a fresh session for a new connection. Required.
	NewSession func() (Session, error)
	// Name and DataPath are reported to clients in the welcome.
	Name     string
	DataPath string
	// ErrorLog receives connection errors and recovered panics; nil means
	// they are discarded.
	ErrorLog *log.Logger

	mu       sync.Mutex
	listener net.Listener
	conns    map[*serverConn]struct{}
	closing  bool
	wg       sync.WaitGroup // one per connection goroutine
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("remote: server closed")

// ErrInUse is returned by Listen when a live server already answers on
// the socket.
var ErrInUse = errors.New("another exsh process is serving this data path")

// SocketPath returns the socket's path inside a data path.
func SocketPath(dataPath string) string { return filepath.Join(dataPath, SocketName) }

// Listen creates the socket at path with mode 0600. A socket file left by
// a process that died (nothing accepts on it: connection refused) is
// removed and replaced; a live one gives ErrInUse.
func Listen(path string) (net.Listener, error) {
	if err := checkSocketPath(path); err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil && errors.Is(err, syscall.EADDRINUSE) {
		c, derr := net.DialTimeout("unix", path, time.Second)
		if derr == nil {
			c.Close()
			return nil, fmt.Errorf("%s: %w", path, ErrInUse)
		}
		if rerr := os.Remove(path); rerr != nil && !os.IsNotExist(rerr) {
			return nil, fmt.Errorf("remove stale socket: %w", rerr)
		}
		l, err = net.Listen("unix", path)
	}
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// ErrPathTooLong is returned by Listen and Dial for a socket path longer
// than a Unix socket address allows.
var ErrPathTooLong = errors.New("too long for a Unix socket address")

// checkSocketPath rejects a path longer than a Unix socket address allows,
// with a message that says what to do.
func checkSocketPath(path string) error {
	// sun_path is 108 bytes on Linux, 104 on the BSDs, including the NUL.
	if len(path) > 103 {
		return fmt.Errorf("socket path %s (%d bytes, at most 103) is %w; use a shorter -DataPath", path, len(path), ErrPathTooLong)
	}
	return nil
}

// Serve accepts connections on l until Shutdown. It always returns a
// non-nil error; after Shutdown it is ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listener = l
	if s.conns == nil {
		s.conns = map[*serverConn]struct{}{}
	}
	s.mu.Unlock()

	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		sc := &serverConn{srv: s, c: newConn(nc), answers: make(chan bool, 1)}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.conns[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			sc.serve()
			s.mu.Lock()
			delete(s.conns, sc)
			s.mu.Unlock()
		}()
	}
}

// Shutdown stops accepting, cancels every running script, and waits until
// each has reported its end to its client or ctx is done; then it closes
// the remaining connections and waits for their goroutines.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	var err error
	if s.listener != nil {
		err = s.listener.Close()
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.mu.Unlock()

	for _, sc := range conns {
		sc.shutdown()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		for _, sc := range conns {
			sc.c.close()
		}
		<-done
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
	}
}

// serverConn is one client connection. Its serve loop reads requests; a
// run request executes on a second goroutine so that a cancel request can
// be read meanwhile.
type serverConn struct {
	srv *Server
	c   *conn

	mu        sync.Mutex
	cancelRun context.CancelFunc // set while a script runs
	stopping  bool               // Shutdown was called

	runs    sync.WaitGroup // the run goroutine, until its last write
	answers chan bool      // the client's answers to confirm questions
}

func (sc *serverConn) shutdown() {
	sc.mu.Lock()
	sc.stopping = true
	cancel := sc.cancelRun
	sc.mu.Unlock()
	if cancel != nil {
		cancel()
	} else {
		// Idle: closing the connection ends the read loop.
		sc.c.close()
	}
}

func (sc *serverConn) serve() {
	defer sc.c.close()
	hello, err := sc.c.read()
	if err != nil {
		return
	}
	if hello.Type != typeHello || hello.Version != Version {
		sc.c.write(&Message{Type: typeError, Text: fmt.Sprintf("%v: server speaks version %d, client sent %q version %d",
			ErrVersion, Version, hello.Type, hello.Version)})
		return
	}
	sess, err := sc.srv.NewSession()
	if err != nil {
		sc.c.write(&Message{Type: typeError, Text: err.Error()})
		return
	}
	defer func() {
		if err := sess.Close(); err != nil {
			sc.srv.logf("remote: closing session: %v", err)
		}
	}()
	if err := sc.c.write(&Message{Type: typeWelcome, Version: Version, PID: os.Getpid(),
		Server: sc.srv.Name, DataPath: sc.srv.DataPath}); err != nil {
		return
	}

	// runDone is non-nil while a script runs; the loop keeps reading so
	// that a cancel (or the client going away) can stop it.
	var runDone chan struct{}
	defer func() {
		if runDone != nil {
			sc.cancel()
		}
		sc.runs.Wait()
	}()
	for {
		m, err := sc.c.read()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				sc.srv.logf("remote: read: %v", err)
			}
			return
		}
		if runDone != nil {
			select {
			case <-runDone:
				runDone = nil
			default:
			}
		}
		switch m.Type {
		case typeCancel:
			sc.cancel()
		case typeAnswer:
			select {
			case sc.answers <- m.OK:
			default: // nobody asked
			}
		case typeRun:
			if runDone != nil {
				sc.c.write(&Message{Type: typeError, Text: "a script is already running in this session"})
				continue
			}
			if m.Run == nil {
				sc.c.write(&Message{Type: typeError, Text: "run request without a script"})
				continue
			}
			ctx, cancel := context.WithCancel(context.Background())
			sc.mu.Lock()
			if sc.stopping {
				sc.mu.Unlock()
				cancel()
				sc.c.write(&Message{Type: typeError, Text: "the exsh server is shutting down"})
				return
			}
			sc.cancelRun = cancel
			sc.mu.Unlock()
			runDone = make(chan struct{})
			sc.runs.Add(1)
			go func(done chan struct{}) {
				defer sc.runs.Done()
				sc.run(ctx, sess, m.Run, done)
			}(runDone)
		case typeCommands, typeComplete, typeVariables:
			if runDone != nil {
				// The session is not safe for concurrent use.
				sc.c.write(&Message{Type: typeError, Text: "a script is running in this session"})
				continue
			}
			sc.query(sess, m)
		default:
			sc.c.write(&Message{Type: typeError, Text: fmt.Sprintf("unknown request %q", m.Type)})
		}
	}
}

func (sc *serverConn) cancel() {
	sc.mu.Lock()
	cancel := sc.cancelRun
	sc.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (sc *serverConn) run(ctx context.Context, sess Session, req *RunRequest, done chan struct{}) {
	res := Result{ExitCode: 1}
	func() {
		defer func() {
			if r := recover(); r != nil {
				sc.srv.logf("remote: panic running script: %v", r)
				sc.c.write(&Message{Type: typeStderr, Data: fmt.Sprintf("internal error: %v\n", r)})
				res = Result{ExitCode: 1}
			}
		}()
		res = sess.Run(ctx, req, &Streams{
			Stdout:  &streamWriter{c: sc.c, typ: typeStdout},
			Stderr:  &streamWriter{c: sc.c, typ: typeStderr},
			Confirm: func(prompt string) bool { return sc.confirm(ctx, req, prompt) },
		})
	}()
	sc.mu.Lock()
	sc.cancelRun = nil
	stopping := sc.stopping
	sc.mu.Unlock()
	// Mark the session idle before the client can see the result, so its
	// next request is never refused as overlapping this one.
	close(done)
	sc.c.write(&Message{Type: typeDone, Result: &res})
	if stopping {
		// Shutdown is waiting: the result is out, the session ends.
		sc.c.close()
	}
}

// confirm asks the client's user; the answer arrives through the read
// loop. A cancelled script or a lost client counts as "no".
func (sc *serverConn) confirm(ctx context.Context, req *RunRequest, prompt string) bool {
	if !req.Interactive {
		return true
	}
	select {
	case <-sc.answers: // a stale answer from an earlier question
	default:
	}
	if err := sc.c.write(&Message{Type: typeConfirm, Text: prompt}); err != nil {
		return false
	}
	select {
	case ok := <-sc.answers:
		return ok
	case <-ctx.Done():
		return false
	}
}

func (sc *serverConn) query(sess Session, m *Message) {
	defer func() {
		if r := recover(); r != nil {
			sc.srv.logf("remote: panic in %s request: %v", m.Type, r)
			sc.c.write(&Message{Type: typeError, Text: fmt.Sprintf("internal error: %v", r)})
		}
	}()
	switch m.Type {
	case typeCommands:
		sc.c.write(&Message{Type: typeCommands, Commands: sess.Commands()})
	case typeVariables:
		sc.c.write(&Message{Type: typeVariables, Items: sess.Variables()})
	case typeComplete:
		if m.Complete == nil {
			sc.c.write(&Message{Type: typeError, Text: "complete request without a parameter"})
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		items := sess.Complete(ctx, m.Complete.Command, m.Complete.Param, m.Complete.Prefix)
		sc.c.write(&Message{Type: typeComplete, Items: items})
	}
}
