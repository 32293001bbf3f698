// Package replies holds Exchange 2019's SMTP reply texts in one table, so
// every reply a client can see is defined once and tested as a table.
//
// Sources are exchange-receive.md §7.3 and, where a comment names an
// SmtpResponse field, the reply table of Exchange 2013's transport code;
// entries marked [inf] in a comment are Exchange-style texts not confirmed
// against a real server.
package replies
