New-Mailbox -Name 'Sales' -Alias sales -Password (ConvertTo-SecureString 'Sales-Team-2026' -AsPlainText -Force) | Out-Null
New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
