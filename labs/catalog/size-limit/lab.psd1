@{
    Name    = 'size-limit'
    Title   = 'Large scans bounce'
    Level   = 'Beginner'
    Teaches = 'Message size limits per receive connector, raised where needed and nowhere else'
    Story   = @'
The scanner in the drawing office (127.0.0.50) relays through its own
connector, 'Scanner Relay'. Small scans arrive; the architects' plans, about
7 MB each, never do. The scanner's log shows a refusal at the end of the
message.

Let the scanner send scans of up to 10 MB. Leave every other connector's
limits as they are: the default connectors' limits are a deliberate choice.
'@
    Hosts   = @(
        @{ Name = 'Scanner'; Address = '127.0.0.50'; Role = 'Device'; Port = 25; Helo = 'PLOTTER-SCAN'
           From = 'scanner@contoso.com'; To = 'ana@contoso.com'; Subject = 'Floor plan'; Size = 7000000; Every = 120 }
    )
    Tasks   = @(
        @{
            Title = 'Scans of 7 MB are accepted'
            Hints = @(
                'Invoke-LabHost Scanner shows the refusal: at which stage, with which code? 552 5.3.4 is about size.'
                'Each receive connector has its own MaxMessageSize. Get-ReceiveConnector "Scanner Relay" | Format-List MaxMessageSize'
                'Set-ReceiveConnector "Scanner Relay" -MaxMessageSize 10MB'
            )
            Check = {
                $r = Invoke-LabHost Scanner -Subject 'Floor plan (check)'
                if (-not $r.Accepted) { throw "The scanner still gets $($r.Code) $($r.Reply) at $($r.Stage)" }
            }
        }
        @{
            Title = 'The limit stays reasonable'
            Hints = @('Raise the limit to what the scanner needs (10 MB), not to unlimited.')
            Check = {
                $c = Get-ReceiveConnector 'Scanner Relay'
                if ("$($c.MaxMessageSize)" -match 'Unlimited') { throw 'Scanner Relay accepts messages of any size now: raise it to 10 MB' }
                $r = Invoke-LabHost Scanner -Size 12000000 -Subject 'Too big (check)'
                if ($r.Accepted) { throw 'Scanner Relay accepts 12 MB messages: 10 MB is enough' }
            }
        }
    )
    Guards  = @('NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost')
}
