"""`python -m tracker.cli`: the same command line as `tracker`."""

from tracker.cli.main import app

app()
