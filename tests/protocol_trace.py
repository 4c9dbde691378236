"""Counting a PostgreSQL connection's round trips in libpq's trace of the protocol."""

import tempfile
from collections.abc import Callable
from typing import Any


def round_trips(raw: Any, act: Callable[[], object]) -> int:
    """How many times `act` waited for the server on psycopg connection `raw`: each round
    trip ends with the server's ReadyForQuery (a pipeline's statements share one)."""
    return sum(1 for line in _traced(raw, act) if "\tB\t" in line and "\tReadyForQuery" in line)


def statements(raw: Any, act: Callable[[], object]) -> int:
    """How many statements `act` had the server run on psycopg connection `raw` (an
    Execute of the extended protocol, or a simple Query)."""
    return sum(
        1
        for line in _traced(raw, act)
        if "\tF\t" in line and ("\tExecute" in line or "\tQuery" in line)
    )


def _traced(raw: Any, act: Callable[[], object]) -> list[str]:
    # libpq's trace of the messages both ways while `act` runs.
    with tempfile.TemporaryFile("w+") as trace:
        raw.pgconn.trace(trace.fileno())
        try:
            act()
        finally:
            raw.pgconn.untrace()
        trace.seek(0)
        return trace.readlines()
