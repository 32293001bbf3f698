# The session that mails it-alerts@contoso.com: its remote endpoint.
$log = "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive"
Select-String -Path "$log\*.LOG" -Pattern 'it-alerts@contoso.com' | Select-Object -First 1
# 127.0.0.73 is the UPS: register it.
Set-ReceiveConnector 'Registered Devices' -RemoteIPRanges @{Add = '127.0.0.73'}
