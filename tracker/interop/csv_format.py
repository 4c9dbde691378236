"""Old address of `tracker.interop.csv.layout`, for the modules of other branches of issue 15.

Delete once `tracker/cli_interop.py` and `tracker/web/pages/caseload_import.py` (moved or
not by their own branches) import `tracker.interop.csv.layout` directly.
"""

from tracker.interop.csv.layout import KINDS, file_name  # noqa: F401
