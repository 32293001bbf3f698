# Only the scanner's connector gets the larger limit.
Set-ReceiveConnector 'Scanner Relay' -MaxMessageSize 10MB
