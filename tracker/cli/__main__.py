"""`python -m tracker.cli`: the same command line as `tracker`."""

from tracker.cli.main import app

# Guarded: the sweep's worker processes are spawned, and import the main module again.
if __name__ == "__main__":
    app()
