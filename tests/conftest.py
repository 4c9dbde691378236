"""Shared fixtures: databases built by the migrations once, each test rolled back.

The suite runs on SQLite always and on PostgreSQL where TRACKER_TEST_POSTGRES_URL is set
(CI sets it, with TRACKER_REQUIRE_POSTGRES=1 so that a missing server fails instead of
skipping).
"""

import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from tracker.services.passwords import hash_password
from tracker.settings import Settings, get_settings
from tracker.store import migrate
from tracker.store.engine import make_engine
from tracker.store.models import StaffUser

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("TRACKER_REQUIRE_POSTGRES") == "1"
TEST_PASSWORD = "correct horse battery staple"
# The CLI prints through rich, which wraps lines at the terminal's width (COLUMNS): processes
# the tests start get one fixed wide width, so what they print is the same whoever runs them.
FIXED_WIDTH = {"COLUMNS": "200"}
_TEST_HASH = hash_password(TEST_PASSWORD)  # argon2 is slow on purpose: hash once per run

os.environ.setdefault("TRACKER_SECRET_KEY", "test-secret-key-for-the-suite-0123456789")
os.environ.setdefault("TRACKER_ENV", "test")
# Sweeps append audit checkpoints; the suite's go to a directory of its own, not the checkout.
os.environ.setdefault(
    "TRACKER_AUDIT_CHECKPOINT_FILE",
    os.path.join(tempfile.mkdtemp(prefix="tracker-checkpoints-"), "audit-checkpoint.json"),
)
get_settings.cache_clear()


def _postgres_or_skip() -> str:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("TRACKER_REQUIRE_POSTGRES=1 but TRACKER_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured (set TRACKER_TEST_POSTGRES_URL)")
    return POSTGRES_URL


def create_postgres_database(base_url: str) -> str:
    """A new, empty, uniquely named database on the server of `base_url`; its URL."""
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(base_url: str, url: str) -> None:
    """Drop a database made by create_postgres_database."""
    name = make_url(url).database
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Fixtures that need a part the machine may lack; a test using one carries its marker, so
# `-m "not browser and not postgres"` (make test-fast) leaves it out.
MARK_BY_FIXTURE = {"postgres_database": "postgres", "chromium": "browser"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the missing-part fixtures it uses (before -m selects)."""
    for item in items:
        for fixture, marker in MARK_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], scope="session"
)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A database migrated to head, once per run and kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tracker.db'}"
        migrate.upgrade(url)
        yield url
        return
    base = _postgres_or_skip()
    url = create_postgres_database(base)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_postgres_database(base, url)


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    """The engine of the migrated test database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session(connection) -> Iterator[Session]:
    """A session inside the test's transaction; its commits become savepoints."""
    with Session(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    ) as session:
        yield session


@pytest.fixture
def make_user(session):
    """Make a staff user with TEST_PASSWORD (hashed once per run, for speed)."""

    def make(username: str = "pat.pharmacist", role: str = "pharmacist") -> StaffUser:
        user = StaffUser(
            username=username,
            role=role,
            password_hash=_TEST_HASH,
            full_name=username.replace(".", " ").title(),
        )
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def settings() -> Settings:
    """Test settings (a fixed secret, test environment)."""
    return Settings(env="test", secret_key="test-secret-key-for-the-suite-0123456789")


@pytest.fixture
def app(settings, connection):
    """The app, its requests joined to the test's rolled-back transaction."""
    from tracker.web.app import create_app

    return create_app(settings, connection)


@pytest.fixture
def client(app) -> Iterator:
    """An HTTP client for the app, nobody logged in."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def api_as(client, make_user):
    """Log in to the API as a new user of a role; returns headers with the bearer token."""

    def login(role: str = "pharmacist", username: str | None = None) -> dict:
        user = make_user(username or f"{role}.user", role)
        answer = client.post(
            "/api/v1/auth/token", data={"username": user.username, "password": TEST_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return login


@pytest.fixture
def today() -> date:
    """A fixed evaluation day for tests that do not care which day it is."""
    return date(2026, 3, 1)


SEEDED_TABLES = {"product", "chair", "patient_state_version", "site_settings_version"}


def wipe(engine: Engine) -> None:
    """Delete every row a test committed (the seeded products, chairs and states' version stay)."""
    from sqlmodel import SQLModel

    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in SEEDED_TABLES:
                connection.execute(table.delete())


@pytest.fixture
def committed_engine(engine) -> Iterator[Engine]:
    """The test database for tests that must really commit (concurrency, processes)."""
    wipe(engine)
    yield engine
    wipe(engine)


@pytest.fixture
def live_server(settings, committed_engine):
    """A real uvicorn server on a free loopback port, serving the app; its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    from tracker.web.app import create_app
    from tracker.web.serving import UVICORN_OPTIONS

    # The server is handed the bound socket itself: a port picked, freed and bound again
    # could be taken in between by another test process (pytest-xdist).
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, committed_engine),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            **UVICORN_OPTIONS,  # as `tracker serve` runs it
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listening.close()


@pytest.fixture
def live_api_as(live_server, committed_engine):
    """Log in to the live server's API as a new (committed) user of a role; returns headers
    with the bearer token."""
    import httpx

    from tracker.store.engine import session_scope

    def login(username: str, role: str = "pharmacist") -> dict:
        with session_scope(committed_engine) as s:
            s.add(StaffUser(username=username, role=role, password_hash=_TEST_HASH))
        answer = httpx.post(
            f"{live_server}/api/v1/auth/token",
            data={"username": username, "password": TEST_PASSWORD},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return login


@pytest.fixture
def sqlite_database(tmp_path) -> Iterator[tuple[str, Engine]]:
    """A fresh migrated SQLite file for tests about SQLite alone: (URL, engine)."""
    url = f"sqlite:///{tmp_path / 'only-sqlite.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


@pytest.fixture
def postgres_database() -> Iterator[tuple[str, Engine]]:
    """A fresh migrated PostgreSQL database for tests about PostgreSQL alone: (URL, engine)."""
    base = _postgres_or_skip()
    url = create_postgres_database(base)
    engine = make_engine(url)
    try:
        migrate.upgrade(url)
        yield url, engine
    finally:
        engine.dispose()
        drop_postgres_database(base, url)
