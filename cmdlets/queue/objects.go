package queue

import (
	"time"

	"exsh/cmdlets/exdata"
	"exsh/engine/transport"
	"exsh/shell/format"
	"exsh/shell/object"
)

// Type names of the objects the queue cmdlets write, most derived first,
// as the Exchange Management Shell reports them.
const (
	QueueType        = "Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo"
	MessageType      = "Microsoft.Exchange.Data.QueueViewer.ExtensibleMessageInfo"
	QueueDigestType  = "Microsoft.Exchange.Data.QueueDigest.QueueDigestPresentationObject"
	BinaryFileType   = "Microsoft.Exchange.Data.BinaryFileDataObject"
	queueTypeDerived = "Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo"
	msgTypeDerived   = "Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedMessageInfo"
)

var (
	queueTypeNames   = []string{queueTypeDerived, QueueType, "System.Object"}
	messageTypeNames = []string{msgTypeDerived, MessageType, "System.Object"}
)

func init() {
	// Exchange's queue view: fixed widths, every column aligned left (the
	// counts too), so a long DeliveryType reads "SmtpDeliv..." and
	// NextHopDomain takes the rest of the line.
	format.Register(QueueType, format.View{Table: []format.Column{
		{Property: "Identity", Width: 30, Align: format.AlignLeft},
		{Property: "DeliveryType", Width: 12, Align: format.AlignLeft},
		{Property: "Status", Width: 6, Align: format.AlignLeft},
		{Property: "MessageCount", Width: 12, Align: format.AlignLeft},
		{Property: "Velocity", Width: 8, Align: format.AlignLeft},
		{Property: "RiskLevel", Width: 9, Align: format.AlignLeft},
		{Property: "OutboundIPPool", Width: 14, Align: format.AlignLeft},
		{Property: "NextHopDomain", Align: format.AlignLeft},
	}})
	format.Register(MessageType, format.View{Table: []format.Column{
		{Property: "Identity"},
		{Property: "FromAddress"},
		{Property: "Status"},
		{Property: "Queue"},
		{Property: "Subject"},
	}})
	format.Register(QueueDigestType, format.View{Table: []format.Column{
		{Property: "GroupByValue"},
		{Property: "MessageCount"},
		{Property: "DeferredMessageCount"},
		{Property: "LockedMessageCount"},
		{Property: "StaleMessageCount"},
		{Property: "Details"},
	}})
}

// when returns t, or nil for the zero time (shown empty).
func when(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Local()
}

func int64s(v []int64) []any {
	out := make([]any, len(v))
	for i, n := range v {
		out[i] = int(n)
	}
	return out
}

func strList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// queueObject is a queue as Get-Queue writes it, with its properties in
// the order Format-List shows them.
func queueObject(q transport.QueueInfo) *object.PSObject {
	o := object.New(queueTypeNames...)
	qq := q
	o.Base = &qq
	o.Add("DeliveryType", q.DeliveryType)
	o.Add("NextHopDomain", q.NextHopDomain)
	o.Add("TlsDomain", q.TlsDomain)
	o.Add("NextHopConnector", q.NextHopConnector)
	o.Add("Status", q.Status)
	o.Add("MessageCount", int(q.MessageCount))
	o.Add("LastError", q.LastError)
	o.Add("RetryCount", q.RetryCount)
	o.Add("LastRetryTime", when(q.LastRetryTime))
	o.Add("NextRetryTime", when(q.NextRetryTime))
	o.Add("FirstRetryTime", when(q.FirstRetryTime))
	o.Add("DeferredMessageCount", int(q.DeferredMessageCount))
	o.Add("LockedMessageCount", int(q.LockedMessageCount))
	o.Add("MessageCountsPerPriority", int64s(q.MessageCountsPerPriority))
	o.Add("DeferredMessageCountsPerPriority", int64s(q.DeferredMessageCountsPerPriority))
	o.Add("RiskLevel", q.RiskLevel)
	o.Add("OutboundIPPool", q.OutboundIPPool)
	o.Add("NextHopCategory", q.NextHopCategory)
	o.Add("IncomingRate", q.IncomingRate)
	o.Add("OutgoingRate", q.OutgoingRate)
	o.Add("Velocity", q.Velocity)
	o.Add("OverrideSource", q.OverrideSource)
	o.Add("QueueIdentity", q.QueueIdentity)
	o.Add("PriorityDescriptions", strList(q.PriorityDescriptions))
	o.Add("NextHopKey", q.NextHopKey)
	o.Add("Identity", q.Identity)
	o.Add("IsValid", true)
	o.Add("ObjectState", "New")
	o.StringProperty = "Identity"
	return o
}

// messageObject is a queued message as Get-Message writes it.
func messageObject(m transport.MessageInfo) *object.PSObject {
	o := object.New(messageTypeNames...)
	mm := m
	o.Base = &mm
	o.Add("Subject", m.Subject)
	o.Add("InternetMessageId", m.InternetMessageId)
	o.Add("FromAddress", m.FromAddress)
	o.Add("Status", m.Status)
	o.Add("Size", exdata.ByteQuantifiedSize(int64(m.Size)))
	o.Add("MessageSourceName", m.MessageSourceName)
	o.Add("SourceIP", m.SourceIP)
	o.Add("SCL", m.SCL)
	o.Add("DateReceived", when(m.DateReceived))
	o.Add("ExpirationTime", when(m.ExpirationTime))
	o.Add("LastError", m.LastError)
	o.Add("LastErrorTime", when(m.LastErrorTime))
	o.Add("RetryCount", m.RetryCount)
	rcpts := make([]any, len(m.Recipients))
	for i, r := range m.Recipients {
		rcpts[i] = exdata.RecipientInfo(exdata.Recipient{Address: r.Address, Type: r.Type, FinalDestination: r.FinalDestination,
			Status: r.Status, LastError: r.LastError, Text: r.String()})
	}
	o.Add("Recipients", rcpts)
	o.Add("ComponentLatency", strList(m.ComponentLatency))
	o.Add("MessageLatency", m.MessageLatency)
	o.Add("DeferReason", m.DeferReason)
	o.Add("LockReason", nil)
	o.Add("IsProbeMessage", false)
	o.Add("Directionality", m.Directionality)
	o.Add("OriginalFromAddress", m.OriginalFromAddress)
	o.Add("AccountForest", m.AccountForest)
	o.Add("ExternalDirectoryOrganizationId", m.ExternalDirectoryOrganizationId)
	o.Add("Priority", m.Priority)
	o.Add("TrafficType", m.TrafficType)
	o.Add("NextRetryTime", when(m.NextRetryTime))
	o.Add("Queue", m.Queue)
	o.Add("Identity", m.Identity)
	o.Add("IsValid", true)
	o.Add("ObjectState", "New")
	o.StringProperty = "Identity"
	return o
}
