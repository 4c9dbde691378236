"""The `tracker` command line: database, accounts, serving, jobs, the demo, interop, backups.

The command line itself is tracker.cli.main's `app`; the script enters by tracker.cli.entry.
"""
