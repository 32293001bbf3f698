New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
