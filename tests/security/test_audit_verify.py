"""Tamper evidence: `tracker audit verify` passes an intact trail and names each entry that was
edited or whose predecessor was removed; `tracker users disable` works from the console."""

import os
import subprocess
import sys

from sqlalchemy import text
from sqlmodel import select

from tests.builders.records import build_world
from tests.conftest import FIXED_WIDTH
from tracker.services import audit, staff
from tracker.services.actors import SYSTEM
from tracker.store.engine import session_scope
from tracker.store.models import AuditEvent, StaffUser, WebSession


def tracker(*args: str, database_url: str) -> subprocess.CompletedProcess:
    """Run `tracker ARGS` as an operator would, against this database."""
    env = {**os.environ, **FIXED_WIDTH, "TRACKER_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_verify_names_an_edited_entry_and_a_broken_link(session):
    build_world(session)
    assert audit.verify_chain(session) == []
    ids = session.exec(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    assert len(ids) >= 8
    edited, removed = ids[2], ids[5]
    session.execute(
        text("UPDATE audit_event SET actor_name = 'mallory' WHERE id = :id"), {"id": edited}
    )
    session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": removed})
    session.expire_all()
    assert audit.verify_chain(session, batch_size=3) == [
        (edited, "content does not match its HMAC"),
        (ids[6], "link to the previous entry is broken"),
    ]


def test_verify_catches_a_recomputed_hash_without_the_key(session):
    build_world(session)
    entry = session.exec(select(AuditEvent).order_by(AuditEvent.id)).first()
    # Someone who can write the table but does not hold TRACKER_SECRET_KEY.
    forged = audit.entry_mac(entry, entry.prev_hmac, key="guessed-key")
    session.execute(
        text("UPDATE audit_event SET hmac = :h WHERE id = :id"), {"h": forged, "id": entry.id}
    )
    session.expire_all()
    problems = audit.verify_chain(session)
    assert (entry.id, "content does not match its HMAC") in problems
    assert (entry.id + 1, "link to the previous entry is broken") in problems


def test_the_cli_says_ok_then_names_the_entry_edited_in_the_database(
    committed_engine, database_url
):
    with session_scope(committed_engine) as session:
        build_world(session)
    intact = tracker("audit", "verify", database_url=database_url)
    assert intact.returncode == 0, intact.stderr
    with session_scope(committed_engine) as session:
        count = len(session.exec(select(AuditEvent.id)).all())
        victim = session.exec(select(AuditEvent).where(AuditEvent.action == "patient.create")).one()
    assert intact.stdout.startswith(f"OK: {count} audit entries verified")
    with committed_engine.begin() as connection:  # a DBA "correcting" the record by hand
        connection.execute(
            text("UPDATE audit_event SET entity_id = '999' WHERE id = :id"), {"id": victim.id}
        )
    broken = tracker("audit", "verify", database_url=database_url)
    assert broken.returncode == 1
    assert f"audit entry {victim.id}: content does not match its HMAC" in broken.stdout
    assert "audit trail broken" in broken.stderr


def test_users_disable_from_the_console_ends_the_sessions(committed_engine, database_url):
    with session_scope(committed_engine) as session:
        user = staff.create_user(
            session,
            actor=SYSTEM,
            username="cli.nurse",
            role="nurse",
            password="a long enough password",
        )
        staff.start_web_session(session, user=user, max_hours=12, ip_address=None, user_agent=None)
    done = tracker("users", "disable", "CLI.Nurse", database_url=database_url)
    assert done.returncode == 0, done.stderr
    with session_scope(committed_engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == "cli.nurse")).one()
        assert user.is_active is False
        assert session.exec(select(WebSession)).one().ended_at is not None
        entry = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (entry.action, entry.actor_name) == ("user.disable", "system")
    missing = tracker("users", "disable", "nobody", database_url=database_url)
    assert missing.returncode == 1 and "no account named" in missing.stderr
