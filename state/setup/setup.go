package setup

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"time"

	"exsh/state"
)

// DefaultAdministratorPassword is the lab's documented password for the
// Administrator account when Options.AdministratorPassword is empty. It is
// stored only as a bcrypt hash.
const DefaultAdministratorPassword = "P@ssw0rd"

// Fixed values of the lab server.
const (
	OrganizationName    = "First Organization"
	AdminDisplayVersion = "Version 15.2 (Build 1118.7)" // Exchange Server 2019 CU12
	Edition             = "StandardEvaluation"
	SiteName            = "Default-First-Site-Name"
)

// Options describe the organisation Run creates.
type Options struct {
	ServerName string // NetBIOS name of the server; default "EX01"
	Domain     string // DNS domain; default "contoso.com"
	DataPath   string // the data path, standing in for %ExchangeInstallPath%; default: the store file's directory
	Now        func() time.Time

	// AdministratorPassword is the Administrator account's password;
	// DefaultAdministratorPassword when empty.
	AdministratorPassword string

	// PasswordCost is the bcrypt cost for the password hash;
	// state.PasswordCost when 0.
	PasswordCost int

	// IPAddress and PortOffset are where the server listens in an
	// organisation of several servers (exsh -IPAddress, -PortOffset);
	// empty on a single server.
	IPAddress  string
	PortOffset int
}

