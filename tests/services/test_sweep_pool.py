"""The sweep's batches read and evaluated in worker processes store what one process stores,
on both databases."""

import gc
import multiprocessing
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import select

from tracker.demo import load_demo
from tracker.services.evaluation import refresh_all
from tracker.services.sweep_pool import SWEEP_GC_THRESHOLD, rare_collections
from tracker.store.engine import session_scope
from tracker.store.models import PatientState

TODAY = date(2026, 11, 21)
PATIENTS = 30


def _sweep(engine, processes: int) -> tuple[int, dict, bool]:
    """refresh_all in batches of 7; the count, the stored states, and whether worker
    processes were alive while it wrote."""
    alive = []
    with session_scope(engine) as session:
        session.exec(delete(PatientState))
        session.commit()
        done = refresh_all(
            session,
            today=TODAY,
            batch_size=7,
            processes=processes,
            progress=lambda _n: alive.append(bool(multiprocessing.active_children())),
        )
        states = {
            s.patient_id: s.model_dump(exclude={"evaluated_at"})
            for s in session.exec(select(PatientState))
        }
    return done, states, any(alive)


def test_worker_processes_store_what_one_process_stores(committed_engine):
    with session_scope(committed_engine) as session:
        load_demo(session, patients=PATIENTS, seed=4, today=TODAY, zone="UTC")
    done_here, here, children_here = _sweep(committed_engine, processes=1)
    done_pooled, pooled, children_pooled = _sweep(committed_engine, processes=2)
    assert not children_here
    assert children_pooled  # the batches after the first went to worker processes
    assert done_here == done_pooled == len(here) >= PATIENTS
    assert pooled == here


def test_a_sweep_collects_garbage_rarely_and_then_as_before(committed_engine):
    with session_scope(committed_engine) as session:
        load_demo(session, patients=8, seed=4, today=TODAY, zone="UTC")
    before = gc.get_threshold()
    during = []
    with session_scope(committed_engine) as session:
        refresh_all(
            session,
            today=TODAY,
            batch_size=3,
            progress=lambda _n: during.append(gc.get_threshold()),
        )
    assert during and all(t == (SWEEP_GC_THRESHOLD, *before[1:]) for t in during)
    assert gc.get_threshold() == before


def test_overlapping_sweeps_put_the_threshold_back_when_the_last_one_ends():
    before = gc.get_threshold()
    with rare_collections():
        with rare_collections():
            assert gc.get_threshold()[0] == SWEEP_GC_THRESHOLD
        assert gc.get_threshold()[0] == SWEEP_GC_THRESHOLD  # the first is still sweeping
    assert gc.get_threshold() == before


# What a spawned worker imports and would hold for nothing: the ORM, the settings (pydantic)
# and the command line (typer), 23 MB of the 95 MB each worker held at 10,000 patients.
NOT_FOR_WORKERS = ("sqlmodel", "pydantic", "tracker.settings", "tracker.store.models", "typer")


def test_a_worker_imports_neither_the_orm_nor_the_command_line():
    # A worker imports the script that started the sweep (as __mp_main__, multiprocessing's
    # spawn) and then the module of the task it is sent; done here as a worker does it.
    script = Path(sys.executable).with_name("tracker")
    assert script.exists(), f"the tracker script is not installed beside {sys.executable}"
    probe = (
        "import runpy, sys\n"
        f"runpy.run_path({str(script)!r}, run_name='__mp_main__')\n"
        "import tracker.services.sweep_pool\n"
        f"print(' '.join(m for m in {NOT_FOR_WORKERS!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == []
    # The probe can see them: the command line and the sweeping process import them all.
    probe = probe.replace(
        "import tracker.services.sweep_pool", "import tracker.cli.main, tracker.services.evaluation"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == list(NOT_FOR_WORKERS)
