package replies

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reply is one SMTP reply: a code, an enhanced status code ("2.1.0", empty
// for replies that have none, such as 354 and 334) and the text.
// A Reply is also an error, so policy code can return it.
type Reply struct {
	Code     int
	Enhanced string
	Text     string
}

// Error returns the reply line, so a Reply can travel as an error.
func (r Reply) Error() string { return r.String() }

// String is the reply line with its enhanced status code.
func (r Reply) String() string { return r.Line(true) }

// Line renders the reply as one line; enhanced is false on connectors with
// EnhancedStatusCodesEnabled $false.
func (r Reply) Line(enhanced bool) string {
	var b strings.Builder
	b.Grow(3 + 2 + len(r.Enhanced) + len(r.Text))
	b.WriteString(strconv.Itoa(r.Code))
	if enhanced && r.Enhanced != "" {
		b.WriteByte(' ')
		b.WriteString(r.Enhanced)
	}
	if r.Text != "" {
		b.WriteByte(' ')
		b.WriteString(r.Text)
	}
	return b.String()
}

// Lines renders the reply as the lines of a multi-line reply when its text
// holds several ("\n" between them, as a client reads one): "550-5.7.1 a",
// "550 5.7.1 b". A one-line text gives one line, the same as Line.
func (r Reply) Lines(enhanced bool) []string {
	if !strings.Contains(r.Text, "\n") {
		return []string{r.Line(enhanced)}
	}
	texts := strings.Split(r.Text, "\n")
	out := make([]string, len(texts))
	code := strconv.Itoa(r.Code)
	for i, t := range texts {
		sep := "-"
		if i == len(texts)-1 {
			sep = " "
		}
		// As Line, with "-" after the code of every line but the last.
		l := code
		if enhanced && r.Enhanced != "" {
			l += sep + r.Enhanced
			sep = " "
		}
		if t != "" {
			l += sep + t
		} else if sep == "-" {
			l += sep
		}
		out[i] = l
	}
	return out
}

// Permanent reports a 5xx reply; Transient a 4xx one.
func (r Reply) Permanent() bool { return r.Code >= 500 }
func (r Reply) Transient() bool { return r.Code >= 400 && r.Code < 500 }

// Positive reports a 2xx or 3xx reply.
func (r Reply) Positive() bool { return r.Code >= 200 && r.Code < 400 }

// ClosesConnection reports a 421 reply, after which the server closes.
func (r Reply) ClosesConnection() bool { return r.Code == 421 }

// Parse splits "550 5.7.54 SMTP; Unable ..." into a Reply. The enhanced
// code is recognised when the second word has the x.y.z form.
func Parse(line string) (Reply, error) {
	if len(line) < 3 {
		return Reply{}, fmt.Errorf("reply %q too short", line)
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || code < 200 || code > 599 {
		return Reply{}, fmt.Errorf("reply %q has no code", line)
	}
	rest := strings.TrimLeft(line[3:], " -")
	r := Reply{Code: code}
	if word, after, _ := strings.Cut(rest, " "); IsEnhancedCode(word) {
		r.Enhanced, rest = word, after
	}
	r.Text = rest
	return r, nil
}

// IsEnhancedCode reports whether s looks like "5.7.54".
func IsEnhancedCode(s string) bool {
	if len(s) > 11 || len(s) < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return false
	}
	// Two groups of one to three digits follow, separated by a dot.
	groups, digits := 1, 0
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			if digits > 3 {
				return false
			}
		case c == '.' && digits > 0 && groups == 1:
			groups, digits = 2, 0
		default:
			return false
		}
	}
	return groups == 2 && digits > 0
}

// Banner is the default greeting of a connector whose Banner is empty:
// "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Wed, 11 Jan
// 2023 16:59:51 +0100" (day not padded, local offset without colon).
func Banner(fqdn string, now time.Time) string {
	return "220 " + fqdn + " Microsoft ESMTP MAIL Service ready at " + now.Format("Mon, 2 Jan 2006 15:04:05 -0700")
}

// HelloText is the first EHLO line and the HELO reply text:
// "EX01.contoso.com Hello [192.0.2.1]".
func HelloText(fqdn, clientIP string) string {
	return fqdn + " Hello [" + clientIP + "]"
}

// Queued is the end-of-data reply of a message committed to the
// submission queue. messageID carries its angle brackets.
func Queued(messageID string, internalID int64, hostname string) Reply {
	return Reply{250, "2.6.0", fmt.Sprintf("%s [InternalId=%d, Hostname=%s] Queued mail for delivery", messageID, internalID, hostname)}
}

