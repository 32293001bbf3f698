@{
    Name    = 'lock-default-frontend'
    Title   = 'Only registered devices may send anonymously'
    Level   = 'Advanced'
    Teaches = 'Closing anonymous submission on Default Frontend without breaking devices, the appliance, servers or users'
    Story   = @'
René, the security officer, read that "anyone who has network access can send
with any sender address" to the Default Frontend connector, and he is right:
any PC on the network can drop mail for your users on port 25. The company
keeps a register of the devices and applications allowed to send without a
logon, and they already use the 'Internal Relay' connector:

    the scanner          127.0.0.50
    the mail appliance   127.0.0.30  (it forwards mail from the Internet)

From now on only registered addresses may send anonymously. A PC that is not
in the register (try the host Stranger, 127.0.0.99) must be refused. Users who
log on (Outlook, phones on port 587) and the mail between the Exchange
services must keep working.
'@
    Hosts   = @(
        @{ Name = 'Scanner'; Address = '127.0.0.50'; Role = 'Device'; Port = 25; Helo = 'COPIER2F'
           From = 'scanner@contoso.com'; To = 'ana@contoso.com'; Subject = 'Scan'; Every = 120 }
        @{ Name = 'Appliance'; Address = '127.0.0.30'; Role = 'Appliance'; Port = 25; Helo = 'hygiene.contoso.com'
           From = 'customer@tailspintoys.com'; To = 'ana@contoso.com'; Subject = 'Question about my order'; Every = 120 }
        @{ Name = 'Internet'; Address = '127.0.0.80'; Role = 'Internet'; Domains = @('*') }
    )
    Tasks   = @(
        @{
            Title = 'An unregistered PC can no longer send anonymously'
            Hints = @(
                'Invoke-LabHost Stranger -To ana@contoso.com shows what any PC can do today. Which connector takes its connection?'
                'The Default Frontend connector grants anonymous senders the right to submit (PermissionGroups AnonymousUsers; Get-ADPermission shows the rights). Either take that away, or make the connector serve only addresses you trust.'
                'One way: Set-ReceiveConnector "Default Frontend EX01" -PermissionGroups ExchangeServers,ExchangeLegacyServers. Another: Get-ReceiveConnector "Default Frontend EX01" | Remove-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-SMTP-Submit. The registered devices keep working through Internal Relay.'
            )
            Check = {
                $r = Invoke-LabHost Stranger -To 'ana@contoso.com' -From 'ceo@contoso.com' -Subject 'Urgent payment'
                if ($r.Accepted) { throw 'A PC nobody registered (127.0.0.99) still sends to ana@contoso.com anonymously' }
            }
        }
        @{
            Title = 'The scanner and the appliance still deliver'
            Hints = @(
                'Invoke-LabHost Scanner and Invoke-LabHost Appliance show whether the registered hosts still get through.'
                'The Internal Relay connector must keep serving 127.0.0.50 and 127.0.0.30 with anonymous permission.'
            )
            Check = {
                foreach ($h in 'Scanner', 'Appliance') {
                    $r = Invoke-LabHost $h -Subject "$h (check)"
                    if (-not $r.Accepted) { throw "$h is refused: $($r.Code) $($r.Reply) at $($r.Stage)" }
                }
            }
        }
    )
    Guards  = @('NoOpenRelay', 'UsersFlow', 'NothingLost')
}
