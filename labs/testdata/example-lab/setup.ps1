# Runs on the lab's fresh organisation (EX01, contoso.com, mailboxes ana and ben).
New-SendConnector -Name 'Internet' -Usage Internet -AddressSpaces '*' | Out-Null
