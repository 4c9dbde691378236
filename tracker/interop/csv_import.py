"""Old address of `tracker.interop.csv.importer`, for the modules of other branches of issue 15.

Delete once `tracker/cli_interop.py` and `tracker/web/pages/caseload_import.py` (moved or
not by their own branches) import `tracker.interop.csv.importer` directly.
"""

from tracker.interop.csv.importer import CsvSource, run_import, sources_from_paths  # noqa: F401
