// Package eac is the Exchange admin center in a browser: another face over
// the same cmdlet table as the shell, as the real EAC runs Exchange
// cmdlets. Every page reads through the Get- cmdlets and every change runs
// the Set-, New- and Remove- cmdlets in a shell session, so the EAC shows
// the shell's validation and error texts, and lists each change under
// "Show command logging" as the EMS command line it ran.
//
// The server speaks HTTPS only, with the organisation's certificate. Every
// page, form and the live stream of the mail flow map need a signed-in
// session (forms-based sign-in against the organisation's accounts);
// sessions live in HttpOnly, Secure, SameSite=Strict cookies and every
// change carries an anti-forgery token. Only the style sheet, the script
// and the icons, which reveal nothing about the organisation, are served
// without a session (the sign-in page needs them).
package eac
