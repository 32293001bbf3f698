// Package labs is exsh's training labs: mail-flow situations a student
// solves with the cmdlets an admin already knows, and that exsh checks by
// behaviour.
//
// # Design
//
// A lab runs on its own organisation. The user's data path keeps its
// store, queues, mailboxes and logs untouched; the lab's live in
// <DataPath>/Labs/Current, a data path of its own. Starting a lab asks
// the binary (an [Environment]) to stop the transport engine, close the
// user's store, open the lab's (set up fresh, then built by the lab's
// setup script) and start the engine there with the lab's DNS; Stop-Lab
// does the reverse and deletes the lab's folder. Because the user's store
// file is never opened while a lab runs, it comes back byte for byte:
// same records, identities and timestamps. Reset-Lab is a fresh start of
// the same lab. <DataPath>/Labs/state.json records the lab in progress
// (written before the store moves), hints shown, task results and every
// lab's status, so a lab in progress survives a restart: the binary asks
// [Runner.Resume] which data path to open. Attached shells run their
// commands in the serving process, so they see the same lab.
//
// # Network
//
// Each lab host has its own loopback address (127.0.0.x, never
// 127.0.0.1, which is the server). Senders speak real SMTP (the engine's
// own client, engine/smtpclient) from their address to the
// organisation's connectors at Exchange's ports, mapped through the port
// offset, once when the lab starts and then on their
// bounded schedule (at most once every 30 seconds) or on demand
// (Invoke-LabHost). Receivers are real SMTP servers (go-smtp) on port 25
// (+ offset) of their address that record what they get (Get-LabMail).
// The lab [DNS] answers MX and A lookups for the receivers' domains with
// their loopback addresses and nothing else, and tells the engine which
// port a receiver listens on ([DNS.HostPort]), so a DNS-routed send
// connector delivers inside a lab; outside a lab the engine has no
// resolver at all. Every lab also has the built-in host Stranger
// (127.0.0.99), a machine nobody registered, from which the guards probe.
//
// # Lab folders
//
// A lab is a folder: lab.psd1 (one hashtable in the shell's own syntax:
// Name, Title, Level, Teaches, Story, Hosts, Tasks with Hints and Check
// script blocks, Guards), setup.ps1 (run on the fresh organisation) and
// solution.ps1. A check passes when its script block neither throws nor
// returns $false; the text it throws is the task's Message. The built-in
// catalogue is written in the same format and embedded.
package labs
