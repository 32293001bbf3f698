@{
    Name    = 'internal-relay-domain'
    Title   = 'Half the company is still on the old mail server'
    Level   = 'Advanced'
    Teaches = 'A shared address space: an InternalRelay accepted domain and a send connector to the other system'
    Story   = @'
Contoso is moving from its old Linux mail server (legacy.contoso.com,
127.0.0.45) to Exchange one department at a time. Both systems use
@contoso.com. Ana already has her mailbox on Exchange; Bob in Finance is still
on the old server.

Whenever Ana writes to bob@contoso.com, she gets a bounce: Exchange says the
recipient does not exist. Make mail from Exchange users reach the colleagues
who are still on the old server, while mail for Exchange mailboxes keeps being
delivered on Exchange.
'@
    Hosts   = @(
        @{ Name = 'AnaPC'; Address = '127.0.0.20'; Role = 'Workstation'; Port = 587; Helo = 'ANA-LAPTOP'
           User = 'ana'; Password = 'Pa$$w0rd-Ana'
           From = 'ana@contoso.com'; To = 'bob@contoso.com'; Subject = 'Budget 2027' }
        @{ Name = 'Legacy'; Address = '127.0.0.45'; Role = 'Legacy mail server'; Domains = @('contoso.com') }
        @{ Name = 'Internet'; Address = '127.0.0.80'; Role = 'Internet'; Domains = @('*') }
    )
    Tasks   = @(
        @{
            Title = 'Mail to colleagues on the old server arrives there'
            Hints = @(
                'Get-MessageTrackingLog -MessageSubject Budget shows the FAIL: 5.1.1 RESOLVER.ADR.ExRecipNotFound. Exchange believes it holds every contoso.com address.'
                'Get-AcceptedDomain shows contoso.com as Authoritative. A domain shared with another system is InternalRelay: unknown recipients are sent on instead of returned.'
                'Set-AcceptedDomain contoso.com -DomainType InternalRelay, then New-SendConnector -Name "Legacy" -AddressSpaces contoso.com -SmartHosts legacy.contoso.com -DNSRoutingEnabled $false'
            )
            Check = {
                $s = "Budget check $(Get-Random)"
                $r = Invoke-LabHost AnaPC -Subject $s
                if (-not $r.Accepted) { throw "Ana cannot send: $($r.Code) $($r.Reply)" }
                if (-not (Get-LabMail -Host Legacy -Subject $s -Wait)) {
                    if (Get-MessageTrackingLog -EventId FAIL -MessageSubject $s) { throw 'Bob''s mail bounced again: look at the FAIL event in Get-MessageTrackingLog' }
                    throw 'Bob''s mail has not reached the old server: look at Get-Queue'
                }
            }
        }
        @{
            Title = 'Mail for Exchange mailboxes stays on Exchange'
            Hints = @('Ana writing to the Administrator must still be delivered to the Administrator''s Exchange mailbox, not sent to the old server.')
            Check = {
                $s = "Local check $(Get-Random)"
                $r = Invoke-LabHost AnaPC -To 'administrator@contoso.com' -Subject $s
                if (-not $r.Accepted) { throw "Ana cannot send: $($r.Code) $($r.Reply)" }
                for ($i = 0; $i -lt 50; $i++) {
                    if (Get-MessageTrackingLog -EventId DELIVER -MessageSubject $s) { return }
                    Start-Sleep -Milliseconds 200
                }
                throw 'Mail to the Administrator''s mailbox is not delivered on Exchange'
            }
        }
    )
    Guards  = @('NoOpenRelay', 'DefaultsUntouched', 'UsersFlow')
}
