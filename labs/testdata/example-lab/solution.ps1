New-ReceiveConnector -Name 'NAS Relay' -TransportRole FrontendTransport -Usage Custom `
    -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.56 -PermissionGroups AnonymousUsers | Out-Null
Get-ReceiveConnector 'NAS Relay' |
    Add-ADPermission -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights 'Ms-Exch-SMTP-Accept-Any-Recipient' | Out-Null
