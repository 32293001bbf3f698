# Exchange holds only some of the contoso.com addresses.
Set-AcceptedDomain contoso.com -DomainType InternalRelay
# The rest go to the old server.
New-SendConnector -Name 'Legacy' -AddressSpaces 'contoso.com' -SmartHosts 'legacy.contoso.com' -DNSRoutingEnabled $false | Out-Null
