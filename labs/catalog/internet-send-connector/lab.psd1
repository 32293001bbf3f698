@{
    Name    = 'internet-send-connector'
    Title   = 'Mail to the outside world never leaves'
    Level   = 'Beginner'
    Teaches = 'A fresh Exchange server has no send connector: mail to other domains waits in Unreachable'
    Story   = @'
The new Exchange server went live on Friday. Mail between colleagues works.
On Monday Ana (ana@contoso.com) asks why Tailspin Toys never answered her
quote; it turns out that nothing sent to an outside address has arrived
anywhere since Friday. Her quote is still on the server.

Make mail to the Internet leave the organisation, and get Ana's quote to
Tailspin Toys without asking her to send it again.
'@
    Hosts   = @(
        @{ Name = 'AnaPC'; Address = '127.0.0.20'; Role = 'Workstation'; Port = 587; Helo = 'ANA-LAPTOP'
           User = 'ana'; Password = 'Pa$$w0rd-Ana'
           From = 'ana@contoso.com'; To = 'sales@tailspintoys.com'; Subject = 'Quote 2031'; AtStart = $true }
        @{ Name = 'Tailspin'; Address = '127.0.0.61'; Role = 'Partner'; Domains = @('tailspintoys.com') }
        @{ Name = 'Internet'; Address = '127.0.0.80'; Role = 'Internet'; Domains = @('*') }
    )
    Tasks   = @(
        @{
            Title = 'New mail to outside domains is delivered'
            Hints = @(
                'Get-Queue shows where outgoing mail waits, and Get-Queue | Format-List shows why (LastError).'
                'Mail for a domain that no send connector covers goes to the Unreachable queue. Get-SendConnector lists the connectors: there are none.'
                'New-SendConnector -Name "Internet" -Usage Internet -AddressSpaces * routes all outside domains through DNS (MX records).'
            )
            Check = {
                $r = Invoke-LabHost AnaPC -Subject 'Outbound check'
                if (-not $r.Accepted) { throw "Ana cannot send: $($r.Code) $($r.Reply)" }
                if (-not (Get-LabMail -Subject 'Outbound check' -Wait)) { throw 'New mail to tailspintoys.com does not leave the organisation: look at Get-Queue and Get-SendConnector' }
            }
        }
        @{
            Title = 'Ana''s quote that was waiting is delivered too'
            Hints = @(
                'Messages already in the Unreachable queue are not routed again by themselves.'
                'Retry-Queue -Identity EX01\Unreachable -Resubmit $true sends them through the categorizer again.'
            )
            Check = {
                if (-not (Get-LabMail -Subject 'Quote 2031' -Wait)) { throw 'Ana''s quote has not left the organisation: where is it? (Get-Queue, Get-Message)' }
            }
        }
    )
    Guards  = @('NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost')
}
