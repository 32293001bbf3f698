package boltdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"exsh/state"
)

// tx implements state.Tx on one bbolt transaction.
type tx struct {
	s       *Store
	btx     *bolt.Tx
	now     time.Time
	changes []state.Change
	hooked  bool      // OnCommit registered
	rec     *recorder // set in a rehearsal (see Rehearse)
}

var _ state.Tx = (*tx)(nil)

func (s *Store) newTx(btx *bolt.Tx) *tx {
	return &tx{s: s, btx: btx, now: s.opts.Now()}
}

// changed records a change, published once the transaction commits.
func (t *tx) changed(kind, guid, op string) {
	if !t.hooked {
		t.hooked = true
		t.btx.OnCommit(func() { t.s.publish(dedupe(t.changes)) })
	}
	t.changes = append(t.changes, state.Change{Kind: kind, Guid: guid, Op: op})
}

// dedupe keeps one change per object: its last operation, at the position
// of its first.
func dedupe(in []state.Change) []state.Change {
	type key struct{ kind, guid string }
	pos := map[key]int{}
	var out []state.Change
	for _, c := range in {
		k := key{c.Kind, c.Guid}
		if i, ok := pos[k]; ok {
			out[i].Op = c.Op
			continue
		}
		pos[k] = len(out)
		out = append(out, c)
	}
	return out
}

func (t *tx) writable(what, name string) error {
	if !t.btx.Writable() {
		return fmt.Errorf("%s %q: %w", what, name, state.ErrReadOnly)
	}
	if t.rec == nil && t.s.replicated.Load() {
		return fmt.Errorf("%s %q: %w", what, name, errReplicated)
	}
	return nil
}

func (t *tx) bucket(name []byte) (orgBucket, error) {
	b := t.btx.Bucket(name)
	if b == nil {
		return orgBucket{}, fmt.Errorf("bucket %q is missing: %w", name, state.ErrCorrupt)
	}
	return orgBucket{Bucket: b, rec: t.rec, name: name}, nil
}

func notFound(what, name string) error {
	return fmt.Errorf("%s %q: %w", what, name, state.ErrNotFound)
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// decode reads one JSON record.
func decode[T any](raw []byte, what, name string) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("%s %q: cannot decode the stored record: %v: %w", what, name, err, state.ErrCorrupt)
	}
	return v, nil
}

// get reads the record stored under key, or ErrNotFound.
func get[T any](t *tx, bucket []byte, key, what, name string) (*T, error) {
	b, err := t.bucket(bucket)
	if err != nil {
		return nil, err
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return nil, notFound(what, name)
	}
	return decodeRecord[T](t, []byte(key), raw, what, name)
}

