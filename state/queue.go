package state

import (
	"errors"
	"time"
)

// Records of the Transport service's queue database and of the mailbox
// store. The engine (engine/transport) writes them; the queue cmdlets read
// them through the engine. Names follow Exchange's queue and message
// properties (Get-Queue, Get-Message).

// Fixed queue numbers. Delivery queues get numbers from a sequence that
// starts above them.
const (
	QueueSubmission  int64 = 1
	QueueUnreachable int64 = 2
	QueuePoison      int64 = 3
)

// Queue DeliveryType values exsh uses.
const (
	DeliveryUndefined            = "Undefined"
	DeliveryUnreachable          = "Unreachable"
	DeliveryToMailbox            = "SmtpDeliveryToMailbox"
	DeliveryDnsConnector         = "DnsConnectorDelivery"
	DeliverySmartHostConnector   = "SmartHostConnectorDelivery"
	DeliveryRelayToSourceServers = "SmtpRelayToConnectorSourceServers"
	// DeliveryRelayToServers holds messages Redirect-Message hands to
	// other servers; NextHopDomain lists their FQDNs.
	DeliveryRelayToServers = "SmtpRelayToServers"
)

// Message Status values (Get-Message).
const (
	MessageActive         = "Active"
	MessageReady          = "Ready"
	MessageRetry          = "Retry"
	MessageSuspended      = "Suspended"
	MessagePendingRemove  = "PendingRemove"
	MessagePendingSuspend = "PendingSuspend"
	MessageLocked         = "Locked"
)

// Recipient status values inside a queued message.
const (
	RecipientReady  = "Ready"
	RecipientRetry  = "Retry"
	RecipientFailed = "Failed"
	RecipientDone   = "Delivered"
)

// ErrQueueFull is returned by Enqueue when the store cannot take the
// message (a full disk, a write error, the file size limit). The receive
// side answers "452 4.3.1 Insufficient system resources".
var ErrQueueFull = errors.New("insufficient system resources")

// QueueRecord is one queue of the Transport service with its maintained
// counters. MessageCount is updated in the transaction that adds or
// removes a message, never by a scan.
type QueueRecord struct {
	Number               int64  // 1 Submission, 2 Unreachable, 3 Poison, >3 delivery queues
	DeliveryType         string // DeliveryToMailbox, ...
	NextHopDomain        string // "Submission", "Unreachable Domain", "Poison Message", database name, domain, smart-host list
	NextHopConnector     string // GUID; zero GUID when unused
	NextHopCategory      string // "Internal" or "External"
	Suspended            bool
	MessageCount         int64
	DeferredMessageCount int64
	LockedMessageCount   int64
	LastError            string
	LastRetryTime        time.Time
	NextRetryTime        time.Time
	FirstRetryTime       time.Time
	RetryCount           int
	TlsDomain            string
	Created              time.Time
	LastActivity         time.Time // last time a message entered or left
}

// NextHopKey is the key that makes a delivery queue unique
// (DeliveryType, NextHopDomain and NextHopConnector).
func (q *QueueRecord) NextHopKey() string {
	return NextHopKey(q.DeliveryType, q.NextHopDomain, q.NextHopConnector)
}

// NextHopKey joins the parts of a next-hop solution key.
func NextHopKey(deliveryType, nextHopDomain, connector string) string {
	return deliveryType + "|" + lower(nextHopDomain) + "|" + lower(connector)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// QueuedRecipient is one envelope recipient of a queued message copy.
type QueuedRecipient struct {
	Address         string // the address transport delivers to (the primary address once resolved)
	OriginalAddress string // ORCPT: the address as given at RCPT TO
	Status          string // RecipientReady, RecipientRetry, RecipientFailed, RecipientDone
	LastError       string
	RecipientGuid   string // the mailbox, when it resolved to one
	Database        string // the mailbox database name
	Connector       string // the send connector's GUID, when routed to one
	Domain          string
}

// QueuedMessage is one copy of a message in one queue. Every copy of a
// message (bifurcated to several next hops) shares the InternalId and the
// raw bytes; the key of a copy is (Queue, InternalId).
type QueuedMessage struct {
	InternalId       int64
	Queue            int64 // the queue's Number
	MessageId        string
	NetworkMessageId string
	Sender           string // envelope MAIL FROM; "" is the null sender <>
	FromAddress      string // what Get-Message shows as FromAddress
	Recipients       []QueuedRecipient
	Subject          string
	Size             int64
	DateReceived     time.Time
	ExpirationTime   time.Time
	LastError        string
	LastErrorTime    time.Time
	RetryCount       int
	NextRetryTime    time.Time
	Status           string // MessageReady, ...
	SourceIP         string
	SourceHostname   string
	ServerIP         string
	ServerHostname   string
	OriginalClientIP string
	ConnectorId      string // receive connector identity, "EX01\Default EX01"
	SessionId        string
	SourceName       string // MessageSourceName: "SMTP:Default EX01", "DSN"
	AuthUser         string
	AuthAs           string // "Anonymous", "Internal"
	SCL              int
	DeferReason      string
	Directionality   string // "Incoming", "Originating"
	Priority         string // "Normal"
	IsDSN            bool   // a DSN generated here (no DSN is ever sent about it)
	DelayNotified    bool   // a delay DSN went out for this copy
	CrashCount       int    // processing attempts that never finished (poison detection)
	ResubmitCount    int
	ReferenceId      string // for a DSN: the Message-ID of the message it reports on
	// BodyType is the BODY= the message came with ("BINARYMIME" content
	// leaves only with BDAT); empty for 7-bit or 8-bit MIME.
	BodyType string `json:",omitempty"`
}

// MailboxItem is a message delivered into a mailbox. The raw bytes are
// kept apart and read with MailboxItemData.
type MailboxItem struct {
	Mailbox           string // the recipient's Guid
	Id                int64  // per-store sequence
	ReceivedTime      time.Time
	From              string
	Subject           string
	Size              int64
	MessageId         string
	InternalMessageId int64
	NetworkMessageId  string
}
