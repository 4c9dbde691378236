"""A web worker's request threads (tracker/web/threads.py): one on PostgreSQL, anyio's
default on SQLite, and no request left holding a lock while it waits for a thread."""

import threading
from datetime import date, timedelta

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.opening_days import weekday_on_or_after
from tracker.web.app import create_app
from tracker.web.threads import POSTGRESQL_THREADS

CLIENTS = 6


def _threads_of(app) -> int:
    with TestClient(app) as client:
        return client.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )


def test_a_worker_runs_requests_on_one_thread_on_postgresql_and_anyios_default_on_sqlite(
    settings, postgres_database, sqlite_database
):
    assert _threads_of(create_app(settings, postgres_database[1])) == POSTGRESQL_THREADS == 1
    assert _threads_of(create_app(settings, sqlite_database[1])) == 40
    configured = settings.model_copy(update={"web_threads": 3})
    assert _threads_of(create_app(configured, postgres_database[1])) == 3


@pytest.fixture
def committed_engine(postgres_database):
    """The live server on PostgreSQL, where a worker has one request thread."""
    return postgres_database[1]


def test_bookings_refused_after_locking_their_patient_do_not_wait_on_each_other(
    live_server, live_api_as
):
    # Each booking locks the patient's row before it finds the day taken (one course a
    # day). A refused booking's rollback is made on the endpoint's own thread: were it left
    # for a later hand-over, the next booking would hold the worker's one thread waiting
    # for that lock, and the rollback would wait for the thread for ever.
    headers = live_api_as("booker")
    with httpx.Client(base_url=live_server, timeout=30) as http:
        patient = http.post(
            "/api/v1/patients",
            headers=headers,
            json={
                "mrn": "LOCK-1",
                "given_name": "L",
                "family_name": "Locked",
                "birth_date": "1970-01-01",
                "sex": "female",
            },
        ).json()["id"]

    day = weekday_on_or_after(date.today() + timedelta(days=7)).isoformat()
    barrier = threading.Barrier(CLIENTS)
    codes: list[int | str] = []

    def book() -> None:
        with httpx.Client(base_url=live_server, timeout=20) as http:
            barrier.wait()
            try:
                answer = http.post(
                    f"/api/v1/patients/{patient}/infusions",
                    headers=headers,
                    json={"scheduled_on": day},
                )
                codes.append(answer.status_code)
            except httpx.TimeoutException:
                codes.append("no answer in 20 s")

    threads = [threading.Thread(target=book) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes, key=str) == [201] + [422] * (CLIENTS - 1)


def test_a_long_request_runs_on_a_thread_of_its_own():
    # With the worker's one request thread, an export (@runs_long) still in progress must
    # leave that thread free for the other requests.
    from tracker.web.routing import Router
    from tracker.web.threads import runs_long, set_request_threads

    started, release = threading.Event(), threading.Event()
    router = Router()

    @router.get("/export")
    @runs_long
    def export() -> dict:
        started.set()
        release.wait(timeout=20)
        return {"done": True}

    @router.get("/page")
    def page() -> dict:
        return {"page": True}

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        client.portal.call(set_request_threads, 1)
        exporting = threading.Thread(target=lambda: client.get("/export"))
        exporting.start()
        try:
            assert started.wait(timeout=10)
            answered: list[int] = []
            asking = threading.Thread(
                target=lambda: answered.append(client.get("/page").status_code)
            )
            asking.start()
            asking.join(timeout=5)
            assert answered == [200], "the page waited for the export's thread"
        finally:
            release.set()
            exporting.join(timeout=10)


def test_the_login_checks_reads_are_committed_before_the_endpoints_hand_over(
    app, client, api_as, session
):
    # Between the two hand-overs a request holds no thread: on PostgreSQL it must hold no
    # transaction either, whose share locks could queue DDL, and every later request of
    # the worker behind that, the one holding the thread too.
    from tracker.web.deps import ApiUser, DbSession
    from tracker.web.routing import Router

    probe = Router()

    @probe.post("/test-probe/transaction")
    def transaction_open(db: DbSession, user: ApiUser) -> dict:
        return {"open": db.in_transaction(), "user": user.username}

    app.include_router(probe)
    answer = client.post("/test-probe/transaction", headers=api_as("nurse", "probe.nurse"))
    assert answer.status_code == 200, answer.text
    # SQLite: the write scope keeps the write lock it began with (and its 40 threads).
    postgres = session.get_bind().dialect.name == "postgresql"
    assert answer.json() == {"open": not postgres, "user": "probe.nurse"}
