"""On SQLite a GET route that only reads runs deferred, beside a writer; one that writes
(an audited read) says so and queues for the write lock; an undeclared write is refused."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from tests.builders.pages import log_in
from tests.builders.records import build_world
from tests.conftest import TEST_PASSWORD
from tracker.services import audit
from tracker.services.actors import SYSTEM
from tracker.services.passwords import hash_password
from tracker.store.engine import WriteInReadScope, session_scope
from tracker.store.models import ApiToken, AuditEvent, StaffUser, WebSession
from tracker.web.app import create_app
from tracker.web.deps import DbSession, writes_on_get

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _user(engine, username: str, role: str) -> StaffUser:
    with session_scope(engine) as s:
        user = StaffUser(username=username, role=role, password_hash=hash_password(TEST_PASSWORD))
        s.add(user)
    return user


def _page_client(app, engine, role: str = "pharmacist") -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    log_in(client, lambda username, role: _user(engine, username, role), role)
    return client


def test_a_page_that_only_reads_answers_while_a_writer_holds_the_lock(sqlite_database, settings):
    _, engine = sqlite_database
    client = _page_client(create_app(settings, engine), engine)
    # This process's writer lock and SQLite's (BEGIN IMMEDIATE) both held: a read that took
    # them would wait out the busy timeout and fail.
    with session_scope(engine, write=True) as writer:
        writer.execute(text("UPDATE chair SET booking_version = booking_version"))
        answer = client.get("/")
        assert answer.status_code == 200
        assert "Worklist" in answer.text


def test_a_patient_page_queues_for_the_write_lock_and_records_the_read(sqlite_database, settings):
    _, engine = sqlite_database
    with session_scope(engine) as s:
        patient_id = build_world(s).patient_id
    client = _page_client(create_app(settings, engine), engine, "viewer")
    answers = []
    with session_scope(engine, write=True):
        reader = threading.Thread(
            target=lambda: answers.append(client.get(f"/patients/{patient_id}"))
        )
        reader.start()
        reader.join(0.5)
        assert reader.is_alive()  # waiting for the writer, not reading beside it
    reader.join(15)
    assert answers[0].status_code == 200
    with session_scope(engine, write=False) as s:
        views = s.exec(
            select(AuditEvent).where(
                AuditEvent.action == "patient.view", AuditEvent.patient_id == patient_id
            )
        ).all()
    assert len(views) == 1 and views[0].actor_name == "viewer.page"


def test_a_get_route_that_writes_without_saying_so_is_refused(sqlite_database, settings):
    _, engine = sqlite_database
    app = create_app(settings, engine)

    def write(db) -> dict:
        audit.record(db, actor=SYSTEM, action="test.write")
        return {}

    @app.get("/writes/unsaid")
    def unsaid(db: DbSession) -> dict:
        return write(db)

    @app.get("/writes/unsaid-orm")
    def unsaid_orm(db: DbSession) -> dict:
        db.add(StaffUser(username="made.by.a.get", role="viewer", password_hash="x"))
        return {}

    @app.get("/writes/said")
    @writes_on_get
    def said(db: DbSession) -> dict:
        return write(db)

    client = TestClient(app, base_url="http://testserver")
    refused = r"GET /writes/unsaid \(not declared @writes_on_get\) ran .* INSERT INTO audit_event"
    with pytest.raises(WriteInReadScope, match=refused):
        client.get("/writes/unsaid")
    with pytest.raises(WriteInReadScope, match=r"GET /writes/unsaid-orm .* INSERT INTO staff_user"):
        client.get("/writes/unsaid-orm")
    assert client.get("/writes/said").status_code == 200
    with session_scope(engine, write=False) as s:
        assert s.exec(select(AuditEvent.action)).all() == ["test.write"]
        assert s.exec(select(StaffUser.username)).all() == []


def test_a_read_saves_a_due_touch_of_the_session_and_the_token(sqlite_database, settings):
    _, engine = sqlite_database
    app = create_app(settings, engine)
    with time_machine.travel(T0, tick=False) as clock:
        client = _page_client(app, engine)
        issued = client.post(
            "/api/v1/auth/token", data={"username": "pharmacist.page", "password": TEST_PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        clock.shift(timedelta(minutes=5))
        assert client.get("/patients").status_code == 200
        assert client.get("/api/v1/worklist", headers=bearer).status_code == 200
        clock.shift(timedelta(seconds=30))  # within the minute: no touch, nothing written
        assert client.get("/patients").status_code == 200
    with session_scope(engine, write=False) as s:
        (seen,) = s.exec(select(WebSession.last_seen_at)).all()
        (used,) = s.exec(select(ApiToken.last_used_at)).all()
    assert seen == used == T0 + timedelta(minutes=5)
