package remote

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Version is the protocol version spoken by this build. A server refuses a
// client whose hello carries another version.
const Version = 1

// SocketName is the socket's file name inside the data path.
const SocketName = "exsh.sock"

// maxFrame bounds one frame, so a damaged length prefix cannot make a
// reader allocate without limit.
const maxFrame = 16 << 20

// Message types.
const (
	typeHello     = "hello"     // client → server: Version, Client
	typeWelcome   = "welcome"   // server → client: Version, PID, Server, DataPath
	typeRun       = "run"       // client → server: Run
	typeCancel    = "cancel"    // client → server: stop the running script
	typeStdout    = "stdout"    // server → client: Data
	typeStderr    = "stderr"    // server → client: Data
	typeDone      = "done"      // server → client: Result
	typeCommands  = "commands"  // client → server (request) and server → client (Commands)
	typeComplete  = "complete"  // client → server: Complete; server → client: Items
	typeVariables = "variables" // client → server (request) and server → client (Items)
	typeError     = "error"     // server → client: Text (request failed; session goes on)
	typeConfirm   = "confirm"   // server → client during a run: Text, the question
	typeAnswer    = "answer"    // client → server: OK, the user's answer
)

// Message is one frame's payload. Type says which of the other fields are
// set; unknown fields are ignored, so a newer peer may add fields without a
// version change.
type Message struct {
	Type string `json:"t"`

	Version  int    `json:"v,omitempty"`
	Client   string `json:"client,omitempty"`
	PID      int    `json:"pid,omitempty"`
	Server   string `json:"server,omitempty"`
	DataPath string `json:"dataPath,omitempty"`

	Run      *RunRequest `json:"run,omitempty"`
	Data     string      `json:"data,omitempty"`
	Result   *Result     `json:"result,omitempty"`
	Commands []Command   `json:"commands,omitempty"`
	Complete *Completion `json:"complete,omitempty"`
	Items    []string    `json:"items,omitempty"`
	Text     string      `json:"text,omitempty"`
	OK       bool        `json:"ok,omitempty"`
}

// RunRequest asks the server to run a script in the connection's session.
type RunRequest struct {
	Script string `json:"script"`
	// Filename names the script in error positions ("" for -Command text).
	Filename string `json:"filename,omitempty"`
	// Args are the script's $args (exsh -File lab.ps1 a b).
	Args []string `json:"args,omitempty"`
	// Width is the client's output width in columns when it sent the
	// request: an interactive client sends its terminal's current width
	// with every statement, so the session follows the user's resizes.
	// 0 (a frame without the field) leaves the session's width as it is.
	Width int `json:"width,omitempty"`
	// Terminal is set when the client's output is an interactive
	// terminal, so the session may write terminal controls (Clear-Host).
	Terminal bool `json:"terminal,omitempty"`
	// Interactive is set for statements typed at a prompt.
	Interactive bool `json:"interactive,omitempty"`
	// Dir is the client's working directory: a new session starts there,
	// so relative paths in the script mean what they mean to the client.
	Dir string `json:"dir,omitempty"`
}

// Result is how a script ended.
type Result struct {
	// ExitCode is the process exit status the client should use:
	// pwsh -Command's rule (1 when a terminating error stopped the script
	// or the last pipeline failed) or the N of `exit N`.
	ExitCode int `json:"exitCode"`
	// Exit is set when the script ran `exit`.
	Exit bool `json:"exit,omitempty"`
	// Succeeded is $? after the script.
	Succeeded bool `json:"succeeded"`
	// Location is the session's current location afterwards, for the
	// client's prompt.
	Location string `json:"location,omitempty"`
}

// Command describes one command of the server's table, enough for a client
// to complete names, parameters and enumerated values locally.
type Command struct {
	Name     string   `json:"name"`
	Aliases  []string `json:"aliases,omitempty"`
	Synopsis string   `json:"synopsis,omitempty"`
	Params   []Param  `json:"params,omitempty"`
}

// Param describes one parameter of a [Command].
type Param struct {
	Name   string   `json:"name"`
	Help   string   `json:"help,omitempty"`
	Values []string `json:"values,omitempty"`
	Array  bool     `json:"array,omitempty"`
	Switch bool     `json:"switch,omitempty"`
	// Completable says the server can complete this parameter's values
	// (identities of existing objects); ask it with Client.Complete.
	Completable bool `json:"completable,omitempty"`
	// Path says the value is a file path.
	Path bool `json:"path,omitempty"`
	// Command says the value is a command name.
	Command bool `json:"command,omitempty"`
	// Position is the 0-based position for positional binding, -1 when
	// the parameter is named only.
	Position int `json:"position"`
}

// Completion asks for candidate values of one parameter.
type Completion struct {
	Command string `json:"command"`
	Param   string `json:"param"`
	Prefix  string `json:"prefix"`
}

// ErrVersion is returned when client and server speak different versions.
var ErrVersion = errors.New("remote: protocol version mismatch")

// conn frames messages over a stream. Writes are serialised so that output
// of a running script and replies to other requests never interleave
// inside a frame; reads happen on one goroutine only.
type conn struct {
	rw io.ReadWriteCloser
	r  *bufio.Reader

	wmu sync.Mutex
}

func newConn(rw io.ReadWriteCloser) *conn {
	return &conn{rw: rw, r: bufio.NewReader(rw)}
}

func (c *conn) write(m *Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(b) > maxFrame {
		return fmt.Errorf("remote: %s message of %d bytes exceeds the frame limit", m.Type, len(b))
	}
	frame := make([]byte, 4+len(b))
	binary.BigEndian.PutUint32(frame, uint32(len(b)))
	copy(frame[4:], b)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err = c.rw.Write(frame)
	return err
}

func (c *conn) read() (*Message, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxFrame {
		return nil, fmt.Errorf("remote: frame of %d bytes exceeds the limit", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	m := new(Message)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("remote: bad frame: %w", err)
	}
	return m, nil
}

func (c *conn) close() error { return c.rw.Close() }

// streamWriter turns Write calls into stdout or stderr frames.
type streamWriter struct {
	c   *conn
	typ string
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	// Split very large writes so each frame stays under the limit.
	const chunk = 1 << 20
	for off := 0; off < len(p); off += chunk {
		end := min(off+chunk, len(p))
		if err := w.c.write(&Message{Type: w.typ, Data: string(p[off:end])}); err != nil {
			return off, err
		}
	}
	return len(p), nil
}
