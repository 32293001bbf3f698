@{
    Name    = 'lost-message'
    Title   = 'The order that never arrived'
    Level   = 'Intermediate'
    Teaches = 'Following a message with Get-MessageTrackingLog, and fixing the address it was sent to'
    Story   = @'
Fabrikam's sales desk phones: "We sent you our order confirmation at 09:12
and got a bounce back. The address is the one on your website!" Nobody at
Contoso has seen it. The website says orders go to the Sales team, whose
mailbox is sales@contoso.com... or so everyone thought.

Find the message in the message tracking log: to which address was it sent,
and what happened to it? Then make sure Fabrikam's confirmations reach the
Sales mailbox, without asking Fabrikam to change anything.
'@
    Hosts   = @(
        @{ Name = 'Fabrikam'; Address = '127.0.0.60'; Role = 'Partner server'; Port = 25; Helo = 'mail.fabrikam.com'; AtStart = $true
           From = 'salesdesk@fabrikam.com'; To = 'orders@contoso.com'; Subject = 'Order confirmation 88123' }
        @{ Name = 'FabrikamMX'; Address = '127.0.0.61'; Role = 'Partner'; Domains = @('fabrikam.com') }
        @{ Name = 'Internet'; Address = '127.0.0.80'; Role = 'Internet'; Domains = @('*') }
    )
    Tasks   = @(
        @{
            Title = 'Fabrikam''s confirmations reach the Sales mailbox'
            Hints = @(
                'Get-MessageTrackingLog -MessageSubject "Order confirmation" shows every event of the message: RECEIVE, then what?'
                'The FAIL event''s Recipients and RecipientStatus say it: the address does not exist in the organisation (5.1.1). Fabrikam did not send to sales@contoso.com.'
                'Add the address Fabrikam uses to the Sales mailbox: Set-Mailbox sales -EmailAddresses @{Add="orders@contoso.com"}. Then Invoke-LabHost Fabrikam to have them send again.'
            )
            Check = {
                $s = "Order confirmation check $(Get-Random)"
                $r = Invoke-LabHost Fabrikam -Subject $s
                if (-not $r.Accepted) { throw "Fabrikam's server is refused: $($r.Code) $($r.Reply)" }
                for ($i = 0; $i -lt 50; $i++) {
                    $d = Get-MessageTrackingLog -EventId DELIVER -MessageSubject $s
                    if ($d) {
                        if ("$($d.Recipients)" -notlike '*sales@contoso.com*') { throw "The confirmation reached $($d.Recipients), not the Sales mailbox" }
                        return
                    }
                    if (Get-MessageTrackingLog -EventId FAIL -MessageSubject $s) { throw 'Fabrikam''s confirmation was returned again: look at the FAIL event in Get-MessageTrackingLog' }
                    Start-Sleep -Milliseconds 200
                }
                throw 'Fabrikam''s confirmation did not reach a mailbox'
            }
        }
    )
    Guards  = @('NoOpenRelay', 'DefaultsUntouched', 'UsersFlow')
}
