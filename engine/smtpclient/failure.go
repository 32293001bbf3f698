package smtpclient

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"exsh/engine/replies"
)

// ConnectFailure is Exchange's text for a connection that could not be
// made, with the Winsock error code of the cause: "Error encountered while
// communicating with primary target IP address: "Failed to connect.
// Winsock error code: 10061, Win32 error code: 10061." Attempted failover
// ...".
func ConnectFailure(err error) string {
	code := 10060 // WSAETIMEDOUT
	if errors.Is(err, syscall.ECONNREFUSED) {
		code = 10061 // WSAECONNREFUSED
	}
	return fmt.Sprintf(`Error encountered while communicating with primary target IP address: "Failed to connect. Winsock error code: %d, Win32 error code: %d."`, code, code) + replies.FailoverText
}

// SessionFailure is the reply that stands for a failed session: the
// server's own reply when err is one, else Exchange's "421 4.4.2
// Connection dropped ..." for the way the connection broke.
func SessionFailure(err error) replies.Reply {
	var r replies.Reply
	if errors.As(err, &r) {
		return r
	}
	dropped := replies.Reply{Code: 421, Enhanced: "4.4.2", Text: "Connection dropped"}
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		dropped.Text += " due to SocketError"
	case errors.As(err, &ne) && ne.Timeout():
		dropped.Text += " due to TimedOut" // .NET's SocketError.TimedOut, as Exchange names it
	}
	return dropped
}
