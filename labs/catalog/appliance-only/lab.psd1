@{
    Name    = 'appliance-only'
    Title   = 'Internet mail only through the appliance'
    Level   = 'Intermediate'
    Teaches = 'Restricting who may reach Default Frontend with RemoteIPRanges or permissions, as Edem asked'
    Story   = @'
Contoso bought a mail hygiene appliance (127.0.0.30). The MX record points at
it, it filters spam and phishing and forwards the rest to Exchange on port 25.
But the firewall still lets the Internet reach Exchange directly, and this
morning a phishing run from 127.0.0.70 landed straight in Ana's mailbox,
bypassing the appliance.

The internal network is 127.0.0.2 - 127.0.0.63; the Internet is everything
else. Make sure mail from the Internet can only arrive through the appliance,
while internal devices such as the scanner (127.0.0.50) still deliver to
colleagues.
'@
    Hosts   = @(
        @{ Name = 'Appliance'; Address = '127.0.0.30'; Role = 'Appliance'; Port = 25; Helo = 'hygiene.contoso.com'
           From = 'orders@tailspintoys.com'; To = 'ana@contoso.com'; Subject = 'New order'; Every = 120 }
        @{ Name = 'Phisher'; Address = '127.0.0.70'; Role = 'Spammer'; Port = 25; Helo = 'mail.totally-legit.example'
           From = 'it-support@contoso.com'; To = 'ana@contoso.com'; Subject = 'Your password expires today'; Every = 120 }
        @{ Name = 'Scanner'; Address = '127.0.0.50'; Role = 'Device'; Port = 25; Helo = 'COPIER2F'
           From = 'scanner@contoso.com'; To = 'ana@contoso.com'; Subject = 'Scan' }
        @{ Name = 'Internet'; Address = '127.0.0.80'; Role = 'Internet'; Domains = @('*') }
    )
    Tasks   = @(
        @{
            Title = 'The Internet cannot deliver to Exchange directly'
            Hints = @(
                'Invoke-LabHost Phisher shows the phishing run. The Internet reaches the Default Frontend connector, which accepts anonymous mail for your users from anyone.'
                'A receive connector only serves the remote addresses in its RemoteIPRanges. Default Frontend has 0.0.0.0-255.255.255.255.'
                'Set-ReceiveConnector "Default Frontend EX01" -RemoteIPRanges 127.0.0.2-127.0.0.63 limits it to the internal network; the appliance is inside it.'
            )
            Check = {
                $r = Invoke-LabHost Phisher -Subject 'Password expiry (check)'
                if ($r.Accepted) { throw 'The phisher at 127.0.0.70 still delivers to Ana directly' }
            }
        }
        @{
            Title = 'The appliance and internal devices still deliver'
            Hints = @('Invoke-LabHost Appliance and Invoke-LabHost Scanner must still be accepted.')
            Check = {
                foreach ($h in 'Appliance', 'Scanner') {
                    $r = Invoke-LabHost $h -Subject "$h (check)"
                    if (-not $r.Accepted) { throw "$h is refused: $($r.Code) $($r.Reply) at $($r.Stage)" }
                }
            }
        }
    )
    Guards  = @('NoOpenRelay', 'UsersFlow', 'NothingLost')
}
