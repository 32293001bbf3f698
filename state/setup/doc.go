// Package setup creates a new exsh organisation on first use of a data
// path, as Exchange Server 2019 setup leaves a Mailbox server: server EX01
// in contoso.com, the default accepted domain, a mailbox database, the
// Administrator mailbox, the five default receive connectors, the
// Transport and Front End Transport service settings and a self-signed
// certificate. It also exports the defaults New-ReceiveConnector and
// New-SendConnector start from.
package setup