func put(b orgBucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// byIndex follows an index key to a record.
func byIndex[T any](t *tx, idx []byte, key string, bucket []byte, what, name string) (*T, error) {
	ib, err := t.bucket(idx)
	if err != nil {
		return nil, err
	}
	guid := ib.Get([]byte(key))
	if guid == nil {
		return nil, notFound(what, name)
	}
	return get[T](t, bucket, string(guid), what, name)
}

// listByIndex returns the records an index points to, in index key order,
// restricted to keys with prefix.
func listByIndex[T any](t *tx, idx []byte, prefix string, bucket []byte, what string) ([]*T, error) {
	ib, err := t.bucket(idx)
	if err != nil {
		return nil, err
	}
	b, err := t.bucket(bucket)
	if err != nil {
		return nil, err
	}
	var out []*T
	c := ib.Cursor()
	p := []byte(prefix)
	for k, guid := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, guid = c.Next() {
		raw := b.Get(guid)
		if raw == nil {
			return nil, fmt.Errorf("%s index entry %q points to a missing record: %w", what, k, state.ErrCorrupt)
		}
		v, err := decodeRecord[T](t, guid, raw, what, string(guid))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// indexKeys is the set of keys one record owns in one index bucket.
type indexKeys struct {
	bucket []byte
	keys   []string
	label  func(key string) string // describes a key in a conflict message
}

// conflictError is returned by reindex when a key belongs to another
// record.
type conflictError struct {
	label, owner string
}

// reindex moves a record's index entries from old to new. It first checks
// that every new key is free or already the record's own, so a conflict
// changes nothing.
func (t *tx) reindex(guid string, old, new []indexKeys) (*conflictError, error) {
	for _, n := range new {
		b, err := t.bucket(n.bucket)
		if err != nil {
			return nil, err
		}
		for _, k := range n.keys {
			if owner := b.Get([]byte(k)); owner != nil && string(owner) != guid {
				return &conflictError{label: n.label(k), owner: string(owner)}, nil
			}
		}
	}
	for _, o := range old {
		b, err := t.bucket(o.bucket)
		if err != nil {
			return nil, err
		}
		for _, k := range o.keys {
			if owner := b.Get([]byte(k)); string(owner) == guid {
				if err := b.Delete([]byte(k)); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, n := range new {
		b, _ := t.bucket(n.bucket)
		for _, k := range n.keys {
			if err := b.Put([]byte(k), []byte(guid)); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

func (t *tx) unindex(guid string, old []indexKeys) error {
	_, err := t.reindex(guid, old, nil)
	return err
}

// record describes a kind of record kept under its Guid, with index keys
// that must be unique (names, addresses).
type record[T any] struct {
	what   string
	bucket []byte
	change string // state.Kind*
	keys   func(*T) []indexKeys
	times  func(*T) (created, changed *time.Time)
}

// putOptions are what a kind of record adds to putRecord.
type putOptions[T any] struct {
	// derive sets the fields that follow from others (Identity, the
	// distinguished name), after the stored record was read.
	derive func()
	// taken is the error for an index key another record owns.
	taken func(c *conflictError) error
	// before runs just before the record is written, with its Guid.
	before func(guid string) error
}

// putRecord stores v under its Guid (given one when it has none): it keeps
// WhenCreated of the stored record, moves the index entries and publishes
// the change. The caller checked that the store is writable and that v is
// valid.
func putRecord[T any](t *tx, k *record[T], v *T, guidOf *string, name string, o putOptions[T]) error {
	guid, err := assignGuid(guidOf, k.what, name)
	if err != nil {
		return err
	}
	b, err := t.bucket(k.bucket)
	if err != nil {
		return err
	}
	var oldKeys []indexKeys
	var oldCreated time.Time
	if raw := b.Get([]byte(guid)); raw != nil {
		old, err := decode[T](raw, k.what, name)
		if err != nil {
			return err
		}
		created, _ := k.times(old)
		oldKeys, oldCreated = k.keys(old), *created
	}
	if o.derive != nil {
		o.derive()
	}
	created, changed := k.times(v)
	t.stamp(created, changed, oldCreated)
	if c, err := t.reindex(guid, oldKeys, k.keys(v)); err != nil {
		return err
	} else if c != nil {
		return o.taken(c)
	}
	if o.before != nil {
		if err := o.before(guid); err != nil {
			return err
		}
	}
	if err := put(b, guid, v); err != nil {
		return err
	}
	t.changed(k.change, guid, state.OpPut)
	return nil
}

// deleteRecord removes the record with this Guid and its index entries;
// before runs first, with the stored record.
func deleteRecord[T any](t *tx, k *record[T], guid string, before func(v *T) error) error {
	guid = state.CanonicalGuid(guid)
	if err := t.writable(k.what, guid); err != nil {
		return err
	}
	v, err := get[T](t, k.bucket, guid, k.what, guid)
	if err != nil {
		return err
	}
	if before != nil {
		if err := before(v); err != nil {
			return err
		}
	}
	if err := t.unindex(guid, k.keys(v)); err != nil {
		return err
	}
	b, _ := t.bucket(k.bucket)
	if err := b.Delete([]byte(guid)); err != nil {
		return err
	}
	t.changed(k.change, guid, state.OpDelete)
	return nil
}

var (
	serverRecord = &record[state.ExchangeServer]{what: whatServer, bucket: bucketServers, change: state.KindExchangeServer, keys: serverKeys,
		times: func(s *state.ExchangeServer) (*time.Time, *time.Time) { return &s.WhenCreated, &s.WhenChanged }}
	receiveConnectorRecord = &record[state.ReceiveConnector]{what: whatReceiveConnector, bucket: bucketReceiveConnectors, change: state.KindReceiveConnector, keys: receiveConnectorKeys,
		times: func(rc *state.ReceiveConnector) (*time.Time, *time.Time) { return &rc.WhenCreated, &rc.WhenChanged }}
	sendConnectorRecord = &record[state.SendConnector]{what: whatSendConnector, bucket: bucketSendConnectors, change: state.KindSendConnector, keys: sendConnectorKeys,
		times: func(sc *state.SendConnector) (*time.Time, *time.Time) { return &sc.WhenCreated, &sc.WhenChanged }}
	acceptedDomainRecord = &record[state.AcceptedDomain]{what: whatAcceptedDomain, bucket: bucketAcceptedDomains, change: state.KindAcceptedDomain, keys: acceptedDomainKeys,
		times: func(d *state.AcceptedDomain) (*time.Time, *time.Time) { return &d.WhenCreated, &d.WhenChanged }}
	recipientRecord = &record[state.Recipient]{what: whatRecipient, bucket: bucketRecipients, change: state.KindRecipient, keys: recipientKeys,
		times: func(r *state.Recipient) (*time.Time, *time.Time) { return &r.WhenCreated, &r.WhenChanged }}
)

// assignGuid gives a record a Guid if it has none and checks its form.
func assignGuid(g *string, what, name string) (string, error) {
	if strings.TrimSpace(*g) == "" {
		*g = state.NewGuid()
	}
	if !state.IsGuid(*g) {
		return "", fmt.Errorf("%s %q: Guid %q is not a GUID: %w", what, name, *g, state.ErrInvalid)
	}
	*g = state.CanonicalGuid(*g)
	return *g, nil
}

// stamp sets WhenCreated (kept from the stored record when there is one)
// and WhenChanged.
func (t *tx) stamp(created, changed *time.Time, oldCreated time.Time) {
	switch {
	case !oldCreated.IsZero():
		*created = oldCreated
	case created.IsZero():
		*created = t.now
	}
	*changed = t.now
}

func (t *tx) orgOrNil() *state.Organization {
	o, err := t.Org()
	if err != nil {
		return nil
	}
	return o
}

// --- Organization, certificate -----------------------------------------

const (
	whatOrg              = "organization"
	whatServer           = "Exchange server"
	whatReceiveConnector = "receive connector"
	whatSendConnector    = "send connector"
	whatAcceptedDomain   = "accepted domain"
	whatRecipient        = "recipient"
	whatADPermission     = "ADPermission entry"
	whatTransportService = "transport service"
	whatDatabase         = "mailbox database"
	whatCertificate      = "certificate"
)

func (t *tx) Org() (*state.Organization, error) {
	o, err := get[state.Organization](t, bucketSingletons, string(keyOrganization), whatOrg, "organization")
	if err != nil {
		return nil, err
	}
	o.SchemaVersion = SchemaVersion
	return o, nil
}

func (t *tx) PutOrg(o *state.Organization) error {
	if err := t.writable(whatOrg, o.Name); err != nil {
		return err
	}
	if strings.TrimSpace(o.Name) == "" || strings.TrimSpace(o.DomainName) == "" {
		return fmt.Errorf("%s %q: the name and the domain name are required: %w", whatOrg, o.Name, state.ErrInvalid)
	}
	b, err := t.bucket(bucketSingletons)
	if err != nil {
		return err
	}
	o.SchemaVersion = SchemaVersion
	if o.Created.IsZero() {
		o.Created = t.now
	}
	if err := put(b, string(keyOrganization), o); err != nil {
		return err
	}
	t.changed(state.KindOrganization, "", state.OpPut)
	return nil
}

func (t *tx) Certificate() (*state.Certificate, error) {
	return get[state.Certificate](t, bucketSingletons, string(keyCertificate), whatCertificate, "certificate")
}

func (t *tx) PutCertificate(c *state.Certificate) error {
	if err := t.writable(whatCertificate, c.Subject); err != nil {
		return err
	}
	if len(c.CertPEM) == 0 || len(c.KeyPEM) == 0 {
		return fmt.Errorf("%s %q: the certificate and its key are required: %w", whatCertificate, c.Subject, state.ErrInvalid)
	}
	b, err := t.bucket(bucketSingletons)
	if err != nil {
		return err
	}
	if err := put(b, string(keyCertificate), c); err != nil {
		return err
	}
	t.changed(state.KindCertificate, "", state.OpPut)
	return nil
}

// --- Servers -----------------------------------------------------------

func serverKeys(s *state.ExchangeServer) []indexKeys {
	keys := []string{"n:" + lower(s.Name)}
	if f := lower(s.Fqdn); f != "" && f != lower(s.Name) {
		keys = append(keys, "f:"+f)
	}
	return []indexKeys{{bucket: idxServerName, keys: keys, label: func(k string) string { return "the name " + strings.SplitN(k, ":", 2)[1] }}}
}

func (t *tx) Servers() ([]*state.ExchangeServer, error) {
	return listByIndex[state.ExchangeServer](t, idxServerName, "n:", bucketServers, whatServer)
}

func (t *tx) Server(name string) (*state.ExchangeServer, error) {
	if state.IsGuid(name) {
		return get[state.ExchangeServer](t, bucketServers, state.CanonicalGuid(name), whatServer, name)
	}
	s, err := byIndex[state.ExchangeServer](t, idxServerName, "n:"+lower(name), bucketServers, whatServer, name)
	if errors.Is(err, state.ErrNotFound) {
		s, err = byIndex[state.ExchangeServer](t, idxServerName, "f:"+lower(name), bucketServers, whatServer, name)
	}
	return s, err
}

func (t *tx) PutServer(s *state.ExchangeServer) error {
	if err := t.writable(whatServer, s.Name); err != nil {
		return err
	}
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("%s %q: the name is required: %w", whatServer, s.Name, state.ErrInvalid)
	}
	return putRecord(t, serverRecord, s, &s.Guid, s.Name, putOptions[state.ExchangeServer]{
		derive: func() {
			s.Identity = s.Name
			if o := t.orgOrNil(); o != nil {
				s.DistinguishedName = state.ServerDN(s.Name, o.Name, o.DomainName)
				if s.OrganizationName == "" {
					s.OrganizationName = o.Name
				}
			}
		},
		taken: func(c *conflictError) error {
			return fmt.Errorf("%s %q: %s is already used by another server: %w", whatServer, s.Name, c.label, state.ErrExists)
		},
	})
}

// --- Receive connectors ------------------------------------------------

func receiveConnectorKeys(rc *state.ReceiveConnector) []indexKeys {
	return []indexKeys{{
		bucket: idxReceiveConnectorName,
		keys:   []string{lower(rc.Server) + "\x00" + lower(rc.Name)},
		label:  func(string) string { return "the name" },
	}}
}

// ReceiveConnectors lists connectors by server, then in creation order, as
// Get-ReceiveConnector does.
func (t *tx) ReceiveConnectors() ([]*state.ReceiveConnector, error) {
	return listByIndex[state.ReceiveConnector](t, idxReceiveConnectorOrder, "", bucketReceiveConnectors, whatReceiveConnector)
}

// placeReceiveConnector keeps the connector's creation-order entry: a new
// connector (or one moved to another server) goes last on its server.
func (t *tx) placeReceiveConnector(guid, server string) error {
	ob, err := t.bucket(idxReceiveConnectorOrder)
	if err != nil {
		return err
	}
	sb, err := t.bucket(idxReceiveConnectorSeq)
	if err != nil {
		return err
	}
	prefix := []byte(lower(server) + "\x00")
	if old := sb.Get([]byte(guid)); old != nil {
		if bytes.HasPrefix(old, prefix) && len(old) == len(prefix)+8 {
			return nil
		}
		if err := ob.Delete(bytes.Clone(old)); err != nil {
			return err
		}
	}
	seq, err := ob.NextSequence()
	if err != nil {
		return err
	}
	key := append(prefix, u64(seq)...)
	if err := ob.Put(key, []byte(guid)); err != nil {
		return err
	}
	return sb.Put([]byte(guid), key)
}

func (t *tx) unplaceReceiveConnector(guid string) error {
	ob, err := t.bucket(idxReceiveConnectorOrder)
	if err != nil {
		return err
	}
	sb, err := t.bucket(idxReceiveConnectorSeq)
	if err != nil {
		return err
	}
	if old := sb.Get([]byte(guid)); old != nil {
		if err := ob.Delete(bytes.Clone(old)); err != nil {
			return err
		}
		return sb.Delete([]byte(guid))
	}
	return nil
}

func (t *tx) ReceiveConnector(guid string) (*state.ReceiveConnector, error) {
	return get[state.ReceiveConnector](t, bucketReceiveConnectors, state.CanonicalGuid(guid), whatReceiveConnector, guid)
}

func (t *tx) ReceiveConnectorByName(server, name string) (*state.ReceiveConnector, error) {
	return byIndex[state.ReceiveConnector](t, idxReceiveConnectorName, lower(server)+"\x00"+lower(name),
		bucketReceiveConnectors, whatReceiveConnector, state.ReceiveConnectorIdentity(server, name))
}

// PutReceiveConnector also derives Identity and Id (SERVER\Name) and, once
// the organisation exists, DistinguishedName, ObjectCategory and
// ObjectClass, so a rename keeps them in step.
func (t *tx) PutReceiveConnector(rc *state.ReceiveConnector) error {
	id := state.ReceiveConnectorIdentity(rc.Server, rc.Name)
	if err := t.writable(whatReceiveConnector, id); err != nil {
		return err
	}
	if strings.TrimSpace(rc.Name) == "" || strings.TrimSpace(rc.Server) == "" {
		return fmt.Errorf("%s %q: the name and the server are required: %w", whatReceiveConnector, id, state.ErrInvalid)
	}
	return putRecord(t, receiveConnectorRecord, rc, &rc.Guid, id, putOptions[state.ReceiveConnector]{
		derive: func() {
			rc.Identity, rc.Id = id, id
			if o := t.orgOrNil(); o != nil {
				rc.DistinguishedName = state.ReceiveConnectorDN(rc.Name, rc.Server, o.Name, o.DomainName)
				rc.ObjectCategory = state.ReceiveConnectorObjectCategory(o.DomainName)
				if rc.OriginatingServer == "" {
					rc.OriginatingServer = rc.Server + "." + o.DomainName
				}
			}
			if len(rc.ObjectClass) == 0 {
				rc.ObjectClass = state.ReceiveConnectorObjectClass()
			}
			if rc.ExchangeVersion == "" {
				rc.ExchangeVersion = state.ExchangeVersionConnector
			}
		},
		taken: func(*conflictError) error {
			return fmt.Errorf("%s %q: a receive connector with this name already exists on server %q: %w", whatReceiveConnector, id, rc.Server, state.ErrExists)
		},
		before: func(guid string) error {
			rc.WhenCreatedUTC, rc.WhenChangedUTC = rc.WhenCreated.UTC(), rc.WhenChanged.UTC()
			return t.placeReceiveConnector(guid, rc.Server)
		},
	})
}

func (t *tx) DeleteReceiveConnector(guid string) error {
	return deleteRecord(t, receiveConnectorRecord, guid, func(rc *state.ReceiveConnector) error {
		perms, err := t.ADPermissions(rc.Guid)
		if err != nil {
			return err
		}
		for _, p := range perms {
			if err := t.DeleteADPermission(p.Guid); err != nil {
				return err
			}
		}
		return t.unplaceReceiveConnector(rc.Guid)
	})
}

// --- Send connectors ---------------------------------------------------

func sendConnectorKeys(sc *state.SendConnector) []indexKeys {
	return []indexKeys{{bucket: idxSendConnectorName, keys: []string{lower(sc.Name)}, label: func(string) string { return "the name" }}}
}

func (t *tx) SendConnectors() ([]*state.SendConnector, error) {
	return listByIndex[state.SendConnector](t, idxSendConnectorName, "", bucketSendConnectors, whatSendConnector)
}

func (t *tx) SendConnector(guid string) (*state.SendConnector, error) {
	return get[state.SendConnector](t, bucketSendConnectors, state.CanonicalGuid(guid), whatSendConnector, guid)
}

func (t *tx) SendConnectorByName(name string) (*state.SendConnector, error) {
	return byIndex[state.SendConnector](t, idxSendConnectorName, lower(name), bucketSendConnectors, whatSendConnector, name)
}

func (t *tx) PutSendConnector(sc *state.SendConnector) error {
	if err := t.writable(whatSendConnector, sc.Name); err != nil {
		return err
	}
	if strings.TrimSpace(sc.Name) == "" {
		return fmt.Errorf("%s %q: the name is required: %w", whatSendConnector, sc.Name, state.ErrInvalid)
	}
	return putRecord(t, sendConnectorRecord, sc, &sc.Guid, sc.Name, putOptions[state.SendConnector]{
		derive: func() {
			sc.Identity = sc.Name
			if o := t.orgOrNil(); o != nil {
				sc.DistinguishedName = state.SendConnectorDN(sc.Name, o.Name, o.DomainName)
			}
		},
		taken: func(*conflictError) error {
			return fmt.Errorf("%s %q: a send connector with this name already exists: %w", whatSendConnector, sc.Name, state.ErrExists)
		},
	})
}

func (t *tx) DeleteSendConnector(guid string) error {
	return deleteRecord(t, sendConnectorRecord, guid, nil)
}

// --- Accepted domains --------------------------------------------------

func acceptedDomainKeys(d *state.AcceptedDomain) []indexKeys {
	return []indexKeys{
		{bucket: idxAcceptedDomainName, keys: []string{lower(d.Name)}, label: func(string) string { return "the name " + d.Name }},
		{bucket: idxAcceptedDomainDomain, keys: []string{lower(d.DomainName)}, label: func(string) string { return "the domain name " + d.DomainName }},
	}
}

func (t *tx) AcceptedDomains() ([]*state.AcceptedDomain, error) {
	return listByIndex[state.AcceptedDomain](t, idxAcceptedDomainName, "", bucketAcceptedDomains, whatAcceptedDomain)
}

func (t *tx) AcceptedDomain(guid string) (*state.AcceptedDomain, error) {
	return get[state.AcceptedDomain](t, bucketAcceptedDomains, state.CanonicalGuid(guid), whatAcceptedDomain, guid)
}

func (t *tx) AcceptedDomainByName(name string) (*state.AcceptedDomain, error) {
	d, err := byIndex[state.AcceptedDomain](t, idxAcceptedDomainName, lower(name), bucketAcceptedDomains, whatAcceptedDomain, name)
	if errors.Is(err, state.ErrNotFound) {
		d, err = byIndex[state.AcceptedDomain](t, idxAcceptedDomainDomain, lower(name), bucketAcceptedDomains, whatAcceptedDomain, name)
	}
	return d, err
}

// PutAcceptedDomain lower-cases DomainName and, when the domain is the
// Default, clears Default on every other domain (only one is default).
func (t *tx) PutAcceptedDomain(d *state.AcceptedDomain) error {
	if err := t.writable(whatAcceptedDomain, d.Name); err != nil {
		return err
	}
	if strings.TrimSpace(d.Name) == "" {
		return fmt.Errorf("%s %q: the name is required: %w", whatAcceptedDomain, d.Name, state.ErrInvalid)
	}
	dn, err := state.ValidateDomainName(d.DomainName)
	if err != nil {
		return fmt.Errorf("%s %q: %v: %w", whatAcceptedDomain, d.Name, err, state.ErrInvalid)
	}
	d.DomainName = dn
	err = putRecord(t, acceptedDomainRecord, d, &d.Guid, d.Name, putOptions[state.AcceptedDomain]{
		derive: func() {
			d.Identity = d.Name
			if o := t.orgOrNil(); o != nil {
				d.DistinguishedName = state.AcceptedDomainDN(d.Name, o.Name, o.DomainName)
			}
		},
		taken: func(c *conflictError) error {
			return fmt.Errorf("%s %q: %s is already used by another accepted domain: %w", whatAcceptedDomain, d.Name, c.label, state.ErrExists)
		},
	})
	if err != nil {
		return err
	}
	if !d.Default {
		return nil
	}
	guid := d.Guid
	b, _ := t.bucket(bucketAcceptedDomains)
	var demoted []*state.AcceptedDomain
	err = b.ForEach(func(k, v []byte) error {
		if string(k) == guid {
			return nil
		}
		o, err := decode[state.AcceptedDomain](v, whatAcceptedDomain, string(k))
		if err != nil {
			return err
		}
		if o.Default {
			demoted = append(demoted, o)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range demoted {
		o.Default = false
		o.WhenChanged = t.now
		if err := put(b, o.Guid, o); err != nil {
			return err
		}
		t.changed(state.KindAcceptedDomain, o.Guid, state.OpPut)
	}
	return nil
}

func (t *tx) DeleteAcceptedDomain(guid string) error {
	return deleteRecord(t, acceptedDomainRecord, guid, nil)
}

// --- Recipients --------------------------------------------------------

// smtpAddress returns the address of an SMTP proxy address ("SMTP:a@b",
// "smtp:a@b" or a bare "a@b"), lower case, and false for other types.
func smtpAddress(proxy string) (string, bool) {
	p := strings.TrimSpace(proxy)
	if typ, rest, ok := strings.Cut(p, ":"); ok && !strings.Contains(typ, "@") {
		if !strings.EqualFold(typ, "smtp") {
			return "", false
		}
		p = rest
	}
	p = strings.ToLower(strings.TrimSpace(p))
	return p, p != ""
}

func recipientKeys(r *state.Recipient) []indexKeys {
	var addrs []string
	seen := map[string]bool{}
	for _, a := range append([]string{r.PrimarySmtpAddress}, r.EmailAddresses...) {
		if s, ok := smtpAddress(a); ok && !seen[s] {
			seen[s] = true
			addrs = append(addrs, s)
		}
	}
	var logins []string
	if u := lower(r.UserPrincipalName); u != "" {
		logins = append(logins, "upn:"+u)
	}
	if s := lower(r.SamAccountName); s != "" {
		logins = append(logins, "sam:"+s)
	}
	names := []string{"n:" + lower(r.Name)}
	if a := lower(r.Alias); a != "" {
		names = append(names, "a:"+a)
	}
	after := func(k string) string { return strings.SplitN(k, ":", 2)[1] }
	return []indexKeys{
		{bucket: idxRecipientAddress, keys: addrs, label: func(k string) string { return "the proxy address " + k }},
		{bucket: idxRecipientLogin, keys: logins, label: func(k string) string {
			if strings.HasPrefix(k, "upn:") {
				return "the user principal name " + after(k)
			}
			return "the SamAccountName " + after(k)
		}},
		{bucket: idxRecipientName, keys: names, label: func(k string) string {
			if strings.HasPrefix(k, "a:") {
				return "the alias " + after(k)
			}
			return "the name " + after(k)
		}},
	}
}

func (t *tx) Recipients() ([]*state.Recipient, error) {
	return listByIndex[state.Recipient](t, idxRecipientName, "n:", bucketRecipients, whatRecipient)
}

func (t *tx) Recipient(guid string) (*state.Recipient, error) {
	return get[state.Recipient](t, bucketRecipients, state.CanonicalGuid(guid), whatRecipient, guid)
}

func (t *tx) RecipientByAddress(addr string) (*state.Recipient, error) {
	a, ok := smtpAddress(strings.Trim(strings.TrimSpace(addr), "<>"))
	if !ok {
		return nil, notFound(whatRecipient, addr)
	}
	return byIndex[state.Recipient](t, idxRecipientAddress, a, bucketRecipients, whatRecipient, addr)
}

func (t *tx) RecipientByLogin(login string) (*state.Recipient, error) {
	l := lower(login)
	if l == "" {
		return nil, notFound(whatRecipient, login)
	}
	if dom, user, ok := strings.Cut(l, `\`); ok {
		if o := t.orgOrNil(); o != nil && dom != lower(o.NetBIOSDomain) && dom != lower(o.DomainName) {
			return nil, notFound(whatRecipient, login)
		}
		return byIndex[state.Recipient](t, idxRecipientLogin, "sam:"+user, bucketRecipients, whatRecipient, login)
	}
	if strings.Contains(l, "@") {
		return byIndex[state.Recipient](t, idxRecipientLogin, "upn:"+l, bucketRecipients, whatRecipient, login)
	}
	r, err := byIndex[state.Recipient](t, idxRecipientLogin, "sam:"+l, bucketRecipients, whatRecipient, login)
	if errors.Is(err, state.ErrNotFound) {
		r, err = byIndex[state.Recipient](t, idxRecipientName, "a:"+l, bucketRecipients, whatRecipient, login)
	}
	return r, err
}

func (t *tx) RecipientByName(name string) (*state.Recipient, error) {
	r, err := byIndex[state.Recipient](t, idxRecipientName, "n:"+lower(name), bucketRecipients, whatRecipient, name)
	if errors.Is(err, state.ErrNotFound) {
		r, err = byIndex[state.Recipient](t, idxRecipientName, "a:"+lower(name), bucketRecipients, whatRecipient, name)
	}
	return r, err
}

func (t *tx) PutRecipient(r *state.Recipient) error {
	if err := t.writable(whatRecipient, r.Name); err != nil {
		return err
	}
	if strings.TrimSpace(r.Name) == "" {
		return fmt.Errorf("%s %q: the name is required: %w", whatRecipient, r.Name, state.ErrInvalid)
	}
	return putRecord(t, recipientRecord, r, &r.Guid, r.Name, putOptions[state.Recipient]{
		derive: func() {
			if r.Identity == "" {
				r.Identity = r.Name
			}
		},
		taken: func(c *conflictError) error {
			owner := c.owner
			if o, err := t.Recipient(c.owner); err == nil {
				owner = o.Name
			}
			return fmt.Errorf("%s %q: %s is already used by %q: %w", whatRecipient, r.Name, c.label, owner, state.ErrExists)
		},
	})
}

func (t *tx) DeleteRecipient(guid string) error {
	return deleteRecord(t, recipientRecord, guid, nil)
}

// --- ADPermission ------------------------------------------------------

func (t *tx) ADPermissions(connectorGuid string) ([]*state.ADPermission, error) {
	b, err := t.bucket(bucketADPermissions)
	if err != nil {
		return nil, err
	}
	prefix := append([]byte(state.CanonicalGuid(connectorGuid)), adPermissionKeySeparator)
	var out []*state.ADPermission
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		p, err := decode[state.ADPermission](v, whatADPermission, string(k))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (t *tx) ADPermission(guid string) (*state.ADPermission, error) {
	guid = state.CanonicalGuid(guid)
	ib, err := t.bucket(idxADPermissionGuid)
	if err != nil {
		return nil, err
	}
	key := ib.Get([]byte(guid))
	if key == nil {
		return nil, notFound(whatADPermission, guid)
	}
	return get[state.ADPermission](t, bucketADPermissions, string(key), whatADPermission, guid)
}

// PutADPermission sets Identity to the connector's identity and
// AccessRights to ExtendedRight when extended rights are given without
// access rights.
func (t *tx) PutADPermission(p *state.ADPermission) error {
	if err := t.writable(whatADPermission, p.User); err != nil {
		return err
	}
	if strings.TrimSpace(p.User) == "" {
		return fmt.Errorf("%s %q: the user is required: %w", whatADPermission, p.User, state.ErrInvalid)
	}
	p.ConnectorGuid = state.CanonicalGuid(p.ConnectorGuid)
	rc, err := t.ReceiveConnector(p.ConnectorGuid)
	if err != nil {
		return fmt.Errorf("%s for %q: %w", whatADPermission, p.User, err)
	}
	guid, err := assignGuid(&p.Guid, whatADPermission, p.User)
	if err != nil {
		return err
	}
	p.Identity = rc.Identity
	if len(p.AccessRights) == 0 && len(p.ExtendedRights) > 0 {
		p.AccessRights = []string{"ExtendedRight"}
	}
	b, err := t.bucket(bucketADPermissions)
	if err != nil {
		return err
	}
	ib, err := t.bucket(idxADPermissionGuid)
	if err != nil {
		return err
	}
	key := ib.Get([]byte(guid))
	if key != nil && !bytes.HasPrefix(key, append([]byte(p.ConnectorGuid), adPermissionKeySeparator)) {
		// Moved to another connector: drop the old entry.
		if err := b.Delete(key); err != nil {
			return err
		}
		key = nil
	}
	if key == nil {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key = append(append([]byte(p.ConnectorGuid), adPermissionKeySeparator), u64(seq)...)
	} else {
		key = bytes.Clone(key)
	}
	if err := ib.Put([]byte(guid), key); err != nil {
		return err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := b.Put(key, raw); err != nil {
		return err
	}
	t.changed(state.KindADPermission, guid, state.OpPut)
	return nil
}

func (t *tx) DeleteADPermission(guid string) error {
	guid = state.CanonicalGuid(guid)
	if err := t.writable(whatADPermission, guid); err != nil {
		return err
	}
	ib, err := t.bucket(idxADPermissionGuid)
	if err != nil {
		return err
	}
	key := ib.Get([]byte(guid))
	if key == nil {
		return notFound(whatADPermission, guid)
	}
	key = bytes.Clone(key)
	b, _ := t.bucket(bucketADPermissions)
	if err := b.Delete(key); err != nil {
		return err
	}
	if err := ib.Delete([]byte(guid)); err != nil {
		return err
	}
	t.changed(state.KindADPermission, guid, state.OpDelete)
	return nil
}

// --- Transport services ------------------------------------------------

// canonicalKind spells a service kind as Change.Guid and the record use it.
func canonicalKind(kind string) string {
	switch lower(kind) {
	case "hub", "transport", "transportservice":
		return "Hub"
	case "frontend", "frontendtransport", "frontendtransportservice":
		return "FrontEnd"
	case "mailbox", "mailboxtransport", "mailboxtransportservice":
		return "Mailbox"
	}
	return strings.TrimSpace(kind)
}

// transportServiceKey keys a server's service of a kind: the lower-case
// server, NUL, the lower-case kind.
func transportServiceKey(server, kind string) string {
	return lower(server) + "\x00" + lower(kind)
}

func (t *tx) TransportService(server, kind string) (*state.TransportService, error) {
	k := canonicalKind(kind)
	return get[state.TransportService](t, bucketTransportServices, transportServiceKey(server, k), whatTransportService, state.TransportServiceChange(strings.TrimSpace(server), k))
}

func (t *tx) TransportServices(server string) ([]*state.TransportService, error) {
	b, err := t.bucket(bucketTransportServices)
	if err != nil {
		return nil, err
	}
	var prefix []byte
	if strings.TrimSpace(server) != "" {
		prefix = []byte(lower(server) + "\x00")
	}
	var out []*state.TransportService
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		ts, err := decode[state.TransportService](v, whatTransportService, string(k))
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	return out, nil
}

func (t *tx) PutTransportService(ts *state.TransportService) error {
	ts.Kind = canonicalKind(ts.Kind)
	ts.Server = strings.TrimSpace(ts.Server)
	if ts.Server == "" {
		ts.Server = strings.TrimSpace(ts.Name)
	}
	id := state.TransportServiceChange(ts.Server, ts.Kind)
	if err := t.writable(whatTransportService, id); err != nil {
		return err
	}
	if ts.Kind == "" {
		return fmt.Errorf("%s %q: the kind (Hub, FrontEnd or Mailbox) is required: %w", whatTransportService, ts.Name, state.ErrInvalid)
	}
	if ts.Server == "" {
		return fmt.Errorf("%s %q: the server is required: %w", whatTransportService, ts.Kind, state.ErrInvalid)
	}
	if _, err := assignGuid(&ts.Guid, whatTransportService, id); err != nil {
		return err
	}
	b, err := t.bucket(bucketTransportServices)
	if err != nil {
		return err
	}
	ts.WhenChanged = t.now
	if err := put(b, transportServiceKey(ts.Server, ts.Kind), ts); err != nil {
		return err
	}
	t.changed(state.KindTransportService, id, state.OpPut)
	return nil
}

// --- Mailbox databases -------------------------------------------------

func (t *tx) MailboxDatabases() ([]*state.MailboxDatabase, error) {
	b, err := t.bucket(bucketDatabases)
	if err != nil {
		return nil, err
	}
	var out []*state.MailboxDatabase
	err = b.ForEach(func(k, v []byte) error {
		d, err := decodeRecord[state.MailboxDatabase](t, k, v, whatDatabase, string(k))
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return lower(out[i].Name) < lower(out[j].Name) })
	return out, err
}

func (t *tx) MailboxDatabase(name string) (*state.MailboxDatabase, error) {
	if state.IsGuid(name) {
		return get[state.MailboxDatabase](t, bucketDatabases, state.CanonicalGuid(name), whatDatabase, name)
	}
	all, err := t.MailboxDatabases()
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		if strings.EqualFold(d.Name, strings.TrimSpace(name)) {
			return d, nil
		}
	}
	return nil, notFound(whatDatabase, name)
}

func (t *tx) PutMailboxDatabase(d *state.MailboxDatabase) error {
	if err := t.writable(whatDatabase, d.Name); err != nil {
		return err
	}
	if strings.TrimSpace(d.Name) == "" {
		return fmt.Errorf("%s %q: the name is required: %w", whatDatabase, d.Name, state.ErrInvalid)
	}
	guid, err := assignGuid(&d.Guid, whatDatabase, d.Name)
	if err != nil {
		return err
	}
	if other, err := t.MailboxDatabase(d.Name); err == nil && other.Guid != guid {
		return fmt.Errorf("%s %q: a database with this name already exists: %w", whatDatabase, d.Name, state.ErrExists)
	}
	b, err := t.bucket(bucketDatabases)
	if err != nil {
		return err
	}
	d.Identity = d.Name
	if o := t.orgOrNil(); o != nil {
		d.DistinguishedName = state.MailboxDatabaseDN(d.Name, o.Name, o.DomainName)
	}
	if raw := b.Get([]byte(guid)); raw != nil {
		if old, err := decode[state.MailboxDatabase](raw, whatDatabase, d.Name); err == nil {
			d.WhenCreated = old.WhenCreated
		}
	}
	if d.WhenCreated.IsZero() {
		d.WhenCreated = t.now
	}
	if err := put(b, guid, d); err != nil {
		return err
	}
	t.changed(state.KindMailboxDatabase, guid, state.OpPut)
	return nil
}

// --- Raw buckets -------------------------------------------------------

func (t *tx) Bucket(name string, create bool) (state.Bucket, error) {
	if name == "" || isReservedBucket(name) {
		return nil, fmt.Errorf("bucket %q belongs to the organisation schema: %w", name, state.ErrInvalid)
	}
	if t.rec != nil && isEngineBucket(name) {
		return nil, fmt.Errorf("bucket %q belongs to the transport engine of each server and is not part of the shared organisation: %w", name, state.ErrInvalid)
	}
	var b *bolt.Bucket
	if create && t.btx.Writable() && (t.rec != nil || !t.s.replicated.Load()) {
		var err error
		if b, err = t.btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return nil, fmt.Errorf("bucket %q: %w", name, err)
		}
		t.rec.createBucket(name)
	} else if b = t.btx.Bucket([]byte(name)); b == nil {
		return nil, notFound("bucket", name)
	}
	refuse := t.rec == nil && t.s.replicated.Load()
	return rawBucket{b: orgBucket{Bucket: b, rec: t.rec, name: []byte(name)}, name: name, refuse: refuse}, nil
}

type rawBucket struct {
	b      orgBucket
	name   string
	refuse bool // the organisation is replicated: local writes are refused
}

func (r rawBucket) wrap(err error) error {
	if errors.Is(err, berrors.ErrTxNotWritable) {
		return fmt.Errorf("bucket %q: %w", r.name, state.ErrReadOnly)
	}
	return err
}

func (r rawBucket) Get(key []byte) []byte { return r.b.Get(key) }
func (r rawBucket) Put(key, value []byte) error {
	if r.refuse {
		return fmt.Errorf("bucket %q: %w", r.name, errReplicated)
	}
	return r.wrap(r.b.Put(key, value))
}
func (r rawBucket) Delete(key []byte) error {
	if r.refuse {
		return fmt.Errorf("bucket %q: %w", r.name, errReplicated)
	}
	return r.wrap(r.b.Delete(key))
}
func (r rawBucket) NextSequence() (uint64, error) {
	if r.refuse {
		return 0, fmt.Errorf("bucket %q: %w", r.name, errReplicated)
	}
	n, err := r.b.NextSequence()
	return n, r.wrap(err)
}
func (r rawBucket) ForEach(fn func(k, v []byte) error) error {
	return r.b.ForEach(fn)
}

// --- Transport configuration, server component states -----------------

const (
	whatTransportConfig = "transport configuration"
	whatComponentState  = "server component state"
	keyTransportConfig  = "transportconfig"
	// componentStatePrefix keys a component state: the prefix, the
	// lower-case server, NUL, the lower-case component.
	componentStatePrefix = "componentstate:"
)

func (t *tx) TransportConfig() (*state.TransportConfig, error) {
	c, err := get[state.TransportConfig](t, bucketSingletons, keyTransportConfig, whatTransportConfig, "Transport Settings")
	if errors.Is(err, state.ErrNotFound) {
		c = state.DefaultTransportConfig()
		if o := t.orgOrNil(); o != nil {
			c.WhenChanged = o.Created // set up with the organisation
		}
		return c, nil
	}
	return c, err
}

func (t *tx) PutTransportConfig(c *state.TransportConfig) error {
	if err := t.writable(whatTransportConfig, c.Identity); err != nil {
		return err
	}
	b, err := t.bucket(bucketSingletons)
	if err != nil {
		return err
	}
	if c.Identity == "" {
		c.Identity = "Transport Settings"
	}
	c.WhenChanged = t.now
	if err := put(b, keyTransportConfig, c); err != nil {
		return err
	}
	t.changed(state.KindTransportConfig, "", state.OpPut)
	return nil
}

func (t *tx) ServerComponentStates(server string) ([]*state.ServerComponentState, error) {
	b, err := t.bucket(bucketSingletons)
	if err != nil {
		return nil, err
	}
	prefix := []byte(componentStatePrefix + lower(server) + "\x00")
	var out []*state.ServerComponentState
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		s, err := decode[state.ServerComponentState](v, whatComponentState, string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (t *tx) PutServerComponentState(s *state.ServerComponentState) error {
	if err := t.writable(whatComponentState, s.Component); err != nil {
		return err
	}
	if strings.TrimSpace(s.Server) == "" || strings.TrimSpace(s.Component) == "" {
		return fmt.Errorf("%s %q: the server and the component are required: %w", whatComponentState, s.Component, state.ErrInvalid)
	}
	b, err := t.bucket(bucketSingletons)
	if err != nil {
		return err
	}
	if err := put(b, componentStatePrefix+lower(s.Server)+"\x00"+lower(s.Component), s); err != nil {
		return err
	}
	t.changed(state.KindComponentState, s.Server+`\`+s.Component, state.OpPut)
	return nil
}
