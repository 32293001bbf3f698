# Nothing to break: a fresh server has no send connector. Ana's quote is
# sent when the lab starts (Invoke-LabHost AnaPC resends it).
