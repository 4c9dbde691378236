"""The command line: schema, staff accounts and the sweep, run as a user runs them."""

import subprocess
import sys
from datetime import date

import pytest
from sqlmodel import select

from tests.conftest import FIXED_WIDTH
from tracker.services.passwords import verify_password
from tracker.store import migrate
from tracker.store.engine import make_engine, session_scope
from tracker.store.models import AuditEvent, StaffUser


def tracker(*args: str, env_url: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Run `tracker ARGS` in a subprocess against the database at env_url."""
    import os

    env = {
        **os.environ,
        **FIXED_WIDTH,
        "TRACKER_DATABASE_URL": env_url,
        "TRACKER_SECRET_KEY": "cli-test-secret-0123456789abcdefghij",
    }
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)  # what `tracker db upgrade` does (tested on its own), minus a process
    return url


def test_db_upgrade_creates_the_file(tmp_path):
    path = tmp_path / "fresh.db"
    result = tracker("db", "upgrade", env_url=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    assert path.exists()


def test_users_create_reads_the_password_from_stdin(db_url):
    result = tracker(
        "users",
        "create",
        "Alice",
        "--role",
        "pharmacist",
        "--password-stdin",
        "--email",
        "alice@example.org",
        env_url=db_url,
        stdin="a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    engine = make_engine(db_url)
    with session_scope(engine, write=False) as s:
        user = s.exec(select(StaffUser).where(StaffUser.username == "alice")).one()
        assert user.role == "pharmacist" and user.email == "alice@example.org"
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, "a long enough password")
        assert s.exec(select(AuditEvent.action)).all() == ["user.create"]
    engine.dispose()


@pytest.mark.parametrize(
    "args,stdin,message",
    [
        (["--role", "wizard"], "a long enough password\n", "role"),
        (["--role", "nurse"], "short\n", "password"),
        (["--role", "nurse"], "", "password"),
        (["--role", "nurse", "--email", "notanemail"], "a long enough password\n", "email"),
    ],
)
def test_users_create_refuses_bad_input(db_url, args, stdin, message):
    result = tracker(
        "users", "create", "bob", *args, "--password-stdin", env_url=db_url, stdin=stdin
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_users_create_refuses_a_duplicate(db_url):
    first = tracker(
        "users",
        "create",
        "carol",
        "--role",
        "nurse",
        "--password-stdin",
        env_url=db_url,
        stdin="a long enough password\n",
    )
    again = tracker(
        "users",
        "create",
        "carol",
        "--role",
        "nurse",
        "--password-stdin",
        env_url=db_url,
        stdin="a long enough password\n",
    )
    assert first.returncode == 0 and again.returncode != 0
    assert "taken" in again.stderr


def test_sweep_verify_refuses_a_sample_of_no_patients(db_url):
    # -3 ended in a traceback (random.sample), 0 checked nobody and said all was well.
    for size in ("-3", "0"):
        answer = tracker("sweep", "--verify", "--sample", size, env_url=db_url)
        assert answer.returncode == 2 and "--sample" in answer.stderr, answer.stderr
        assert "Traceback" not in answer.stderr


def test_sweep_reports_and_validates_the_day(db_url):
    ok = tracker("sweep", "--on", date(2026, 3, 1).isoformat(), env_url=db_url)
    assert ok.returncode == 0, ok.stderr
    assert "2026-03-01" in ok.stderr + ok.stdout
    bad = tracker("sweep", "--on", "2026-02-30", env_url=db_url)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_demo_prints_each_diary_keepers_link_once_and_keeps_only_its_digest(db_url):
    from tracker.services.diary import token_digest
    from tracker.store.models import DiaryLink

    result = tracker("demo", "--patients", "40", "--today", "2026-06-10", env_url=db_url)
    assert result.returncode == 0, result.stderr
    links = [line for line in result.stdout.splitlines() if "Demo diary link for" in line]
    assert links and sum("(home grips wear off)" in line for line in links) == 1
    tokens = {line.rsplit("/diary/", 1)[1] for line in links}
    with session_scope(make_engine(db_url), write=False) as session:
        stored = set(session.exec(select(DiaryLink.token_hash)).all())
    assert stored == {token_digest(t) for t in tokens}
