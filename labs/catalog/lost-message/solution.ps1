# What happened: RECEIVE, then FAIL with 550 5.1.1 for orders@contoso.com.
Get-MessageTrackingLog -MessageSubject 'Order confirmation' | Format-Table EventId, Recipients, RecipientStatus
# The address on the website belongs to the Sales mailbox from now on.
Set-Mailbox sales -EmailAddresses @{Add = 'orders@contoso.com'}
