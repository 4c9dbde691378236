"""Bookings at once that together would overspend an authorisation: at most one goes through
without an override reason, over a real HTTP server, on SQLite and PostgreSQL.

The booking takes the patient's row lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the
write lock every request begins with) before it reads the courses it charges.
"""

import threading
from datetime import date, timedelta

import httpx

from tests.builders.api import give, patient_with_regimen
from tests.conftest import TEST_PASSWORD
from tests.opening_days import open_every_day
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser

CLIENTS = 6
T = date.today()


def _token(http: httpx.Client, username: str) -> dict:
    answer = http.post("/api/v1/auth/token", data={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_concurrent_bookings_never_overspend_the_approved_grams(live_server, committed_engine):
    with session_scope(committed_engine) as s:
        open_every_day(s)  # the six days ahead take in a weekend
        for username, role in (("funder", "pharmacist"), ("funds.admin", "admin")):
            s.add(
                StaffUser(username=username, role=role, password_hash=hash_password(TEST_PASSWORD))
            )
    with httpx.Client(base_url=live_server, timeout=30) as http:
        headers = _token(http, "funder")
        pid = patient_with_regimen(http, headers, mrn="RACE-AU", starts_on=T - timedelta(days=40))
        give(http, headers, pid, T - timedelta(days=28))  # 70 g of the 140 approved
        answer = http.post(
            f"/api/v1/patients/{pid}/authorizations",
            headers=headers,
            json={
                "payer": "NHS England",
                "reference": "RACE-1",
                "starts_on": (T - timedelta(days=40)).isoformat(),
                "ends_on": (T + timedelta(days=300)).isoformat(),
                "approved_g": 140,
            },
        )
        assert answer.status_code == 201, answer.text
        policy = http.put(
            "/api/v1/policy",
            headers=_token(http, "funds.admin"),
            json={"authorizations_required": True},
        )
        assert policy.status_code == 200, policy.text

    barrier = threading.Barrier(CLIENTS)
    codes: list[int] = []

    def book(days_ahead: int) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as http:
            barrier.wait()
            answer = http.post(
                f"/api/v1/patients/{pid}/infusions",
                headers=headers,
                json={"scheduled_on": (T + timedelta(days=days_ahead)).isoformat(), "dose_g": 70},
            )
            codes.append(answer.status_code)

    # Each on its own day, without a chair: only the funding check can stop them.
    threads = [threading.Thread(target=book, args=(n,)) for n in range(1, CLIENTS + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * (CLIENTS - 1)
    with httpx.Client(base_url=live_server, timeout=30) as http:
        (funding,) = http.get(f"/api/v1/patients/{pid}/authorizations", headers=headers).json()
        booked = [
            c
            for c in http.get(f"/api/v1/patients/{pid}/infusions", headers=headers).json()
            if c["status"] == "booked"
        ]
    assert len(booked) == 1
    assert (funding["used_g"], funding["booked_g"], funding["remaining_g"]) == (70, 70, 0)
