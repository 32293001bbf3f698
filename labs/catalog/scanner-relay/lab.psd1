@{
    Name    = 'scanner-relay'
    Title   = 'The scanner that cannot mail a supplier'
    Level   = 'Beginner'
    Teaches = 'An anonymous relay connector for one device, without opening the relay to others'
    Story   = @'
Monday, 08:40. Purchasing rings: "The copier on the second floor scans orders
straight to our supplier, orders@fabrikam.com, and since the move to the new
Exchange server every scan fails." The copier (127.0.0.50) sends anonymously
to the server on port 25. Its display says:

    550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain

Mail from the copier to colleagues still arrives. Make the copier's scans
reach Fabrikam, and only the copier's: nobody else on the network may use
the server to send outside.
'@
    Hosts   = @(
        @{ Name = 'Scanner'; Address = '127.0.0.50'; Role = 'Device'; Port = 25; Helo = 'COPIER2F'
           From = 'scanner@contoso.com'; To = 'orders@fabrikam.com'; Subject = 'Scanned order'; Every = 60 }
        @{ Name = 'Fabrikam'; Address = '127.0.0.60'; Role = 'Partner'; Domains = @('fabrikam.com') }
        @{ Name = 'Internet'; Address = '127.0.0.80'; Role = 'Internet'; Domains = @('*') }
    )
    Tasks   = @(
        @{
            Title = 'The scanner may relay to fabrikam.com'
            Hints = @(
                'The Default Frontend connector lets anyone send to your own mailboxes, but it never relays outside. The copier needs a receive connector of its own.'
                'Create a Frontend Transport receive connector on port 25 whose RemoteIPRanges is only the copier''s address, then give anonymous senders on it the right to relay.'
                'New-ReceiveConnector -Name "Scanner Relay" -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.50 -PermissionGroups AnonymousUsers, then Get-ReceiveConnector "Scanner Relay" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"'
            )
            Check = {
                $r = Invoke-LabHost Scanner -Subject 'Scanned order (check)'
                if (-not $r.Accepted) { throw "The scanner still gets $($r.Code) $($r.Reply) at $($r.Stage)" }
            }
        }
        @{
            Title = 'The scan reaches Fabrikam'
            Hints = @(
                'Accepted is half the way: the message must leave through a send connector. Get-Queue shows where it waits.'
                'The organisation already has a send connector for the Internet; if the message sits in a queue, look at its LastError.'
            )
            Check = {
                if (-not (Get-LabMail -Host Fabrikam -Subject 'Scanned order*' -Wait)) { throw 'Fabrikam has received no scan: look at Get-Queue' }
            }
        }
    )
    Guards  = @('NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost')
}
