"""Old address of `tracker.interop.csv.export`, for the modules of other branches of issue 15.

Delete once `tracker/cli_interop.py` and `tracker/web/pages/caseload_import.py` (moved or
not by their own branches) import `tracker.interop.csv.export` directly.
"""

from tracker.interop.csv.export import write_caseload  # noqa: F401