// The replies. Each name says the event; the comment says where the text
// comes from when it is not [doc]/[obs] in exchange-receive.md §7.3.
var (
	SenderOK     = Reply{250, "2.1.0", "Sender OK"}
	RecipientOK  = Reply{250, "2.1.5", "Recipient OK"}
	StartData    = Reply{354, "", "Start mail input; end with <CRLF>.<CRLF>"}
	Closing      = Reply{221, "2.0.0", "Service closing transmission channel"}
	StartTLS     = Reply{220, "2.0.0", "SMTP server ready"}
	AuthOK       = Reply{235, "2.7.0", "Authentication successful"}
	AuthFailed   = Reply{535, "5.7.3", "Authentication unsuccessful"}
	NoopOK       = Reply{250, "2.0.0", "OK"}               // SmtpResponse.NoopOk in Exchange 2013 transport code
	ResetOK      = Reply{250, "2.0.0", "Resetting"}        // SmtpResponse.Reset in Exchange 2013 transport code
	VrfyReply    = Reply{252, "2.1.5", "Cannot VRFY user"} // SmtpResponse.UnableToVrfyUser in Exchange 2013 transport code
	HelpReply    = Reply{214, "", "This server supports the following commands: HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT"}
	RelayDenied  = Reply{550, "5.7.54", "SMTP; Unable to relay recipient in non-accepted domain"}
	NotAuthed    = Reply{530, "5.7.57", "SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"}
	SendAsDenied = Reply{550, "5.7.60", "SMTP; Client does not have permissions to send as this sender"}
	// AnonymousSendAsDenied: an anonymous sender in an authoritative
	// domain without Accept-Authoritative-Domain-Sender. The SDK's page
	// says "permission"; Exchange 2013 transport code and a published
	// Exchange 2007 transcript say "permissions" (exchange-receive.md §6.3).
	AnonymousSendAsDenied = Reply{550, "5.7.1", "Anonymous client does not have permissions to send as this sender"}
	// SubmitDenied: MAIL FROM on a session without ms-Exch-SMTP-Submit
	// that has authenticated [doc: SDK SubmitDenied].
	SubmitDenied     = Reply{550, "5.7.1", "Client does not have permissions to submit to this server"}
	InvalidAddress   = Reply{501, "5.1.7", "Invalid address"}     // MAIL FROM syntax; SmtpResponse.InvalidSenderAddress in Exchange 2013 transport code (§7.3 says 550)
	InvalidRecipient = Reply{501, "5.1.3", "Invalid address"}     // RCPT TO syntax; SmtpResponse.InvalidAddress in Exchange 2013 transport code
	InvalidDomain    = Reply{501, "5.5.4", "Invalid domain name"} // EHLO/HELO argument
	InvalidArguments = Reply{501, "5.5.4", "Invalid arguments"}   // SmtpResponse.InvalidArguments in Exchange 2013 transport code
	// UnknownParameter: an unknown MAIL/RCPT parameter, which the MAIL and
	// RCPT parsers in Exchange 2013 transport code answer with
	// SmtpResponse.InvalidArguments.
	UnknownParameter  = Reply{501, "5.5.4", "Invalid arguments"}
	TooManyRecipients = Reply{452, "4.5.3", "Too many recipients"} // connector limit
	TooBig            = Reply{552, "5.3.4", "Message size exceeds fixed maximum message size"}
	HeaderTooBig      = Reply{552, "5.3.4", "Header size exceeds fixed maximum size"} // SmtpResponse.HeadersTooLarge in Exchange 2013 transport code
	Unrecognized      = Reply{500, "5.3.3", "Unrecognized command"}
	LineTooLong       = Reply{500, "5.5.2", "Command too long"} // SmtpResponse.CommandTooLong in Exchange 2013 transport code; the session ends
	SendHelloFirst    = Reply{503, "5.5.2", "Send hello first"}
	BadSequence       = Reply{503, "5.5.1", "Bad sequence of commands"}
	NeedMail          = Reply{503, "5.5.2", "Need mail command"}              // SmtpResponse.NeedMailFrom in Exchange 2013 transport code
	NeedRcpt          = Reply{503, "5.5.2", "Need rcpt command"}              // SmtpResponse.NeedRcptTo in Exchange 2013 transport code
	SenderAlready     = Reply{503, "5.5.2", "Sender already specified"}       // SmtpResponse.MailFromAlreadySpecified in Exchange 2013 transport code
	AlreadyAuthed     = Reply{503, "5.5.2", "Auth command already specified"} // SmtpResponse.AuthAlreadySpecified in Exchange 2013 transport code
	AuthNotSupported  = Reply{504, "5.7.4", "Unrecognized authentication type"}
	AuthCancelled     = Reply{501, "5.5.4", "Authentication cancelled"}                            // SmtpResponse.AuthCancelled in Exchange 2013 transport code
	AuthNotInMail     = Reply{503, "5.5.1", "Bad sequence of commands"}                            // AUTH during a transaction: SmtpResponse.BadCommandSequence in Exchange 2013 transport code
	TLSNotAvailable   = Reply{500, "5.3.3", "Unrecognized command"}                                // STARTTLS not offered: SmtpResponse.UnrecognizedCommand in Exchange 2013 transport code
	TLSAlreadyActive  = Reply{503, "5.5.2", "Only one STARTTLS command can be issued per session"} // SmtpResponse.StartTlsAlreadyNegotiated in Exchange 2013 transport code
	MustStartTLS      = Reply{530, "5.7.0", "Must issue a STARTTLS command first"}                 // [doc: SDK] RequireTLS
	DataNeedsBdat     = Reply{503, "5.5.1", "Bad sequence of commands"}                            // DATA after BODY=BINARYMIME: SmtpResponse.BadCommandSequence in Exchange 2013 transport code
	// MissingPath: MAIL without "FROM:" or RCPT without "TO:"
	// (SmtpResponse.UnrecognizedParameter in Exchange 2013 transport code).
	MissingPath        = Reply{501, "5.5.4", "Unrecognized parameter"}
	BdatBadArgs        = Reply{501, "5.5.4", "Invalid arguments"}        // the BDAT parser in Exchange 2013 transport code answers InvalidArguments
	BdatAfterData      = Reply{503, "5.5.1", "Bad sequence of commands"} // BDAT and DATA mixed
	HopCountExceeded   = Reply{554, "5.4.6", "Hop count exceeded - possible mail loop"}
	IdleTimeout        = Reply{451, "4.7.0", "Timeout waiting for client input"}
	ConnectionTimedOut = Reply{421, "4.4.1", "Connection timed out"}
	ServiceUnavailable = Reply{421, "4.3.2", "Service not available"}
	Resources          = Reply{452, "4.3.1", "Insufficient system resources"}
	// TooManyConnections is Exchange's MaxInboundConnectionPerSource refusal
	// (SmtpResponse.TooManyConnectionsPerSource in Exchange 2013 transport
	// code; also quoted by senders deferred by Exchange 2010).
	TooManyConnections = Reply{421, "4.3.2", "The maximum number of concurrent connections has exceeded a limit, closing transmission channel"}
	// TooManyServerConnections is the MaxInboundConnection refusal
	// (SmtpResponse.TooManyConnections in Exchange 2013 transport code).
	TooManyServerConnections = Reply{421, "4.3.2", "The maximum number of concurrent server connections has exceeded a limit, closing transmission channel"}
	TooManyErrors            = Reply{421, "4.7.0", "Too many errors on this connection, closing transmission channel"} // MaxProtocolErrors: SmtpResponse.TooManyProtocolErrors in Exchange 2013 transport code
	TooManyLogonErrors       = TooManyErrors                                                                           // MaxLogonFailures: the same reply in Exchange 2013 transport code
	CommandNotAllowed        = Reply{550, "5.7.1", "Command not allowed"}
	// RateExceeded: the connector's MessageRateLimit was reached
	// (per client IP or user, per minute).
	RateExceeded   = Reply{421, "4.4.2", "Message submission rate for this client has exceeded the configured limit"}
	NotImplemented = Reply{502, "5.3.3", "Command not implemented"}                          // EXPN: SmtpResponse.CommandNotImplemented in Exchange 2013 transport code
	BareLF         = Reply{554, "5.6.0", "Invalid message content, contains bare linefeeds"} // BareLinefeedRejectionEnabled: SmtpResponse.InvalidContentBareLinefeeds in Exchange 2013 transport code
	// LocalError: an internal error in a transaction. The text is the
	// front end's generic proxy failure (SmtpResponse.GenericProxyFailure in
	// Exchange 2013 transport code); 2016/2019 transcripts show the
	// cause-specific forms, which end ". PRX2", ". PRX4" and so on.
	LocalError        = Reply{451, "4.7.0", "Temporary server error. Please try again later"}
	Internal          = Reply{421, "4.3.2", "Service not available"}                         // a panic in a session
	CannotAchieveAuth = Reply{451, "5.7.3", "Cannot achieve Exchange Server authentication"} // as quoted in KB 979175
	// A send connector refuses a session with its next hop that does not
	// meet its TLS rules: RequireTLS, and BasicAuthRequireTLS before AUTH.
	// The message waits with NextHopResponded of these.
	TLSRequiredToSend = Reply{451, "5.7.3", "STARTTLS is required to send mail"}
	TLSRequiredToAuth = Reply{451, "5.7.3", "Must issue a STARTTLS command first"}
)

// FailoverText ends Exchange's text for a delivery that found no other
// host to try (KB 979175; seen in queues' LastError).
const FailoverText = " Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts."

// NextHopResponded is Exchange's temporary reply when the next hop refused
// a session: `451 4.4.0 Primary target IP address responded with: "451
// 5.7.3 Cannot achieve Exchange Server authentication." Attempted
// failover ...`. The sender keeps the message and tries again.
func NextHopResponded(r Reply) Reply {
	text := strings.ReplaceAll(r.String(), "\n", " ")
	if !strings.HasSuffix(text, ".") {
		text += "."
	}
	return Reply{451, "4.4.0", `Primary target IP address responded with: "` + text + `"` + FailoverText}
}

// ChunkReceived answers a BDAT chunk that is not the last one, as
// Exchange 2013 transport code does (SmtpResponse.BdatChunkReceived).
func ChunkReceived(octets int64) Reply {
	return Reply{250, "2.6.0", fmt.Sprintf("CHUNK received OK, %d octets", octets)}
}
