"""How far the imports running in this process have got, for the import page's progress bar.

An import runs inside its POST request; the page polls this from another request. The state
lives in this process's memory only: behind several web workers a poll may reach another
worker, which answers "unknown", and the bar simply waits for the next poll (the result
page comes at the end either way).
"""

import threading
import time
from dataclasses import asdict, dataclass

KEEP_SECONDS = 3600


@dataclass
class Run:
    """One import's progress."""

    user_id: int
    stage: str = "starting"
    done: int = 0
    total: int = 0
    finished: bool = False
    touched: float = 0.0


_lock = threading.Lock()
_runs: dict[str, Run] = {}


def start(run_id: str, user_id: int) -> None:
    """Begin tracking an import (forgetting runs older than an hour)."""
    now = time.monotonic()
    with _lock:
        for key in [k for k, r in _runs.items() if now - r.touched > KEEP_SECONDS]:
            del _runs[key]
        _runs[run_id] = Run(user_id=user_id, touched=now)


def update(run_id: str, stage: str, done: int, total: int) -> None:
    """Record how many rows of all files are done."""
    with _lock:
        run = _runs.get(run_id)
        if run is not None:
            run.stage, run.done, run.total, run.touched = stage, done, total, time.monotonic()


def finish(run_id: str) -> None:
    """Mark an import as finished."""
    with _lock:
        run = _runs.get(run_id)
        if run is not None:
            run.finished, run.done, run.touched = True, run.total, time.monotonic()


def read(run_id: str, user_id: int) -> dict | None:
    """A run's progress, for the user who started it only."""
    with _lock:
        run = _runs.get(run_id)
        if run is None or run.user_id != user_id:
            return None
        return {k: v for k, v in asdict(run).items() if k not in ("user_id", "touched")}
