package mail

import (
	"strings"

	"exsh/engine/replies"
)

// statusText is .NET's SmtpException text for a reply code
// (System.Net.Mail.SmtpStatusCode); the server's reply follows it after
// " The server response was: ".
var statusText = map[int]string{
	211: "System status, or system Help reply.",
	214: "Help message.",
	220: "Service ready.",
	221: "Service closing transmission channel.",
	250: "The requested action completed successfully.",
	251: "The user is not local; the message will be forwarded.",
	252: "Cannot verify the user, but the message will be delivered.",
	354: "Start mail input; end with <CRLF>.<CRLF>.",
	421: "Service not available, closing transmission channel.",
	450: "Mailbox unavailable.",
	451: "Error in processing.",
	452: "Insufficient system storage.",
	454: "The client or server should not attempt to start another STARTTLS after an unsuccessful negotiation.",
	500: "Syntax error, command unrecognized.",
	501: "Syntax error in parameters or arguments.",
	502: "Command not implemented.",
	503: "Bad sequence of commands.",
	504: "Command parameter not implemented.",
	530: "The SMTP server requires a secure connection or the client was not authenticated.",
	535: "The SMTP server requires a secure connection or the client was not authenticated.",
	550: "Mailbox unavailable.",
	551: "User not local; please try a different path.",
	552: "Exceeded storage allocation.",
	553: "Mailbox name not allowed.",
	554: "Transaction failed.",
}

// replyText is the server's reply without its code: "5.7.54 SMTP; Unable
// to relay recipient in non-accepted domain". Multi-line replies are joined
// with CRLF, as .NET keeps them.
func replyText(r replies.Reply) string {
	msg := r.Text
	if r.Enhanced != "" {
		msg = r.Enhanced + " " + msg
	}
	return strings.ReplaceAll(msg, "\n", "\r\n")
}

// smtpMessage is .NET's SmtpException.Message for a server reply.
func smtpMessage(r replies.Reply) string {
	t, ok := statusText[r.Code]
	if !ok {
		t = statusText[500]
	}
	return t + " The server response was: " + replyText(r)
}

// sendError is what a failed send turns into: the .NET exception name
// (shown in the error's CategoryInfo) and its message.
type sendError struct {
	Reason  string // SmtpException, SmtpFailedRecipientException, SmtpFailedRecipientsException
	Message string
	ID      string // FullyQualifiedErrorId's first part
	err     error
}

func (e *sendError) Error() string { return e.Message }
func (e *sendError) Unwrap() error { return e.err }

// fromReply wraps a refusal of a command other than RCPT TO.
func fromReply(r replies.Reply) *sendError {
	return &sendError{Reason: "SmtpException", ID: "SmtpException", Message: smtpMessage(r), err: r}
}
