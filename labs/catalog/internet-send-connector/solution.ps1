# Route every outside domain through DNS.
New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
# Route what waited in Unreachable again.
Retry-Queue -Identity 'EX01\Unreachable' -Resubmit $true
