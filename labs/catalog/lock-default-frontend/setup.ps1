# The register: addresses allowed to send without a logon.
New-ReceiveConnector -Name 'Internal Relay' -TransportRole FrontendTransport -Usage Custom `
    -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.50,127.0.0.30 -PermissionGroups AnonymousUsers | Out-Null
New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
