package boltdb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
)

// SchemaVersion is the schema this build writes. Open migrates older files
// up to it, one step at a time, each step in the same transaction as the
// version bump.
const SchemaVersion = 2

// formatMagic marks a bbolt file as an exsh store.
const formatMagic = "exsh organisation store"

// Bucket names. The organisation's buckets start with "org."; the transport
// engine's start with "queue" and "mailbox". Index buckets map a lower-case
// key to a record's Guid.
var (
	bucketMeta = []byte("meta")

	bucketSingletons        = []byte("org.singletons") // organization, certificate
	bucketServers           = []byte("org.servers")
	bucketReceiveConnectors = []byte("org.receiveconnectors")
	bucketSendConnectors    = []byte("org.sendconnectors")
	bucketAcceptedDomains   = []byte("org.accepteddomains")
	bucketRecipients        = []byte("org.recipients")
	bucketADPermissions     = []byte("org.adpermissions")     // key: connector guid + "/" + 8-byte sequence
	bucketTransportServices = []byte("org.transportservices") // "<server>\x00<kind>" (schema 2; "<kind>" before)
	bucketDatabases         = []byte("org.databases")

	idxServerName            = []byte("org.idx.server.name")            // "n:<name>", "f:<fqdn>"
	idxReceiveConnectorName  = []byte("org.idx.receiveconnector.name")  // "<server>\x00<name>"
	idxReceiveConnectorOrder = []byte("org.idx.receiveconnector.order") // "<server>\x00" + 8-byte sequence -> guid (creation order)
	idxReceiveConnectorSeq   = []byte("org.idx.receiveconnector.seq")   // guid -> its order key
	idxSendConnectorName     = []byte("org.idx.sendconnector.name")     // "<name>"
	idxAcceptedDomainName    = []byte("org.idx.accepteddomain.name")    // "<name>"
	idxAcceptedDomainDomain  = []byte("org.idx.accepteddomain.domain")  // "<domainname>"
	idxRecipientAddress      = []byte("org.idx.recipient.address")      // "<smtp address>"
	idxRecipientLogin        = []byte("org.idx.recipient.login")        // "upn:<upn>", "sam:<sam>"
	idxRecipientName         = []byte("org.idx.recipient.name")         // "n:<name>", "a:<alias>"
	idxADPermissionGuid      = []byte("org.idx.adpermission.guid")      // guid -> bucketADPermissions key
	keyOrganization          = []byte("organization")
	keyCertificate           = []byte("certificate")
	keyMetaFormat            = []byte("format")
	keyMetaSchema            = []byte("schema")
	allOrgBuckets            = [][]byte{bucketSingletons, bucketServers, bucketReceiveConnectors, bucketSendConnectors, bucketAcceptedDomains, bucketRecipients, bucketADPermissions, bucketTransportServices, bucketDatabases, idxServerName, idxReceiveConnectorName, idxReceiveConnectorOrder, idxReceiveConnectorSeq, idxSendConnectorName, idxAcceptedDomainName, idxAcceptedDomainDomain, idxRecipientAddress, idxRecipientLogin, idxRecipientName, idxADPermissionGuid}
	errNotExshStore          = fmt.Errorf("the file is a bbolt database of another program (no %q bucket): %w", bucketMeta, state.ErrCorrupt)
	errForeignMeta           = fmt.Errorf("the file's %q bucket does not mark it as an exsh store: %w", bucketMeta, state.ErrCorrupt)
	reservedBucketPrefixOrg  = "org."
	reservedBucketNameMeta   = "meta"
	adPermissionKeySeparator = byte('/')
)

// migration brings the schema from version to version+1.
type migration func(tx *bolt.Tx) error

// migrations[i] migrates version i to i+1; version 0 is an empty file.
var migrations = []migration{
	0: func(tx *bolt.Tx) error {
		for _, name := range allOrgBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	},
	1: migrateTransportServicesPerServer,
}

// migrateTransportServicesPerServer keys the transport service records by
// server and kind: schema 1 kept one record per kind, the organisation's
// server's, keyed by the kind alone.
func migrateTransportServicesPerServer(tx *bolt.Tx) error {
	services, singletons := tx.Bucket(bucketTransportServices), tx.Bucket(bucketSingletons)
	if services == nil || singletons == nil {
		return nil
	}
	_, err := moveTransportServices(services, singletons)
	return err
}

// kvBucket is a bbolt bucket, or an organisation bucket as a Tx sees it.
type kvBucket interface {
	Get(key []byte) []byte
	Put(key, value []byte) error
	Delete(key []byte) error
	ForEach(fn func(k, v []byte) error) error
}