func (o *Options) fill() error {
	if o.ServerName == "" {
		o.ServerName = "EX01"
	}
	if o.Domain == "" {
		o.Domain = "contoso.com"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PasswordCost == 0 {
		o.PasswordCost = state.PasswordCost
	}
	if o.AdministratorPassword == "" {
		o.AdministratorPassword = DefaultAdministratorPassword
	}
	if err := CheckServerName(o.ServerName); err != nil {
		return err
	}
	d, err := state.ValidateDomainName(o.Domain)
	if err != nil || strings.HasPrefix(d, "*") {
		return fmt.Errorf("setup: domain %q is not a valid DNS domain: %w", o.Domain, state.ErrInvalid)
	}
	o.Domain = d
	return nil
}

// CheckServerName checks that a server name is a NetBIOS name: 1 to 15
// characters, no dots, spaces or other characters Windows refuses.
func CheckServerName(name string) error {
	if name == "" || strings.ContainsAny(name, `\/.:*?"<>| `) || len(name) > 15 {
		return fmt.Errorf("setup: server name %q is not a valid NetBIOS name (1 to 15 characters, no dots or spaces): %w", name, state.ErrInvalid)
	}
	return nil
}

// NetBIOSDomain derives the NetBIOS domain name from a DNS domain:
// "contoso.com" → "CONTOSO" (first label, upper case, at most 15
// characters).
func NetBIOSDomain(domain string) string {
	first, _, _ := strings.Cut(domain, ".")
	first = strings.ToUpper(first)
	if len(first) > 15 {
		first = first[:15]
	}
	return first
}

// IsSetUp reports whether the store already holds an organisation.
func IsSetUp(st state.Store) (bool, error) {
	done := false
	err := st.View(func(tx state.Tx) error {
		_, err := tx.Org()
		switch {
		case err == nil:
			done = true
		case errors.Is(err, state.ErrNotFound):
		default:
			return err
		}
		return nil
	})
	return done, err
}

// Run sets up a new organisation in st, in one transaction: the server,
// the organisation, the default authoritative accepted domain, a mailbox
// database, the Administrator mailbox, the five default receive
// connectors, the Transport and Front End Transport service settings and a
// self-signed certificate for STARTTLS. It does nothing when the store is
// already set up, so it is safe to call on every start.
func Run(st state.Store, opts Options) error {
	if err := opts.fill(); err != nil {
		return err
	}
	if opts.DataPath == "" {
		opts.DataPath = filepath.Dir(st.Path())
	}
	if done, err := IsSetUp(st); err != nil || done {
		return err
	}
	now := opts.Now()
	cert, err := NewCertificate(opts.ServerName, opts.Domain, now)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	hash, err := state.HashPasswordCost(opts.AdministratorPassword, opts.PasswordCost)
	if err != nil {
		return fmt.Errorf("setup: Administrator password: %w", err)
	}
	dbName, err := databaseName()
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	return st.Update(func(tx state.Tx) error {
		// Another process may have finished setup since the check above.
		if _, err := tx.Org(); err == nil {
			return nil
		} else if !errors.Is(err, state.ErrNotFound) {
			return err
		}
		org := &state.Organization{
			Name:          OrganizationName,
			ServerName:    opts.ServerName,
			DomainName:    opts.Domain,
			NetBIOSDomain: NetBIOSDomain(opts.Domain),
			Created:       now,
		}
		if err := tx.PutOrg(org); err != nil {
			return err
		}
		server := newServer(opts, now)
		if err := tx.PutServer(server); err != nil {
			return err
		}
		if err := tx.PutAcceptedDomain(&state.AcceptedDomain{
			Name:               opts.Domain,
			DomainName:         opts.Domain,
			DomainType:         "Authoritative",
			Default:            true,
			AddressBookEnabled: true,
			WhenCreated:        now,
		}); err != nil {
			return err
		}
		db := newDatabase(opts, dbName, now)
		if err := tx.PutMailboxDatabase(db); err != nil {
			return err
		}
		admin := NewMailboxDefaults("Administrator", "Administrator", org, server, db)
		admin.PasswordHash = hash
		admin.WhenCreated = now
		if err := tx.PutRecipient(admin); err != nil {
			return err
		}
		if err := putServerSettings(tx, server, cert.TlsCertificateName(), opts, now); err != nil {
			return err
		}
		return tx.PutCertificate(cert)
	})
}

// NewMailboxDefaults returns a user mailbox as New-Mailbox creates it in
// the Users container: primary address alias@<organisation domain>, UPN
// name@<domain>, SamAccountName alias. The caller sets PasswordHash.
func NewMailboxDefaults(name, alias string, org *state.Organization, server *state.ExchangeServer, db *state.MailboxDatabase) *state.Recipient {
	if alias == "" {
		alias = strings.ReplaceAll(name, " ", "")
	}
	primary := alias + "@" + org.DomainName
	r := &state.Recipient{
		Name:                 name,
		Alias:                alias,
		DisplayName:          name,
		UserPrincipalName:    alias + "@" + org.DomainName,
		SamAccountName:       samAccountName(alias),
		PrimarySmtpAddress:   primary,
		EmailAddresses:       []string{"SMTP:" + primary},
		RecipientType:        "UserMailbox",
		RecipientTypeDetails: "UserMailbox",
		ProhibitSendQuota:    "Unlimited",
		MaxSendSize:          "Unlimited",
		MaxReceiveSize:       "Unlimited",
		OrganizationalUnit:   org.DomainName + "/Users",
		DistinguishedName:    state.UserDN(name, org.DomainName),
		Identity:             org.DomainName + "/Users/" + name,
	}
	if server != nil {
		r.ServerName = strings.ToLower(server.Name)
	}
	if db != nil {
		r.Database = db.Name
	}
	return r
}

// samAccountName is the pre-Windows 2000 logon name: at most 20
// characters.
func samAccountName(alias string) string {
	if len(alias) > 20 {
		return alias[:20]
	}
	return alias
}

// databaseName returns "Mailbox Database " and ten random digits, as
// Exchange setup names the first database.
func databaseName() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(10_000_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Mailbox Database %010d", n), nil
}

// newServer is the ExchangeServer record setup leaves for a new Mailbox
// server.
func newServer(opts Options, now time.Time) *state.ExchangeServer {
	return &state.ExchangeServer{
		Name:                      opts.ServerName,
		Fqdn:                      opts.ServerName + "." + opts.Domain,
		Domain:                    opts.Domain,
		Site:                      opts.Domain + "/Configuration/Sites/" + SiteName,
		ServerRole:                "Mailbox",
		Edition:                   Edition,
		AdminDisplayVersion:       AdminDisplayVersion,
		IsHubTransportServer:      true,
		IsMailboxServer:           true,
		IsFrontendTransportServer: true,
		OrganizationName:          OrganizationName,
		IPAddress:                 opts.IPAddress,
		PortOffset:                opts.PortOffset,
		WhenCreated:               now,
	}
}

// newDatabase is the mailbox database setup makes on a new server, its
// files under the server's data path.
func newDatabase(opts Options, name string, now time.Time) *state.MailboxDatabase {
	dbDir := filepath.Join(opts.DataPath, "Mailbox", name)
	return &state.MailboxDatabase{
		Name:              name,
		Server:            opts.ServerName,
		ReplicationType:   "None",
		EdbFilePath:       filepath.Join(dbDir, name+".edb"),
		LogFolderPath:     dbDir,
		IsMailboxDatabase: true,
		Mounted:           true,
		WhenCreated:       now,
	}
}

// putServerSettings stores what setup makes for every server: its five
// default receive connectors (with the organisation's certificate for
// STARTTLS) and its own Transport, Front End Transport and Mailbox
// Transport service settings.
func putServerSettings(tx state.Tx, server *state.ExchangeServer, certName string, opts Options, now time.Time) error {
	for _, rc := range DefaultReceiveConnectors(server, certName) {
		rc.WhenCreated = now
		if err := tx.PutReceiveConnector(rc); err != nil {
			return err
		}
	}
	return AddTransportServices(tx, server.Name, opts.DataPath)
}
