# The connector after the "tidy-up": one letter wrong in the smart host.
New-SendConnector -Name 'Outbound via provider' -Usage Internet -AddressSpaces '*' `
    -SmartHosts 'relay.northwindtraders.con' -DNSRoutingEnabled $false | Out-Null
