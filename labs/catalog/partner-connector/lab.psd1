@{
    Name    = 'partner-connector'
    Title   = 'A partner that must deliver directly'
    Level   = 'Intermediate'
    Teaches = 'Receive connector selection: the most specific RemoteIPRanges wins'
    Story   = @'
All Internet mail must come through the mail appliance. To enforce it, the
previous admin created the connector 'Internet Hygiene' for the whole Internet
range 127.0.0.64 - 127.0.0.127, with no permissions at all: whoever connects
from there gets refused.

Now Fabrikam, an important partner, has a contract that lets its server
(127.0.0.70) deliver to Contoso directly. Today it is refused like everybody
else. Let Fabrikam's server deliver to your users, and only Fabrikam's: the
rest of the Internet (the spammer at 127.0.0.90, for one) must still be
refused.
'@
    Hosts   = @(
        @{ Name = 'FabrikamServer'; Address = '127.0.0.70'; Role = 'Partner server'; Port = 25; Helo = 'mail.fabrikam.com'
           From = 'contracts@fabrikam.com'; To = 'ana@contoso.com'; Subject = 'Signed contract'; Every = 120 }
        @{ Name = 'Spammer'; Address = '127.0.0.90'; Role = 'Spammer'; Port = 25; Helo = 'bulk.example'
           From = 'winner@lottery.example'; To = 'ana@contoso.com'; Subject = 'You won' }
        @{ Name = 'Internet'; Address = '127.0.0.80'; Role = 'Internet'; Domains = @('*') }
    )
    Tasks   = @(
        @{
            Title = 'Fabrikam''s server delivers to Contoso'
            Hints = @(
                'Invoke-LabHost FabrikamServer shows the refusal. Which connector serves 127.0.0.70? Get-ReceiveConnector | Format-Table Name,Bindings,RemoteIPRanges,PermissionGroups'
                'When several connectors listen on the same port, the one whose RemoteIPRanges matches the client most specifically takes the connection. A single address beats a range.'
                'New-ReceiveConnector -Name "Fabrikam" -TransportRole FrontendTransport -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.70 -PermissionGroups AnonymousUsers'
            )
            Check = {
                $r = Invoke-LabHost FabrikamServer -Subject 'Contract (check)'
                if (-not $r.Accepted) { throw "Fabrikam's server is still refused: $($r.Code) $($r.Reply) at $($r.Stage)" }
            }
        }
    )
    Guards  = @(
        'NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost'
        @{
            Title = 'Guard: the rest of the Internet is still refused'
            Check = {
                $r = Invoke-LabHost Spammer
                if ($r.Accepted) { throw 'The spammer at 127.0.0.90 now delivers to your users: only Fabrikam''s address may be let in' }
            }
        }
    )
}
