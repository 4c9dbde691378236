"""How many threads a web worker runs its requests' database work on.

Each request's sync work (its login check, then its endpoint with its commit) runs on
anyio's thread pool, 40 threads by default. On PostgreSQL a worker's threads do little
but wait for the database and contend for the GIL: with eight clients writing, one thread
per worker gave 1.14 times the writes a second at 0.85 of the CPU per write
(docs/write-profile.md, round eight). Fewer threads are safe because no request holds a
lock or a transaction while it waits for a thread: the login check's reads are committed
on its own hand-over and its touch saved at the end of the unit of work, and the
endpoint's thread commits or rolls back before it is left (tracker.web.deps,
tracker.web.routing). SQLite keeps anyio's default: its write scope holds the write lock
from the scope's start, across hand-overs.

Requests that run long (exports, imports: `@runs_long`) take threads of their own, so that
one of them never holds up a worker's other requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

Endpoint = TypeVar("Endpoint", bound=Callable)

# PostgreSQL's default: one thread per worker (gunicorn runs two workers per core).
POSTGRESQL_THREADS = 1
# Long requests at once per worker, on their own threads.
LONG_REQUEST_THREADS = 4

_long_lane: RunVar[CapacityLimiter] = RunVar("long_requests")


def runs_long(endpoint: Endpoint) -> Endpoint:
    """Declare that an endpoint may run for seconds (an export, an import): its work runs
    on threads of its own, not the worker's request threads."""
    endpoint.runs_long = True  # type: ignore[attr-defined]  # read by routing.in_one_hand_over
    return endpoint


def request_threads(configured: int, dialect: str) -> int | None:
    """The request threads per worker: as configured, else PostgreSQL's default; None,
    anyio's own (SQLite, unless configured)."""
    if configured:
        return configured
    return POSTGRESQL_THREADS if dialect == "postgresql" else None


def set_request_threads(threads: int | None) -> None:
    """Size this event loop's default thread pool (None: leave anyio's default)."""
    if threads is not None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads


def long_requests_lane() -> CapacityLimiter:
    """The threads of the requests declared @runs_long, made once per event loop."""
    try:
        return _long_lane.get()
    except LookupError:
        lane = CapacityLimiter(LONG_REQUEST_THREADS)
        _long_lane.set(lane)
        return lane
