// Package mail holds the envelope types that pass between the receive side
// (SMTP sessions on receive connectors) and the Transport service's queues,
// and the [ServerCredential] the two services authenticate to each other
// with.
package mail

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"time"
)

// Submission is a message accepted on a HubTransport receive connector, handed
// to the Transport service to be queued. Data is the whole message as
// received, with the Received: header of this hop already prepended.
type Submission struct {
	ConnectorIdentity string // "EX01\Default EX01"
	SessionID         string // the protocol-log session id, 16 hex digits
	ClientIP          netip.Addr
	ClientHostname    string // the EHLO/HELO name
	ServerIP          netip.Addr
	ServerHostname    string
	Sender            string // envelope MAIL FROM ("" for the null sender <>)
	Recipients        []string
	// AuthUser is the authenticated account's identity ("" when anonymous);
	// for proxied mail it is the account the Front End authenticated.
	AuthUser string
	// OriginalClientIP is the first hop's client when a Front End proxied the message.
	OriginalClientIP netip.Addr
	ReceivedAt       time.Time
	Data             []byte
	// Direction: "Originating" when submitted by an authenticated user, else "Incoming".
	Direction string
	// BodyType is MAIL FROM's BODY= ("7BIT", "8BITMIME", "BINARYMIME"),
	// empty when the client gave none.
	BodyType string
}

// Receipt is what the Transport service returns once a submission is
// durably queued; the receive side then answers
// "250 2.6.0 <MessageID> [InternalId=N, Hostname=EX01.contoso.com] Queued mail for delivery".
type Receipt struct {
	InternalID int64
	MessageID  string // the Message-ID header value, with angle brackets
}

// Submitter queues accepted messages. The Transport service implements it.
type Submitter interface {
	Submit(sub *Submission) (*Receipt, error)
}

// ServerCredential is how this server's transport services authenticate
// to each other. Exchange uses X-EXPS (Kerberos) between the Front End
// Transport and Transport services, which exsh does not implement;
// instead one side logs on to the other with AUTH PLAIN inside TLS as the
// server's computer account (CONTOSO\EX01$) and a random secret made when
// the process starts and never stored. The same credential serves both
// directions: the Front End proxying to the hub (2525, 465) and the hub
// proxying outbound mail through the Front End (Outbound Proxy Frontend,
// 717), so whoever builds the engine makes one with
// [NewServerCredential] and hands it to both services.
//
// In an organisation of several servers the secret is not random but
// derived from the organisation's key ([DeriveServerCredential]), so the
// servers log on to each other's Transport services (Front End to another
// server's hub, hub to hub) across processes; the credential then carries
// the key to check the other servers' logons ([ServerCredential.CheckPeer]).
type ServerCredential struct {
	Account string // CONTOSO\EX01$
	Secret  string
	// Key is the organisation's key the secret was derived from; nil for a
	// per-process secret, which only this server's services know.
	Key []byte
}

// ServerAccount is the computer account of a server: "CONTOSO\EX01$".
func ServerAccount(netbiosDomain, server string) string {
	return netbiosDomain + `\` + server + "$"
}

// ParseServerAccount splits a server's computer account
// ("CONTOSO\EX01$") into its domain and server name; false for any other
// account.
func ParseServerAccount(account string) (domain, server string, ok bool) {
	domain, name, ok := strings.Cut(account, `\`)
	if !ok {
		return "", "", false
	}
	server, ok = strings.CutSuffix(name, "$")
	if !ok || domain == "" || server == "" {
		return "", "", false
	}
	return domain, server, true
}

// NewServerCredential returns a credential for account with a fresh
// random secret.
func NewServerCredential(account string) (ServerCredential, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return ServerCredential{}, err
	}
	return ServerCredential{Account: account, Secret: base64.RawURLEncoding.EncodeToString(b)}, nil
}

// ServerKeyBytes is the size of an organisation's server key.
const ServerKeyBytes = 32

// NewServerKey returns a fresh random organisation key, encoded as it is
// kept in the organisation (state.Organization.ServerAuthKey).
func NewServerKey() (string, error) {
	b := make([]byte, ServerKeyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(b), nil
}

// ParseServerKey decodes an organisation key made by NewServerKey.
func ParseServerKey(s string) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(b) < ServerKeyBytes {
		return nil, errors.New("the organisation's server key is damaged")
	}
	return b, nil
}

// DeriveServerCredential returns the credential of a server's account in
// an organisation: its secret is HMAC-SHA256 of the account name (lower
// case) under the organisation's key. Every server holding the key can
// check it; nobody without the key can compute it.
func DeriveServerCredential(key []byte, account string) ServerCredential {
	return ServerCredential{Account: account, Secret: deriveSecret(key, account), Key: key}
}

func deriveSecret(key []byte, account string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("exsh server credential\x00"))
	m.Write([]byte(strings.ToLower(account)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckPeer reports whether password is the derived secret of user, an
// account of another server of the organisation (the caller checks that
// the account names one of its servers). It is false for a credential
// without a Key.
func (c ServerCredential) CheckPeer(user, password string) bool {
	if len(c.Key) == 0 || user == "" {
		return false
	}
	want := deriveSecret(c.Key, user)
	return subtle.ConstantTimeCompare([]byte(password), []byte(want)) == 1
}

// CheckServer checks a logon as a server of the organisation: this
// credential's own account and secret, or, when the credential carries
// the organisation's key, another server's computer account with its
// derived secret, which isServer must confirm names a server of the
// organisation. It returns the account logged on.
func (c ServerCredential) CheckServer(user, password string, isServer func(account string) bool) (string, bool) {
	if c.Check(user, password) {
		return c.Account, true
	}
	if c.CheckPeer(user, password) && isServer(user) {
		return user, true
	}
	return "", false
}

// Valid reports whether the credential can be used (both parts set).
func (c ServerCredential) Valid() bool { return c.Account != "" && c.Secret != "" }

// Check compares a user name and password with the credential in
// constant time; the account name is case-insensitive.
func (c ServerCredential) Check(user, password string) bool {
	if !c.Valid() {
		return false
	}
	u := subtle.ConstantTimeCompare([]byte(strings.ToLower(user)), []byte(strings.ToLower(c.Account)))
	p := subtle.ConstantTimeCompare([]byte(password), []byte(c.Secret))
	return u&p == 1
}
