New-ReceiveConnector -Name 'Scanner Relay' -TransportRole FrontendTransport -Usage Custom `
    -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.50 -PermissionGroups AnonymousUsers -MaxMessageSize 5MB | Out-Null
