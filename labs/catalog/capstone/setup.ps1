# The weekend's "security improvements".
New-ReceiveConnector -Name 'Block compromised subnet' -TransportRole FrontendTransport -Usage Custom `
    -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.16-127.0.0.47 -PermissionGroups None | Out-Null
New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
Set-SendConnector 'Internet' -Enabled $false
