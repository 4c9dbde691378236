"""Old address of `tracker.interop.fhir.export`, for the modules of other branches of issue 15.

Delete once `tracker/cli_interop.py` and `tracker/web/pages/caseload_import.py` (moved or
not by their own branches) import `tracker.interop.fhir.export` directly.
"""

from tracker.interop.fhir.export import write_bulk_ndjson  # noqa: F401
