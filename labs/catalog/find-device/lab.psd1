@{
    Name    = 'find-device'
    Title   = 'Which device is that?'
    Level   = 'Beginner'
    Teaches = 'Finding who sends through a connector in the SmtpReceive protocol log'
    Story   = @'
Next week René closes anonymous mail on the Default Frontend connector, and
from then on only devices in the register (the 'Registered Devices'
connector) may send without a logon. The inventory lists the scanner, but the
IT team also gets "UPS on battery" alerts at it-alerts@contoso.com from some
device nobody documented. If it is not registered by next week, the next
power cut goes unnoticed.

Find the device's IP address in the Front End's SmtpReceive protocol log
($exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive) and add
it, and only it, to the register.
'@
    Hosts   = @(
        @{ Name = 'UPS'; Address = '127.0.0.73'; Role = 'Device'; Port = 25; Helo = 'APC-UPS-03'; Hidden = $true
           From = 'ups03@contoso.com'; To = 'it-alerts@contoso.com'; Subject = 'UPS on battery'; Every = 60 }
        @{ Name = 'Scanner'; Address = '127.0.0.50'; Role = 'Device'; Port = 25; Helo = 'COPIER2F'
           From = 'scanner@contoso.com'; To = 'ana@contoso.com'; Subject = 'Scan' }
    )
    Tasks   = @(
        @{
            Title = 'The UPS is in the register'
            Hints = @(
                'The protocol log is CSV: date-time, connector-id, session-id, sequence-number, local-endpoint, remote-endpoint, event, data. Get-ChildItem "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive" lists the files.'
                'Look for the session that sends to it-alerts@contoso.com: Select-String -Path "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive\*.LOG" -Pattern "it-alerts" shows the lines; the remote-endpoint column is the device''s address and port.'
                'Add the address you found: Set-ReceiveConnector "Registered Devices" -RemoteIPRanges @{Add="<address>"}'
            )
            Check = {
                $ranges = @((Get-ReceiveConnector 'Registered Devices').RemoteIPRanges | ForEach-Object { "$_" })
                if ($ranges -notcontains '127.0.0.73') { throw 'The UPS''s address is not in the Registered Devices connector''s RemoteIPRanges' }
                if ($ranges -notcontains '127.0.0.50') { throw 'The scanner (127.0.0.50) is no longer registered' }
                $r = Invoke-LabHost UPS -Subject 'UPS test (check)'
                if (-not $r.Accepted) { throw "The UPS is refused: $($r.Code) $($r.Reply)" }
            }
        }
    )
    Guards  = @(
        'NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost'
        @{
            Title = 'Guard: the register lists single devices'
            Check = {
                foreach ($r in (Get-ReceiveConnector 'Registered Devices').RemoteIPRanges) {
                    if ("$r" -match '[-/]') { throw "The register holds the range $r: register single addresses" }
                }
            }
        }
    )
}
