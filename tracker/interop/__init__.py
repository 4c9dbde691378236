"""Speaking other systems' languages: FHIR R4 (`fhir/`) and the caseload CSV files (`csv/`).

The modules here take a session and never commit, like the services: the caller (a request,
a CLI command) owns the transaction. Every query they need is a service function. The
calendar (.ics) feeds are a service (`services/calendar_feeds.py`) writing `tracker.formats`.
"""
