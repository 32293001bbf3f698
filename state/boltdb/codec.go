package boltdb

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"time"

	"exsh/state"
)

// Queue records (queued messages, queue records, mailbox items) are
// written in a compact binary form: every message writes several of them,
// and JSON encoding was a noticeable part of its cost. A record starts
// with its form's version byte; JSON records, as earlier versions wrote
// them, start with '{' and stay readable.
//
// Fields follow in the struct's order: strings and byte counts as a
// uvarint length and the bytes, integers as varints, booleans as one
// byte, times as (varint Unix seconds, uvarint nanoseconds, varint zone
// offset in seconds).
const (
	codecQueuedMessage = 1
	codecQueueRecord   = 1
	codecMailboxItem   = 1
)

var errCodec = errors.New("malformed record")

type encoder []byte

func (e *encoder) str(s string) {
	*e = binary.AppendUvarint(*e, uint64(len(s)))
	*e = append(*e, s...)
}

func (e *encoder) int(v int64) { *e = binary.AppendVarint(*e, v) }

func (e *encoder) bool(v bool) {
	if v {
		*e = append(*e, 1)
	} else {
		*e = append(*e, 0)
	}
}

func (e *encoder) time(t time.Time) {
	_, offset := t.Zone()
	*e = binary.AppendVarint(*e, t.Unix())
	*e = binary.AppendUvarint(*e, uint64(t.Nanosecond()))
	*e = binary.AppendVarint(*e, int64(offset))
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCodec
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) bool() bool {
	if len(d.b) == 0 || d.b[0] > 1 {
		d.fail()
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

// time reads a time as a JSON round trip gives it back: UTC for a zero
// offset, Local when the offset is Local's at that instant, else a fixed
// zone.
func (d *decoder) time() time.Time {
	sec, nsec, offset := d.int(), d.uvarint(), d.int()
	if d.err != nil || nsec >= 1e9 || offset < math.MinInt32 || offset > math.MaxInt32 {
		d.fail()
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	if offset == 0 {
		return t.UTC()
	}
	if _, local := t.Zone(); int64(local) == offset {
		return t
	}
	return t.In(time.FixedZone("", int(offset)))
}

// done reports a record that was cut short or has bytes left over.
func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errCodec
	}
	return d.err
}

// decodeBinary decodes a stored record: the binary form of version, read
// by dec, or JSON (decoded into into).
func decodeBinary(v []byte, version byte, into any, dec func(*decoder)) error {
	if len(v) > 0 && v[0] == '{' {
		return json.Unmarshal(v, into)
	}
	if len(v) == 0 || v[0] != version {
		return errCodec
	}
	d := decoder{b: v[1:]}
	dec(&d)
	return d.done()
}

func encodeQueuedMessage(m *state.QueuedMessage) []byte {
	n := 160 + len(m.MessageId) + len(m.NetworkMessageId) + len(m.Sender) + len(m.FromAddress) +
		len(m.Subject) + len(m.LastError) + len(m.SourceHostname) + len(m.ServerHostname) +
		len(m.ConnectorId) + len(m.SessionId) + len(m.SourceName) + len(m.AuthUser) + len(m.DeferReason)
	for i := range m.Recipients {
		r := &m.Recipients[i]
		n += 8 + len(r.Address) + len(r.OriginalAddress) + len(r.Status) + len(r.LastError) +
			len(r.RecipientGuid) + len(r.Database) + len(r.Connector) + len(r.Domain)
	}
	e := make(encoder, 0, n)
	e = append(e, codecQueuedMessage)
	e.int(m.InternalId)
	e.int(m.Queue)
	e.str(m.MessageId)
	e.str(m.NetworkMessageId)
	e.str(m.Sender)
	e.str(m.FromAddress)
	e.int(int64(len(m.Recipients)))
	for i := range m.Recipients {
		r := &m.Recipients[i]
		e.str(r.Address)
		e.str(r.OriginalAddress)
		e.str(r.Status)
		e.str(r.LastError)
		e.str(r.RecipientGuid)
		e.str(r.Database)
		e.str(r.Connector)
		e.str(r.Domain)
	}
	e.str(m.Subject)
	e.int(m.Size)
	e.time(m.DateReceived)
	e.time(m.ExpirationTime)
	e.str(m.LastError)
	e.time(m.LastErrorTime)
	e.int(int64(m.RetryCount))
	e.time(m.NextRetryTime)
	e.str(m.Status)
	e.str(m.SourceIP)
	e.str(m.SourceHostname)
	e.str(m.ServerIP)
	e.str(m.ServerHostname)
	e.str(m.OriginalClientIP)
	e.str(m.ConnectorId)
	e.str(m.SessionId)
	e.str(m.SourceName)
	e.str(m.AuthUser)
	e.str(m.AuthAs)
	e.int(int64(m.SCL))
	e.str(m.DeferReason)
	e.str(m.Directionality)
	e.str(m.Priority)
	e.bool(m.IsDSN)
	e.bool(m.DelayNotified)
	e.int(int64(m.CrashCount))
	e.int(int64(m.ResubmitCount))
	e.str(m.ReferenceId)
	e.str(m.BodyType)
	return e
}

func decodeQueuedMessage(v []byte, m *state.QueuedMessage) error {
	return decodeBinary(v, codecQueuedMessage, m, func(d *decoder) {
		m.InternalId = d.int()
		m.Queue = d.int()
		m.MessageId = d.str()
		m.NetworkMessageId = d.str()
		m.Sender = d.str()
		m.FromAddress = d.str()
		n := d.int()
		// Each recipient takes at least eight bytes.
		if n < 0 || n > int64(len(d.b)/8) {
			d.fail()
			return
		}
		if n > 0 {
			m.Recipients = make([]state.QueuedRecipient, n)
		}
		for i := range m.Recipients {
			r := &m.Recipients[i]
			r.Address = d.str()
			r.OriginalAddress = d.str()
			r.Status = d.str()
			r.LastError = d.str()
			r.RecipientGuid = d.str()
			r.Database = d.str()
			r.Connector = d.str()
			r.Domain = d.str()
		}
		m.Subject = d.str()
		m.Size = d.int()
		m.DateReceived = d.time()
		m.ExpirationTime = d.time()
		m.LastError = d.str()
		m.LastErrorTime = d.time()
		m.RetryCount = int(d.int())
		m.NextRetryTime = d.time()
		m.Status = d.str()
		m.SourceIP = d.str()
		m.SourceHostname = d.str()
		m.ServerIP = d.str()
		m.ServerHostname = d.str()
		m.OriginalClientIP = d.str()
		m.ConnectorId = d.str()
		m.SessionId = d.str()
		m.SourceName = d.str()
		m.AuthUser = d.str()
		m.AuthAs = d.str()
		m.SCL = int(d.int())
		m.DeferReason = d.str()
		m.Directionality = d.str()
		m.Priority = d.str()
		m.IsDSN = d.bool()
		m.DelayNotified = d.bool()
		m.CrashCount = int(d.int())
		m.ResubmitCount = int(d.int())
		m.ReferenceId = d.str()
		m.BodyType = d.str()
	})
}

func encodeQueueRecord(r *state.QueueRecord) []byte {
	e := make(encoder, 0, 96+len(r.DeliveryType)+len(r.NextHopDomain)+len(r.NextHopConnector)+
		len(r.NextHopCategory)+len(r.LastError)+len(r.TlsDomain))
	e = append(e, codecQueueRecord)
	e.int(r.Number)
	e.str(r.DeliveryType)
	e.str(r.NextHopDomain)
	e.str(r.NextHopConnector)
	e.str(r.NextHopCategory)
	e.bool(r.Suspended)
	e.int(r.MessageCount)
	e.int(r.DeferredMessageCount)
	e.int(r.LockedMessageCount)
	e.str(r.LastError)
	e.time(r.LastRetryTime)
	e.time(r.NextRetryTime)
	e.time(r.FirstRetryTime)
	e.int(int64(r.RetryCount))
	e.str(r.TlsDomain)
	e.time(r.Created)
	e.time(r.LastActivity)
	return e
}

func decodeQueueRecord(v []byte, r *state.QueueRecord) error {
	return decodeBinary(v, codecQueueRecord, r, func(d *decoder) {
		r.Number = d.int()
		r.DeliveryType = d.str()
		r.NextHopDomain = d.str()
		r.NextHopConnector = d.str()
		r.NextHopCategory = d.str()
		r.Suspended = d.bool()
		r.MessageCount = d.int()
		r.DeferredMessageCount = d.int()
		r.LockedMessageCount = d.int()
		r.LastError = d.str()
		r.LastRetryTime = d.time()
		r.NextRetryTime = d.time()
		r.FirstRetryTime = d.time()
		r.RetryCount = int(d.int())
		r.TlsDomain = d.str()
		r.Created = d.time()
		r.LastActivity = d.time()
	})
}

func encodeMailboxItem(it *state.MailboxItem) []byte {
	e := make(encoder, 0, 64+len(it.Mailbox)+len(it.From)+len(it.Subject)+len(it.MessageId)+len(it.NetworkMessageId))
	e = append(e, codecMailboxItem)
	e.str(it.Mailbox)
	e.int(it.Id)
	e.time(it.ReceivedTime)
	e.str(it.From)
	e.str(it.Subject)
	e.int(it.Size)
	e.str(it.MessageId)
	e.int(it.InternalMessageId)
	e.str(it.NetworkMessageId)
	return e
}

func decodeMailboxItem(v []byte, it *state.MailboxItem) error {
	return decodeBinary(v, codecMailboxItem, it, func(d *decoder) {
		it.Mailbox = d.str()
		it.Id = d.int()
		it.ReceivedTime = d.time()
		it.From = d.str()
		it.Subject = d.str()
		it.Size = d.int()
		it.MessageId = d.str()
		it.InternalMessageId = d.int()
		it.NetworkMessageId = d.str()
	})
}
