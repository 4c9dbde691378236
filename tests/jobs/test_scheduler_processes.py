"""Real `tracker scheduler` processes: killed mid-dispatch, and two started together."""

import signal
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import func, select

from tests.builders.rows import add_patient, book
from tests.conftest_mail import free_port, wait_until
from tests.jobs.processes import kill_hard, start_tracker, stop, tracker_env
from tracker.services import outbox
from tracker.store.engine import session_scope
from tracker.store.models import OutboxMessage

LONDON = ZoneInfo("Europe/London")


def _queue(engine, count: int, prefix: str) -> None:
    with session_scope(engine) as session:
        for i in range(count):
            outbox.enqueue(
                session,
                dedup_key=f"{prefix}-{i}",
                kind=outbox.ALERT,
                to_address=f"{prefix}{i}@example.org",
                subject=f"Message {i}",
                body_text=f"body {i}",
            )


def _count(engine, *conditions) -> int:
    with session_scope(engine, write=False) as session:
        return session.exec(
            select(func.count()).select_from(OutboxMessage).where(*conditions)
        ).one()


def _message_ids(engine) -> set[str]:
    with session_scope(engine, write=False) as session:
        return set(session.exec(select(OutboxMessage.message_id)).all())


def test_a_scheduler_killed_mid_dispatch_loses_nothing_and_duplicates_at_most_once_per_kill(
    committed_engine,
    database_url,
    smtp_server,
    tmp_path,
):
    total = 40
    smtp_server.collector.delay_seconds = 0.1  # slow enough to kill it half-way
    _queue(committed_engine, total, "k")
    env = tracker_env(
        database_url,
        smtp_server.port,
        dispatch_interval_seconds=1,
        outbox_claim_timeout_seconds=2,
        scheduler_lease_seconds=3,
        outbox_batch_size=10,
    )
    log = tmp_path / "scheduler.log"
    kills = 0
    for arrived in (8, 23):
        process = start_tracker(["scheduler"], env, log)
        smtp_server.collector.wait_for(arrived, timeout=60)
        kill_hard(process)
        kills += 1
        # Killed mid-batch: rows it had claimed are left 'sending' by a dead worker.
        assert _count(committed_engine, OutboxMessage.status == "sending") >= 1

    process = start_tracker(["scheduler"], env, log)
    try:
        wait_until(
            lambda: _count(committed_engine, OutboxMessage.status == "sent") == total,
            90,
            lambda: log.read_text()[-3000:],
        )
    finally:
        assert stop(process) == 0, log.read_text()[-3000:]

    copies = smtp_server.collector.copies_by_message_id()
    assert set(copies) == _message_ids(committed_engine)  # every message arrived
    assert len(copies) == total
    assert sum(copies.values()) - total <= kills  # at most one duplicate per kill
    assert {r.rcpt_tos[0] for r in smtp_server.collector.messages()} == {
        f"k{i}@example.org" for i in range(total)
    }


def test_two_schedulers_started_together_send_each_reminder_once(
    committed_engine,
    database_url,
    smtp_server,
    tmp_path,
):
    today = datetime.now(LONDON).date()
    patients = 12
    with session_scope(committed_engine) as session:
        for i in range(patients):
            patient = add_patient(
                session,
                f"TS-{i}",
                email=f"p{i}@example.org",
                regimen_from=today - timedelta(days=20),
            )
            book(
                session,
                patient,
                today + timedelta(days=2),
                chair_code=f"C{i % 4 + 1}",
                start=time(8 + i // 4, 0),
            )
    # Sweep time midnight: the active scheduler runs today's missed sweep at once.
    env = tracker_env(
        database_url,
        smtp_server.port,
        dispatch_interval_seconds=1,
        scheduler_lease_seconds=3,
        sweep_time="00:00",
    )
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    processes = [start_tracker(["scheduler"], env, log) for log in logs]
    try:
        wait_until(
            lambda: (
                _count(
                    committed_engine,
                    OutboxMessage.kind == outbox.REMINDER,
                    OutboxMessage.status == "sent",
                )
                == patients
            ),
            60,
            lambda: "\n".join(log.read_text()[-2000:] for log in logs),
        )
        copies = smtp_server.collector.copies_by_message_id()
        assert len(copies) == patients and set(copies.values()) == {1}
        assert sorted(r.rcpt_tos[0] for r in smtp_server.collector.messages()) == sorted(
            f"p{i}@example.org" for i in range(patients)
        )
        leaders = [i for i, log in enumerate(logs) if "now the active scheduler" in log.read_text()]
        assert len(leaders) == 1
        assert sum("daily sweep: swept" in log.read_text() for log in logs) == 1

        # The active one dies; the standby takes over and sends what comes next.
        kill_hard(processes[leaders[0]])
        _queue(committed_engine, 3, "after")
        smtp_server.collector.wait_for(patients + 3, timeout=60)
        standby = logs[1 - leaders[0]].read_text()
        assert "now the active scheduler" in standby
    finally:
        for process in processes:
            if process.poll() is None:
                assert stop(process) == 0
    assert len(smtp_server.collector.copies_by_message_id()) == patients + 3
    assert set(smtp_server.collector.copies_by_message_id().values()) == {1}


def test_serve_on_sqlite_runs_the_scheduler_in_process_by_default(
    sqlite_database,
    smtp_server,
    tmp_path,
):
    # On SQLite only: there `tracker serve` runs the scheduler in-process by default.
    database_url, committed_engine = sqlite_database
    _queue(committed_engine, 3, "web")
    port = free_port()
    log = tmp_path / "serve.log"
    process = start_tracker(
        ["serve", "--port", str(port)], tracker_env(database_url, smtp_server.port), log
    )
    try:
        smtp_server.collector.wait_for(3, timeout=30)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
    finally:
        # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
        assert stop(process) in (0, -signal.SIGTERM), log.read_text()[-3000:]
    assert "scheduler stopped" in log.read_text()  # shut down with the server
    assert sorted(r.rcpt_tos[0] for r in smtp_server.collector.messages()) == [
        f"web{i}@example.org" for i in range(3)
    ]
