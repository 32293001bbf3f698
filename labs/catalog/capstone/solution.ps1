# The block covered the appliance too: only the compromised subnet.
Set-ReceiveConnector 'Block compromised subnet' -RemoteIPRanges 127.0.0.32-127.0.0.47
# The send connector was disabled: mail to the Internet went to Unreachable.
Set-SendConnector 'Internet' -Enabled $true
Retry-Queue -Identity 'EX01\Unreachable' -Resubmit $true