// moveTransportServices moves the transport service records keyed by the
// kind alone (schema 1) to the organisation's server's keys and returns
// how many it moved.
func moveTransportServices(services, singletons kvBucket) (int, error) {
	type moved struct{ from, to, raw []byte }
	var moves []moved
	server := ""
	err := services.ForEach(func(k, v []byte) error {
		if bytes.IndexByte(k, 0) >= 0 {
			return nil // already keyed by server
		}
		if server == "" {
			if raw := singletons.Get(keyOrganization); raw != nil {
				var org state.Organization
				if err := json.Unmarshal(raw, &org); err != nil {
					return fmt.Errorf("the organization record cannot be decoded: %v: %w", err, state.ErrCorrupt)
				}
				server = org.ServerName
			}
		}
		var ts state.TransportService
		if err := json.Unmarshal(v, &ts); err != nil {
			return fmt.Errorf("transport service %q cannot be decoded: %v: %w", k, err, state.ErrCorrupt)
		}
		ts.Server = server
		if ts.Server == "" {
			ts.Server = strings.TrimSpace(ts.Name)
		}
		if ts.Server == "" {
			return fmt.Errorf("transport service %q names no server: %w", k, state.ErrCorrupt)
		}
		if ts.Kind == "" {
			ts.Kind = canonicalKind(string(k))
		}
		raw, err := json.Marshal(&ts)
		if err != nil {
			return err
		}
		moves = append(moves, moved{from: bytes.Clone(k), to: []byte(transportServiceKey(ts.Server, ts.Kind)), raw: raw})
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, m := range moves {
		if err := services.Delete(m.from); err != nil {
			return 0, err
		}
		if err := services.Put(m.to, m.raw); err != nil {
			return 0, err
		}
	}
	return len(moves), nil
}

// LegacyTransportServices reports whether the organisation read in tx
// (a transaction of this package) holds transport service records keyed
// by the kind alone, as servers before schema 2 wrote them: an
// organisation replicated from a shared store that such a server wrote.
func LegacyTransportServices(stx state.Tx) bool {
	t, ok := stx.(*tx)
	if !ok {
		return false
	}
	b := t.btx.Bucket(bucketTransportServices)
	if b == nil {
		return false
	}
	legacy := false
	_ = b.ForEach(func(k, _ []byte) error {
		if bytes.IndexByte(k, 0) < 0 {
			legacy = true
		}
		return nil
	})
	return legacy
}

// MigrateTransportServices moves the records LegacyTransportServices
// finds to the organisation's server's keys, in tx (a writable
// transaction of this package, or a rehearsal for a shared store).
func MigrateTransportServices(stx state.Tx) error {
	t, ok := stx.(*tx)
	if !ok {
		return fmt.Errorf("transport services: not a transaction of the bbolt store: %w", state.ErrInvalid)
	}
	if err := t.writable(whatTransportService, "*"); err != nil {
		return err
	}
	services, err := t.bucket(bucketTransportServices)
	if err != nil {
		return err
	}
	singletons, err := t.bucket(bucketSingletons)
	if err != nil {
		return err
	}
	n, err := moveTransportServices(services, singletons)
	if err == nil && n > 0 {
		t.changed(state.KindTransportService, "", state.OpPut)
	}
	return err
}

// init checks the file is an exsh store and migrates it to SchemaVersion.
func (s *Store) init() error {
	if s.opts.ReadOnly {
		return s.view(func(tx *bolt.Tx) error {
			v, err := readSchema(tx)
			if err != nil {
				return fmt.Errorf("store %q: %w", s.path, err)
			}
			if v != SchemaVersion {
				if v > SchemaVersion {
					return fmt.Errorf("store %q has schema version %d, this exsh knows %d: %w", s.path, v, SchemaVersion, state.ErrSchemaVersion)
				}
				return fmt.Errorf("store %q has schema version %d and needs a migration to %d, which a read-only open cannot do: %w", s.path, v, SchemaVersion, state.ErrReadOnly)
			}
			return nil
		})
	}
	return s.update(func(tx *bolt.Tx) error {
		v, err := readSchema(tx)
		if err != nil {
			return fmt.Errorf("store %q: %w", s.path, err)
		}
		if v > SchemaVersion {
			return fmt.Errorf("store %q has schema version %d, this exsh knows %d: %w", s.path, v, SchemaVersion, state.ErrSchemaVersion)
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put(keyMetaFormat, []byte(formatMagic)); err != nil {
			return err
		}
		for ; v < SchemaVersion; v++ {
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("store %q: migrating schema %d to %d: %w", s.path, v, v+1, err)
			}
			if err := meta.Put(keyMetaSchema, u64(uint64(v+1))); err != nil {
				return err
			}
		}
		return nil
	})
}

// readSchema returns the stored schema version: 0 for a file with no
// buckets at all (new), an error for a file that is not an exsh store.
func readSchema(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			empty = false
			return nil
		})
		if !empty {
			return 0, errNotExshStore
		}
		return 0, nil
	}
	if !bytes.Equal(meta.Get(keyMetaFormat), []byte(formatMagic)) {
		return 0, errForeignMeta
	}
	raw := meta.Get(keyMetaSchema)
	if len(raw) != 8 {
		return 0, fmt.Errorf("the schema version is unreadable: %w", state.ErrCorrupt)
	}
	v := binary.BigEndian.Uint64(raw)
	if v > 1<<20 {
		return 0, fmt.Errorf("the schema version %d is not plausible: %w", v, state.ErrCorrupt)
	}
	return int(v), nil
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// isReservedBucket reports whether a raw bucket name belongs to the
// organisation schema.
func isReservedBucket(name string) bool {
	return name == reservedBucketNameMeta || strings.HasPrefix(name, reservedBucketPrefixOrg)
}
