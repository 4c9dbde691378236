"""The sweep's reading and evaluation spread over worker processes.

Reading a batch (the database packing each patient's lists, the driver fetching them) and
evaluating it (pure Python) are CPU-bound, so one process uses one core however many the
machine has. With more than one process asked for, the sweeping process only lists each
batch's patients and hands the list to a worker, which reads their facts on a connection of
its own, evaluates them and sends back the patient_state rows; the sweeping process writes
them in its own transaction.

A worker's connection sees what is committed, not the sweeping transaction's own changes:
the sweep and the re-evaluation change no facts before they evaluate.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from typing import Any

from sqlalchemy import Engine

from tracker.rules import SitePolicy
from tracker.services.packed_facts import Patient, load_packed
from tracker.services.patient_states import packed_states
from tracker.store.engine import make_engine

StateRows = list[dict[str, Any]]

_engines: dict[str, Engine] = {}  # a worker's engine, made at its first batch


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
) -> StateRows:
    """A worker's task: read these patients' packed facts and give their state rows."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    with engine.connect() as connection:
        facts = load_packed(connection, patients, today=today, policy=policy)
    return packed_states([(p[0], facts[p[0]]) for p in patients], today, policy)


class WorkerPool:
    """Batches read and evaluated by worker processes, their rows handed back in the order
    submitted. Use as a context manager."""

    def __init__(self, processes: int, *, url: str, today: date, policy: SitePolicy) -> None:
        self.processes = processes
        self.url = url
        self.today = today
        self.policy = policy
        # "spawn": the sweeping process holds open connections (and, on the in-process
        # path, a reader thread), which a forked child must not inherit.
        self._pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn")
        )
        self._pending: deque[Future[StateRows]] = deque()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        # On an error the rows not yet written are of no use: stop at once.
        failed = exc[0] is not None
        self._pool.shutdown(wait=not failed, cancel_futures=failed)

    def submit(self, patients: Sequence[Patient]) -> list[StateRows]:
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

    def drain(self) -> list[StateRows]:
        """The rows of every batch still in flight, in order."""
        return [self._pending.popleft().result() for _ in range(len(self._pending))]
