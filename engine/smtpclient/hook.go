package smtpclient

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"strings"

	"exsh/engine/protolog"
	"exsh/engine/replies"
	"exsh/engine/smtpd"
)

// Kind says what an Event reports.
type Kind int

const (
	// Command: Line was sent ("MAIL FROM:<a@b>", "BDAT 512 LAST").
	Command Kind = iota
	// Reply: a reply was read (Lines as received, Reply parsed).
	Reply
	// AuthCommand: "AUTH <mechanism>" was sent (Line), with an initial
	// response when Secret is set; the response itself is withheld.
	AuthCommand
	// Challenge: a 334 reply inside AUTH (Lines).
	Challenge
	// AuthResponse: the client answered a challenge (withheld).
	AuthResponse
	// TLS: the STARTTLS handshake succeeded (TLS).
	TLS
	// TLSFailed: the handshake failed (Err).
	TLSFailed
	// Content: message content is being sent (Data): after DATA's 354
	// as given (before dot-stuffing), or one BDAT chunk (Chunk).
	Content
	// EndOfData: the "." ending DATA content was sent.
	EndOfData
)

// Event is one thing that went over the wire.
type Event struct {
	Kind   Kind
	Line   string
	Lines  []string
	Reply  replies.Reply
	Secret bool
	TLS    *tls.ConnectionState
	Err    error
	Data   []byte
	Chunk  bool
}

// Hook receives every Event of a session, in order.
type Hook func(Event)

// Hooks calls each non-nil hook in turn.
func Hooks(hs ...Hook) Hook {
	return func(e Event) {
		for _, h := range hs {
			if h != nil {
				h(e)
			}
		}
	}
}

// TLSNegotiationText is the SmtpSend log line of a STARTTLS handshake:
// the receive side's text with the _CLIENT protocol name.
func TLSNegotiationText(cs tls.ConnectionState) string {
	return strings.Replace(smtpd.TLSNegotiationText(cs), "_SERVER", "_CLIENT", 1)
}

// ProtocolLog writes a session's events as Exchange's SmtpSend protocol
// log lines: ">" commands, "<" replies (a multi-line reply on one line),
// "*" for TLS; message content and authentication data are not logged.
func ProtocolLog(s *protolog.Session) Hook {
	return func(e Event) {
		switch e.Kind {
		case Command, AuthCommand:
			s.Send(e.Line)
		case AuthResponse:
			s.Send("<authentication data>")
		case Reply:
			s.Recv(protolog.CollapseReply(e.Lines))
		case Challenge:
			s.Recv("334 <authentication response>")
		case TLS:
			s.Info("", TLSNegotiationText(*e.TLS))
		case TLSFailed:
			s.Info("", "TLS negotiation failed with error "+e.Err.Error())
		}
	}
}

// MaxTranscriptLines is how many lines of message content a transcript
// shows.
const MaxTranscriptLines = 60

// Transcript prints a session as "C: " and "S: " lines (Send-MailMessage
// -Transcript): the first MaxTranscriptLines lines of the content (after
// DATA dot-stuffed, as sent), and "<authentication response>" for what
// the client sends inside AUTH.
func Transcript(out func(string)) Hook {
	return func(e Event) {
		switch e.Kind {
		case Command:
			out("C: " + e.Line)
		case AuthCommand:
			if e.Secret {
				out("C: " + e.Line + " <authentication response>")
			} else {
				out("C: " + e.Line)
			}
		case AuthResponse:
			out("C: <authentication response>")
		case Reply, Challenge:
			for _, l := range e.Lines {
				out("S: " + l)
			}
		case TLS:
			out(fmt.Sprintf("=== TLS negotiated: %s, %s", tls.VersionName(e.TLS.Version), tls.CipherSuiteName(e.TLS.CipherSuite)))
		case TLSFailed:
			out("=== TLS negotiation failed: " + e.Err.Error())
		case Content:
			data := e.Data
			shown := 0
			for len(data) > 0 {
				line := data
				if i := bytes.IndexByte(data, '\n'); i >= 0 {
					line, data = data[:i], data[i+1:]
				} else {
					data = nil
				}
				if shown == MaxTranscriptLines {
					n := 1 + bytes.Count(data, []byte{'\n'})
					if len(data) == 0 || data[len(data)-1] == '\n' {
						n--
					}
					out(fmt.Sprintf("C: [... %d more lines of message data]", n+1))
					break
				}
				shown++
				l := strings.TrimRight(string(line), "\r")
				if !e.Chunk && strings.HasPrefix(l, ".") {
					l = "." + l // as DATA sends it
				}
				out("C: " + l)
			}
		case EndOfData:
			out("C: .")
		}
	}
}
