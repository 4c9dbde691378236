"""Two people booking the same chair at once: exactly one wins, over a real HTTP server."""

import threading
from datetime import date, timedelta

import httpx

from tests.opening_days import weekday_on_or_after

CLIENTS = 8


def test_concurrent_bookings_of_one_chair_give_one_booking(live_server, live_api_as):
    headers = live_api_as("booker")
    with httpx.Client(base_url=live_server, timeout=30) as http:
        patient_ids = []
        for i in range(CLIENTS):
            answer = http.post(
                "/api/v1/patients",
                headers=headers,
                json={
                    "mrn": f"RACE-{i}",
                    "given_name": "R",
                    "family_name": f"Racer{i}",
                    "birth_date": "1970-01-01",
                    "sex": "female",
                },
            )
            assert answer.status_code == 201, answer.text
            patient_ids.append(answer.json()["id"])

    day = weekday_on_or_after(date.today() + timedelta(days=7)).isoformat()
    barrier = threading.Barrier(CLIENTS)
    codes: list[int] = []

    def book(patient_id: int, minute: int) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as http:
            barrier.wait()
            answer = http.post(
                f"/api/v1/patients/{patient_id}/infusions",
                headers=headers,
                json={"scheduled_on": day, "chair": "C1", "start_time": f"09:{minute:02d}"},
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
    assert len(booked) == 1 and booked[0]["chair"] == "C1"
