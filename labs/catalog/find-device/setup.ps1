New-Mailbox -Name 'IT Alerts' -Alias it-alerts -Password (ConvertTo-SecureString 'Alerts-Box-2026' -AsPlainText -Force) | Out-Null
New-ReceiveConnector -Name 'Registered Devices' -TransportRole FrontendTransport -Usage Custom `
    -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.50 -PermissionGroups AnonymousUsers | Out-Null
