// Package replies holds Exchange 2019's SMTP reply texts in one table, so
// every reply a client can see is defined once and tested as a table.
//
// Sources are exchange-receive.md §7.3; entries marked [inf] in a comment
// are Exchange-style texts not confirmed on a real server.
package replies
