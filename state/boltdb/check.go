package boltdb

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
)

// Check verifies the store: bbolt's page-level check, then the schema's
// own rules. Every record decodes and is stored under its own Guid, every
// index entry points to a record that owns that key, and every record's
// keys are in the indexes (so uniqueness holds). It returns all problems
// found, joined, each wrapping state.ErrCorrupt; nil means consistent.
func (s *Store) Check() error {
	if s.closed.Load() {
		return state.ErrClosed
	}
	var errs []error
	err := s.view(func(btx *bolt.Tx) error {
		for e := range btx.Check() {
			errs = append(errs, fmt.Errorf("bbolt: %v: %w", e, state.ErrCorrupt))
		}
		if v, err := readSchema(btx); err != nil {
			errs = append(errs, err)
		} else if v != SchemaVersion {
			errs = append(errs, fmt.Errorf("schema version %d, want %d: %w", v, SchemaVersion, state.ErrCorrupt))
		}
		t := s.newTx(btx)
		errs = append(errs, checkIndexed(t, bucketServers, whatServer, serverKeys)...)
		errs = append(errs, checkIndexed(t, bucketReceiveConnectors, whatReceiveConnector, receiveConnectorKeys)...)
		errs = append(errs, checkIndexed(t, bucketSendConnectors, whatSendConnector, sendConnectorKeys)...)
		errs = append(errs, checkIndexed(t, bucketAcceptedDomains, whatAcceptedDomain, acceptedDomainKeys)...)
		errs = append(errs, checkIndexed(t, bucketRecipients, whatRecipient, recipientKeys)...)
		errs = append(errs, checkReceiveConnectorOrder(t)...)
		errs = append(errs, checkADPermissions(t)...)
		errs = append(errs, checkDefaultDomain(t)...)
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

type guidRecord interface {
	state.ExchangeServer | state.ReceiveConnector | state.SendConnector | state.AcceptedDomain | state.Recipient
}

func guidOf(v any) string {
	switch r := v.(type) {
	case *state.ExchangeServer:
		return r.Guid
	case *state.ReceiveConnector:
		return r.Guid
	case *state.SendConnector:
		return r.Guid
	case *state.AcceptedDomain:
		return r.Guid
	case *state.Recipient:
		return r.Guid
	}
	return ""
}

// checkIndexed compares a record bucket with the index buckets its keys
// function describes, in both directions.
func checkIndexed[T guidRecord](t *tx, bucket []byte, what string, keys func(*T) []indexKeys) []error {
	var errs []error
	b, err := t.bucket(bucket)
	if err != nil {
		return []error{err}
	}
	want := map[string]map[string]string{} // index bucket -> key -> guid
	err = b.ForEach(func(k, v []byte) error {
		r, err := decode[T](v, what, string(k))
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if g := guidOf(r); g != string(k) {
			errs = append(errs, fmt.Errorf("%s stored under %q has Guid %q: %w", what, k, g, state.ErrCorrupt))
		}
		for _, ik := range keys(r) {
			m := want[string(ik.bucket)]
			if m == nil {
				m = map[string]string{}
				want[string(ik.bucket)] = m
			}
			for _, key := range ik.keys {
				if other, dup := m[key]; dup && other != string(k) {
					errs = append(errs, fmt.Errorf("%s %q and %q share index key %q in %s: %w", what, other, k, key, ik.bucket, state.ErrCorrupt))
				}
				m[key] = string(k)
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	// The index buckets of this record type, even if no record exists.
	var sample T
	var idxNames []string
	for _, ik := range keys(&sample) {
		idxNames = append(idxNames, string(ik.bucket))
	}
	sort.Strings(idxNames)
	for _, name := range idxNames {
		ib, err := t.bucket([]byte(name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m := want[name]
		seen := 0
		_ = ib.ForEach(func(k, v []byte) error {
			g, ok := m[string(k)]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("index %s has stale key %q -> %q: %w", name, k, v, state.ErrCorrupt))
			case g != string(v):
				errs = append(errs, fmt.Errorf("index %s key %q -> %q, want %q: %w", name, k, v, g, state.ErrCorrupt))
			default:
				seen++
			}
			return nil
		})
		if seen != len(m) {
			for key, g := range m {
				if ib.Get([]byte(key)) == nil {
					errs = append(errs, fmt.Errorf("index %s lacks key %q for %s %q: %w", name, key, what, g, state.ErrCorrupt))
				}
			}
		}
	}
	return errs
}

func checkADPermissions(t *tx) []error {
	var errs []error
	b, err := t.bucket(bucketADPermissions)
	if err != nil {
		return []error{err}
	}
	ib, err := t.bucket(idxADPermissionGuid)
	if err != nil {
		return []error{err}
	}
	rcs, _ := t.bucket(bucketReceiveConnectors)
	n := 0
	_ = b.ForEach(func(k, v []byte) error {
		n++
		p, err := decode[state.ADPermission](v, whatADPermission, string(k))
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if !bytes.HasPrefix(k, append([]byte(p.ConnectorGuid), adPermissionKeySeparator)) {
			errs = append(errs, fmt.Errorf("ADPermission %q stored under connector key %q: %w", p.Guid, k, state.ErrCorrupt))
		}
		if rcs.Get([]byte(p.ConnectorGuid)) == nil {
			errs = append(errs, fmt.Errorf("ADPermission %q names missing receive connector %q: %w", p.Guid, p.ConnectorGuid, state.ErrCorrupt))
		}
		if got := ib.Get([]byte(p.Guid)); !bytes.Equal(got, k) {
			errs = append(errs, fmt.Errorf("ADPermission %q: guid index says %q, stored under %q: %w", p.Guid, got, k, state.ErrCorrupt))
		}
		return nil
	})
	if m := ib.Stats().KeyN; m != n {
		errs = append(errs, fmt.Errorf("ADPermission guid index has %d keys for %d entries: %w", m, n, state.ErrCorrupt))
	}
	return errs
}

func checkDefaultDomain(t *tx) []error {
	ds, err := t.AcceptedDomains()
	if err != nil {
		return []error{err}
	}
	n := 0
	for _, d := range ds {
		if d.Default {
			n++
		}
	}
	if n > 1 {
		return []error{fmt.Errorf("%d accepted domains are marked Default: %w", n, state.ErrCorrupt)}
	}
	return nil
}

// checkReceiveConnectorOrder checks the creation-order index: one entry per
// connector, under the connector's server, and the reverse map agrees.
func checkReceiveConnectorOrder(t *tx) []error {
	var errs []error
	rcs, err := t.bucket(bucketReceiveConnectors)
	if err != nil {
		return []error{err}
	}
	ob, err := t.bucket(idxReceiveConnectorOrder)
	if err != nil {
		return []error{err}
	}
	sb, err := t.bucket(idxReceiveConnectorSeq)
	if err != nil {
		return []error{err}
	}
	n := 0
	_ = rcs.ForEach(func(k, v []byte) error {
		n++
		rc, err := decode[state.ReceiveConnector](v, whatReceiveConnector, string(k))
		if err != nil {
			return nil // reported by checkIndexed
		}
		key := sb.Get(k)
		switch {
		case key == nil:
			errs = append(errs, fmt.Errorf("receive connector %q has no creation-order entry: %w", rc.Identity, state.ErrCorrupt))
		case !bytes.HasPrefix(key, []byte(lower(rc.Server)+"\x00")):
			errs = append(errs, fmt.Errorf("receive connector %q is ordered under another server: %w", rc.Identity, state.ErrCorrupt))
		case !bytes.Equal(ob.Get(key), k):
			errs = append(errs, fmt.Errorf("receive connector %q: the creation-order entry points elsewhere: %w", rc.Identity, state.ErrCorrupt))
		}
		return nil
	})
	if m := ob.Stats().KeyN; m != n {
		errs = append(errs, fmt.Errorf("receive connector order index has %d keys for %d connectors: %w", m, n, state.ErrCorrupt))
	}
	if m := sb.Stats().KeyN; m != n {
		errs = append(errs, fmt.Errorf("receive connector sequence index has %d keys for %d connectors: %w", m, n, state.ErrCorrupt))
	}
	return errs
}
