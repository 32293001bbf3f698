# The service account the application team created: an account, no mailbox.
New-User -Name 'svc-hr' -UserPrincipalName svc-hr@contoso.com `
    -Password (ConvertTo-SecureString 'Portal-Secret-42' -AsPlainText -Force) | Out-Null
