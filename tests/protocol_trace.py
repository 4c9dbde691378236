"""Counting a PostgreSQL connection's round trips in libpq's trace of the protocol."""

import tempfile
from collections.abc import Callable
from typing import Any


def round_trips(raw: Any, act: Callable[[], object]) -> int:
    """How many times `act` waited for the server on psycopg connection `raw`: each round
    trip ends with the server's ReadyForQuery (a pipeline's statements share one)."""
    with tempfile.TemporaryFile("w+") as trace:
        raw.pgconn.trace(trace.fileno())
        try:
            act()
        finally:
            raw.pgconn.untrace()
        trace.seek(0)
        return sum(1 for line in trace if "\tB\t" in line and "\tReadyForQuery" in line)
