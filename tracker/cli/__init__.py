"""The `tracker` command line: database, accounts, serving, jobs, the demo, interop, backups."""

from tracker.cli.main import app

__all__ = ["app"]
