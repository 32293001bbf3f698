# Default Frontend keeps serving the Exchange servers, but no longer
# anonymous senders. Registered devices use Internal Relay, which is more
# specific for their addresses; users authenticate on 587 (Client Frontend).
Set-ReceiveConnector 'Default Frontend EX01' -PermissionGroups ExchangeServers,ExchangeLegacyServers
