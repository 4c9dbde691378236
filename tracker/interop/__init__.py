"""Speaking other systems' languages: FHIR R4, iCalendar feeds and CSV caseloads.

The modules here take a session (or plain rows) and never commit, like the services: the
caller (a request, a CLI command) owns the transaction.
"""
