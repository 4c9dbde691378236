"""Two people booking one nurse at once: exactly one visit wins, over a real HTTP server."""

import threading
from datetime import date, timedelta

import httpx

from tests.conftest import TEST_PASSWORD
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser

CLIENTS = 6


def test_concurrent_visits_of_one_nurse_give_one_visit(live_server, committed_engine):
    with session_scope(committed_engine) as s:
        s.add(
            StaffUser(
                username="booker", role="pharmacist", password_hash=hash_password(TEST_PASSWORD)
            )
        )
        s.add(
            StaffUser(
                username="visiting.nurse",
                full_name="Visiting Nurse",
                role="nurse",
                password_hash=hash_password(TEST_PASSWORD),
            )
        )
    with httpx.Client(base_url=live_server, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/token", data={"username": "booker", "password": TEST_PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        patient_ids = []
        for i in range(CLIENTS):
            answer = http.post(
                "/api/v1/patients",
                headers=headers,
                json={
                    "mrn": f"VISIT-{i}",
                    "given_name": "V",
                    "family_name": f"Visited{i}",
                    "birth_date": "1970-01-01",
                    "sex": "female",
                },
            )
            assert answer.status_code == 201, answer.text
            patient_ids.append(answer.json()["id"])

    # A Sunday: a home visit keeps no opening hours.
    day = date.today() + timedelta(days=7)
    day = (day + timedelta(days=(6 - day.weekday()) % 7)).isoformat()
    barrier = threading.Barrier(CLIENTS)
    codes: list[int] = []

    def book(patient_id: int, minute: int) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as http:
            barrier.wait()
            answer = http.post(
                f"/api/v1/patients/{patient_id}/infusions",
                headers=headers,
                json={
                    "scheduled_on": day,
                    "site": "home_nurse",
                    "nurse": "visiting.nurse",
                    "start_time": f"09:{minute:02d}",
                },
            )
            codes.append(answer.status_code)

    # Different start minutes: only the overlap check (not the unique index) can stop them.
    threads = [
        threading.Thread(target=book, args=(pid, i * 5)) for i, pid in enumerate(patient_ids)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * (CLIENTS - 1)
    with httpx.Client(base_url=live_server, timeout=30) as http:
        booked = [
            c
            for pid in patient_ids
            for c in http.get(f"/api/v1/patients/{pid}/infusions", headers=headers).json()
        ]
    assert len(booked) == 1 and booked[0]["nurse"] == "visiting.nurse"
