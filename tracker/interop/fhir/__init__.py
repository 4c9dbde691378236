"""FHIR R4: the tracker's rows as resources (`resources`, coded with `codes`), exported as one
patient's Bundle or every patient's bulk NDJSON (`export`)."""
