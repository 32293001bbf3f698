@{
    Name    = 'smart-host-retry'
    Title   = 'Outgoing mail stuck in Retry'
    Level   = 'Intermediate'
    Teaches = 'Reading a queue''s LastError, fixing a send connector''s smart host and retrying the queue'
    Story   = @'
Contoso sends all outgoing mail through its provider's relay,
relay.northwindtraders.com. Last night a colleague "tidied up" the send
connector. Since then nothing leaves: Ana's invoice to Tailspin Toys has been
waiting for hours and users are starting to get delay notices.

Find out why the mail waits, fix it, and get the waiting mail out now rather
than at the next retry.
'@
    Hosts   = @(
        @{ Name = 'AnaPC'; Address = '127.0.0.20'; Role = 'Workstation'; Port = 587; Helo = 'ANA-LAPTOP'
           User = 'ana'; Password = 'Pa$$w0rd-Ana'; AtStart = $true
           From = 'ana@contoso.com'; To = 'billing@tailspintoys.com'; Subject = 'Invoice 4711' }
        @{ Name = 'ProviderRelay'; Address = '127.0.0.70'; Role = 'Smart host'; Domains = @('northwindtraders.com', '*') }
    )
    Tasks   = @(
        @{
            Title = 'The waiting invoice reaches the provider''s relay'
            Hints = @(
                'Get-Queue shows a queue in Retry. Get-Queue -Identity <it> | Format-List shows LastError.'
                'A DNS failure for a smart host means its name is wrong. Get-SendConnector | Format-List SmartHosts shows what the colleague typed.'
                'Set-SendConnector "Outbound via provider" -SmartHosts relay.northwindtraders.com, then Retry-Queue on the queue in Retry (Get-Queue | Where-Object Status -eq Retry | Retry-Queue).'
            )
            Check = {
                if (-not (Get-LabMail -Host ProviderRelay -Subject 'Invoice 4711' -Wait)) {
                    $q = Get-Queue | Where-Object { $_.Status -eq 'Retry' } | Select-Object -First 1
                    if ($q) { throw "The invoice still waits in $($q.Identity) ($($q.Status)): $($q.LastError)" }
                    throw 'The invoice has not reached the provider''s relay'
                }
            }
        }
        @{
            Title = 'New mail leaves at once'
            Hints = @('Invoke-LabHost AnaPC sends a new message; Get-LabMail shows whether it arrived.')
            Check = {
                $r = Invoke-LabHost AnaPC -Subject 'Relay check'
                if (-not $r.Accepted) { throw "Ana cannot send: $($r.Code) $($r.Reply)" }
                if (-not (Get-LabMail -Host ProviderRelay -Subject 'Relay check' -Wait)) { throw 'New mail does not reach the relay' }
            }
        }
    )
    Guards  = @('NoOpenRelay', 'DefaultsUntouched', 'UsersFlow', 'NothingLost')
}
