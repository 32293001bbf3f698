package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// welcome is the Exchange Management Shell's greeting, as its banner
// prints it. EMS also offers "Show quick reference guide: QuickRef", a
// document exsh does not have.
const welcome = `
         Welcome to the Exchange Management Shell!

Full list of cmdlets: Get-Command
Only Exchange cmdlets: Get-ExCommand
Cmdlets that match a specific string: Help *<string>*
Get general help: Help
Get help for a cmdlet: Help <cmdlet name> or <cmdlet name> -?
Exchange team blog: Get-ExBlog
Show full output for a command: <command> | Format-List
`

// A tip of the day: what it is about, and the commands to type. Every
// tip's commands run in exsh as written (TestTipsRun runs them).
type tip struct {
	text     string
	commands []string
}

var tips = []tip{
	{"Which device or application sends mail through this server? The protocol log of the Default Frontend connector records every SMTP session with the client's IP address and what it sent. Find the sessions of one sender:",
		[]string{`Get-ChildItem "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive" | Select-String 'printer@fabrikam.com'`}},
	{"A device fails with \"550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain\"? Anonymous senders may only send to accepted domains. Give the device a connector of its own that lets it relay:",
		[]string{
			`New-ReceiveConnector -Name 'Relay EX01' -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 192.168.1.50 -PermissionGroups AnonymousUsers`,
			`Get-ReceiveConnector 'Relay EX01' | Add-ADPermission -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights 'Ms-Exch-SMTP-Accept-Any-Recipient'`,
		}},
	{"An application fails with \"550 5.7.60 SMTP; Client does not have permissions to send as this sender\"? The account it authenticates with on port 587 needs a mailbox, and must send from that mailbox's address. Give it one:",
		[]string{`New-Mailbox -Name scanner -UserPrincipalName scanner@contoso.com -Password (ConvertTo-SecureString 'Pa$$w0rd1' -AsPlainText -Force)`}},
	{"Want to see what was delivered to a mailbox? Get-MailboxMessage reads the mailbox store that Mailbox Transport Delivery writes:",
		[]string{`Get-MailboxMessage -Identity Administrator | Select-Object -First 5`}},
	{"Send a test message into the transport pipeline through the Default Frontend connector, as a device would:",
		[]string{`Send-MailMessage -SmtpServer EX01 -Port 25 -From printer@fabrikam.com -To administrator@contoso.com -Subject 'Test from the lab'`}},
	{"Which receive connector listens where, and who may use it? Type:",
		[]string{`Get-ReceiveConnector | Format-Table Name, Bindings, PermissionGroups -AutoSize`}},
	{"Where did a message go? Message tracking records each step it took through the transport services:",
		[]string{`Get-MessageTrackingLog -MessageSubject 'Test' | Format-Table Timestamp, EventId, Source, Recipients -AutoSize`}},
	{"Looking for messages that failed in the last hour? Type:",
		[]string{`Get-MessageTrackingLog -EventId FAIL -Start (Get-Date).AddHours(-1)`}},
	{"Want to see only the queues that hold messages? Type:",
		[]string{`Get-Queue | Where-Object MessageCount -gt 0`}},
	{"Mail to other domains waits in the Unreachable queue until a send connector routes it. Why a message is stuck shows in its LastError:",
		[]string{`Get-Message -Queue EX01\Unreachable | Format-List FromAddress, Recipients, LastError`}},
	{"After adding a send connector, send the messages in the Unreachable queue through routing again:",
		[]string{
			`New-SendConnector -Name 'To the smart host' -AddressSpaces '*' -DNSRoutingEnabled $false -SmartHosts 127.0.0.1 -SourceTransportServers EX01`,
			`Retry-Queue -Identity EX01\Unreachable -Resubmit $true`,
		}},
	{"Protocol logging is on for the Default Frontend and Outbound Proxy Frontend connectors only. To see the SMTP conversations of authenticated clients on port 587 too, type:",
		[]string{`Set-ReceiveConnector 'Client Frontend EX01' -ProtocolLoggingLevel Verbose`}},
	{"Where are the logs? The Transport service's and the Front End Transport service's paths are properties of each:",
		[]string{`Get-TransportService | Format-List *LogPath`, `Get-FrontendTransportService | Format-List *LogPath`}},
	{"Mail for a domain is refused? The server accepts mail only for its accepted domains. List them, or add one:",
		[]string{`Get-AcceptedDomain`, `New-AcceptedDomain -Name fabrikam.com -DomainName fabrikam.com -DomainType Authoritative`}},
	{"Who may relay through a connector? Look for the Ms-Exch-SMTP-Accept-Any-Recipient right:",
		[]string{`Get-ADPermission 'Default Frontend EX01' | Where-Object { $_.ExtendedRights -like '*Accept-Any-Recipient*' }`}},
	{"Which certificate does SMTP use for STARTTLS, and when does it expire? Type:",
		[]string{`Get-ExchangeCertificate | Format-List FriendlyName, Services, NotAfter, Thumbprint`}},
	{"Want to see every property of an object, not just the default columns? Pipe it to Format-List *:",
		[]string{`Get-ReceiveConnector 'Default Frontend EX01' | Format-List *`}},
	{"Every cmdlet has help with examples. Type:",
		[]string{`Get-Help New-ReceiveConnector -Examples`}},
	{"Looking for the cmdlets that work on queues? Get-ExCommand takes a wildcard:",
		[]string{`Get-ExCommand *Queue*`}},
	{"Want to change the SMTP banner a connector greets with? Type:",
		[]string{`Set-ReceiveConnector 'Default Frontend EX01' -Banner '220 mail.contoso.com ESMTP'`}},
	{"How big may a message be? Each connector has its own limit:",
		[]string{`Get-ReceiveConnector | Format-Table Name, MaxMessageSize, MaxRecipientsPerMessage -AutoSize`}},
	{"Export the connectors to a CSV file to compare them with another server:",
		[]string{`Get-ReceiveConnector | Select-Object Name, Enabled, MaxMessageSize | Export-Csv connectors.csv -NoTypeInformation`}},
	{"Need to hold the mail in a queue while you fix something? Suspend it, and resume it later:",
		[]string{`Suspend-Queue -Identity EX01\Submission -Confirm:$false`, `Resume-Queue -Identity EX01\Submission`}},
	{"Which accounts can authenticate but have no mailbox (and would get 5.7.60 on port 587)? Type:",
		[]string{`Get-User | Where-Object RecipientTypeDetails -eq User`}},
	{"Which server is this, and which Exchange build does it report? Type:",
		[]string{`Get-ExchangeServer | Format-List Name, Fqdn, ServerRole, AdminDisplayVersion`}},
}

// tipText is tip n (1-based) as the banner prints it.
func tipText(n int) string {
	t := tips[n-1]
	return fmt.Sprintf("Tip of the day #%d:\n\n%s\n\n%s\n", n, t.text, strings.Join(t.commands, "\n"))
}

// greet prints the Exchange Management Shell's welcome and a tip.
func greet(w io.Writer) {
	fmt.Fprint(w, welcome+"\n"+tipText(1+rand.IntN(len(tips)))+"\n")
}
