# Internet mail leaves through a DNS-routed send connector.
New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
