package state

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Implementations wrap them with %w and name the object
// in %q ("receive connector %q: %w"), so callers match with errors.Is.
var (
	// ErrNotFound is returned when a lookup names an object that does not
	// exist, or a Delete names one that is already gone.
	ErrNotFound = errors.New("object not found")

	// ErrExists is returned by a Put that would break a uniqueness rule:
	// two receive connectors with one name on a server, two send connectors
	// or accepted domains with one name, two recipients sharing a proxy
	// address, a user principal name, a SamAccountName, a name or an alias.
	ErrExists = errors.New("object already exists")

	// ErrAlreadyExists is another name for ErrExists.
	ErrAlreadyExists = ErrExists

	// ErrInvalid is returned by a Put whose record lacks what the store
	// needs to keep it (a name, a valid Guid).
	ErrInvalid = errors.New("invalid object")

	// ErrLocked is returned by Open when another process holds the store
	// file and did not let go within the lock timeout.
	ErrLocked = errors.New("store is in use by another exsh process")

	// ErrCorrupt is returned by Open when the file is not an exsh store
	// (not a bbolt file, a bbolt file of some other program, a damaged
	// page, an empty file beside other lab data), by a read that finds a
	// record it cannot decode, and by any transaction that meets a damaged
	// page.
	ErrCorrupt = errors.New("store is corrupt or not an exsh store")

	// ErrReadOnly is returned when the store file or its directory cannot
	// be written, or by Update on a store opened read-only.
	ErrReadOnly = errors.New("store is read-only")

	// ErrSchemaVersion is returned by Open when the file was written by a
	// newer exsh with a schema this build does not know.
	ErrSchemaVersion = errors.New("store schema is newer than this exsh")

	// ErrConflict is returned by an Update of an organisation shared by
	// several servers when other changes kept changing what it read, so
	// it could not be applied without losing one of them. Nothing of it
	// is kept; running it again is safe.
	ErrConflict = errors.New("the objects were changed by another administrator at the same time")

	// ErrUnavailable is returned by an Update of an organisation shared by
	// several servers when a majority of them cannot be reached in time.
	// Reads go on working.
	ErrUnavailable = errors.New("the organisation's majority of servers cannot be reached")

	// ErrClosed is returned by every operation on a closed store.
	ErrClosed = errors.New("store is closed")

	// ErrStoreClosed is another name for ErrClosed.
	ErrStoreClosed = ErrClosed
)

// Store is the organisation's configuration store: one file per data path,
// one transaction per cmdlet. Every method is safe for concurrent use.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent
	// snapshot of the organisation. Records returned by tx are copies the
	// caller owns and may keep after fn returns.
	View(fn func(tx Tx) error) error

	// Update runs fn in a read-write transaction. If fn returns an error
	// (or panics) nothing it did is kept; otherwise all of it is committed
	// at once, and after the commit one Change per object changed is sent
	// to every subscriber. A store shared by several servers (state/etcd)
	// runs fn again when another server's change overtook it, so fn must
	// start afresh each time and keep nothing from an earlier run.
	Update(fn func(tx Tx) error) error

	// Subscribe returns a channel that receives the changes of every later
	// committed Update, in commit order, and a cancel function that closes
	// it. A slow subscriber never blocks writers and never misses a change:
	// changes queue up for it until it reads them.
	Subscribe() (changes <-chan Change, cancel func())

	// Generation changes whenever a change to the organisation commits,
	// before the call that made it returns (and, for a change made
	// elsewhere, before it is sent to subscribers). A reader can keep
	// what it derived from the organisation for as long as Generation is
	// what it was before the reading began.
	Generation() uint64

	// Path is the store's file name.
	Path() string

	// Close releases the store. Subscriptions are closed. Close is
	// idempotent.
	Close() error
}

