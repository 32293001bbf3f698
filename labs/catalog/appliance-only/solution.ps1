# Default Frontend serves the internal network only; the appliance is in it.
Set-ReceiveConnector 'Default Frontend EX01' -RemoteIPRanges 127.0.0.2-127.0.0.63
