package boltdb

import (
	"bytes"
	"sync"

	"exsh/state"
)

// maxCachedConnectors bounds the decoded-connector cache; past it the cache
// starts over.
const maxCachedConnectors = 50_000

// connectorCache keeps decoded receive connectors, keyed by Guid, with the
// stored bytes they were decoded from. The transport engine reads every
// connector on each change and cmdlets list them all, and decoding JSON is
// the main cost of a read; a hit costs a byte comparison and a Clone. An
// entry is valid only while the stored bytes are identical, so the cache
// can never return stale data, whatever transaction reads it.
type connectorCache struct {
	mu sync.RWMutex // guards m
	m  map[string]cachedConnector
}

type cachedConnector struct {
	raw []byte
	rc  *state.ReceiveConnector
}

func (c *connectorCache) get(guid string, raw []byte) (*state.ReceiveConnector, bool) {
	c.mu.RLock()
	e, ok := c.m[guid]
	c.mu.RUnlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil, false
	}
	return e.rc.Clone(), true
}

func (c *connectorCache) put(guid string, raw []byte, rc *state.ReceiveConnector) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedConnectors {
		c.m = map[string]cachedConnector{}
	}
	c.m[guid] = cachedConnector{raw: bytes.Clone(raw), rc: rc.Clone()}
}

// decodeRecord decodes a stored record, through the connector cache for
// receive connectors.
func decodeRecord[T any](t *tx, key, raw []byte, what, name string) (*T, error) {
	if _, isConnector := any((*T)(nil)).(*state.ReceiveConnector); isConnector {
		if rc, ok := t.s.connectors.get(string(key), raw); ok {
			return any(rc).(*T), nil
		}
		v, err := decode[T](raw, what, name)
		if err != nil {
			return nil, err
		}
		t.s.connectors.put(string(key), raw, any(v).(*state.ReceiveConnector))
		return v, nil
	}
	if _, isRecipient := any((*T)(nil)).(*state.Recipient); isRecipient {
		if r, ok := t.s.recipients.get(string(key), raw); ok {
			return any(r).(*T), nil
		}
		v, err := decode[T](raw, what, name)
		if err != nil {
			return nil, err
		}
		t.s.recipients.put(string(key), raw, any(v).(*state.Recipient))
		return v, nil
	}
	return decode[T](raw, what, name)
}

// recipientCache is connectorCache for recipients: the categorizer and
// Mailbox Transport look up every recipient (and sender) of every message.
type recipientCache struct {
	mu sync.RWMutex // guards m
	m  map[string]cachedRecipient
}

type cachedRecipient struct {
	raw []byte
	r   *state.Recipient
}

func (c *recipientCache) get(guid string, raw []byte) (*state.Recipient, bool) {
	c.mu.RLock()
	e, ok := c.m[guid]
	c.mu.RUnlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil, false
	}
	return e.r.Clone(), true
}

func (c *recipientCache) put(guid string, raw []byte, r *state.Recipient) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedConnectors {
		c.m = map[string]cachedRecipient{}
	}
	c.m[guid] = cachedRecipient{raw: bytes.Clone(raw), r: r.Clone()}
}
