// Package enginetest runs the transport engine for tests: a set-up
// organisation in a temporary data path, the engine listening on free
// loopback ports, a recording Submitter, and a dialog runner that sends
// SMTP lines and checks the replies exactly or by regular expression.
package enginetest
