package boltdb

import (
	"bytes"
	"sync"

	"exsh/state"
)

// maxCachedRecords bounds each decoded-record cache; past it the cache
// starts over.
const maxCachedRecords = 50_000

// cloner is a record type with a deep Clone.
type cloner[T any] interface {
	*T
	Clone() *T
}

// recordCache keeps decoded records of one kind, keyed by Guid, with the
// stored bytes they were decoded from. The transport engine reads every
// receive connector on each change, the categorizer and Mailbox Transport
// look up every recipient (and sender) of every message, cmdlets list
// them all, and decoding JSON is the main cost of a read; a hit costs a
// byte comparison and a Clone. An entry is valid only while the stored
// bytes are identical, so the cache can never return stale data, whatever
// transaction reads it.
type recordCache[T any, P cloner[T]] struct {
	mu sync.RWMutex // guards m
	m  map[string]cachedRecord[T]
}

type cachedRecord[T any] struct {
	raw []byte
	v   *T
}

func (c *recordCache[T, P]) get(guid string, raw []byte) (*T, bool) {
	c.mu.RLock()
	e, ok := c.m[guid]
	c.mu.RUnlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil, false
	}
	return P(e.v).Clone(), true
}

func (c *recordCache[T, P]) put(guid string, raw []byte, v *T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedRecords {
		c.m = map[string]cachedRecord[T]{}
	}
	c.m[guid] = cachedRecord[T]{raw: bytes.Clone(raw), v: P(v).Clone()}
}

// decode decodes a stored record through the cache.
func (c *recordCache[T, P]) decode(key, raw []byte, what, name string) (*T, error) {
	if v, ok := c.get(string(key), raw); ok {
		return v, nil
	}
	v, err := decode[T](raw, what, name)
	if err != nil {
		return nil, err
	}
	c.put(string(key), raw, v)
	return v, nil
}

// flatCache is recordCache for records without references (no slices,
// maps or pointers), which a copy of the value clones: the organisation
// and mailbox databases, which routing reads for every message.
type flatCache[T any] struct {
	mu sync.RWMutex // guards m
	m  map[string]cachedRecord[T]
}

func (c *flatCache[T]) decode(key, raw []byte, what, name string) (*T, error) {
	c.mu.RLock()
	e, ok := c.m[string(key)]
	c.mu.RUnlock()
	if ok && bytes.Equal(e.raw, raw) {
		v := *e.v
		return &v, nil
	}
	v, err := decode[T](raw, what, name)
	if err != nil {
		return nil, err
	}
	kept := *v
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedRecords {
		c.m = map[string]cachedRecord[T]{}
	}
	c.m[string(key)] = cachedRecord[T]{raw: bytes.Clone(raw), v: &kept}
	c.mu.Unlock()
	return v, nil
}

// decodeRecord decodes a stored record, through the caches for receive
// connectors, recipients, the organisation and mailbox databases.
func decodeRecord[T any](t *tx, key, raw []byte, what, name string) (*T, error) {
	switch any((*T)(nil)).(type) {
	case *state.Organization:
		v, err := t.s.orgs.decode(key, raw, what, name)
		return any(v).(*T), err
	case *state.MailboxDatabase:
		v, err := t.s.databases.decode(key, raw, what, name)
		return any(v).(*T), err
	case *state.ReceiveConnector:
		v, err := t.s.connectors.decode(key, raw, what, name)
		return any(v).(*T), err
	case *state.Recipient:
		v, err := t.s.recipients.decode(key, raw, what, name)
		return any(v).(*T), err
	}
	return decode[T](raw, what, name)
}
