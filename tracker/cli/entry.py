"""The `tracker` script's entry point, which imports the command line only when it runs.

The sweep's worker processes are spawned, and each imports the script that started the
sweep once more (as `__mp_main__`, multiprocessing's way). Were the script to import the
command line, every worker would hold all of it, and all it imports, for nothing.
"""


def main() -> None:
    """Run the `tracker` command line."""
    from tracker.cli.main import app

    app()
