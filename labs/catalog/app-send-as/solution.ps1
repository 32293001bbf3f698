# An account that submits mail on port 587 sends as its own mailbox.
Enable-Mailbox -Identity svc-hr | Out-Null
