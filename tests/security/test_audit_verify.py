"""Tamper evidence: `tracker audit verify` passes an intact trail and names each entry that was
edited or whose predecessor was removed; `tracker users disable` works from the console."""

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.builders.records import build_world
from tests.conftest import FIXED_WIDTH
from tracker.services import audit, staff
from tracker.services.actors import SYSTEM
from tracker.store.engine import session_scope
from tracker.store.models import AuditEvent, StaffUser, WebSession


def tracker(
    *args: str, database_url: str, checkpoints=None, secret_key=None
) -> subprocess.CompletedProcess:
    """Run `tracker ARGS` as an operator would, against this database (and checkpoint file)."""
    env = {**os.environ, **FIXED_WIDTH, "TRACKER_DATABASE_URL": database_url}
    if secret_key is not None:
        env["TRACKER_SECRET_KEY"] = secret_key
    if checkpoints is not None:
        env["TRACKER_AUDIT_CHECKPOINT_FILE"] = str(checkpoints)
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
    committed_engine, database_url, tmp_path
):
    with session_scope(committed_engine) as session:
        build_world(session)
    intact = tracker(
        "audit", "verify", database_url=database_url, checkpoints=tmp_path / "none.json"
    )
    assert intact.returncode == 0, intact.stderr
    with session_scope(committed_engine) as session:
        count = len(session.exec(select(AuditEvent.id)).all())
        victim = session.exec(select(AuditEvent).where(AuditEvent.action == "patient.create")).one()
    assert intact.stdout.startswith(f"OK: {count} audit entries verified")
    with committed_engine.begin() as connection:  # a DBA "correcting" the record by hand
        connection.execute(
            text("UPDATE audit_event SET entity_id = '999' WHERE id = :id"), {"id": victim.id}
        )
    broken = tracker(
        "audit", "verify", database_url=database_url, checkpoints=tmp_path / "none.json"
    )
    assert broken.returncode == 1
    assert f"audit entry {victim.id}: content does not match its HMAC" in broken.stdout
    assert "audit trail broken" in broken.stderr
    assert "TRACKER_SECRET_KEY" not in broken.stdout  # one entry edited: no word of the key
    # Every entry failing alike: a backup checked without its key, not a trail all forged.
    other_key = tracker(
        "audit",
        "verify",
        database_url=database_url,
        checkpoints=tmp_path / "none.json",
        secret_key="another key entirely, of more than 32 characters",
    )
    assert other_key.returncode == 1
    assert "check that TRACKER_SECRET_KEY is the key the trail was written with" in (
        other_key.stdout
    )


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


def _entry_ids(engine) -> list[int]:
    with session_scope(engine, write=False) as session:
        return list(session.exec(select(AuditEvent.id).order_by(AuditEvent.id)).all())


@pytest.mark.parametrize("cut", ["newest", "newest 20", "every"])
def test_verify_names_entries_cut_off_the_end_since_the_checkpoint(
    committed_engine, database_url, tmp_path, cut
):
    checkpoints = tmp_path / "audit-checkpoint.json"
    with session_scope(committed_engine) as session:
        build_world(session)
        for n in range(20):
            audit.record(session, actor=SYSTEM, action="test.filler", changes={"n": n})
    made = tracker("audit", "checkpoint", database_url=database_url, checkpoints=checkpoints)
    assert made.returncode == 0, made.stderr
    ids = _entry_ids(committed_engine)
    total = len(ids)
    assert ids == list(range(1, total + 1))
    line = json.loads(checkpoints.read_text().splitlines()[-1])
    assert line["count"] == total
    assert (
        tracker("audit", "verify", database_url=database_url, checkpoints=checkpoints).returncode
        == 0
    )

    kept = {"newest": total - 1, "newest 20": total - 20, "every": 0}[cut]
    with committed_engine.begin() as connection:  # someone with DELETE on the table
        connection.execute(text("DELETE FROM audit_event WHERE id > :kept"), {"kept": kept})
    broken = tracker("audit", "verify", database_url=database_url, checkpoints=checkpoints)
    assert broken.returncode == 1, broken.stdout
    assert f"saw {total} entries ending in {line['hmac'][:12]}" in broken.stdout
    assert f"the trail holds {kept}: entries {kept + 1} to {total} are missing" in broken.stdout
    assert "audit trail broken" in broken.stderr


def test_the_sweep_writes_a_signed_checkpoint_and_a_forged_one_is_refused(
    committed_engine, database_url, tmp_path
):
    checkpoints = tmp_path / "audit-checkpoint.json"
    with session_scope(committed_engine) as session:
        build_world(session)
    swept = tracker(
        "sweep", "--on", "2026-03-01", database_url=database_url, checkpoints=checkpoints
    )
    assert swept.returncode == 0, swept.stderr
    lines = checkpoints.read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["count"] == len(_entry_ids(committed_engine))
    ok = tracker("audit", "verify", database_url=database_url, checkpoints=checkpoints)
    assert ok.returncode == 0, ok.stdout
    assert "matches the checkpoint of" in ok.stdout
    # Someone who can write the file but does not hold the checkpoint key.
    forged = {**json.loads(lines[0]), "count": 1}
    with checkpoints.open("a") as out:
        out.write(json.dumps(forged) + "\n")
    refused = tracker("audit", "verify", database_url=database_url, checkpoints=checkpoints)
    assert refused.returncode == 1
    assert "not signed with the checkpoint key" in refused.stdout
