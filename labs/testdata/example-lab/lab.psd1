@{
    # The lab's name (lower case, dashes), as Start-Lab and Get-Lab show it.
    Name    = 'nas-alerts'
    Title   = 'The NAS cannot send its alerts'
    Level   = 'Beginner'
    Teaches = 'Relaying for one device on a connector of its own'
    Story   = @'
The Synology NAS (127.0.0.56) mails its disk alerts to the storage vendor's
support desk, support@wingtiptoys.com. The test mail in its settings fails
with 550 5.7.54. Let the NAS, and only the NAS, relay.
'@
    # Simulated hosts: senders (From/To, Port 25 or 587 with User/Password,
    # Every = seconds between messages, AtStart) and receivers (Domains).
    Hosts   = @(
        @{ Name = 'NAS'; Address = '127.0.0.56'; Role = 'Device'; Port = 25; Helo = 'DS918'
           From = 'nas@contoso.com'; To = 'support@wingtiptoys.com'; Subject = 'Disk 2 degraded'; Every = 300 }
        @{ Name = 'Wingtip'; Address = '127.0.0.62'; Role = 'Vendor'; Domains = @('wingtiptoys.com') }
    )
    # Tasks: a check passes when it neither throws nor returns $false; what
    # it throws is the student's message. Hints get more specific.
    Tasks   = @(
        @{
            Title = 'The NAS''s alerts reach the vendor'
            Hints = @(
                'Default Frontend never relays for anonymous senders.'
                'A Frontend Transport connector for 127.0.0.56 with the Ms-Exch-SMTP-Accept-Any-Recipient right for anonymous senders.'
            )
            Check = {
                $r = Invoke-LabHost NAS -Subject 'Alert (check)'
                if (-not $r.Accepted) { throw "The NAS still gets $($r.Code) $($r.Reply)" }
                if (-not (Get-LabMail -Host Wingtip -Subject 'Alert (check)' -Wait)) { throw 'The vendor got nothing' }
            }
        }
    )
    # Built-in guards by name, or your own @{ Title = ...; Check = { ... } }.
    Guards  = @('NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost')
}
