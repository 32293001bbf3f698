# The Internet may not deliver directly: a connector for its range, with no
# permissions.
New-ReceiveConnector -Name 'Internet Hygiene' -TransportRole FrontendTransport -Usage Custom `
    -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.64-127.0.0.127 -PermissionGroups None | Out-Null
New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
