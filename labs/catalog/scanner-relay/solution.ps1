# A connector that only the copier's address uses, on the Front End's port 25.
New-ReceiveConnector -Name 'Scanner Relay' -TransportRole FrontendTransport -Usage Custom `
    -Bindings 0.0.0.0:25 -RemoteIPRanges 127.0.0.50 -PermissionGroups AnonymousUsers
# Anonymous senders on that connector may relay to any domain.
Get-ReceiveConnector 'Scanner Relay' |
    Add-ADPermission -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights 'Ms-Exch-SMTP-Accept-Any-Recipient'
