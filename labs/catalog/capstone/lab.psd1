@{
    Name    = 'capstone'
    Title   = 'Monday morning'
    Level   = 'Advanced'
    Teaches = 'Troubleshooting mail flow from symptoms alone: connectors, queues, tracking and protocol logs'
    Story   = @'
Monday, 07:55. The helpdesk queue is on fire:

  - "Customers say their mail to us has not arrived since Friday evening."
  - "My mail to Tailspin Toys never got there." (Ana)

Over the weekend a colleague worked on the Exchange server "to improve
security"; he is on holiday now and left no notes. The mail hygiene appliance
(127.0.0.30) forwards all Internet mail to Exchange. He did block a
compromised subnet, 127.0.0.32 - 127.0.0.47, that really must stay blocked.

Get mail flowing again in both directions, and get the waiting mail out.
'@
    Hosts   = @(
        @{ Name = 'Appliance'; Address = '127.0.0.30'; Role = 'Appliance'; Port = 25; Helo = 'hygiene.contoso.com'
           From = 'orders@tailspintoys.com'; To = 'ana@contoso.com'; Subject = 'Purchase order'; Every = 120 }
        @{ Name = 'AnaPC'; Address = '127.0.0.20'; Role = 'Workstation'; Port = 587; Helo = 'ANA-LAPTOP'
           User = 'ana'; Password = 'Pa$$w0rd-Ana'; AtStart = $true
           From = 'ana@contoso.com'; To = 'sales@tailspintoys.com'; Subject = 'Re: Purchase order' }
        @{ Name = 'Compromised'; Address = '127.0.0.40'; Role = 'Compromised PC'; Port = 25; Helo = 'PC-0412'
           From = 'ceo@contoso.com'; To = 'ana@contoso.com'; Subject = 'Gift cards, urgent' }
        @{ Name = 'Tailspin'; Address = '127.0.0.61'; Role = 'Partner'; Domains = @('tailspintoys.com') }
        @{ Name = 'Internet'; Address = '127.0.0.80'; Role = 'Internet'; Domains = @('*') }
    )
    Tasks   = @(
        @{
            Title = 'Mail from the Internet arrives again'
            Hints = @(
                'Follow the path: the appliance sends to port 25. Invoke-LabHost Appliance shows where it stops.'
                'Which connector takes the appliance''s connection? Compare RemoteIPRanges: Get-ReceiveConnector | Format-Table Name,RemoteIPRanges,PermissionGroups'
                'The block for the compromised subnet was made too wide: 127.0.0.16-127.0.0.47 also covers the appliance. Narrow it to 127.0.0.32-127.0.0.47 (Set-ReceiveConnector ... -RemoteIPRanges).'
            )
            Check = {
                $s = "Inbound check $(Get-Random)"
                $r = Invoke-LabHost Appliance -Subject $s
                if (-not $r.Accepted) { throw "Customers' mail is still refused: $($r.Code) $($r.Reply) at $($r.Stage)" }
                for ($i = 0; $i -lt 50; $i++) {
                    if (Get-MessageTrackingLog -EventId DELIVER -MessageSubject $s) { return }
                    Start-Sleep -Milliseconds 200
                }
                throw 'Customers'' mail is accepted but does not reach the mailbox'
            }
        }
        @{
            Title = 'Mail to the Internet leaves again, including what waited'
            Hints = @(
                'Get-Queue: where does Ana''s message wait, and why?'
                'Get-SendConnector | Format-Table Name,AddressSpaces,Enabled'
                'Enable the send connector again (Set-SendConnector ... -Enabled $true), then Retry-Queue -Identity EX01\Unreachable -Resubmit $true.'
            )
            Check = {
                if (-not (Get-LabMail -Host Tailspin -Subject 'Re: Purchase order' -Wait)) { throw 'Ana''s reply has not reached Tailspin Toys' }
            }
        }
    )
    Guards  = @(
        'NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost'
        @{
            Title = 'Guard: the compromised subnet stays blocked'
            Check = {
                $r = Invoke-LabHost Compromised
                if ($r.Accepted) { throw 'The compromised PC at 127.0.0.40 delivers mail again' }
            }
        }
    )
}
