"""Over a real server with many clients at once: audited reads beside writes all succeed (on
SQLite a read that wrote after another writer got in used to fail at once), and a burst of
login tries is still stopped at ten failures."""

import threading
from collections import Counter

import httpx
from sqlmodel import select

from tests.builders.records import build_world
from tests.conftest import TEST_PASSWORD
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import AuditEvent, StaffUser


def test_audited_reads_beside_writes_all_succeed(live_server, committed_engine):
    with session_scope(committed_engine) as session:
        session.add(
            StaffUser(
                username="busy.admin", role="admin", password_hash=hash_password(TEST_PASSWORD)
            )
        )
        world = build_world(session)
    token = httpx.post(
        f"{live_server}/api/v1/auth/token",
        data={"username": "busy.admin", "password": TEST_PASSWORD},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    answers: Counter = Counter()

    def writer():
        with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http:
            for n in range(40):
                answers[
                    (
                        "write",
                        http.patch(
                            f"/api/v1/patients/{world.patient_id}", json={"height_cm": 150 + n}
                        ).status_code,
                    )
                ] += 1

    def reader(path):
        with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http:
            for _ in range(40):
                answers[("read", http.get(path).status_code)] += 1

    threads = [threading.Thread(target=writer) for _ in range(2)] + [
        threading.Thread(target=reader, args=(path,))
        for path in (
            f"/api/v1/patients/{world.patient_id}",
            f"/api/v1/patients/{world.patient_id}/weights",
            f"/api/v1/patients/{world.patient_id}/schedule",
            "/api/v1/worklist",
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == Counter({("write", 200): 80, ("read", 200): 160})
    with session_scope(committed_engine, write=False) as session:
        views = session.exec(select(AuditEvent).where(AuditEvent.action == "patient.view")).all()
        assert len(views) == 120  # each read of the record, none lost


def test_tries_sent_all_at_once_still_stop_at_ten(live_server, committed_engine):
    with session_scope(committed_engine) as session:
        session.add(
            StaffUser(
                username="rush.target", role="nurse", password_hash=hash_password(TEST_PASSWORD)
            )
        )
    answers: Counter = Counter()

    def guess(n):
        answer = httpx.post(
            f"{live_server}/api/v1/auth/token",
            timeout=60,
            data={"username": "rush.target", "password": f"wrong guess {n}"},
        )
        answers[answer.status_code] += 1

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == Counter({401: 10, 429: 20})
