"""The sweep's reading and evaluation spread over worker processes.

Reading a batch (the database packing each patient's lists, the driver fetching them) and
evaluating it (pure Python) are CPU-bound, so one process uses one core however many the
machine has. With more than one process asked for, the sweeping process only lists each
batch's patients and hands the list to a worker, which reads their facts on a connection of
its own, evaluates them and sends back the patient_state rows (and, on SQLite, the score
packs it made); the sweeping process writes them in its own transaction.

A worker's connection sees what is committed, not the sweeping transaction's own changes:
the sweep and the re-evaluation change no facts before they evaluate. On SQLite that
transaction holds the write lock from its start (BEGIN IMMEDIATE), so nothing is committed
between a worker's read and the sweep's commit: the packs it keeps are current.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Engine

from tracker.rules import SitePolicy
from tracker.services.packed_facts import Patient, load_packed
from tracker.services.state_rows import packed_states
from tracker.store.connect import make_engine

StateRows = list[dict[str, Any]]
Evaluated = tuple[StateRows, dict[int, bytes]]  # a batch's state rows and fresh score packs

_engines: dict[str, Engine] = {}  # a worker's engine, made at its first batch

# A sweep allocates millions of short-lived objects, nearly all freed by their reference
# counts, yet each 700 allocations (the default) start a collection, and the batches alive
# at the time survive into the older generations, whose collections then scan them again
# and again: measured at 100,000 patients in one process, 14.7 of 55.5 s of CPU went to
# the collector. Collecting after 50,000 allocations cut that to 0.3 s, the peak memory
# staying within 130 MB.
SWEEP_GC_THRESHOLD = 50_000
_collection_lock = threading.Lock()
_sweeps_collecting_rarely = 0
_threshold_before: tuple[int, int, int] = gc.get_threshold()


def processes_for(asked: int) -> int:
    """The worker processes to use: `asked`, or with 0 one per core the sweep may use."""
    if asked > 0:
        return asked
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return max(1, len(usable) if usable else (os.cpu_count() or 1))


def shareable(engine: Engine) -> bool:
    """Whether worker processes can open the same database (not an in-memory SQLite one)."""
    database = engine.url.database or ""
    return engine.dialect.name != "sqlite" or database not in ("", ":memory:")


def read_and_evaluate(
    url: str, patients: Sequence[Patient], today: date, policy: SitePolicy
) -> Evaluated:
    """A worker's task: read these patients' packed facts and give their state rows, with
    the score packs the read made (SQLite) for the sweep to keep."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    packs: dict[int, bytes] = {}
    with engine.connect() as connection:
        facts = load_packed(connection, patients, today=today, policy=policy, fresh_packs=packs)
    return packed_states([(p[0], facts[p[0]]) for p in patients], today, policy), packs


@contextmanager
def rare_collections() -> Iterator[None]:
    """The garbage collector's first threshold raised for a sweep (SWEEP_GC_THRESHOLD), and
    put back when the last sweep running in this process ends."""
    global _sweeps_collecting_rarely, _threshold_before
    with _collection_lock:
        if not _sweeps_collecting_rarely:
            _threshold_before = gc.get_threshold()
            gc.set_threshold(SWEEP_GC_THRESHOLD, *_threshold_before[1:])
        _sweeps_collecting_rarely += 1
    try:
        yield
    finally:
        with _collection_lock:
            _sweeps_collecting_rarely -= 1
            if not _sweeps_collecting_rarely:
                gc.set_threshold(*_threshold_before)


def _worker_started() -> None:
    # A worker process only ever sweeps.
    gc.set_threshold(SWEEP_GC_THRESHOLD, *gc.get_threshold()[1:])


class WorkerPool:
    """Batches read and evaluated by worker processes, their rows (and fresh score packs)
    handed back in the order submitted. Use as a context manager."""

    def __init__(self, processes: int, *, url: str, today: date, policy: SitePolicy) -> None:
        self.processes = processes
        self.url = url
        self.today = today
        self.policy = policy
        # "spawn": the sweeping process holds open connections (and, on the in-process
        # path, a reader thread), which a forked child must not inherit.
        self._pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_started,
        )
        self._pending: deque[Future[Evaluated]] = deque()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        # On an error the rows not yet written are of no use: stop at once.
        failed = exc[0] is not None
        self._pool.shutdown(wait=not failed, cancel_futures=failed)

    def submit(self, patients: Sequence[Patient]) -> list[Evaluated]:
        """Hand over a batch; the rows of the batches finished by now, oldest first. Two
        batches per process are kept in flight, so that none waits for the next."""
        self._pending.append(
            self._pool.submit(read_and_evaluate, self.url, list(patients), self.today, self.policy)
        )
        done = []
        while self._pending and (
            self._pending[0].done() or len(self._pending) > 2 * self.processes
        ):
            done.append(self._pending.popleft().result())
        return done

    def drain(self) -> list[Evaluated]:
        """The rows of every batch still in flight, in order."""
        return [self._pending.popleft().result() for _ in range(len(self._pending))]
