Set-SendConnector 'Outbound via provider' -SmartHosts 'relay.northwindtraders.com'
# Try the waiting queue now instead of at its next retry.
Get-Queue | Where-Object { $_.Status -eq 'Retry' } | Retry-Queue
