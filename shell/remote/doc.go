// Package remote is the management protocol between exsh processes on one
// data path: the process that owns the data path (exsh -Serve, or an
// interactive shell that started the engine) listens on a Unix socket, and
// every other exsh attaches to it, as the Exchange Management Shell connects
// to a server, instead of opening the store a second time.
//
// The protocol is a stream of frames, each a 4-byte big-endian length
// followed by one JSON-encoded [Message]. The client opens with a hello
// carrying [Version]; the server answers with a welcome or an error and
// then serves requests one at a time: run a script (streaming its output
// and error text back as produced, asking the client's user when the
// script wants a -Confirm answer, then its exit status), cancel the
// running script, list the command table, complete a parameter value, list
// variables. One connection is one shell session, so variables survive
// from one script to the next.
//
// The package knows nothing about the shell or the store: the server calls
// the [Session] it is given, and the client returns plain data.
package remote