// Tx is a transaction on a Store. A Tx is valid only inside the function it
// was passed to and must not be used from other goroutines.
//
// Lookups return ErrNotFound (wrapped) when nothing matches. Put methods
// insert or replace by Guid: a record with an empty Guid gets a new one
// (written back into the record), WhenCreated is set if zero and
// WhenChanged is set to the store's clock. Puts enforce the uniqueness rules
// (ErrExists) and keep the secondary indexes in step. In a read-only
// transaction every Put or Delete returns ErrReadOnly.
type Tx interface {
	Org() (*Organization, error)
	PutOrg(*Organization) error

	Servers() ([]*ExchangeServer, error)
	// Server finds a server by Name, Fqdn or Guid, case-insensitively.
	Server(name string) (*ExchangeServer, error)
	PutServer(*ExchangeServer) error

	// ReceiveConnectors lists every receive connector of every server,
	// ordered by server, then name.
	ReceiveConnectors() ([]*ReceiveConnector, error)
	ReceiveConnector(guid string) (*ReceiveConnector, error)
	// ReceiveConnectorByName finds a connector by its name on a server
	// (case-insensitive; index lookup).
	ReceiveConnectorByName(server, name string) (*ReceiveConnector, error)
	PutReceiveConnector(*ReceiveConnector) error
	// DeleteReceiveConnector removes the connector and its explicit
	// ADPermission entries.
	DeleteReceiveConnector(guid string) error

	// SendConnectors lists the send connectors ordered by name.
	SendConnectors() ([]*SendConnector, error)
	SendConnector(guid string) (*SendConnector, error)
	SendConnectorByName(name string) (*SendConnector, error)
	PutSendConnector(*SendConnector) error
	DeleteSendConnector(guid string) error

	// AcceptedDomains lists the accepted domains ordered by name.
	AcceptedDomains() ([]*AcceptedDomain, error)
	AcceptedDomain(guid string) (*AcceptedDomain, error)
	// AcceptedDomainByName finds a domain by Name or by DomainName.
	AcceptedDomainByName(name string) (*AcceptedDomain, error)
	PutAcceptedDomain(*AcceptedDomain) error
	DeleteAcceptedDomain(guid string) error

	// Recipients lists every recipient ordered by name.
	Recipients() ([]*Recipient, error)
	Recipient(guid string) (*Recipient, error)
	// RecipientByAddress finds the recipient owning an SMTP proxy address
	// (any of EmailAddresses, primary or not; "smtp:" prefix optional;
	// case-insensitive). Index lookup.
	RecipientByAddress(addr string) (*Recipient, error)
	// RecipientByLogin finds the account for an AUTH user name: the user
	// principal name, DOMAIN\SamAccountName (the NetBIOS or DNS domain),
	// the SamAccountName or the alias. Index lookup.
	RecipientByLogin(login string) (*Recipient, error)
	// RecipientByName finds a recipient by Name, then by Alias. Index
	// lookup.
	RecipientByName(name string) (*Recipient, error)
	PutRecipient(*Recipient) error
	DeleteRecipient(guid string) error

	// ADPermissions lists the explicit entries on one receive connector in
	// the order they were added.
	ADPermissions(connectorGuid string) ([]*ADPermission, error)
	ADPermission(guid string) (*ADPermission, error)
	// PutADPermission stores an entry; ConnectorGuid must name an existing
	// receive connector.
	PutADPermission(*ADPermission) error
	DeleteADPermission(guid string) error

	// TransportService returns a server's (its name) "Hub", "FrontEnd"
	// or "Mailbox" service settings.
	TransportService(server, kind string) (*TransportService, error)
	// TransportServices lists a server's service settings ("" for every
	// server's), ordered by server and kind.
	TransportServices(server string) ([]*TransportService, error)
	// PutTransportService stores a service's settings under its Server
	// and Kind; an empty Server takes the Name (a service is named after
	// its server).
	PutTransportService(*TransportService) error

	MailboxDatabases() ([]*MailboxDatabase, error)
	// MailboxDatabase finds a database by Name or Guid.
	MailboxDatabase(name string) (*MailboxDatabase, error)
	PutMailboxDatabase(*MailboxDatabase) error

	Certificate() (*Certificate, error)
	PutCertificate(*Certificate) error

	// TransportConfig returns the organisation's transport settings;
	// until Set-TransportConfig stores them they are Exchange's defaults.
	TransportConfig() (*TransportConfig, error)
	PutTransportConfig(*TransportConfig) error

	// ServerComponentStates lists the components of a server that some
	// requester has set, ordered by component name; components not listed
	// are Active.
	ServerComponentStates(server string) ([]*ServerComponentState, error)
	PutServerComponentState(*ServerComponentState) error

	// Bucket gives raw key/value access to a named bucket for data the
	// organisation model does not cover. Names beginning with "queue" and
	// "mailbox" belong to the transport engine. With create false a
	// missing bucket gives ErrNotFound; in a read-only transaction create
	// is ignored.
	Bucket(name string, create bool) (Bucket, error)
}

// Bucket is raw key/value access inside a transaction. Slices returned by
// Get and passed to ForEach are valid only during the transaction; copy
// them to keep them.
type Bucket interface {
	Get(key []byte) []byte
	Put(key, value []byte) error
	Delete(key []byte) error
	// ForEach visits the keys in byte order; returning an error stops it.
	ForEach(fn func(key, value []byte) error) error
	// NextSequence returns the bucket's next integer, starting at 1.
	NextSequence() (uint64, error)
}

// Change kinds, one per record type.
const (
	KindOrganization     = "Organization"
	KindExchangeServer   = "ExchangeServer"
	KindReceiveConnector = "ReceiveConnector"
	KindSendConnector    = "SendConnector"
	KindAcceptedDomain   = "AcceptedDomain"
	KindRecipient        = "Recipient"
	KindADPermission     = "ADPermission"
	KindTransportService = "TransportService"
	KindMailboxDatabase  = "MailboxDatabase"
	KindCertificate      = "Certificate"
	KindTransportConfig  = "TransportConfig"
	KindComponentState   = "ServerComponentState"
)

// Change operations.
const (
	OpPut    = "put"
	OpDelete = "delete"
)

// Change tells a subscriber that one object was written or removed by a
// committed Update. For TransportService Guid is the server and the
// service kind (`EX01\Hub`, TransportServiceChange), empty when every
// server's may have changed; for Organization and Certificate it is
// empty.
type Change struct {
	Kind string // KindReceiveConnector, ...
	Guid string
	Op   string // OpPut or OpDelete
}

// TransportServiceChange is the Change.Guid naming a server's service of
// a kind: `EX01\Hub`.
func TransportServiceChange(server, kind string) string { return server + `\` + kind }

// TransportServiceOf splits a TransportService Change.Guid into the
// server and the kind.
func TransportServiceOf(guid string) (server, kind string) {
	server, kind, _ = strings.Cut(guid, `\`)
	return server, kind
}

func (c Change) String() string { return c.Op + " " + c.Kind + " " + c.Guid }

// NewGuid returns a random (version 4) GUID in Exchange's lower-case
// 8-4-4-4-12 form.
func NewGuid() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// IsGuid reports whether s has the 8-4-4-4-12 hexadecimal GUID form
// (braces allowed, any case).
func IsGuid(s string) bool {
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
