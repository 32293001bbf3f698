# One address is more specific than the Internet range: this connector takes
# Fabrikam's connections, and lets them in anonymously.
New-ReceiveConnector -Name 'Fabrikam' -TransportRole FrontendTransport -Usage Custom `
    -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.70 -PermissionGroups AnonymousUsers | Out-Null
