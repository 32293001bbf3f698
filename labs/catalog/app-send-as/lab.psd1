@{
    Name    = 'app-send-as'
    Title   = 'The HR portal that authenticates and still fails'
    Level   = 'Beginner'
    Teaches = 'Authenticated submission on port 587 needs an account with a mailbox (5.7.60)'
    Story   = @'
The HR portal (127.0.0.40) sends its notifications through Exchange on port
587. The application team created a service account for it, svc-hr, with the
password they put in the portal's settings. The logon works, yet every
notification fails and the portal's log says:

    550 5.7.60 SMTP; Client does not have permissions to send as this sender

The portal sends as svc-hr@contoso.com. Make its notifications reach the
employees, without opening anything to anonymous senders.
'@
    Hosts   = @(
        @{ Name = 'HRPortal'; Address = '127.0.0.40'; Role = 'Application'; Port = 587; Helo = 'HRPORTAL'
           User = 'svc-hr'; Password = 'Portal-Secret-42'
           From = 'svc-hr@contoso.com'; To = 'ana@contoso.com'; Subject = 'Your leave request'; Every = 60 }
    )
    Tasks   = @(
        @{
            Title = 'The HR portal''s notifications are accepted'
            Hints = @(
                'The logon succeeds, so the password is right. 5.7.60 is about the sender: who may svc-hr send as?'
                'On Exchange an account that authenticates for SMTP submission sends as its own mailbox. Get-User svc-hr and Get-Mailbox svc-hr show what it is.'
                'Give the account a mailbox: Enable-Mailbox -Identity svc-hr (its primary address becomes svc-hr@contoso.com).'
            )
            Check = {
                $s = "Leave request $(Get-Random)"
                $r = Invoke-LabHost HRPortal -Subject $s
                if (-not $r.Accepted) { throw "The portal still gets $($r.Code) $($r.Reply) at $($r.Stage)" }
            }
        }
        @{
            Title = 'The notification reaches Ana''s mailbox'
            Hints = @(
                'Accepted is not delivered. Get-MessageTrackingLog -EventId DELIVER shows what reached a mailbox.'
            )
            Check = {
                for ($i = 0; $i -lt 50; $i++) {
                    if (Get-MessageTrackingLog -EventId DELIVER -MessageSubject 'Leave request' -Recipients ana@contoso.com) { return }
                    Start-Sleep -Milliseconds 200
                }
                throw 'The portal''s message did not reach Ana''s mailbox'
            }
        }
    )
    Guards  = @('NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost')
}
