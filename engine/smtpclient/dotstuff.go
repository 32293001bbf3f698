package smtpclient

import (
	"bytes"
	"io"
)

var (
	crlf    = []byte("\r\n")
	endData = []byte(".\r\n")
	dot     = []byte(".")
	crlfDot = []byte("\r\n.")
)

// WriteDotStuffed writes msg as DATA content (RFC 5321 §4.5.2) followed by
// the terminating ".": a line that starts with "." gets another one, a
// bare LF becomes CRLF (DATA has no other line end), and a last line
// without a line end gets CRLF. A bare CR is kept as it is. The scan jumps
// from one LF to the next and writes the runs between the changes in one
// piece, so a message costs a few writes, not one per byte.
func WriteDotStuffed(w io.Writer, msg []byte) error {
	start := 0 // first byte not yet written
	if len(msg) > 0 && msg[0] == '.' {
		if _, err := w.Write(dot); err != nil {
			return err
		}
	}
	for i := 0; i < len(msg); {
		j := bytes.IndexByte(msg[i:], '\n')
		if j < 0 {
			break
		}
		lf := i + j
		bare := lf == 0 || msg[lf-1] != '\r'
		stuff := lf+1 < len(msg) && msg[lf+1] == '.'
		switch {
		case bare:
			if _, err := w.Write(msg[start:lf]); err != nil {
				return err
			}
			out := crlf
			if stuff {
				out = crlfDot
			}
			if _, err := w.Write(out); err != nil {
				return err
			}
			start = lf + 1
		case stuff:
			// The "." is written with the run that ends at this line.
			if _, err := w.Write(msg[start : lf+1]); err != nil {
				return err
			}
			if _, err := w.Write(dot); err != nil {
				return err
			}
			start = lf + 1
		}
		i = lf + 1
	}
	if _, err := w.Write(msg[start:]); err != nil {
		return err
	}
	if len(msg) > 0 && msg[len(msg)-1] != '\n' {
		if _, err := w.Write(crlf); err != nil {
			return err
		}
	}
	_, err := w.Write(endData)
	return err
}
